"""The portal's part of the demo, on a small finished arena (the full demo is tests/test_demo.py)."""

import random

from django.core import mail
from django.utils import timezone

from arena import services as arena_services
from arena.tests.conftest import run_rounds, world  # noqa: F401  (the arena's world fixture)
from improvements.models import PointStatus
from portal import demo, selectors
from portal.models import Contribution


def test_the_demo_gives_arena_speakers_a_point_that_moved_on_without_emailing_them(
        world, django_capture_on_commit_callbacks):  # noqa: F811
    ids = run_rounds(world)
    arena_services.arena_finish(arena=world.arena, actor=world.planner)
    Contribution.objects.all().delete()  # as if the arena was finished before the portal
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        demo.build(organisation=world.org, units={}, logins={"manager": world.survey.manager},
                   employees={}, points={}, waves=[], route=None, today=timezone.localdate(),
                   rng=random.Random(1))
    assert Contribution.objects.filter(contact=ids["anja"]).count() == 2
    assert Contribution.objects.filter(contact=ids["piet"]).count() == 1
    assert mail.outbox == []
    portal = selectors.portal_of(ids["anja"])
    moved = [p for g in portal.groups for p in g.points if p.status == PointStatus.IN_PROGRESS]
    assert len(moved) == 1
    kinds = [e.kind for e in moved[0].history]
    assert kinds == ["action", "status", "raised"]
    assert moved[0].last_change < timezone.localdate()  # dated in the past, not at build time
