"""Services of co-creation: membership rules, delegate links, proposals, organisation scoping."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from accounts.models import MagicLink, MagicLinkPurpose, Role
from cocreation import services
from cocreation.models import CommentKind, GroupKind, GroupMember
from improvements.models import Action, ImprovementPoint
from portal.models import Contribution, ContributionKind


def test_a_group_works_only_on_points_of_its_own_organisation(setup, other_org, make_point):
    foreign = make_point(other_org, title="Elders")
    with pytest.raises(ValueError):
        services.group_create(organisation=setup.org, actor=setup.admin, name="Mix", points=[foreign])
    with pytest.raises(ValueError):
        services.group_update(group=setup.group, actor=setup.admin, name="Schadeafhandeling",
                              purpose="", points=[foreign])
    assert list(setup.group.points.all()) == [setup.point]


def test_an_organisation_has_one_steering_group_and_unique_group_names(setup):
    with pytest.raises(ValueError, match="stuurgroep"):
        services.group_create(organisation=setup.org, actor=setup.admin, name="Tweede stuurgroep",
                              kind=GroupKind.STEERING)
    with pytest.raises(ValueError, match="naam"):
        services.group_create(organisation=setup.org, actor=setup.admin, name="schadeafhandeling")


def test_a_group_has_one_chair_and_a_new_chair_replaces_the_old(setup):
    services.member_add(group=setup.group, membership=setup.colleague, is_chair=True)
    chairs = GroupMember.objects.filter(group=setup.group, is_chair=True)
    assert [c.membership for c in chairs] == [setup.colleague]
    eva = GroupMember.objects.get(group=setup.group, membership=setup.employee)
    services.member_make_chair(member=eva)
    assert [c.membership for c in chairs.all()] == [setup.employee]


def test_a_member_is_seated_once_and_must_belong_to_the_organisation(setup, other_org, make_member):
    with pytest.raises(ValueError, match="al lid"):
        services.member_add(group=setup.group, membership=setup.employee)
    with pytest.raises(ValueError):
        services.member_add(group=setup.group, membership=make_member(other_org, role=Role.EMPLOYEE))


def test_a_delegate_must_be_a_contact_of_the_organisation(setup, other_org, make_contact):
    with pytest.raises(ValueError, match="andere organisatie"):
        services.delegate_add(group=setup.group, contact=make_contact(other_org, "Rita Rivaal"))
    with pytest.raises(ValueError, match="al klantafgevaardigde"):
        services.delegate_add(group=setup.group, contact=setup.delegate_contact)


def test_inviting_a_delegate_mails_a_personal_link_and_a_new_one_stops_the_old(
        setup, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.delegate_invite(delegate=setup.delegate, actor=setup.admin, base_url="https://x.nl/")
    first = setup.delegate.link
    assert first.purpose == MagicLinkPurpose.DELEGATE and first.contact == setup.delegate_contact
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [setup.delegate_contact.email]
    assert "Schadeafhandeling" in mailoutbox[0].subject and "https://x.nl/" in mailoutbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        services.delegate_invite(delegate=setup.delegate, actor=setup.admin, base_url="https://x.nl/")
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert setup.delegate.link_state == "active" and setup.delegate.link_id != first.pk
    assert len(mailoutbox) == 2


def test_a_contact_without_email_cannot_be_invited(setup):
    setup.delegate_contact.email = ""
    setup.delegate_contact.save()
    with pytest.raises(ValueError, match="e-mail"):
        services.delegate_invite(delegate=setup.delegate, actor=setup.admin, base_url="https://x.nl/")
    assert not MagicLink.objects.filter(contact=setup.delegate_contact).exists()


def test_revoking_and_removing_a_delegate_stops_the_link(setup):
    services.delegate_invite(delegate=setup.delegate, actor=setup.admin, base_url="https://x.nl/")
    services.delegate_revoke(delegate=setup.delegate)
    assert setup.delegate.link_state == "revoked"
    services.delegate_invite(delegate=setup.delegate, actor=setup.admin, base_url="https://x.nl/")
    link = setup.delegate.link
    services.delegate_remove(delegate=setup.delegate)
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert not setup.group.delegates.exists()


def test_only_members_and_delegates_of_the_group_speak_in_it(setup):
    with pytest.raises(PermissionDenied):
        services.comment_add(group=setup.group, membership=setup.colleague, text="Mag ik?")
    with pytest.raises(PermissionDenied):
        services.comment_add(group=setup.group, contact=setup.other_contact, text="Ik ook?")
    with pytest.raises(PermissionDenied):
        services.decision_record(group=setup.group, actor=setup.colleague, text="Besluit",
                                 decided_on=datetime.date(2026, 3, 1))
    comment = services.comment_add(group=setup.group, contact=setup.delegate_contact, text="Goed idee")
    assert comment.author_name == "Karin Klant" and comment.by_customer


def test_a_comment_may_only_be_about_the_groups_own_points(setup, make_point):
    elsewhere = make_point(setup.org, title="Ander punt")
    with pytest.raises(ValueError):
        services.comment_add(group=setup.group, membership=setup.employee, text="Hm", point=elsewhere)
    with pytest.raises(ValueError):
        services.note_add(group=setup.group, author=setup.employee, text="Hm", point=elsewhere)


def test_a_member_adds_an_action_under_a_point_of_the_group_in_the_spine(setup, make_point):
    action = services.group_action_create(group=setup.group, actor=setup.chair, point=setup.point,
                                          title="Vaste behandelaar per dossier", owner=setup.employee,
                                          due_date=datetime.date(2026, 6, 1))
    assert Action.objects.get(pk=action.pk).point == setup.point
    with pytest.raises(ValueError):
        services.group_action_create(group=setup.group, actor=setup.chair, owner=setup.employee,
                                     point=make_point(setup.org, title="Ander"), title="Nee")
    with pytest.raises(PermissionDenied):
        services.group_action_create(group=setup.group, actor=setup.colleague, point=setup.point,
                                     title="Nee", owner=setup.colleague)


def test_a_delegates_proposal_becomes_a_point_of_the_group_and_their_contribution(setup):
    proposal = services.comment_add(group=setup.group, contact=setup.delegate_contact,
                                    kind=CommentKind.PROPOSAL,
                                    text="Stuur een sms als de expert onderweg is")
    point = services.proposal_adopt(comment=proposal, actor=setup.employee, title="")
    assert point.organisation == setup.org and point.title == "Stuur een sms als de expert onderweg is"
    assert point.raised_by_label == "Schadeafhandeling"
    assert setup.group.points.filter(pk=point.pk).exists()
    proposal.refresh_from_db()
    assert proposal.point_created == point
    contribution = Contribution.objects.get(contact=setup.delegate_contact, point=point)
    assert contribution.kind == ContributionKind.COCREATION and contribution.label == "Schadeafhandeling"
    with pytest.raises(ValueError, match="al een verbeterpunt"):
        services.proposal_adopt(comment=proposal, actor=setup.employee)


def test_a_comment_is_no_proposal_and_a_non_member_adopts_nothing(setup):
    comment = services.comment_add(group=setup.group, contact=setup.delegate_contact, text="Fijn")
    with pytest.raises(ValueError, match="Alleen een voorstel"):
        services.proposal_adopt(comment=comment, actor=setup.employee)
    proposal = services.comment_add(group=setup.group, contact=setup.delegate_contact,
                                    kind=CommentKind.PROPOSAL, text="Idee")
    before = ImprovementPoint.objects.count()
    with pytest.raises(PermissionDenied):
        services.proposal_adopt(comment=proposal, actor=setup.colleague)
    assert ImprovementPoint.objects.count() == before
    assert not Contribution.objects.filter(contact=setup.delegate_contact).exists()


def test_an_employees_proposal_becomes_a_point_without_a_customer_contribution(setup):
    proposal = services.comment_add(group=setup.group, membership=setup.employee,
                                    kind=CommentKind.PROPOSAL, text="Checklist voor de intake")
    point = services.proposal_adopt(comment=proposal, actor=setup.chair, title="Intake-checklist")
    assert point.title == "Intake-checklist"
    assert not Contribution.objects.filter(point=point).exists()


def test_the_live_meeting_seats_members_and_delegates_with_the_chair_leading(setup):
    from live.formats import RoomRole
    from live.selectors import room_role

    meeting = services.meeting_plan(group=setup.group, actor=setup.chair,
                                    starts_at=datetime.datetime(2026, 12, 1, 10, tzinfo=datetime.UTC))
    services.delegate_invite(delegate=setup.delegate, actor=setup.admin, base_url="https://x.nl/")
    room = services.meeting_room_open(meeting=meeting, actor=setup.chair)
    assert room.format == "meeting" and room.organisation == setup.org
    assert room_role(room=room, membership=setup.chair) == RoomRole.FACILITATOR
    assert room_role(room=room, membership=setup.employee) == RoomRole.EMPLOYEE
    assert room_role(room=room, contact=setup.delegate_contact) == RoomRole.CUSTOMER
    assert room_role(room=room, contact=setup.other_contact) is None
    assert services.meeting_room_open(meeting=meeting, actor=setup.chair) == room  # once
    services.member_add(group=setup.group, membership=setup.colleague)  # joins while it runs
    assert room_role(room=room, membership=setup.colleague) == RoomRole.EMPLOYEE
    services.delegate_revoke(delegate=setup.delegate)
    assert room_role(room=room, contact=setup.delegate_contact) is None


def test_closing_the_live_meeting_writes_its_outcome_into_the_minutes(setup):
    from live import services as live

    meeting = services.meeting_plan(group=setup.group, actor=setup.chair,
                                    starts_at=datetime.datetime(2026, 12, 1, 10, tzinfo=datetime.UTC))
    room = services.meeting_room_open(meeting=meeting, actor=setup.chair)

    def do(actor, type, **payload):
        return live.event_append(room=room, actor=actor, type=type, payload=payload,
                                 client_key=f"{type}-{actor.pk}-{len(payload)}-{room.last_seq}")

    for _ in range(2):
        do(setup.chair, "phase_next")
    proposal = do(setup.delegate_contact, "group_create", title="Sms bij vertrek expert")
    do(setup.employee, "vote_cast", group=str(proposal.seq))
    do(setup.chair, "phase_next")
    do(setup.chair, "action_confirm", title="Sms-dienst inrichten", owner=setup.employee.pk,
       due="2027-01-31")
    do(setup.delegate_contact, "commitment_add", text="Ik meld schade voortaan met foto's")
    services.meeting_room_close(meeting=meeting, actor=setup.chair)
    meeting.refresh_from_db()
    room.refresh_from_db()
    assert room.status == "closed"
    assert "Sms bij vertrek expert (1)" in meeting.minutes
    assert "Sms-dienst inrichten (2027-01-31)" in meeting.minutes
    assert "Ik meld schade voortaan met foto's" in meeting.minutes

    # ... and in the spine: the proposal with dots is a point of the group, followed by the
    # delegate who proposed it; the agreed action has its owner and due date under a group point.
    from improvements.models import Action
    from portal.models import Contribution

    chosen = setup.group.points.get(title="Sms bij vertrek expert")
    assert Contribution.objects.filter(contact=setup.delegate_contact, point=chosen).exists()
    action = Action.objects.get(title="Sms-dienst inrichten")
    assert (action.owner, action.due_date) == (setup.employee, datetime.date(2027, 1, 31))
    assert setup.group.points.filter(pk=action.point_id).exists()
