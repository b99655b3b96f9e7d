"""Reads of the audit log, always within one organisation."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from accounts.models import ApiToken, Membership, Organisation
from audit.models import AuditEntry
from audit.services import email_hash


def entries_for(organisation: Organisation, *, action: str = "", since: datetime.date | None = None,
                until: datetime.date | None = None, email: str = ""):
    """The organisation's entries, newest first, filtered by action, period (dates in UTC,
    both inclusive) and the e-mail address of a failed login (matched by its keyed hash)."""
    entries = AuditEntry.objects.for_organisation(organisation).select_related("actor")
    if action:
        entries = entries.filter(action=action)
    utc = datetime.UTC
    if since:
        entries = entries.filter(created_at__gte=datetime.datetime.combine(since, datetime.time.min, utc))
    if until:
        end = datetime.datetime.combine(until + datetime.timedelta(days=1), datetime.time.min, utc)
        entries = entries.filter(created_at__lt=end)
    if email:
        entries = entries.filter(subject_hash=email_hash(email))
    return entries.order_by("-created_at", "-pk")


@dataclass(frozen=True)
class EntryView:
    """An entry as the page shows it: names looked up now, never stored in the log."""

    entry: AuditEntry
    actor_name: str
    target_label: str

    @property
    def details_items(self) -> list[tuple[str, str]]:
        """``details`` as (key, value) text pairs, lists joined and nested dicts flattened."""
        items = []
        for key, value in sorted((self.entry.details or {}).items()):
            if isinstance(value, dict):
                items.extend((f"{key}.{k}", _text(v)) for k, v in sorted(value.items()))
            else:
                items.append((key, _text(value)))
        return items


def _text(value) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if value is None:
        return "—"
    return str(value)


def _target_names(organisation: Organisation, entries: list[AuditEntry]) -> dict[tuple[str, int], str]:
    """Current names of the targets that are people, waves or tokens of the organisation."""
    from org.models import Contact
    from research.models import Wave

    wanted: dict[str, set[int]] = {}
    for entry in entries:
        if entry.target_id is not None:
            wanted.setdefault(entry.target_type, set()).add(entry.target_id)
    names: dict[tuple[str, int], str] = {}
    if ids := wanted.get("membership"):
        for pk, name in (Membership.objects.filter(organisation=organisation, pk__in=ids)
                         .values_list("pk", "user__name")):
            names[("membership", pk)] = name
    if ids := wanted.get("user"):
        members = Membership.objects.filter(organisation=organisation, user_id__in=ids)
        for pk, name in members.values_list("user_id", "user__name"):
            names[("user", pk)] = name
    if ids := wanted.get("wave"):
        for pk, name in Wave.objects.filter(organisation=organisation, pk__in=ids).values_list("pk", "name"):
            names[("wave", pk)] = name
    if ids := wanted.get("contact"):
        for pk, name in (Contact.objects.filter(customer__organisation=organisation, pk__in=ids)
                         .values_list("pk", "name")):
            names[("contact", pk)] = name
    if ids := wanted.get("apitoken"):
        for pk, name in (ApiToken.objects.filter(organisation=organisation, pk__in=ids)
                         .values_list("pk", "name")):
            names[("apitoken", pk)] = name
    return names


def entries_view(organisation: Organisation, entries) -> list[EntryView]:
    """``entries`` (one page of them) with the actor's and the target's current names.

    A name is shown only when the person is (or was) a member of this organisation; an
    erased person shows as their placeholder, because the log stores only their id.
    """
    entries = list(entries)
    actor_ids = {e.actor_id for e in entries if e.actor_id}
    members = set(Membership.objects.filter(organisation=organisation, user_id__in=actor_ids)
                  .values_list("user_id", flat=True))
    names = _target_names(organisation, entries)
    views = []
    for entry in entries:
        if entry.actor_id is None:
            actor = ""
        elif entry.actor_id in members:
            actor = entry.actor.name
        else:
            actor = f"#{entry.actor_id}"
        label = ""
        if entry.target_type:
            label = names.get((entry.target_type, entry.target_id), "")
        views.append(EntryView(entry=entry, actor_name=actor, target_label=label))
    return views
