"""Writes for the customer portal."""

from __future__ import annotations

from portal.models import Contribution, ContributionKind


def contribution_add(*, contact, point, kind: str, label: str) -> Contribution:
    """Record that ``contact`` contributed to ``point`` (once per source); return the record.

    ``label`` is what the customer will read about where they said it: keep it free of
    internal detail and of other people's names.
    """
    if kind not in ContributionKind.values:
        raise ValueError(f"Unknown contribution kind {kind!r}.")
    if contact.customer.organisation_id != point.organisation_id:
        raise ValueError("The contact and the point belong to different organisations.")
    contribution, _created = Contribution.objects.get_or_create(
        contact=contact, point=point, kind=kind, label=label.strip()[:200],
        defaults={"organisation_id": point.organisation_id})
    return contribution
