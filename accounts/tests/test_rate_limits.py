"""Rate limits on login, magic links and exports: 429 with a page and Retry-After."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts.models import MagicLinkPurpose, Role
from accounts.ratelimit import limit_for
from accounts.services import magic_link_issue
from conftest import PASSWORD, totp_enrol
from org.models import Contact, Customer


@pytest.fixture
def employee(org, make_member):
    return make_member(org, Role.EMPLOYEE)


@pytest.fixture
def contact(org):
    customer = Customer.objects.create(organisation=org, name="Bakkerij Jansen", customer_number="K-1")
    return Contact.objects.create(customer=customer, name="Anja Jansen", email="anja@bakkerij.example")


def limit(settings, scope, value):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, scope: value}


def test_limits_come_from_the_settings(settings):
    limit(settings, "login", "7/120")
    assert limit_for("login") == (7, 120)


def test_login_is_limited_per_address_across_accounts(client, org, make_member, settings):
    limit(settings, "login", "3/600")
    people = [make_member(org, Role.EMPLOYEE) for _ in range(4)]
    statuses = [client.post(reverse("accounts:login"), {"username": p.email, "password": "fout"},
                            REMOTE_ADDR="203.0.113.5").status_code for p in people[:3]]
    assert statuses == [200, 200, 200]
    response = client.post(reverse("accounts:login"), {"username": people[3].email, "password": PASSWORD},
                           REMOTE_ADDR="203.0.113.5")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session
    # Another address is not held back; the login page itself can still be read.
    assert client.get(reverse("accounts:login"), REMOTE_ADDR="203.0.113.5").status_code == 200
    response = client.post(reverse("accounts:login"), {"username": people[3].email, "password": PASSWORD},
                           REMOTE_ADDR="203.0.113.6")
    assert response.status_code == 302


def test_code_step_counts_towards_the_login_limit(client, employee, settings):
    limit(settings, "login", "2/600")
    totp_enrol(employee.user)
    client.post(reverse("accounts:login"), {"username": employee.email, "password": PASSWORD})
    assert client.post(reverse("accounts:login_code"), {"code": "x"}).status_code == 400
    assert client.post(reverse("accounts:login_code"), {"code": "x"}).status_code == 429


def test_magic_link_redemption_is_limited_per_address(client, contact, settings):
    limit(settings, "magic_link", "2/600")
    for _ in range(2):
        assert client.get(reverse("accounts:magic_link", args=["guess-" + "x" * 20])).status_code == 410
    issued = magic_link_issue(contact=contact, purpose=MagicLinkPurpose.PORTAL)
    response = client.get(reverse("accounts:magic_link", args=[issued.token]))
    assert response.status_code == 429
    # The refused request did not use the link up: it still works from elsewhere.
    response = client.get(reverse("accounts:magic_link", args=[issued.token]), REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 302


def test_personal_data_export_is_limited_per_user(client, org, make_member, contact, login, settings):
    limit(settings, "export", "2/600")
    admin, colleague = make_member(org, Role.ADMIN), make_member(org, Role.ADMIN)
    url = reverse("privacy:export_json", kwargs={"org": org.slug})
    login(admin)
    assert [client.get(url, {"email": contact.email}).status_code for _ in range(3)] == [200, 200, 429]
    login(colleague)
    assert client.get(url, {"email": contact.email}).status_code == 200


def test_a_limit_of_zero_turns_it_off(client, contact, settings):
    limit(settings, "magic_link", "0/600")
    for _ in range(5):
        assert client.get(reverse("accounts:magic_link", args=["guess-" + "y" * 20])).status_code == 410


def test_the_cache_holds_no_address_or_user_id(client, employee, settings):
    limit(settings, "login", "50/600")
    client.post(reverse("accounts:login"), {"username": employee.email, "password": "fout"},
                REMOTE_ADDR="198.51.100.77")
    keys = list(cache._cache)  # locmem's store
    assert any(":rl:login:" in key for key in keys)
    assert all("198.51.100.77" not in key and employee.email not in key for key in keys)


def test_rate_limited_page_is_a_page_not_a_bare_error(client, db, settings):
    limit(settings, "magic_link", "1/600")
    client.get(reverse("accounts:magic_link", args=["z" * 30]))
    response = client.get(reverse("accounts:magic_link", args=["z" * 30]))
    assert response.status_code == 429
    assert b"<h1>" in response.content and response["Cache-Control"] == "no-store"



def test_a_cache_that_is_down_lets_requests_through(client, org, make_member, settings,
                                                    monkeypatch, caplog):
    """With Redis away the limits are not counted (open, not closed): logging in still works."""
    from accounts import ratelimit

    def down(*args, **kwargs):
        raise ConnectionError("redis is down")

    limit(settings, "login", "1/600")
    monkeypatch.setattr(ratelimit.cache, "add", down)
    member = make_member(org, Role.EMPLOYEE)
    for _ in range(3):
        response = client.post(reverse("accounts:login"),
                               {"username": member.email, "password": PASSWORD},
                               REMOTE_ADDR="203.0.113.9")
        assert response.status_code == 302
        client.logout()
    assert "the cache is unreachable" in caplog.text
