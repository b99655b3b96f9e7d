import datetime

import pytest
from django.urls import reverse

from accounts.models import Role
from accounts.services import membership_update
from audit.models import AuditAction, AuditEntry
from audit.services import audit_record, login_failed_record

pytestmark = pytest.mark.django_db


def url(org, **query):
    from urllib.parse import urlencode

    return reverse("audit:log", args=[org.slug]) + (f"?{urlencode(query)}" if query else "")


def shown(response) -> list[AuditEntry]:
    return [row.entry for row in response.context["rows"]]


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.BOARD, Role.MANAGER, Role.EMPLOYEE,
                                  Role.MODERATOR])
def test_only_administrators_read_the_log(client, org, make_member, login, role):
    login(make_member(org, role))
    assert client.get(url(org)).status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in(client, org):
    response = client.get(url(org))
    assert response.status_code == 302 and reverse("accounts:login") in response.url


def test_another_organisations_entries_never_show(client, org, other_org, admin, make_member, login):
    rival = make_member(other_org, Role.ADMIN, name="Rik Rivaal")
    audit_record(action=AuditAction.EXPORT_RESPONSES, organisation=other_org, actor=rival,
                 details={"responses": 7})
    login_failed_record(email="nobody@nowhere.example")  # no organisation at all
    login(admin)
    response = client.get(url(org))
    assert response.status_code == 200
    entries = shown(response)
    assert entries and all(e.organisation_id == org.pk for e in entries)
    assert "Rik Rivaal" not in response.content.decode()
    # The rival's administrator cannot read this organisation's log either: 404, not 403.
    client.force_login(rival.user)
    assert client.get(url(org)).status_code == 404


def test_the_log_is_newest_first_with_the_actors_current_name(client, org, admin, make_member, login):
    person = make_member(org, Role.EMPLOYEE, name="Eva Eerst")
    membership_update(membership=person, name="Eva Eerst", role=Role.MANAGER, actor=admin)
    admin.user.name = "Anna Nieuwenaam"
    admin.user.save(update_fields=["name"])
    login(admin)
    response = client.get(url(org))
    entries = shown(response)
    assert [e.pk for e in entries] == sorted((e.pk for e in entries), reverse=True)
    body = response.content.decode()
    assert "Anna Nieuwenaam" in body  # the name of today, looked up when read
    row = next(r for r in response.context["rows"] if r.entry.action == AuditAction.ROLE_CHANGED)
    assert (row.actor_name, row.target_label) == ("Anna Nieuwenaam", "Eva Eerst")
    assert ("from", "employee") in row.details_items


def test_filters_by_action_period_and_failed_login_address(client, org, admin, make_member, login):
    member = make_member(org, Role.EMPLOYEE, email="eva@acme.example")
    login_failed_record(email="eva@acme.example")
    login_failed_record(email="someone.else@acme.example")
    login(admin)
    failed = shown(client.get(url(org, action=AuditAction.LOGIN_FAILED)))
    assert {e.action for e in failed} == {AuditAction.LOGIN_FAILED}
    assert len(failed) == 1  # the unknown address belongs to no organisation
    assert shown(client.get(url(org, email="EVA@acme.example"))) == failed
    assert shown(client.get(url(org, email="piet@acme.example"))) == []
    today = datetime.datetime.now(datetime.UTC).date()
    assert len(shown(client.get(url(org, since=today.isoformat(), until=today.isoformat())))) >= 2
    tomorrow = (today + datetime.timedelta(days=1)).isoformat()
    assert shown(client.get(url(org, since=tomorrow))) == []
    yesterday = (today - datetime.timedelta(days=1)).isoformat()
    assert shown(client.get(url(org, until=yesterday))) == []
    assert member.pk


def test_the_page_is_paginated_with_a_fixed_number_of_queries(client, org, admin, login,
                                                              django_assert_max_num_queries):
    for i in range(60):
        audit_record(action=AuditAction.EXPORT_RESPONSES, organisation=org, actor=admin,
                     target=("wave", i + 1), details={"responses": i})
    login(admin)
    with django_assert_max_num_queries(12):
        first = client.get(url(org))
    assert len(shown(first)) == 50
    second = client.get(url(org, page=2))
    assert len(shown(second)) == AuditEntry.objects.filter(organisation=org).count() - 50
    assert 'rel="next"' in first.content.decode()


def test_the_navigation_links_the_log_for_administrators_only(client, org, admin, make_member, login):
    login(admin)
    page = client.get(reverse("org:dashboard", args=[org.slug])).content.decode()
    assert url(org) in page
    login(make_member(org, Role.CONSULTANT))
    page = client.get(reverse("org:dashboard", args=[org.slug])).content.decode()
    assert url(org) not in page
