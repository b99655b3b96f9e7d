"""A customer delegate through their magic link: only their own group(s), and only while the link holds."""

from django.urls import reverse

from accounts.models import MagicLinkPurpose
from cocreation import services
from cocreation.models import Comment, CommentKind


def test_the_link_leads_the_delegate_to_their_group(setup, delegate_client, client):
    delegate_client()
    response = client.get(reverse("cocreation_delegate:home"))
    assert response.status_code == 302
    assert response.url == reverse("cocreation_delegate:group", kwargs={"pk": setup.group.pk})
    page = client.get(response.url)
    assert page.status_code == 200
    assert page.context["group"] == setup.group


def test_the_session_lasts_as_long_as_the_link(setup, delegate_client, client):
    delegate_client()
    link = setup.delegate.link
    expiry = client.session.get_expiry_date()
    assert abs((expiry - link.expires_at).total_seconds()) < 5


def test_the_delegate_sees_points_and_decisions_but_no_internal_fields(setup, delegate_client, client):
    import datetime

    from improvements.services import action_create, action_note_add

    action = action_create(point=setup.point, actor=setup.admin, title="Extra behandelaar",
                           owner=setup.employee)
    action_note_add(action=action, actor=setup.admin, text="Budget nog niet rond")
    services.decision_record(group=setup.group, actor=setup.chair, decided_on=datetime.date(2026, 3, 2),
                             text="We starten met een vaste behandelaar")
    services.note_add(group=setup.group, author=setup.employee, text="Geheime werknotitie")
    delegate_client()
    html = client.get(reverse("cocreation_delegate:group", kwargs={"pk": setup.group.pk})).content.decode()
    assert "Schade duurt te lang" in html
    assert "We starten met een vaste behandelaar" in html
    for internal in ("Interne analyse", "Budget nog niet rond", setup.employee.user.email,
                     "Geheime werknotitie", "Extra behandelaar"):
        assert internal not in html, internal


def test_the_delegate_comments_and_proposes_in_their_group(setup, delegate_client, client):
    delegate_client()
    url = reverse("cocreation_delegate:group", kwargs={"pk": setup.group.pk})
    response = client.post(url, {"text": "De expert belde niet terug", "kind": CommentKind.COMMENT})
    assert response.status_code == 302
    response = client.post(url, {"text": "Geef me één vaste behandelaar", "kind": CommentKind.PROPOSAL,
                                 "point": setup.point.pk})
    assert response.status_code == 302
    comments = Comment.objects.filter(group=setup.group).order_by("pk")
    assert [(c.kind, c.author_contact, c.author_membership) for c in comments] == [
        (CommentKind.COMMENT, setup.delegate_contact, None),
        (CommentKind.PROPOSAL, setup.delegate_contact, None)]
    assert comments[1].point == setup.point


def test_another_group_is_not_found_for_the_delegate(setup, delegate_client, client, other_org, make_member):
    from cocreation.models import Group

    foreign = services.group_create(organisation=other_org, actor=None, name="Elders")
    delegate_client()
    for group in (setup.other_group, foreign):
        assert client.get(reverse("cocreation_delegate:group", kwargs={"pk": group.pk})).status_code == 404
        response = client.post(reverse("cocreation_delegate:group", kwargs={"pk": group.pk}),
                               {"text": "Hallo", "kind": "comment"})
        assert response.status_code == 404
    assert client.get(reverse("cocreation_delegate:group", kwargs={"pk": 999999})).status_code == 404
    assert not Comment.objects.filter(group__in=[setup.other_group, foreign]).exists()
    assert Group.objects.count() == 3


def test_a_revoked_link_no_longer_opens_the_group(setup, delegate_client, client):
    delegate_client()
    url = reverse("cocreation_delegate:group", kwargs={"pk": setup.group.pk})
    assert client.get(url).status_code == 200
    services.delegate_revoke(delegate=setup.delegate)
    assert client.get(url).status_code == 403
    assert client.post(url, {"text": "Nog iets", "kind": "comment"}).status_code == 403
    assert not Comment.objects.exists()


def test_a_removed_delegate_loses_the_group(setup, delegate_client, client):
    delegate_client()
    services.delegate_remove(delegate=setup.delegate)
    response = client.get(reverse("cocreation_delegate:group", kwargs={"pk": setup.group.pk}))
    assert response.status_code == 403


def test_a_delegate_in_two_groups_sees_both_but_loses_only_the_revoked_one(setup, delegate_client, client):
    second = services.delegate_add(group=setup.other_group, contact=setup.delegate_contact)
    services.delegate_invite(delegate=second, actor=setup.admin, base_url="https://x.nl/")
    delegate_client()  # opened through the first group's link
    assert client.get(reverse("cocreation_delegate:home")).status_code == 200
    services.delegate_revoke(delegate=second)
    assert client.get(reverse("cocreation_delegate:group", kwargs={"pk": setup.other_group.pk})
                      ).status_code == 404
    assert client.get(reverse("cocreation_delegate:group", kwargs={"pk": setup.group.pk})
                      ).status_code == 200


def test_a_link_for_another_purpose_does_not_open_a_group(setup, client):
    from accounts.services import magic_link_issue

    issued = magic_link_issue(contact=setup.delegate_contact, purpose=MagicLinkPurpose.ARENA)
    client.get(reverse("accounts:magic_link", kwargs={"token": issued.token}))
    services.delegate_invite(delegate=setup.delegate, actor=setup.admin, base_url="https://x.nl/")
    response = client.get(reverse("cocreation_delegate:group", kwargs={"pk": setup.group.pk}))
    assert response.status_code == 403


def test_without_a_session_the_delegate_pages_refuse(setup, client):
    assert client.get(reverse("cocreation_delegate:home")).status_code == 403
    assert client.get(reverse("cocreation_delegate:group", kwargs={"pk": setup.group.pk})).status_code == 403
