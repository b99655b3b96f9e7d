"""A customer follows her point on a phone; staff change its status; she sees it and gets the e-mail."""

import pytest
from django.core import mail

from accounts.models import MagicLinkPurpose
from accounts.services import magic_link_issue
from improvements.models import PointStatus
from portal import selectors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_customer_sees_the_new_status_after_staff_change_it_and_gets_an_email(
        pworld, browser, live_server, settings):
    from playwright.sync_api import expect

    settings.SITE_URL = live_server.url
    mail.outbox.clear()
    errors = []
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="nl-NL")
    page = phone.new_page()
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    issued = magic_link_issue(contact=pworld.anja, purpose=MagicLinkPurpose.PORTAL)
    page.goto(f"{live_server.url}/accounts/m/{issued.token}/")
    assert page.url == f"{live_server.url}/portal/"
    point = page.get_by_test_id("portal-point").filter(has_text="Schadelijn sneller bereikbaar")
    expect(point.get_by_test_id("portal-status")).to_have_text(
        selectors.public_status_label(PointStatus.PROPOSED))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone

    # Staff change the status on the point's page.
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en")
    staff = desk.new_page()
    staff.goto(f"{live_server.url}/accounts/login/")
    staff.fill("input[name=username]", pworld.manager.user.email)
    staff.fill("input[name=password]", "correct-horse-battery-9")
    staff.locator("form button[type=submit]").last.click()
    staff.goto(f"{live_server.url}{pworld.point.get_absolute_url()}")
    expect(staff.get_by_test_id("portal-followers")).to_contain_text("2")
    staff.locator("#point-status-select").select_option(PointStatus.IN_PROGRESS)
    staff.locator("#point-status button[type=submit]").click()
    expect(staff.get_by_test_id("point-status")).not_to_have_text("Proposed")

    # She reloads and sees the new status, with the change in the history.
    page.reload()
    expect(point.get_by_test_id("portal-status")).to_have_text(
        selectors.public_status_label(PointStatus.IN_PROGRESS))
    expect(point.get_by_test_id("portal-history")).to_contain_text(
        selectors.public_status_label(PointStatus.IN_PROGRESS))
    assert errors == []

    # The e-mail went to her (and to Bram), with a portal link that works.
    to_anja = [m for m in mail.outbox if m.to == ["anja@jansen.example"]]
    assert len(to_anja) == 1 and sorted(m.to[0] for m in mail.outbox) == ["anja@jansen.example",
                                                                       "bram@bakker.example"]
    message = to_anja[0]
    assert "Schadelijn sneller bereikbaar" in message.subject
    link = next(line.strip() for line in message.body.splitlines() if "/accounts/m/" in line)
    assert link.startswith(live_server.url)
    fresh = browser.new_context(viewport={"width": 390, "height": 844})
    mailed = fresh.new_page()
    mailed.goto(link)
    assert mailed.url == f"{live_server.url}/portal/"
    expect(mailed.get_by_test_id("portal-point").filter(has_text="Schadelijn sneller bereikbaar")
           .get_by_test_id("portal-status")).to_have_text(selectors.public_status_label(PointStatus.IN_PROGRESS))
    for context in (phone, desk, fresh):
        context.close()
