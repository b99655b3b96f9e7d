"""The safari's part of the access sweep (tests/test_access.py)."""

from django.urls import reverse
from django.utils import timezone

from accounts.permissions import Capability
from safari import services

OBJECT_OF = {
    "safari:round": "safari_round",
    "safari:round_update": "safari_round",
    "safari:visit_assign": "safari_round",
    "safari:visit": "safari_visit",
    "safari:visit_plan": "safari_visit",
    "safari:visit_cancel": "safari_visit",
    "safari:visit_report": "safari_visit",
    "safari:visit_photo": "safari_visit",
    "safari:advice_point": "safari_visit",
}


def objects(world) -> dict:
    today = timezone.localdate()
    safari_round = services.round_create(
        organisation=world.org, actor=world.admin, name="Klantsafari", starts_on=today, ends_on=today,
        visitors=[world.admin])
    visit = services.visit_assign(safari_round=safari_round, actor=world.admin, visitor=world.admin,
                                  customer=world.customer, planned_at=timezone.now(), place="Kantoor")
    services.visit_report(visit=visit, actor=world.admin, went_well="Goed", went_wrong="", advice="Bel terug",
                          quotes="Prima")
    return {"safari_round": safari_round, "safari_visit": visit}


PROBES = {
    Capability.VIEW_SAFARIS: lambda w, m: ("get", reverse("safari:round_list", args=[w.org.slug]), None),
    Capability.PLAN_SAFARIS: lambda w, m: ("get", reverse("safari:round_create", args=[w.org.slug]), None),
}
