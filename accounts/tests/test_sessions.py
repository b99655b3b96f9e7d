"""Staff sessions: a time-out after inactivity, an absolute one after login."""

import time
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from accounts.middleware import LOGIN_AT_KEY, SEEN_KEY
from accounts.models import MagicLinkPurpose, Role
from accounts.services import magic_link_issue
from conftest import PASSWORD
from org.models import Contact, Customer


@pytest.fixture
def employee(org, make_member):
    return make_member(org, Role.EMPLOYEE)


def shift(client, **seconds_ago):
    """Pretend the session's login and last request were that many seconds ago."""
    session = client.session
    now = int(time.time())
    if "login" in seconds_ago:
        session[LOGIN_AT_KEY] = now - seconds_ago["login"]
    if "seen" in seconds_ago:
        session[SEEN_KEY] = now - seconds_ago["seen"]
    session.save()


def dashboard(client):
    return client.get(reverse("org:dashboard", args=["acme"]))


def test_login_stamps_the_session_and_pins_an_absolute_expiry(client, employee, settings):
    client.post(reverse("accounts:login"), {"username": employee.email, "password": PASSWORD})
    session = client.session
    assert abs(session[LOGIN_AT_KEY] - time.time()) < 5
    expected = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert abs((session.get_expiry_date() - expected).total_seconds()) < 5
    # Working (and so writing the session) does not move the end of the session.
    before = session.get_expiry_date()
    shift(client, seen=120)
    assert dashboard(client).status_code == 200
    assert client.session.get_expiry_date() == before


def test_an_active_session_stays_and_its_last_request_is_noted(client, employee, login):
    login(employee)
    shift(client, login=3600, seen=10 * 60)
    assert dashboard(client).status_code == 200
    assert abs(client.session[SEEN_KEY] - time.time()) < 5
    assert client.session[SESSION_KEY] == str(employee.user.pk)


def test_idle_session_is_logged_out_and_sent_to_login_with_a_message(client, employee, login, settings):
    login(employee)
    shift(client, seen=settings.SESSION_IDLE_TIMEOUT + 1)
    url = reverse("org:dashboard", args=["acme"])
    response = dashboard(client)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login")) and "next=" in response.url
    assert SESSION_KEY not in client.session
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["info"]
    page = client.get(response.url)
    assert page.status_code == 200 and "message-info" in page.content.decode()
    assert client.get(url).status_code == 302


def test_idle_time_out_comes_from_the_settings(client, employee, login, settings):
    settings.SESSION_IDLE_TIMEOUT = 5 * 60
    login(employee)
    shift(client, seen=6 * 60)
    assert dashboard(client).status_code == 302
    assert SESSION_KEY not in client.session


def test_session_ends_a_fixed_time_after_login_even_when_active(client, employee, login, settings):
    login(employee)
    shift(client, login=settings.SESSION_COOKIE_AGE + 1, seen=30)
    response = dashboard(client)
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
    assert SESSION_KEY not in client.session


def test_htmx_request_of_an_expired_session_redirects_the_whole_page(client, employee, login, settings):
    login(employee)
    shift(client, seen=settings.SESSION_IDLE_TIMEOUT + 1)
    response = client.get(reverse("org:dashboard", args=["acme"]), HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == reverse("accounts:login")
    assert SESSION_KEY not in client.session


def test_customer_magic_link_session_keeps_its_own_expiry(client, org, settings):
    customer = Customer.objects.create(organisation=org, name="Bakkerij Jansen", customer_number="K-1")
    contact = Contact.objects.create(customer=customer, name="Anja Jansen", email="anja@example.nl")
    issued = magic_link_issue(contact=contact, purpose=MagicLinkPurpose.DELEGATE,
                              max_age=timedelta(days=60))
    client.get(reverse("accounts:magic_link", args=[issued.token]))
    session = client.session
    assert abs((session.get_expiry_date() - issued.link.expires_at).total_seconds()) < 5
    assert LOGIN_AT_KEY not in session
    # Long after a staff session would have ended, the customer's is still there.
    session[SEEN_KEY] = int(time.time()) - settings.SESSION_COOKIE_AGE * 2
    session.save()
    assert client.get(reverse("accounts:customer_home")).status_code in (200, 302)
    assert "customer_access" in client.session
