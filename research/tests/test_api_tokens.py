"""The API token pages: create a token (shown once), list and revoke."""

import pytest
from django.urls import reverse

from accounts.api_tokens import api_token_create
from accounts.models import ApiToken, Role

pytestmark = pytest.mark.django_db


def tokens_url(org):
    return reverse("research:api_tokens", kwargs={"org": org.slug})


def revoke_url(org, api_token):
    return reverse("research:api_token_revoke", kwargs={"org": org.slug, "pk": api_token.pk})


def test_admin_creates_a_token_that_is_shown_once_and_works(org, make_member, login):
    admin = make_member(org, Role.ADMIN)
    client = login(admin)

    response = client.post(tokens_url(org), {"name": "Enquêtetool"})

    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    token = response.context["new_token"]
    api_token = ApiToken.objects.get(organisation=org)
    assert (api_token.name, api_token.user) == ("Enquêtetool", admin.user)
    assert api_token.token_hash == ApiToken.hash_token(token)
    assert token in response.content.decode()
    assert token not in client.get(tokens_url(org)).content.decode()
    api = client.get("/api/v1/waves", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200


def test_token_name_is_required(org, make_member, login):
    client = login(make_member(org, Role.ADMIN))

    response = client.post(tokens_url(org), {"name": "  "})

    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_token_list_shows_every_token_of_the_organisation_only(org, other_org, make_member, login):
    admin, consultant = make_member(org, Role.ADMIN), make_member(org, Role.CONSULTANT)
    api_token_create(organisation=org, user=consultant.user, name="BI-koppeling")
    stranger = make_member(other_org, Role.ADMIN)
    api_token_create(organisation=other_org, user=stranger.user, name="Van de buren")

    response = login(admin).get(tokens_url(org))

    assert [t.name for t in response.context["tokens"]] == ["BI-koppeling"]
    assert "Van de buren" not in response.content.decode()


def test_admin_revokes_a_token(org, make_member, login):
    admin = make_member(org, Role.ADMIN)
    api_token, token = api_token_create(organisation=org, user=admin.user, name="Oud")
    client = login(admin)

    response = client.post(revoke_url(org, api_token))

    assert response.status_code == 302
    api_token.refresh_from_db()
    assert api_token.revoked_at is not None
    assert client.get("/api/v1/waves",
                      headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_revoking_another_organisations_token_is_not_found(org, other_org, make_member, login):
    stranger = make_member(other_org, Role.ADMIN)
    foreign, _token = api_token_create(organisation=other_org, user=stranger.user, name="Hun")
    client = login(make_member(org, Role.ADMIN))

    response = client.post(revoke_url(org, foreign))

    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.revoked_at is None


@pytest.mark.parametrize("role", [Role.BOARD, Role.MANAGER, Role.EMPLOYEE, Role.MODERATOR])
def test_roles_without_manage_api_tokens_are_refused(org, make_member, login, role):
    admin = make_member(org, Role.ADMIN)
    api_token, _token = api_token_create(organisation=org, user=admin.user, name="Koppeling")
    client = login(make_member(org, role))

    assert client.get(tokens_url(org)).status_code == 403
    assert client.post(tokens_url(org), {"name": "x"}).status_code == 403
    assert client.post(revoke_url(org, api_token)).status_code == 403
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 1


def test_revoke_refuses_get(org, make_member, login):
    admin = make_member(org, Role.ADMIN)
    api_token, _token = api_token_create(organisation=org, user=admin.user, name="Koppeling")

    assert login(admin).get(revoke_url(org, api_token)).status_code == 405
