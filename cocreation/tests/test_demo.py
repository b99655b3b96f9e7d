"""The demo's co-creation part, built on a small stand-in of the demo organisation."""

import random

from django.utils import timezone

from accounts.models import Role
from cocreation import demo
from cocreation.models import Group, GroupKind
from improvements import services as improvements


def test_the_demo_builds_the_claims_group_and_the_steering_group(org, make_member, make_contact, make_point):
    logins = {"consultant": make_member(org, role=Role.CONSULTANT),
              "bestuur": make_member(org, role=Role.BOARD, name="Bea Bestuur")}
    employees = {"SCH-WON": [make_member(org) for _ in range(2)], "SCH-EX-Z": [make_member(org)]}
    points = {"behandelaar": make_point(org, title="Behandelaar wisselt"),
              "expert": make_point(org, title="Expert te laat"), "other": make_point(org, title="Ander")}
    route = improvements.route_create(organisation=org, actor=logins["bestuur"], name="Route",
                                      points=[points["other"]])
    for name in ("Karin", "Kees", "Klaas"):
        make_contact(org, name)
    today = timezone.localdate()
    demo.build(organisation=org, units={}, logins=logins, employees=employees, points=points, waves=[],
               route=route, today=today, rng=random.Random(1))

    group = Group.objects.get(organisation=org, name="Schadeafhandeling")
    assert set(group.points.all()) == {points["behandelaar"], points["expert"]}
    assert group.members.count() == 3 and group.members.filter(is_chair=True).count() == 1
    assert [d.link_state for d in group.delegates.all()] == ["active", "active"]
    assert group.decisions.count() == 1
    past, planned = group.meetings.order_by("starts_at")
    assert past.starts_at.date() < today < planned.starts_at.date() and past.minutes and not planned.minutes
    steering = Group.objects.get(organisation=org, kind=GroupKind.STEERING)
    assert steering.members.get(is_chair=True).membership == logins["bestuur"]
    assert list(steering.points.all()) == [points["other"]]
    assert steering.delegates.count() == 1
