"""The htmx paths in a real browser, at phone width, under the strict CSP."""

import datetime
import shutil

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import Role
from improvements import services
from improvements.models import Action, ActionStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def browser_context(browser, live_server):
    return browser.new_context(viewport={"width": 360, "height": 740}, locale="en")


@pytest.fixture
def open_as(browser_context, live_server, client):
    """Return a function that opens ``path`` as ``membership`` and collects script errors
    (a missing favicon is not one)."""
    errors = []

    def open_page(membership, path):
        client.force_login(membership.user, backend="accounts.backends.EmailBackend")
        browser_context.add_cookies([{
            "name": settings.SESSION_COOKIE_NAME,
            "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "url": live_server.url,
        }, {"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}])
        page = browser_context.new_page()
        page.on("console", lambda msg: msg.type == "error" and "favicon" not in msg.location.get(
            "url", "") and errors.append(msg.text))
        page.goto(live_server.url + path)
        # A marker that a full page load would wipe out.
        page.evaluate("window.notReloaded = true")
        return page

    open_page.errors = errors
    return open_page


def test_owner_saves_a_status_from_my_actions_without_reloading(org, manager, employee,
                                                                make_point, open_as):
    from playwright.sync_api import expect

    late = services.action_create(point=make_point(), actor=manager, title="Call back",
                                  owner=employee,
                                  due_date=timezone.localdate() - datetime.timedelta(days=3))
    page = open_as(employee, f"/o/{org.slug}/my-actions/")
    row = page.get_by_test_id("action-row")
    expect(row).to_have_class("overdue")

    page.get_by_label("Status of “Call back”").select_option(ActionStatus.DONE)

    expect(row).not_to_have_class("overdue")
    expect(row.get_by_label("Status of “Call back”")).to_have_value(ActionStatus.DONE)
    assert page.evaluate("window.notReloaded") is True
    late.refresh_from_db()
    assert late.status == ActionStatus.DONE
    assert open_as.errors == []


def test_manager_adds_an_action_on_the_point_page_without_reloading(
        org, make_member, employee, make_point, open_as):
    from playwright.sync_api import expect

    manager = make_member(org, role=Role.MANAGER)
    point = make_point()
    page = open_as(manager, f"/o/{org.slug}/points/{point.pk}/")
    form = page.get_by_test_id("add-action")

    form.get_by_label("Action").fill("Call the detractors")
    form.get_by_label("Owner").select_option(label=employee.name)
    form.get_by_role("button").click()

    expect(page.get_by_test_id("action-row")).to_have_count(1)
    expect(page.get_by_test_id("action-row")).to_contain_text("Call the detractors")
    expect(page.locator("#history")).to_contain_text("Call the detractors")
    assert page.evaluate("window.notReloaded") is True
    assert Action.objects.get(point=point).owner == employee
    assert open_as.errors == []
