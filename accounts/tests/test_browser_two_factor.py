"""In a browser on a phone: an administrator sets up the authenticator at the first login,
then logs in with password and code; a consultant with an authenticator types the code."""

import pytest
from django.urls import reverse

from accounts.models import Role
from conftest import PASSWORD, browser_totp_user, browser_type_code, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


def new_page(browser, errors):
    context = browser.new_context(viewport=PHONE, locale="nl-NL", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page


def password_step(page, server, email):
    page.goto(server + reverse("accounts:login"))
    page.locator("input[name=username]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()


def test_admin_sets_up_the_authenticator_at_first_login_on_a_phone(browser, live_server, org,
                                                                   make_member):
    admin = make_member(org, Role.ADMIN)
    errors: list[str] = []
    page = new_page(browser, errors)
    password_step(page, live_server.url, admin.email)
    page.wait_for_url("**/accounts/login/code/")
    qr = page.locator("[data-testid=two-factor-qr] svg")
    assert qr.is_visible()
    box = qr.bounding_box()
    assert 100 <= box["width"] <= PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.locator("input[name=code]").fill(totp_code(admin.user))
    page.locator("[data-testid=two-factor-setup-form] button[type=submit]").click()
    codes = page.locator("[data-testid=backup-codes] li")
    assert codes.count() == 10
    page.locator("main a.button").click()
    page.wait_for_url("**/o/acme/")
    page.context.clear_cookies()  # a new visit, without the session

    # The next login asks for the code from the app.
    password_step(page, live_server.url, admin.email)
    browser_type_code(page, admin.user)
    page.wait_for_url("**/o/acme/")
    assert errors == []


def test_consultant_logs_in_with_the_code_the_helpers_type(browser, live_server, org, make_member):
    consultant = make_member(org, Role.CONSULTANT)
    employee = make_member(org, Role.EMPLOYEE)
    assert browser_totp_user(employee.email) is None
    user = browser_totp_user(consultant.email)
    errors: list[str] = []
    page = new_page(browser, errors)
    password_step(page, live_server.url, consultant.email)
    browser_type_code(page, user)
    page.wait_for_url("**/o/acme/")
    assert errors == []
