"""The staff pages: forming a group, seating people, working in it, and the meeting's live room."""

import datetime

from django.urls import reverse

from cocreation import services
from cocreation.models import Comment, CommentKind, Decision, Group, GroupDelegate, Meeting
from improvements.models import Action
from portal.models import Contribution


def url(name, org, pk=None):
    return reverse(f"cocreation:{name}", kwargs={"org": org.slug} | ({"pk": pk} if pk else {}))


def test_a_manager_forms_a_group_and_invites_a_delegate(setup, login, mailoutbox,
                                                        django_capture_on_commit_callbacks, make_contact):
    client = login(setup.chair)  # a manager holds MANAGE_COCREATION
    response = client.post(url("create", setup.org), {"kind": "improvement", "name": "Polis online",
                                                       "purpose": "Samen de website verbeteren",
                                                       "points": [setup.point.pk]})
    group = Group.objects.get(name="Polis online")
    assert response.status_code == 302 and list(group.points.all()) == [setup.point]
    client.post(url("member_add", setup.org, group.pk), {"membership": setup.employee.pk, "is_chair": "on"})
    assert group.members.get().is_chair
    contact = make_contact(setup.org, "Petra Polis")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("delegate_add", setup.org, group.pk), {"email": contact.email.upper(), "invite": "1"})
    delegate = GroupDelegate.objects.get(group=group)
    assert delegate.contact == contact and delegate.link_state == "active"
    assert mailoutbox[-1].to == [contact.email]
    client.post(url("delegate_revoke", setup.org, delegate.pk))
    delegate.refresh_from_db()
    assert delegate.link_state == "revoked"
    page = client.get(url("detail", setup.org, group.pk)).content.decode()
    assert "Petra Polis" in page and "link ingetrokken" in page


def test_an_unknown_email_adds_no_delegate(setup, login):
    client = login(setup.admin)
    client.post(url("delegate_add", setup.org, setup.group.pk), {"email": "nobody@example.nl"})
    assert list(setup.group.delegates.values_list("contact", flat=True)) == [setup.delegate_contact.pk]


def test_an_employee_outside_the_group_reads_but_does_not_take_part(setup, login):
    client = login(setup.colleague)
    assert client.get(url("detail", setup.org, setup.group.pk)).status_code == 200
    for name, data in (("comment_add", {"text": "Hoi", "kind": "comment"}),
                       ("decision_add", {"text": "Besluit", "decided_on": "2026-03-01"}),
                       ("note_add", {"text": "Notitie"})):
        assert client.post(url(name, setup.org, setup.group.pk), data).status_code == 403
    assert client.post(url("member_add", setup.org, setup.group.pk),
                       {"membership": setup.colleague.pk}).status_code == 403
    assert not Comment.objects.exists() and not Decision.objects.exists()


def test_a_member_works_in_the_group(setup, login):
    client = login(setup.employee)  # an employee: taking part comes with the seat, not the role
    client.post(url("comment_add", setup.org, setup.group.pk), {"text": "Klanten bellen drie keer",
                                                                  "kind": "comment"})
    client.post(url("decision_add", setup.org, setup.group.pk),
                {"text": "Vaste behandelaar vanaf april", "decided_on": "2026-03-02",
                 "point": setup.point.pk})
    client.post(url("action_add", setup.org, setup.group.pk),
                {"point": setup.point.pk, "title": "Pilot vaste behandelaar", "owner": setup.chair.pk,
                 "due_date": "2026-04-30"})
    assert Comment.objects.get().author_membership == setup.employee
    decision = Decision.objects.get()
    assert decision.recorded_by == setup.employee and decision.decided_on == datetime.date(2026, 3, 2)
    action = Action.objects.get(title="Pilot vaste behandelaar")
    assert action.point == setup.point and action.owner == setup.chair


def test_a_member_turns_a_delegates_proposal_into_a_point_in_one_step(setup, login):
    proposal = services.comment_add(group=setup.group, contact=setup.delegate_contact,
                                    kind=CommentKind.PROPOSAL, text="Laat de expert sms'en")
    client = login(setup.employee)
    response = client.post(url("proposal_adopt", setup.org, proposal.pk), {"title": "Sms van de expert"})
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.point_created.title == "Sms van de expert"
    assert setup.group.points.filter(pk=proposal.point_created_id).exists()
    assert Contribution.objects.filter(contact=setup.delegate_contact,
                                       point=proposal.point_created).exists()


def test_the_chair_opens_the_live_meeting_and_the_delegate_joins_from_the_link(setup, delegate_client,
                                                                              client):
    from django.test import Client

    staff = Client()
    staff.force_login(setup.chair.user, backend="accounts.backends.EmailBackend")
    staff.post(url("meeting_add", setup.org, setup.group.pk),
               {"starts_at": "2026-12-01T10:00", "place": "Utrecht", "agenda": "Check-in"})
    meeting = Meeting.objects.get()
    response = staff.post(url("meeting_room_open", setup.org, meeting.pk))
    assert response.status_code == 302 and response.url == url("meeting_room", setup.org, meeting.pk)
    page = staff.get(response.url)
    assert page.status_code == 200 and page.context["role"] == "facilitator"
    assert page.context["config"]["rules"]["discuss"]["customer"] == ["statement_add"]
    assert page.context["config"]["labels"]["phase.choose"] in ("Choose", "Kiezen")
    colleague = Client()
    colleague.force_login(setup.colleague.user, backend="accounts.backends.EmailBackend")
    assert colleague.get(url("meeting_room", setup.org, meeting.pk)).status_code == 403
    delegate_client()
    group_page = client.get(reverse("cocreation_delegate:group", kwargs={"pk": setup.group.pk}))
    assert b'data-testid="join-meeting"' in group_page.content
    room = client.get(reverse("cocreation_delegate:room", kwargs={"pk": meeting.pk}))
    assert room.status_code == 200 and room.context["role"] == "customer"
    assert room.context["config"]["members"] == []


def test_the_delegate_cannot_join_another_groups_meeting(setup, delegate_client, client):
    other = services.meeting_plan(group=setup.other_group, actor=setup.admin,
                                  starts_at=datetime.datetime(2026, 12, 1, 10, tzinfo=datetime.UTC))
    services.meeting_room_open(meeting=other, actor=setup.admin)
    delegate_client()
    assert client.get(reverse("cocreation_delegate:room", kwargs={"pk": other.pk})).status_code == 404


def test_minutes_are_kept_by_members(setup, login):
    meeting = services.meeting_plan(group=setup.group, actor=setup.chair,
                                    starts_at=datetime.datetime(2026, 2, 1, 10, tzinfo=datetime.UTC))
    client = login(setup.employee)
    client.post(url("meeting_minutes", setup.org, meeting.pk), {"agenda": "1. Opening",
                                                                 "minutes": "Besproken: wachttijd"})
    meeting.refresh_from_db()
    assert meeting.minutes == "Besproken: wachttijd"
    other = login(setup.colleague)
    assert other.post(url("meeting_minutes", setup.org, meeting.pk), {"minutes": "x"}).status_code == 403
