"""Field-level access: a customer sees their own points' public fields and nothing else."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import MagicLinkPurpose
from accounts.services import magic_link_issue, magic_link_revoke
from improvements import services as improvements
from improvements.models import ActionStatus, PointStatus
from org.services import contact_create, customer_create
from portal import selectors
from portal.models import ContributionKind
from portal.services import contribution_add

PORTAL = "/portal/"


def test_a_portal_link_lands_on_the_portal_with_the_customers_points(pworld, client):
    issued = magic_link_issue(contact=pworld.anja, purpose=MagicLinkPurpose.PORTAL)
    response = client.get(f"/accounts/m/{issued.token}/")
    assert response.status_code == 302 and response.url == reverse("portal:home")
    page = client.get(response.url).content.decode()
    assert "Schadelijn sneller bereikbaar" in page and "Klantarena “Schade”, 12 maart 2026" in page


def test_the_portal_shows_none_of_the_internal_fields_or_other_customers(pworld, portal_client):
    improvements.point_set_status(point=pworld.point, actor=pworld.manager, status=PointStatus.IN_PROGRESS)
    page = portal_client(pworld.anja).get(PORTAL).content.decode()
    # Her own point, its public status and her name.
    assert "Schadelijn sneller bereikbaar" in page and "Anja Jansen" in page
    assert "Hier wordt aan gewerkt" in page or "Being worked on" in page
    # Nothing internal, nothing of Bram.
    for secret in ("INTERN", "budget pas in Q3", "GEHEIME NOTITIE", "leverancier te duur",
                   "Otto Eigenaar", "otto.eigenaar@acme.example", "Marieke Manager", "marieke@acme.example",
                   "Bram Bakker", "bram@bakker.example", "Garage Bakker", "Niemand belt ooit terug",
                   "Alleen van Bram", "Enquête 2026",
                   # her own quote is evidence, internal to the organisation's page, too
                   "half uur in de wacht",
                   "Urgent", "Dringend", "VP-1", "Terugbelknop"):  # the open action is not shown
        assert secret not in page, secret


def test_the_template_gets_only_the_public_projection(pworld, portal_client):
    response = portal_client(pworld.anja).get(PORTAL)
    portal = response.context["portal"]
    assert isinstance(portal, selectors.Portal)
    point = portal.groups[0].points[0]
    assert isinstance(point, selectors.PublicPoint)
    assert set(vars(point)) == {"title", "status", "status_label", "status_text", "last_change", "history"}
    names = set(response.context.keys())
    assert not names & {"point", "points", "contact", "action", "actions", "evidence"}


def test_status_history_and_done_actions_show_with_their_dates(pworld, portal_client):
    improvements.point_set_status(point=pworld.point, actor=pworld.manager, status=PointStatus.PLANNED)
    improvements.action_set_status(action=pworld.action, actor=pworld.owner, status=ActionStatus.DONE)
    portal = portal_client(pworld.anja).get(PORTAL).context["portal"]
    point = portal.groups[0].points[0]
    kinds = [(e.kind, e.status or e.title) for e in point.history]
    assert ("status", PointStatus.PLANNED) in kinds
    assert ("action", "Terugbelknop in het keuzemenu") in kinds
    assert kinds[-1][0] == "raised"
    assert point.last_change == timezone.localdate()
    assert point.status_label == selectors.public_status_label(PointStatus.PLANNED)


def test_points_are_grouped_by_where_the_customer_said_it(pworld, portal_client):
    portal = portal_client(pworld.bram).get(PORTAL).context["portal"]
    assert [(g.label, [p.title for p in g.points]) for g in portal.groups] == [
        ("Enquête 2026", ["Alleen van Bram"]),
        ("Klantarena “Schade”, 12 maart 2026", ["Schadelijn sneller bereikbaar"])]


def test_a_customer_without_contributions_sees_no_points(pworld, portal_client, org):
    customer = customer_create(organisation=org, name="Cees BV", customer_number="K-3")
    cees = contact_create(customer=customer, name="Cees Claes", email="cees@cees.example")
    response = portal_client(cees).get(PORTAL)
    page = response.content.decode()
    assert response.status_code == 200 and response.context["portal"].groups == ()
    assert 'data-testid="portal-empty"' in page
    assert "Schadelijn" not in page and "Alleen van Bram" not in page


def test_another_organisations_contact_sees_nothing_of_this_one(pworld, portal_client, other_org):
    customer = customer_create(organisation=other_org, name="Vreemd BV", customer_number="V-1")
    stranger = contact_create(customer=customer, name="Vera Vreemd", email="vera@vreemd.example")
    # Even a contribution pointing across organisations cannot be recorded...
    with pytest.raises(ValueError):
        contribution_add(contact=stranger, point=pworld.point, kind=ContributionKind.ARENA, label="x")
    page = portal_client(stranger).get(PORTAL).content.decode()
    assert "Schadelijn" not in page and "Anja" not in page and pworld.org.name not in page


def test_a_session_claiming_another_organisation_is_refused(pworld, portal_client, other_org):
    client = portal_client(pworld.anja)
    session = client.session
    access = session["customer_access"]
    session["customer_access"] = {**access, "organisation": other_org.pk}
    session.save()
    assert client.get(PORTAL).status_code == 403


@pytest.mark.parametrize("spoil", ["expired", "revoked", "used"])
def test_an_expired_revoked_or_used_link_gets_no_access(pworld, client, spoil):
    max_age = datetime.timedelta(seconds=-1) if spoil == "expired" else None
    issued = magic_link_issue(contact=pworld.anja, purpose=MagicLinkPurpose.PORTAL, max_age=max_age)
    if spoil == "revoked":
        magic_link_revoke(link=issued.link)
    if spoil == "used":
        from django.test import Client

        Client().get(f"/accounts/m/{issued.token}/")
    assert client.get(f"/accounts/m/{issued.token}/").status_code == 410
    response = client.get(PORTAL)
    assert response.status_code == 403
    assert "Schadelijn" not in response.content.decode()


def test_revoking_the_link_ends_the_portal_session_it_opened(pworld, portal_client):
    client = portal_client(pworld.anja)
    assert client.get(PORTAL).status_code == 200
    magic_link_revoke(link=client.issued.link)
    assert client.get(PORTAL).status_code == 403


def test_without_a_link_there_is_no_portal(client, db):
    assert client.get(PORTAL).status_code == 403
    assert client.post(reverse("portal:preference"), {"notify": "0"}).status_code == 403


@pytest.mark.parametrize("purpose", [MagicLinkPurpose.SURVEY, MagicLinkPurpose.ARENA,
                                     MagicLinkPurpose.DELEGATE])
def test_a_session_of_any_purpose_opens_the_portal_of_its_contact(pworld, portal_client, purpose):
    page = portal_client(pworld.anja, purpose=purpose).get(PORTAL).content.decode()
    assert "Schadelijn sneller bereikbaar" in page and "Alleen van Bram" not in page


def test_the_customer_home_links_to_the_portal_instead_of_listing_points(pworld, portal_client):
    client = portal_client(pworld.anja, purpose=MagicLinkPurpose.DELEGATE)
    page = client.get(reverse("accounts:customer_home")).content.decode()
    assert reverse("portal:home") in page
    assert "Schadelijn" not in page


def test_the_portal_page_takes_the_same_queries_for_one_point_or_many(pworld, portal_client,
                                                                      django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = portal_client(pworld.anja)
    with CaptureQueriesContext(connection) as one:
        client.get(PORTAL)
    for n in range(5):
        point = improvements.point_create(organisation=pworld.org, actor=pworld.manager, title=f"Punt {n}")
        improvements.point_set_status(point=point, actor=pworld.manager, status=PointStatus.PLANNED)
        contribution_add(contact=pworld.anja, point=point, kind=ContributionKind.SURVEY, label=f"Enquête {n}")
    with django_assert_num_queries(len(one.captured_queries)):
        page = client.get(PORTAL).content.decode()
    assert "Punt 4" in page


def test_an_internal_edit_does_not_count_as_a_change_for_the_customer(pworld, portal_client):
    from improvements.models import Change, ImprovementPoint

    long_ago = timezone.now() - datetime.timedelta(days=10)
    Change.objects.filter(point=pworld.point).update(at=long_ago)
    ImprovementPoint.objects.filter(pk=pworld.point.pk).update(created_at=long_ago)
    pworld.point.refresh_from_db()
    improvements.point_update(point=pworld.point, actor=pworld.manager, description="Nog meer intern")
    point = portal_client(pworld.anja).get(PORTAL).context["portal"].groups[0].points[0]
    assert point.last_change == timezone.localdate(long_ago)
