import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.forms import EmailAuthenticationForm
from accounts.models import Role
from conftest import PASSWORD


@pytest.fixture
def employee(org, make_member):
    return make_member(org, Role.EMPLOYEE, email="Piet.de.Vries@example.nl")


def post_login(client, email, password):
    return client.post(reverse("accounts:login"), {"username": email, "password": password})


def test_login_by_email_is_case_insensitive_and_lands_in_the_organisation(client, employee):
    response = post_login(client, "PIET.DE.VRIES@example.nl", PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse("home")
    response = client.get(reverse("home"))
    assert response.url == reverse("org:dashboard", kwargs={"org": "acme"})


def test_login_gets_a_new_session_key(client, employee):
    client.get(reverse("accounts:login"))
    client.session.save()
    before = client.session.session_key
    post_login(client, employee.email, PASSWORD)
    assert client.session.session_key != before


def test_wrong_password_shows_a_clear_message(client, employee):
    response = post_login(client, employee.email, "wrong-password")
    assert response.status_code == 200
    assert response.context["form"].errors["__all__"] == [
        EmailAuthenticationForm.error_messages["invalid_login"]
    ]


def test_login_is_locked_after_five_failures_even_with_the_right_password(client, employee):
    for _ in range(5):
        post_login(client, employee.email, "wrong-password")
    response = post_login(client, employee.email, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_of_one_address_does_not_lock_a_colleague(client, org, make_member, employee):
    colleague = make_member(org, Role.MANAGER)
    for _ in range(5):
        post_login(client, employee.email, "wrong-password")
    response = post_login(client, colleague.email, PASSWORD)
    assert response.status_code == 302


def test_logout_requires_post_and_ends_the_session(client, employee, login):
    login(employee)
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_reset_mails_a_link_that_sets_a_new_password(client, employee):
    response = client.post(reverse("accounts:password_reset"), {"email": employee.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/\S+)", mail.outbox[0].body).group(1)
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": "een-nieuw-wachtwoord-42",
                                      "new_password2": "een-nieuw-wachtwoord-42"})
    assert response.status_code == 302
    client.logout()
    assert post_login(client, employee.email, "een-nieuw-wachtwoord-42").status_code == 302


def test_password_reset_for_unknown_address_reveals_nothing(client, db):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.nl"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_consultant_with_two_organisations_chooses_and_switches(client, make_org, make_member):
    first, second = make_org(name="Eerste"), make_org(name="Tweede")
    consultant = make_member(first, Role.CONSULTANT)
    make_member(second, Role.CONSULTANT, email=consultant.email)
    client.force_login(consultant.user)
    page = client.get(reverse("home")).content.decode()
    assert "Eerste" in page and "Tweede" in page
    assert client.get(reverse("org:dashboard", kwargs={"org": second.slug})).status_code == 200
    # The last organisation used is where the next visit starts.
    assert client.get(reverse("home")).url == reverse("org:dashboard", kwargs={"org": second.slug})


def test_deactivated_membership_loses_access(client, org, employee):
    employee.is_active = False
    employee.save()
    client.force_login(employee.user)
    assert client.get(reverse("org:dashboard", kwargs={"org": org.slug})).status_code == 404
