"""The three dashboards in a real browser, as the matching roles, at phone and desktop
width, under the strict CSP: the charts render and nothing errors in the console."""

import shutil

import pytest
from django.urls import reverse

from accounts.models import Role
from conftest import PASSWORD
from insights.tests.test_views import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
WIDTHS = [360, 1280]


@pytest.fixture
def browser(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not shutil.which(CHROMIUM):
        pytest.fail("chromium is missing: `make test` installs it (make browser-deps)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


@pytest.fixture
def world(org, make_member):
    return build_world(org, make_member, per_team=35)


def open_dashboard(browser, live_server, email, width, errors):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="nl-NL")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live_server.url + reverse("accounts:login"))
    page.locator("input[type=email]").fill(email)
    page.locator("input[type=password]").fill(PASSWORD)
    page.locator("main form button").last.click()
    page.wait_for_url("**/o/acme/")
    page.goto(live_server.url + reverse("insights:home", kwargs={"org": "acme"}))
    return page


def assert_dashboard(page, width, errors):
    charts = page.locator("svg[role=img]")
    assert charts.count() >= 2
    box = charts.first.bounding_box()
    assert box and box["width"] > 200 and box["height"] > 40, "the chart has no size"
    assert charts.first.locator(":scope > title").count() == 1
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the screen"
    assert not errors, errors


@pytest.mark.parametrize("width", WIDTHS)
def test_board_member_sees_the_strategic_dashboard(browser, live_server, world, width):
    errors: list[str] = []
    page = open_dashboard(browser, live_server, world.members["board"].email, width, errors)
    page.wait_for_url("**/insights/strategic/")
    assert page.locator("[data-testid=units] svg[role=img]").count() == 2
    assert page.locator("[data-testid=units] svg text", has_text="Noord").first.is_visible()
    assert_dashboard(page, width, errors)
    # Drill down: the business unit's name in the chart is a link to its page.
    page.locator("[data-testid=units] svg a text").first.click()
    page.wait_for_url("**/insights/units/*/**")
    assert page.locator("svg[role=img]").count() >= 2
    assert not errors, errors


@pytest.mark.parametrize("width", WIDTHS)
def test_manager_sees_their_unit_with_a_suppressed_team(browser, live_server, world, width):
    errors: list[str] = []
    page = open_dashboard(browser, live_server, world.members["manager"].email, width, errors)
    page.wait_for_url(f"**/insights/units/{world.units['Noord'].pk}/**")
    assert page.locator("h1").inner_text() == "Noord"
    assert_dashboard(page, width, errors)
    klein = page.locator("[data-testid=units] svg g.row[data-label='Noord klein']").first
    assert klein.locator("circle").count() == 0  # no figure for the small team


@pytest.mark.parametrize("width", WIDTHS)
def test_employee_sees_their_team_and_whom_to_call(browser, live_server, world, width):
    errors: list[str] = []
    page = open_dashboard(browser, live_server, world.members["employee"].email, width, errors)
    page.wait_for_url(f"**/insights/teams/{world.units['Noord 1'].pk}/**")
    assert page.locator("[data-testid=customer]").count() > 0
    first = page.locator("[data-testid=customer]").first
    assert "detractor" in (first.get_attribute("class") or "")
    assert_dashboard(page, width, errors)


def test_manager_marks_a_quote_as_voice_of_the_customer_without_a_reload(
        browser, live_server, world):
    errors: list[str] = []
    page = open_dashboard(browser, live_server, world.members["manager"].email, 360, errors)
    page.goto(live_server.url + reverse("insights:verbatims", kwargs={"org": "acme"}))
    page.evaluate("window.notReloaded = true")
    toggle = page.locator("[data-testid=voice-toggle]").first
    toggle.locator("button").click()
    page.locator("[data-testid=voice-toggle] button[aria-pressed=true]").first.wait_for()
    assert page.evaluate("window.notReloaded === true")
    assert not errors, errors
    assert Role.MANAGER == world.members["manager"].role


@pytest.mark.parametrize("width", WIDTHS)
def test_manager_filters_their_unit_by_segment_and_sees_promotership(
        browser, live_server, world, width):
    from insights.tests.test_views_gaps import add_segments

    add_segments(world)
    errors: list[str] = []
    page = open_dashboard(browser, live_server, world.members["manager"].email, width, errors)
    page.wait_for_url(f"**/insights/units/{world.units['Noord'].pk}/**")
    assert page.locator("[data-testid=promotership] meter").count() > 0
    assert page.locator("[data-testid=filter-notice]").count() == 0
    page.locator("[data-testid=segment-filter] select").select_option("MKB")
    page.locator("[data-testid=segment-filter] button").click()
    page.locator("[data-testid=filter-notice]").wait_for()
    assert "MKB" in page.locator("[data-testid=filter-notice]").inner_text()
    assert_dashboard(page, width, errors)
    page.locator("[data-testid=filter-notice] a").click()
    page.wait_for_url(lambda address: "segment=" not in address)
    assert page.locator("[data-testid=filter-notice]").count() == 0
    assert not errors, errors


def test_employee_sees_their_own_customers_first(browser, live_server, world):
    errors: list[str] = []
    page = open_dashboard(browser, live_server, world.members["employee"].email, 360, errors)
    page.wait_for_url(f"**/insights/teams/{world.units['Noord 1'].pk}/**")
    mine = page.locator("[data-testid=my-customer]")
    assert mine.count() > 0
    assert "detractor" in (mine.first.get_attribute("class") or "")
    page.locator("[data-testid=my-customers] a").first.click()
    page.wait_for_url("**/insights/my-customers/**")
    assert page.locator("[data-testid=my-customer]").count() > 0
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert not errors, errors
