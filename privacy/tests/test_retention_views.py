"""The retention page: admins only, a preview of what would be stripped, saved only as previewed."""

import datetime

import pytest
from django.urls import reverse

from accounts.models import Role
from privacy.models import RetentionPolicy, WaveRetention
from research import services as research
from research.models import Response, WaveStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(org, make_member):
    admin = make_member(org, Role.ADMIN)
    old = research.wave_create(organisation=org, actor=admin, name="Meting 2022")
    new = research.wave_create(organisation=org, actor=admin, name="Meting 2026")
    for wave, years in ((old, 3), (new, 0)):
        research.wave_set_status(wave=wave, status=WaveStatus.OPEN)
        response = research.response_record(wave=wave, answers=research.Answers(nps=8))
        given = response.submitted_at - datetime.timedelta(days=365 * years + 1)
        Response.objects.filter(pk=response.pk).update(submitted_at=given, created_at=given)
    return {"org": org, "admin": admin, "old": old, "new": new,
            "url": reverse("privacy:retention", args=[org.slug])}


def fields(page, **extra):
    data = {"is_active": "on", "months": "24"}
    for wave in (page["old"], page["new"]):
        data |= {f"wave_{wave.pk}_keep": "policy", f"wave_{wave.pk}_until": "",
                 f"wave_{wave.pk}_reason": ""}
    return data | extra


def test_only_an_administrator_sees_the_page(client, login, page, make_member):
    for role in (Role.MANAGER, Role.EMPLOYEE, Role.CONSULTANT):
        login(make_member(page["org"], role))
        assert client.get(page["url"]).status_code == 403
    login(page["admin"])
    response = client.get(page["url"])
    assert response.status_code == 200
    assert b'data-testid="retention-wave-' in response.content
    assert not RetentionPolicy.objects.exists()


def test_another_organisations_admin_gets_no_page(client, login, page, other_org, make_member):
    login(make_member(other_org, Role.ADMIN))
    assert client.get(page["url"]).status_code == 404


def test_preview_shows_what_would_be_stripped_and_saves_nothing(client, login, page):
    login(page["admin"])
    response = client.post(page["url"], fields(page, action="preview"))
    assert response.status_code == 200
    assert [(w.wave, w.responses) for w in response.context["preview"]] == [("Meting 2022", 1)]
    assert response.context["can_save"]
    assert not RetentionPolicy.objects.exists()
    # An exception that keeps the old wave for good empties the preview.
    old = page["old"].pk
    response = client.post(page["url"], fields(page, action="preview", **{
        f"wave_{old}_keep": "always", f"wave_{old}_reason": "Klachtprocedure"}))
    assert response.context["preview"] == []


def test_save_takes_the_previewed_settings(client, login, page):
    login(page["admin"])
    old = page["old"].pk
    data = fields(page, months="18", **{f"wave_{old}_keep": "until", f"wave_{old}_until": "2030-01-01",
                                        f"wave_{old}_reason": "Audit"})
    preview = client.post(page["url"], data | {"action": "preview"})
    digest = preview.context["form"]["previewed"].value()
    assert digest
    saved = client.post(page["url"], data | {"action": "save", "previewed": digest})
    assert saved.status_code == 302
    policy = RetentionPolicy.objects.get(organisation=page["org"])
    assert policy.months == 18 and policy.is_active and policy.updated_by == page["admin"].user
    exception = WaveRetention.objects.get(wave_id=old)
    assert exception.keep_until == datetime.date(2030, 1, 1) and exception.reason == "Audit"
    # Back to the policy for that wave: the exception goes.
    data[f"wave_{old}_keep"] = "policy"
    preview = client.post(page["url"], data | {"action": "preview"})
    client.post(page["url"], data | {"action": "save",
                                     "previewed": preview.context["form"]["previewed"].value()})
    assert not WaveRetention.objects.exists()


def test_save_without_a_matching_preview_only_previews(client, login, page):
    login(page["admin"])
    preview = client.post(page["url"], fields(page, action="preview"))
    digest = preview.context["form"]["previewed"].value()
    # The months changed after the preview: nothing is saved, the new preview is shown.
    response = client.post(page["url"], fields(page, months="6", action="save", previewed=digest))
    assert response.status_code == 200 and response.context["preview"] is not None
    assert not RetentionPolicy.objects.exists()


def test_an_exception_needs_a_reason_and_a_date(client, login, page):
    login(page["admin"])
    old = page["old"].pk
    response = client.post(page["url"], fields(page, action="preview", **{f"wave_{old}_keep": "until"}))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert f"wave_{old}_until" in errors and f"wave_{old}_reason" in errors
    response = client.post(page["url"], fields(page, months="0", action="preview"))
    assert response.status_code == 400


def test_the_page_shows_what_the_saved_policy_strips_next(client, login, page):
    RetentionPolicy.objects.create(organisation=page["org"], months=24)
    login(page["admin"])
    response = client.get(page["url"])
    assert [(w.wave, w.responses) for w in response.context["current"]] == [("Meting 2022", 1)]


def test_the_form_posts_with_csrf(client, login, page):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(page["admin"].user)
    assert strict.post(page["url"], fields(page, action="preview")).status_code == 403
    login(page["admin"])
    assert b"csrfmiddlewaretoken" in client.get(page["url"]).content
