import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from safari import ical, services

pytestmark = pytest.mark.django_db


def parse(body: str) -> list[dict]:
    """Unfold and parse the VEVENTs of a calendar (RFC 5545 §3.1) into dicts of raw values."""
    assert body.endswith("\r\n") and "\n" not in body.replace("\r\n", "")
    for line in body.split("\r\n"):
        assert len(line.encode()) <= 75, line
    lines = body.replace("\r\n ", "").split("\r\n")[:-1]
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines and any(line.startswith("PRODID:") for line in lines)
    events, current = [], None
    for line in lines:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            events.append(current)
            current = None
        elif current is not None:
            name, _sep, value = line.partition(":")
            current[name] = value
    return events


def unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\":
            out.append({"n": "\n", "N": "\n"}.get(value[i + 1], value[i + 1]))
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def feed_url(membership, secret):
    return reverse("safari_feed:feed", kwargs={"org": membership.organisation.slug, "secret": secret})


def test_escape_and_fold_follow_rfc_5545():
    assert ical.escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    line = "SUMMARY:" + "é" * 60
    folded = ical.fold(line)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line


def test_feed_lists_ones_own_visits_in_utc_and_parses_back(client, world, safari_round, visit):
    visit.place = "Dorpsstraat 1, Oss; achterom"
    visit.save()
    services.visit_assign(safari_round=safari_round, actor=world.planner, visitor=world.planner,
                          customer=world.big, planned_at=timezone.now() + datetime.timedelta(days=3))
    _token, secret = services.calendar_token_issue(membership=world.manager)
    response = client.get(feed_url(world.manager, secret))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    [event] = parse(response.content.decode())
    assert event["UID"] == f"safari-visit-{visit.pk}@testserver"
    assert event["DTSTART"] == "20261112T090000Z"  # 10:00 in Amsterdam
    assert event["DTEND"] == "20261112T103000Z"
    assert len(event["DTSTAMP"]) == 16 and event["DTSTAMP"].endswith("Z")
    assert unescape(event["SUMMARY"]) == "Klantbezoek: Bakkerij Boos"
    assert unescape(event["LOCATION"]) == "Dorpsstraat 1, Oss; achterom"
    assert event["LOCATION"] == "Dorpsstraat 1\\, Oss\\; achterom"
    assert "Groot Transport" not in response.content.decode()  # another member's visit


def test_a_revoked_or_replaced_token_stops_working(client, world, visit):
    _token, old = services.calendar_token_issue(membership=world.manager)
    _token, new = services.calendar_token_issue(membership=world.manager)
    assert client.get(feed_url(world.manager, old)).status_code == 404
    assert client.get(feed_url(world.manager, new)).status_code == 200
    services.calendar_token_revoke(membership=world.manager)
    assert client.get(feed_url(world.manager, new)).status_code == 404
    assert client.get(feed_url(world.manager, "made-up-secret")).status_code == 404


def test_a_token_under_another_organisations_slug_is_not_found(client, world, visit, other_org):
    _token, secret = services.calendar_token_issue(membership=world.manager)
    url = reverse("safari_feed:feed", kwargs={"org": other_org.slug, "secret": secret})
    assert client.get(url).status_code == 404


def test_a_deactivated_member_has_no_feed(client, world, visit):
    _token, secret = services.calendar_token_issue(membership=world.manager)
    world.manager.is_active = False
    world.manager.save()
    assert client.get(feed_url(world.manager, secret)).status_code == 404


def test_my_visits_page_shows_the_link_once_and_revokes_it(client, login, world, visit):
    login(world.manager)
    url = reverse("safari:calendar_token", kwargs={"org": world.org.slug})
    page = client.post(url, {"action": "issue"})
    assert page.status_code == 200
    feed = page.context["feed_url"]
    assert client.get(feed).status_code == 200
    assert page.context["feed_url"] not in client.get(reverse("safari:my_visits", kwargs={
        "org": world.org.slug})).content.decode()
    assert client.post(url, {"action": "revoke"}).status_code == 302
    assert client.get(feed).status_code == 404
