"""The journey map in a real browser under the strict CSP: evidence from every source."""

import pytest
from django.conf import settings

from .conftest import build_journey_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_map(browser, live_server, client, member, path, *, width, height):
    client.force_login(member.user, backend="accounts.backends.EmailBackend")
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en")
    context.add_cookies([
        {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
         "url": live_server.url},
        {"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}])
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: msg.type == "error" and "favicon" not in msg.location.get("url", "")
            and errors.append(msg.text))
    page.goto(live_server.url + path)
    return page, errors


def test_journey_map_shows_survey_arena_and_safari_evidence_on_a_phone(browser, live_server, client,
                                                                       org, make_member):
    from playwright.sync_api import expect

    world = build_journey_world(org, make_member)
    page, errors = open_map(browser, live_server, client, world.survey.manager,
                            f"/o/{org.slug}/journeys/{world.journey.pk}/", width=390, height=844)
    card = page.locator(f"#touchpoint-{world.call.pk}")
    expect(card.get_by_role("link", name="Schade melden per telefoon")).to_be_visible()
    expect(card.get_by_test_id("figures")).to_contain_text("Survey 2")
    expect(card.get_by_test_id("figures")).to_contain_text("Arena 2")
    expect(card.get_by_test_id("figures")).to_contain_text("Safari 1")
    expect(card.get_by_test_id("net")).to_have_text("-60")
    card.locator("summary").click()  # what customers say, folded on the map
    expect(card.get_by_test_id("evidence-survey")).to_contain_text(
        "Ik kwam er telefonisch niet doorheen")
    expect(card.get_by_test_id("evidence-arena")).to_contain_text("Een half uur in de wacht")
    expect(card.get_by_test_id("evidence-safari")).to_contain_text("Niemand belde terug")
    # The curve has a dot for each touchpoint with evidence (two), one a moment of truth.
    expect(page.get_by_test_id("curve-point")).to_have_count(2)
    expect(page.locator("[data-testid=curve-point].mot")).to_have_count(1)
    # On a phone the stages stack: the second starts below the first.
    first, second = page.get_by_test_id("stage").all()
    assert second.bounding_box()["y"] > first.bounding_box()["y"] + first.bounding_box()["height"] - 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert errors == []


def test_stages_sit_side_by_side_on_a_wide_screen(browser, live_server, client, org, make_member):
    world = build_journey_world(org, make_member)
    page, errors = open_map(browser, live_server, client, world.survey.admin,
                            f"/o/{org.slug}/journeys/{world.journey.pk}/", width=1280, height=900)
    first, second = page.get_by_test_id("stage").all()
    assert second.bounding_box()["x"] > first.bounding_box()["x"]
    assert abs(second.bounding_box()["y"] - first.bounding_box()["y"]) < 2
    page.get_by_label("New stage").fill("Herstel")
    page.get_by_test_id("stage-add").click()
    page.wait_for_load_state()
    assert [s.locator("h2").inner_text() for s in page.get_by_test_id("stage").all()] == [
        "Schade melden", "Expertise", "Herstel"]
    assert errors == []
