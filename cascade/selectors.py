"""Reads for the 1-2-3-spel: access, the cascade as a tree, and each session's figures."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import Http404

from accounts.models import Organisation
from cascade.models import Cascade, CascadeSession


def access_cascade_by_id(organisation: Organisation, pk) -> Cascade:
    cascade = (Cascade.objects.for_organisation(organisation).select_related("wave")
               .filter(pk=pk).first())
    if cascade is None:
        raise Http404
    return cascade


def access_session_by_id(organisation: Organisation, pk) -> CascadeSession:
    session = (CascadeSession.objects.filter(cascade__organisation=organisation, pk=pk)
               .select_related("cascade__wave", "unit", "parent__unit", "facilitator__user", "route")
               .first())
    if session is None:
        raise Http404
    return session


def cascade_list(organisation: Organisation):
    return Cascade.objects.for_organisation(organisation).select_related("wave")


@dataclass
class SessionNode:
    session: CascadeSession
    blocked_by: CascadeSession | None
    children: list[SessionNode] = field(default_factory=list)


def cascade_tree(cascade: Cascade) -> list[SessionNode]:
    """Return the cascade's sessions nested by level, each with what blocks it (two queries)."""
    from cascade.services import blocked_by

    sessions = list(cascade.sessions.select_related("unit", "facilitator__user", "route")
                    .order_by("unit__path"))
    by_id = {s.pk: s for s in sessions}
    nodes = {}
    roots = []
    for s in sessions:
        if s.parent_id is not None:
            s.parent = by_id[s.parent_id]  # no query per session for blocked_by
        nodes[s.pk] = SessionNode(session=s, blocked_by=blocked_by(s))
        if s.parent_id is None:
            roots.append(nodes[s.pk])
        else:
            nodes[s.parent_id].children.append(nodes[s.pk])
    return roots
