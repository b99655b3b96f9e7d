"""Reads for the 1-2-3-spel: access, the cascade as a tree, and each session's figures."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import Http404

from accounts.models import Organisation
from cascade.models import Cascade, CascadeSession, Conversation


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


def my_conversations(membership) -> list[Conversation]:
    """Return the member's own customer conversations, detractors first, then by score."""
    return list(Conversation.objects.filter(employee=membership, session__cascade__organisation_id=
                                            membership.organisation_id)
                .select_related("customer", "session__unit", "session__cascade__wave")
                .order_by("status", "score", "customer__name"))


def access_conversation_by_id(membership, pk) -> Conversation:
    """Return one of the member's own conversations, or 404 (also for a colleague's)."""
    conversation = (Conversation.objects.filter(pk=pk, employee=membership,
                                                session__cascade__organisation_id=membership.organisation_id)
                    .select_related("customer", "session").first())
    if conversation is None:
        raise Http404
    return conversation


def session_conversations(session: CascadeSession) -> list[Conversation]:
    return list(session.conversations.select_related("customer", "employee__user")
                .order_by("employee__user__name", "score", "customer__name"))


# What to ask and what not to promise, per group: the method's conversation guide.
def conversation_guide() -> dict[str, dict[str, list[str]]]:
    from django.utils.translation import gettext as _

    return {
        "detractor": {
            "ask": [_("Thank them for their honest score and ask what happened."),
                    _("Ask what we should have done differently, in their words."),
                    _("Ask what would make them recommend us again.")],
            "avoid": [_("Do not defend or explain the organisation first."),
                      _("Do not promise a solution you cannot deliver yourself; promise to come back.")],
        },
        "passive": {
            "ask": [_("Ask what keeps them from giving a 9 or 10."),
                    _("Ask which competitor they compare us with, and why.")],
            "avoid": [_("Do not sell during this conversation."),
                      _("Do not promise discounts or exceptions.")],
        },
    }
