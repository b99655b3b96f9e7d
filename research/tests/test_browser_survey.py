"""Our own survey in a real browser, phone-sized, Dutch, under the strict CSP.

A customer opens the personal link from the invitation and submits a low score; the
account owner finds the customer under "Mijn acties" and records the call.
"""

import re
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse

from conftest import PASSWORD
from research.models import FollowUp, FollowUpReason, FollowUpStatus, Response, ResponseStatus
from research.survey import invitations_create, invitations_send
from research.tests.survey_world import build_survey_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 360, "height": 740}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"




def phone_page(browser, errors):
    # An English-speaking phone: the survey must still be Dutch.
    context = browser.new_context(viewport=PHONE, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page


def assert_fits_phone(page):
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the phone"


def invite(world, live_server) -> str:
    """Invite and e-mail everyone; return Anja Jansen's personal link."""
    invitations_create(wave=world.wave)
    invitations_send(wave=world.wave, base_url=live_server.url)
    message = next(m for m in mail.outbox if m.to == ["anja@jansen.example"])
    return re.search(r"http://\S+/accounts/m/[\w-]+/", message.body).group(0)


def answer_survey_on_phone(page, link: str, *, score: int, why: str):
    page.goto(link)
    page.wait_for_url("**/survey/*/")
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.locator("[data-testid=survey-org]").inner_text() == "Acme Verzekeringen"
    assert_fits_phone(page)
    nps = page.locator("[data-testid=question-nps]")
    assert nps.locator("legend").inner_text().startswith("Hoe waarschijnlijk")
    # Changing any answer saves it in the background (htmx autosave).
    with page.expect_response(lambda r: r.url.endswith("/save/") and r.status == 200):
        nps.get_by_label(str(score), exact=True).check()
    page.locator("[data-testid=autosaved]").wait_for()
    assert nps.locator(f"input[value='{score}']").is_checked()
    page.locator("textarea[name=q-why]").fill(why)
    driver = page.locator("[data-testid=question-driver]").first
    driver.locator("input[value='na']").check()
    page.screenshot(path=str(ARTIFACTS / "survey_phone.png"), full_page=True)
    page.locator("[data-testid=survey-submit]").click()
    page.locator("[data-testid=survey-thanks]").wait_for()
    assert_fits_phone(page)


def test_a_customer_answers_the_survey_on_a_phone_in_dutch(browser, live_server, org, make_member):
    ARTIFACTS.mkdir(exist_ok=True)
    world = build_survey_world(org, make_member)
    errors: list[str] = []
    page = phone_page(browser, errors)
    answer_survey_on_phone(page, invite(world, live_server), score=8, why="Prima service")
    response = Response.objects.get(wave=world.wave)
    assert response.status == ResponseStatus.SUBMITTED and response.nps == 8
    assert response.comment == "Prima service" and response.customer == world.customers[0]
    assert response.language == "nl" and "bereikbaarheid" not in response.scores
    assert not FollowUp.objects.exists()

    # Back to the form to correct: it is still there, with the answers given.
    page.locator("[data-testid=survey-correct]").click()
    page.locator("[data-testid=survey-submitted-note]").wait_for()
    assert page.locator("[data-testid=question-nps] input[value='8']").is_checked()
    assert errors == [], errors


def test_a_detractor_becomes_a_follow_up_in_the_account_owners_actions(
    browser, live_server, org, make_member
):
    world = build_survey_world(org, make_member)
    errors: list[str] = []
    page = phone_page(browser, errors)
    answer_survey_on_phone(page, invite(world, live_server), score=3, why="Nooit bereikbaar")
    page.context.close()
    follow_up = FollowUp.objects.get(response__wave=world.wave)
    assert follow_up.owner == world.owner and follow_up.reason == FollowUpReason.DETRACTOR
    assert any(m.to == [world.owner.user.email] for m in mail.outbox)

    page = phone_page(browser, errors)
    page.goto(live_server.url + reverse("accounts:login"))
    page.get_by_label("E-mailadres").fill(world.owner.user.email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url("**/o/acme/")
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Mijn acties", exact=True).click()
    section = page.locator("[data-testid=my-follow-ups]")
    row = section.locator("[data-testid=follow-up-row]", has_text="Bakkerij Jansen")
    assert "Nooit bereikbaar" in row.inner_text()
    assert row.locator("[data-testid=follow-up-score]").inner_text() == "3"
    assert_fits_phone(page)
    page.evaluate("window.notReloaded = true")
    with page.expect_response(lambda r: "/update/" in r.url and r.status == 200):
        row.locator("[data-testid=follow-up-status]").select_option("in_progress")
    assert page.evaluate("window.notReloaded === true"), "saving the status reloaded the page"
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.IN_PROGRESS
    page.screenshot(path=str(ARTIFACTS / "follow_up_my_actions_phone.png"), full_page=True)
    assert errors == [], errors
