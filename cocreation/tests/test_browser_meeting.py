"""A group meeting running live: the chair on a laptop, a customer delegate on a phone.

The chair opens the live meeting from the meeting page; the delegate joins from their
group page (their magic-link session), says what they experienced, proposes what to
improve and commits; the chair sees it arrive, agrees an action, and ends the meeting,
whose outcome lands in the minutes.
"""

import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from cocreation import services
from cocreation.models import Meeting
from conftest import PASSWORD
from tests import asgi_server as serving

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
file_database = serving.file_database  # the shared fixtures, found here by their names
asgi_server = serving.asgi_server


def open_page(context, errors, name):
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("console", lambda m: errors.append(f"{name}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"{name}: {exc}"))
    return page


def wait_live(page, phase):
    expect(page.locator(f"#live-room[data-state=live][data-phase={phase}]")).to_be_attached()


def test_the_chair_and_a_delegate_hold_a_meeting_live(setup, asgi_server, browser):
    server = asgi_server
    meeting = services.meeting_plan(group=setup.group, actor=setup.chair, starts_at=timezone.now(),
                                    agenda="1. Expert te laat")
    services.delegate_invite(delegate=setup.delegate, actor=setup.admin, base_url=server)
    link = re.search(r"https?://\S+/m/\S+/", mail.outbox[-1].body).group(0)
    errors = []

    laptop = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 800})
    chair = open_page(laptop, errors, "chair")
    chair.goto(server + reverse("accounts:login"))
    chair.get_by_label("E-mailadres").fill(setup.chair.user.email)
    chair.get_by_label("Wachtwoord").fill(PASSWORD)
    chair.get_by_role("button", name="Inloggen").click()
    chair.wait_for_url("**/o/acme/**")
    chair.goto(server + reverse("cocreation:meeting", kwargs={"org": "acme", "pk": meeting.pk}))
    chair.get_by_test_id("room-open").click()
    wait_live(chair, "check_in")

    phone = browser.new_context(locale="nl-NL", viewport={"width": 390, "height": 844}, is_mobile=True,
                                has_touch=True)
    delegate = open_page(phone, errors, "delegate")
    delegate.goto(link)
    delegate.get_by_test_id("join-meeting").click()
    wait_live(delegate, "check_in")
    expect(delegate.get_by_test_id("statement-form")).to_be_hidden()  # the chair opens first

    chair.get_by_test_id("phase-next").click()
    wait_live(delegate, "discuss")
    delegate.locator("#phone-statement").fill("De expert kwam pas na twaalf dagen")
    delegate.get_by_test_id("statement-submit").click()
    expect(chair.get_by_test_id("wall")).to_contain_text("De expert kwam pas na twaalf dagen")

    chair.get_by_test_id("phase-next").click()
    wait_live(delegate, "choose")
    delegate.locator("#phone-proposal").fill("Sms als de expert onderweg is")
    delegate.get_by_test_id("propose-submit").click()
    expect(delegate.get_by_test_id("vote-group")).to_contain_text("Sms als de expert onderweg is")
    delegate.get_by_test_id("cast").click()
    expect(chair.get_by_test_id("groups")).to_contain_text("Sms als de expert onderweg is")

    chair.get_by_test_id("phase-next").click()
    wait_live(delegate, "agree")
    delegate.locator("#commitment-text").fill("Ik stuur voortaan foto's mee")
    delegate.get_by_test_id("commitment-form").get_by_role("button").click()
    expect(chair.get_by_test_id("commitments")).to_contain_text("Ik stuur voortaan foto's mee")
    chair.locator("#action-title").fill("Sms-dienst inrichten")
    chair.locator("#action-owner").select_option(str(setup.employee.pk))
    chair.get_by_test_id("action-form").get_by_role("button").click()
    expect(delegate.get_by_test_id("actions")).to_contain_text("Sms-dienst inrichten")
    assert delegate.evaluate("document.documentElement.scrollWidth") <= 390
    assert errors == []

    chair.goto(server + reverse("cocreation:meeting", kwargs={"org": "acme", "pk": meeting.pk}))
    chair.get_by_test_id("room-close").click()
    expect(chair.get_by_test_id("room-closed")).to_be_visible()
    minutes = Meeting.objects.get(pk=meeting.pk).minutes
    for text in ("Sms als de expert onderweg is (1)", "Sms-dienst inrichten", "Ik stuur voortaan foto's mee"):
        assert text in minutes
    laptop.close()
    phone.close()
