"""The foundation's story in a real browser: Dutch, phone-sized, under the strict CSP.

A manager raises an improvement point and gives an action to an employee; the
employee finds it under "Mijn acties" and marks it in progress without a reload.
"""


import pytest
from django.urls import reverse

from accounts.models import Role
from conftest import PASSWORD
from improvements.models import Action, ActionStatus, ImprovementPoint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 360, "height": 740}




@pytest.fixture
def team(org, make_member):
    root = org.units.get(depth=1)
    manager = make_member(org, Role.MANAGER, name="Marieke Manager", unit=root)
    employee = make_member(org, Role.EMPLOYEE, name="Erik Medewerker", unit=root)
    return manager, employee


def phone_page(browser, live_server, errors):
    # An English-speaking phone: the interface must still be Dutch.
    context = browser.new_context(viewport=PHONE, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page


def log_in(page, live_server, email):
    page.goto(live_server.url + reverse("accounts:login"))
    assert page.locator("h1").inner_text() == "Inloggen"
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url("**/o/acme/")


def open_menu_item(page, name):
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name=name, exact=True).click()


def assert_fits_phone(page):
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the phone"


def test_manager_assigns_an_action_and_the_employee_takes_it_up_on_a_phone(
    browser, live_server, team
):
    manager, employee = team
    errors: list[str] = []

    # The employee starts with nothing to do.
    page = phone_page(browser, live_server, errors)
    log_in(page, live_server, employee.email)
    assert page.locator("html").get_attribute("lang") == "nl"
    open_menu_item(page, "Mijn acties")
    assert page.locator("h1").inner_text() == "Mijn acties"
    assert page.locator("[data-testid=action-row]").count() == 0
    assert_fits_phone(page)
    page.context.close()

    # The manager raises a point and gives an action to the employee.
    page = phone_page(browser, live_server, errors)
    log_in(page, live_server, manager.email)
    open_menu_item(page, "Verbeterpunten")
    page.get_by_role("link", name="Verbeterpunt indienen").first.click()
    page.get_by_label("Titel").fill("Klanten wachten te lang op een terugbelafspraak")
    page.get_by_label("Beschrijving").fill("Uit de klantarena: terugbellen gebeurt niet.")
    page.get_by_role("button", name="Indienen").click()
    page.wait_for_url("**/points/*/")
    assert_fits_phone(page)
    point = ImprovementPoint.objects.get(title__startswith="Klanten wachten")

    page.evaluate("window.notReloaded = true")
    add_action = page.locator("[data-testid=add-action]")
    add_action.get_by_label("Actie").fill("Terugbelverzoeken dagelijks nalopen")
    add_action.get_by_label("Verantwoordelijke").select_option(label="Erik Medewerker")
    add_action.get_by_label("Deadline").fill("2031-03-01")
    add_action.get_by_role("button", name="Actie toevoegen").click()
    row = page.locator("[data-testid=action-row]", has_text="Terugbelverzoeken dagelijks nalopen")
    row.wait_for()
    assert "Erik Medewerker" in row.inner_text()
    assert page.evaluate("window.notReloaded === true"), "adding an action reloaded the page"
    action = Action.objects.get(point=point)
    assert action.owner == employee and action.status == ActionStatus.OPEN
    page.context.close()

    # The employee sees it and marks it in progress, right in the list.
    page = phone_page(browser, live_server, errors)
    log_in(page, live_server, employee.email)
    open_menu_item(page, "Mijn acties")
    row = page.locator("[data-testid=action-row]", has_text="Terugbelverzoeken dagelijks nalopen")
    assert "Klanten wachten te lang" in row.inner_text()
    page.evaluate("window.notReloaded = true")
    with page.expect_response(lambda r: "/status/" in r.url and r.status == 200):
        row.get_by_label("Status van “Terugbelverzoeken dagelijks nalopen”").select_option(
            label="In uitvoering")
    assert page.evaluate("window.notReloaded === true"), "saving the status reloaded the page"
    action.refresh_from_db()
    assert action.status == ActionStatus.IN_PROGRESS
    assert_fits_phone(page)
    page.screenshot(path=str(live_server_artifact("my_actions_phone.png")))
    assert errors == [], errors


def live_server_artifact(name):
    from pathlib import Path

    folder = Path(__file__).resolve().parent.parent / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder / name
