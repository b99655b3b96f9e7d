"""Where the portal listens to the rest of the product.

- ``improvements.signals.point_status_changed`` (sent after commit): e-mail the
  point's followers.
- A new ``Evidence`` whose source is a survey ``Response``: the product has no single
  "make a point from this comment" service to call ``contribution_add`` from, and a
  comment becomes evidence through ``improvements.services.evidence_add`` from any
  app, so the portal records the respondent's contribution here, in the same
  transaction as the evidence.
"""

from __future__ import annotations


def evidence_saved(sender, *, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """Record a contribution when a survey response becomes evidence of a point."""
    if not created or raw or instance.content_type_id is None:
        return
    content_type = instance.content_type
    if (content_type.app_label, content_type.model) != ("research", "response"):
        return
    from portal.services import contribution_from_response
    from research.models import Response

    point = instance.point
    response = (Response.objects.select_related("wave", "contact__customer")
                .filter(pk=instance.object_id, organisation_id=point.organisation_id).first())
    if response is not None:
        contribution_from_response(response=response, point=point)


def point_status_changed(sender, *, point, old: str, new: str, **kwargs) -> None:
    from portal.services import point_status_notify

    point_status_notify(point=point, old=old, new=new)
