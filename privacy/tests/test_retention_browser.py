"""An administrator sets the retention policy on a phone: preview first, then save."""

import datetime

import pytest
from django.conf import settings

from accounts.models import Role
from privacy.models import RetentionPolicy, WaveRetention
from research import services as research
from research.models import Response, WaveStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_previews_and_saves_the_policy_on_a_phone(browser, live_server, client, org, make_member):
    from playwright.sync_api import expect

    admin = make_member(org, Role.ADMIN)
    waves = {}
    for name, days in (("Meting 2022 met een heel lange naam voor een smal scherm", 1100),
                       ("Meting 2026", 10)):
        wave = waves[name] = research.wave_create(organisation=org, actor=admin, name=name)
        research.wave_set_status(wave=wave, status=WaveStatus.OPEN)
        response = research.response_record(wave=wave, answers=research.Answers(nps=6))
        given = response.submitted_at - datetime.timedelta(days=days)
        Response.objects.filter(pk=response.pk).update(submitted_at=given, created_at=given)
    old = next(w for n, w in waves.items() if n.startswith("Meting 2022"))

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en",
                                  is_mobile=True, has_touch=True)
    client.force_login(admin.user, backend="accounts.backends.EmailBackend")
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                          "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                          "url": live_server.url},
                         {"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}])
    page = context.new_page()
    page.goto(f"{live_server.url}/o/{org.slug}/privacy/")
    page.get_by_test_id("privacy-retention").click()
    expect(page.get_by_test_id("retention-current")).to_contain_text("No retention policy")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # No save before a preview.
    expect(page.get_by_test_id("retention-save")).to_have_count(0)

    page.get_by_label("Strip personal data automatically").check()
    page.get_by_label("After how many months").fill("24")
    page.get_by_test_id("retention-preview-button").click()
    expect(page.get_by_test_id("retention-preview")).to_contain_text("1 response")
    expect(page.get_by_test_id("retention-preview")).to_contain_text("Meting 2022")

    row = page.get_by_test_id(f"retention-wave-{old.pk}")
    row.get_by_role("combobox").select_option("always")
    row.get_by_label("Reason").fill("Lopende klachtprocedure")
    page.get_by_test_id("retention-preview-button").click()
    expect(page.get_by_test_id("retention-preview")).to_contain_text("would strip nothing")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_test_id("retention-save").click()

    expect(page.get_by_text("The retention policy is saved.")).to_be_visible()
    policy = RetentionPolicy.objects.get(organisation=org)
    assert policy.months == 24 and policy.is_active
    assert WaveRetention.objects.get(wave=old).reason == "Lopende klachtprocedure"
    context.close()
