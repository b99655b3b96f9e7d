"""Two-step login: the password first, then a code; login() only after the code."""

import re
import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor
from accounts.models import Role
from accounts.views import PENDING_LOGIN_KEY
from conftest import PASSWORD, totp_code, totp_enrol


def post_login(client, email, password=PASSWORD, **extra):
    return client.post(reverse("accounts:login"), {"username": email, "password": password, **extra})


def post_code(client, code):
    return client.post(reverse("accounts:login_code"), {"code": code})


def current_code(device) -> str:
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


@pytest.fixture
def admin(org, make_member):
    return make_member(org, Role.ADMIN)


@pytest.fixture
def employee(org, make_member):
    return make_member(org, Role.EMPLOYEE)


@pytest.fixture(autouse=True)
def _no_otp_throttle(settings):
    # django-otp's own delay after a wrong code (1 s, 2 s, ...) would refuse the right code
    # typed straight after a wrong one; the lockout under test is axes'.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def test_employee_without_second_factor_logs_in_with_the_password_alone(client, employee):
    response = post_login(client, employee.email)
    assert response.status_code == 302 and response.url == reverse("home")
    assert client.session[SESSION_KEY] == str(employee.user.pk)


def test_password_alone_does_not_log_in_a_user_with_an_authenticator(client, employee):
    device = totp_enrol(employee.user)
    response = post_login(client, employee.email)
    assert response.status_code == 302 and response.url == reverse("accounts:login_code")
    assert SESSION_KEY not in client.session
    assert client.get(reverse("org:dashboard", args=["acme"])).status_code == 302
    response = post_code(client, current_code(device))
    assert response.status_code == 302 and response.url == reverse("home")
    assert client.session[SESSION_KEY] == str(employee.user.pk)
    assert PENDING_LOGIN_KEY not in client.session


def test_login_code_step_gives_a_new_session_key(client, employee):
    device = totp_enrol(employee.user)
    post_login(client, employee.email)
    pending_key = client.session.session_key
    post_code(client, current_code(device))
    assert client.session.session_key != pending_key
    assert client.session[SESSION_KEY] == str(employee.user.pk)


def test_login_goes_on_to_the_page_asked_for(client, employee):
    device = totp_enrol(employee.user)
    target = reverse("org:dashboard", args=["acme"])
    response = post_login(client, employee.email, next=target)
    assert response.url == reverse("accounts:login_code")
    assert post_code(client, current_code(device)).url == target


def test_a_code_is_accepted_only_once(client, employee):
    device = totp_enrol(employee.user)
    code = current_code(device)
    post_login(client, employee.email)
    assert post_code(client, code).status_code == 302
    client.logout()
    post_login(client, employee.email)
    assert post_code(client, code).status_code == 400
    assert SESSION_KEY not in client.session


def test_wrong_code_is_refused_and_five_lock_the_address_out(client, employee):
    device = totp_enrol(employee.user)
    post_login(client, employee.email)
    response = post_code(client, "000000" if current_code(device) != "000000" else "111111")
    assert response.status_code == 400
    assert SESSION_KEY not in client.session
    for _ in range(4):
        response = post_code(client, "12345x")
    assert response.status_code == 429
    assert PENDING_LOGIN_KEY not in client.session
    # The lockout is axes' own: the right password and code do not get in either.
    assert post_login(client, employee.email).status_code == 429
    assert SESSION_KEY not in client.session


def test_code_step_without_a_password_first_goes_back_to_login(client, employee):
    totp_enrol(employee.user)
    response = post_code(client, "123456")
    assert response.status_code == 302 and response.url == reverse("accounts:login")
    assert SESSION_KEY not in client.session


def test_password_step_is_valid_for_five_minutes(client, employee, settings):
    device = totp_enrol(employee.user)
    post_login(client, employee.email)
    session = client.session
    session[PENDING_LOGIN_KEY] = {**session[PENDING_LOGIN_KEY],
                                  "at": int(time.time()) - settings.TWO_FACTOR_PENDING_SECONDS - 1}
    session.save()
    response = post_code(client, current_code(device))
    assert response.status_code == 302 and response.url == reverse("accounts:login")
    assert SESSION_KEY not in client.session and PENDING_LOGIN_KEY not in client.session


def test_admin_without_authenticator_must_set_one_up_before_getting_a_session(client, admin):
    response = post_login(client, admin.email)
    assert response.url == reverse("accounts:login_code")
    assert SESSION_KEY not in client.session
    page = client.get(response.url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "<script" not in html.split("<main", 1)[1]
    secret = re.search(r'data-testid="two-factor-secret">([A-Z2-7 ]+)<', html).group(1)
    # Leaving the enrolment does not give a session.
    assert client.get(reverse("org:dashboard", args=["acme"])).status_code == 302
    assert SESSION_KEY not in client.session
    device = TOTPDevice.objects.get(user=admin.user)
    assert not device.confirmed
    assert device.config_url.startswith("otpauth://totp/")
    assert secret.replace(" ", "") in device.config_url
    assert post_code(client, "000001" if current_code(device) != "000001" else "000002").status_code == 400
    response = post_code(client, current_code(device))
    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.session[SESSION_KEY] == str(admin.user.pk)
    device.refresh_from_db()
    assert device.confirmed
    # Only a keyed hash of each backup code is stored.
    stored = set(StaticToken.objects.filter(device__user=admin.user).values_list("token", flat=True))
    assert len(stored) == 10 and not stored & {c.replace("-", "") for c in codes} and not stored & set(codes)


def test_consultant_with_authenticator_logs_in_with_a_code(client, org, make_member):
    consultant = make_member(org, Role.CONSULTANT)
    totp_enrol(consultant.user)
    post_login(client, consultant.email)
    assert SESSION_KEY not in client.session
    assert post_code(client, totp_code(consultant.user)).status_code == 302
    assert client.session[SESSION_KEY] == str(consultant.user.pk)


def test_a_backup_code_logs_in_once(client, admin):
    totp_enrol(admin.user)
    codes = two_factor.backup_codes_regenerate(user=admin.user)
    post_login(client, admin.email)
    assert post_code(client, codes[3].upper()).status_code == 302
    assert client.session[SESSION_KEY] == str(admin.user.pk)
    client.logout()
    post_login(client, admin.email)
    assert post_code(client, codes[3]).status_code == 400
    assert two_factor.backup_codes_left(admin.user) == 9


def test_force_login_still_works_for_tests(client, admin, login):
    login(admin)
    assert client.get(reverse("org:dashboard", args=["acme"])).status_code == 200


# --- The security page ------------------------------------------------------------------------


def test_employee_turns_two_step_verification_on_and_then_needs_a_code(client, employee, login):
    login(employee)
    page = client.get(reverse("accounts:security"))
    assert page.status_code == 200 and page.context["enabled"] is False
    setup = client.get(reverse("accounts:two_factor_setup"))
    assert setup.status_code == 200 and "<svg" in setup.content.decode()
    device = TOTPDevice.objects.get(user=employee.user, confirmed=False)
    assert client.post(reverse("accounts:two_factor_setup"), {"code": "abc"}).status_code == 400
    response = client.post(reverse("accounts:two_factor_setup"), {"code": current_code(device)})
    assert response.status_code == 200 and len(response.context["codes"]) == 10
    assert two_factor.has_two_factor(employee.user)
    client.logout()
    assert post_login(client, employee.email).url == reverse("accounts:login_code")
    assert SESSION_KEY not in client.session


def test_employee_turns_it_off_only_with_a_current_code(client, employee, login):
    totp_enrol(employee.user)
    login(employee)
    client.post(reverse("accounts:two_factor_disable"), {"code": "000000x"})
    assert two_factor.has_two_factor(employee.user)
    client.post(reverse("accounts:two_factor_disable"), {"code": totp_code(employee.user)})
    assert not two_factor.has_two_factor(employee.user)
    client.logout()
    assert post_login(client, employee.email).url == reverse("home")


def test_admin_cannot_turn_the_required_second_factor_off(client, admin, login):
    totp_enrol(admin.user)
    login(admin)
    page = client.get(reverse("accounts:security"))
    assert page.context["required"] is True
    client.post(reverse("accounts:two_factor_disable"), {"code": totp_code(admin.user)})
    assert two_factor.has_two_factor(admin.user)


def test_new_backup_codes_need_a_code_and_replace_the_old_ones(client, employee, login):
    totp_enrol(employee.user)
    old = two_factor.backup_codes_regenerate(user=employee.user)
    login(employee)
    refused = client.post(reverse("accounts:backup_codes"), {"code": "nope"})
    assert refused.status_code == 302
    response = client.post(reverse("accounts:backup_codes"), {"code": totp_code(employee.user)})
    new = response.context["codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert not two_factor.two_factor_verify(user=employee.user, code=old[0])
    assert two_factor.two_factor_verify(user=employee.user, code=new[0])


def test_security_pages_need_a_login_and_forms_need_post(client, db):
    for name in ("security", "two_factor_setup"):
        response = client.get(reverse(f"accounts:{name}"))
        assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
    for name in ("two_factor_disable", "backup_codes"):
        assert client.post(reverse(f"accounts:{name}"), {"code": "1"}).status_code == 302


def test_someone_elses_device_does_not_count(client, employee, make_member, org):
    other = make_member(org, Role.EMPLOYEE)
    totp_enrol(other.user)
    assert not two_factor.two_factor_verify(user=employee.user, code=totp_code(other.user))


def test_turning_the_second_factor_on_and_off_is_in_the_audit_log(client, employee, login):
    from audit.models import AuditEntry

    login(employee)
    client.get(reverse("accounts:two_factor_setup"))
    device = TOTPDevice.objects.get(user=employee.user)
    client.post(reverse("accounts:two_factor_setup"), {"code": current_code(device)})
    client.post(reverse("accounts:two_factor_disable"), {"code": totp_code(employee.user)})
    entries = AuditEntry.objects.filter(organisation=employee.organisation, actor=employee.user,
                                        action__startswith="two_factor_").order_by("pk")
    assert [e.action for e in entries] == ["two_factor_enabled", "two_factor_disabled"]
    assert {e.target_id for e in entries} == {employee.user.pk}


def test_site_administrator_cannot_skip_the_second_step_through_djangos_admin(client, db):
    from accounts.models import User

    root = User.objects.create_superuser(email="root@example.nl", password=PASSWORD, name="Root")
    assert two_factor.two_factor_required(root)
    page = client.get(reverse("admin:login"))
    assert page.status_code == 200
    response = client.post(reverse("admin:login"), {"username": root.email, "password": PASSWORD})
    assert response.status_code == 200 and SESSION_KEY not in client.session
    # The regular login, with the code, leads into the admin.
    totp_enrol(root)
    post_login(client, root.email, next=reverse("admin:index"))
    assert post_code(client, totp_code(root)).url == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_lost_phone_is_reset_on_the_command_line(client, admin):
    import io

    from django.core.management import call_command

    totp_enrol(admin.user)
    two_factor.backup_codes_regenerate(user=admin.user)
    out = io.StringIO()
    call_command("two_factor_reset", admin.email.upper(), stdout=out)
    assert "new authenticator at the next login" in out.getvalue()
    assert not two_factor.has_two_factor(admin.user) and two_factor.backup_codes_left(admin.user) == 0
    post_login(client, admin.email)
    assert "<svg" in client.get(reverse("accounts:login_code")).content.decode()


def test_the_user_is_mailed_when_the_second_factor_is_turned_on_or_off(client, employee, login, mailoutbox,
                                                                        django_capture_on_commit_callbacks):
    login(employee)
    client.get(reverse("accounts:two_factor_setup"))
    device = TOTPDevice.objects.get(user=employee.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:two_factor_setup"), {"code": current_code(device)})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:two_factor_disable"), {"code": totp_code(employee.user)})
    assert [m.to for m in mailoutbox] == [[employee.email], [employee.email]]
    assert all("Outside-In" in m.subject for m in mailoutbox)
    assert mailoutbox[0].subject != mailoutbox[1].subject
