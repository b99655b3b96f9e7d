"""Fixtures shared by every test: small factories that build through our services."""

import itertools

import pytest

from accounts.models import Role

PASSWORD = "correct-horse-battery-9"
_seq = itertools.count(1)


@pytest.fixture(autouse=True)
def _fast_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.JOBS_EAGER = True
    settings.IMPORT_DIR = tmp_path / "imports"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _clear_cache():
    """Start every test with an empty cache: rate-limit counters must not carry over."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def totp_enrol(user):
    """Give ``user`` a confirmed authenticator (TOTP device) and return it."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def totp_code(user) -> str:
    """The current code of ``user``'s authenticator, as the app would show it.

    A code is accepted once (replay protection); tests that log the same user in twice
    within 30 seconds get the code accepted again by forgetting the last one used.
    """
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user).order_by("-confirmed", "pk").first()
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0,
                                                   throttling_failure_timestamp=None)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def browser_totp_user(email: str):
    """For a browser login: give an admin or consultant (who must use a second factor) an
    authenticator and return the user; None for other staff."""
    from accounts.models import User
    from accounts.two_factor import two_factor_required

    user = User.objects.get(email=email.lower())
    if not two_factor_required(user):
        return None
    totp_enrol(user)
    return user


def browser_type_code(page, user) -> None:
    """After the password step in the browser: type the code of ``user``'s authenticator."""
    page.wait_for_url("**/accounts/login/code/")
    page.locator("input[name=code]").fill(totp_code(user))
    page.locator("[data-testid=login-code-form] button[type=submit]").click()


@pytest.fixture
def make_org(db):
    """Return a factory: ``make_org(slug=None, name=None)`` → Organisation with a root unit."""
    from accounts.services import organisation_create

    def make(slug: str | None = None, name: str | None = None):
        n = next(_seq)
        return organisation_create(slug=slug or f"org{n}", name=name or f"Organisatie {n}")

    return make


@pytest.fixture
def make_member(db):
    """Return a factory: ``make_member(org, role=..., unit=None, email=None)`` → Membership."""
    from accounts.services import membership_create

    def make(organisation, role: str = Role.EMPLOYEE, unit=None, email: str | None = None,
             name: str | None = None):
        n = next(_seq)
        return membership_create(
            organisation=organisation,
            email=email or f"{role}{n}@example.nl",
            name=name or f"{role.title()} {n}",
            role=role,
            unit=unit,
            password=PASSWORD,
        )

    return make


@pytest.fixture
def org(make_org):
    return make_org(slug="acme", name="Acme Verzekeringen")


@pytest.fixture
def other_org(make_org):
    return make_org(slug="rival", name="Rivaal BV")


@pytest.fixture
def login(client):
    """Return a function that logs ``membership.user`` in on the test client."""

    def do(membership_or_user):
        user = getattr(membership_or_user, "user", membership_or_user)
        client.force_login(user, backend="accounts.backends.EmailBackend")
        return client

    return do


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def browser(monkeypatch):
    """Debian's Chromium driven by Playwright (its own browser download cannot work here)."""
    import shutil

    # Playwright's sync API runs an event loop in the test thread; the ORM calls the test
    # itself makes are still synchronous and safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not shutil.which(CHROMIUM):
        pytest.fail("chromium is missing: `make test` installs it (make browser-deps)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
