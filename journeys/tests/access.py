"""The journeys' part of the access sweep (tests/test_access.py)."""

from django.urls import reverse

from accounts.permissions import Capability
from journeys import services

JOURNEY, STAGE, TOUCHPOINT = "journey", "journey_stage", "journey_touchpoint"

OBJECT_OF = {
    "journeys:detail": JOURNEY,
    "journeys:update": JOURNEY,
    "journeys:delete": JOURNEY,
    "journeys:stage_add": JOURNEY,
    "journeys:export_pdf": JOURNEY,
    "journeys:export_png": JOURNEY,
    "journeys:stage_rename": STAGE,
    "journeys:stage_move": STAGE,
    "journeys:stage_delete": STAGE,
    "journeys:touchpoint_add": STAGE,
    "journeys:touchpoint": TOUCHPOINT,
    "journeys:touchpoint_update": TOUCHPOINT,
    "journeys:touchpoint_move": TOUCHPOINT,
    "journeys:touchpoint_delete": TOUCHPOINT,
    "journeys:touchpoint_point": TOUCHPOINT,
}


def objects(world) -> dict:
    journey = services.journey_create(organisation=world.org, actor=world.admin, name="Schade melden",
                                      stages=["Melden"])
    stage = journey.stages.get()
    touchpoint = services.touchpoint_add(stage=stage, name="Telefoon", unit=world.unit,
                                         themes=["bereikbaarheid"])
    return {JOURNEY: journey, STAGE: stage, TOUCHPOINT: touchpoint}


PROBES = {
    Capability.VIEW_JOURNEYS: lambda w, m: (
        "get", reverse("journeys:detail", args=[w.org.slug, w.journey.pk]), None),
    Capability.EDIT_JOURNEYS: lambda w, m: (
        "post", reverse("journeys:stage_add", args=[w.org.slug, w.journey.pk]), {"name": "Herstel"}),
}
