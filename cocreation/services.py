"""Writes for co-creation: form groups, seat members and delegates, and work on the points.

Capabilities (who may manage groups) are checked by the views; these functions check
what holds whoever calls them: everything belongs to one organisation, taking part
needs a seat in the group, and a delegate's link is one of theirs.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import MagicLinkPurpose, Membership, Organisation
from accounts.permissions import Capability, role_can
from accounts.services import magic_link_issue, magic_link_revoke
from cocreation.models import (
    Comment,
    CommentKind,
    Decision,
    Group,
    GroupDelegate,
    GroupKind,
    GroupMember,
    Meeting,
    Note,
)
from improvements import services as improvements
from improvements.models import Action, ImprovementPoint
from live import services as live
from live.formats import RoomRole
from live.models import Room, RoomStatus
from portal.models import ContributionKind
from portal.services import contribution_add

# A delegate sits in a group for months: the link (and the session it opens) lasts that long.
DELEGATE_LINK_DAYS = 180
MAX_TEXT = 4000


def _text(value: str, what: str, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if not value:
        raise ValueError(_("The %(what)s cannot be empty.") % {"what": what})
    if len(value) > limit:
        raise ValueError(_("The %(what)s is too long.") % {"what": what})
    return value


def _check_points(organisation_id: int, points: Iterable[ImprovementPoint]) -> list[ImprovementPoint]:
    points = list(points)
    if any(point.organisation_id != organisation_id for point in points):
        raise ValueError("An improvement point belongs to another organisation.")
    return points


def _check_point_of_group(group: Group, point: ImprovementPoint | None) -> None:
    if point is not None and not group.points.filter(pk=point.pk).exists():
        raise ValueError(_("That improvement point is not one the group works on."))


def _check_active_member(organisation_id: int, membership: Membership | None) -> None:
    if (membership is None or membership.organisation_id != organisation_id
            or not membership.is_active):
        raise ValueError(_("Only an active member of the organisation can be added."))


def _check_seated(group: Group, membership: Membership | None) -> None:
    """Raise PermissionDenied unless ``membership`` is a member of ``group``."""
    if membership is None or not GroupMember.objects.filter(group=group, membership=membership).exists():
        raise PermissionDenied(_("Only the group's members can do this."))


def _check_delegate(group: Group, contact) -> None:
    if contact is None or not GroupDelegate.objects.filter(group=group, contact=contact).exists():
        raise PermissionDenied(_("Only the group's delegates can do this."))


# Groups ------------------------------------------------------------------------------------

@transaction.atomic
def group_create(*, organisation: Organisation, actor: Membership | None, name: str,
                 kind: str = GroupKind.IMPROVEMENT, purpose: str = "",
                 points: Iterable[ImprovementPoint] = ()) -> Group:
    """Form an improvement group (or the organisation's one steering group)."""
    name = _text(name, _("name"), 200)
    if kind not in GroupKind.values:
        raise ValueError(f"Unknown group kind {kind!r}.")
    if Group.objects.filter(organisation=organisation, name__iexact=name).exists():
        raise ValueError(_("There is already a group with this name."))
    if kind == GroupKind.STEERING and Group.objects.filter(
            organisation=organisation, kind=GroupKind.STEERING).exists():
        raise ValueError(_("The organisation already has a steering group."))
    points = _check_points(organisation.pk, points)
    group = Group.objects.create(organisation=organisation, kind=kind, name=name,
                                 purpose=(purpose or "").strip(),
                                 created_by=actor.user if actor is not None else None)
    group.points.set(points)
    return group


@transaction.atomic
def group_update(*, group: Group, actor: Membership | None, name: str, purpose: str,
                 points: Iterable[ImprovementPoint]) -> Group:
    """Change a group's name, purpose and the improvement points it works on."""
    name = _text(name, _("name"), 200)
    if Group.objects.filter(organisation_id=group.organisation_id, name__iexact=name).exclude(
            pk=group.pk).exists():
        raise ValueError(_("There is already a group with this name."))
    points = _check_points(group.organisation_id, points)
    group.name, group.purpose = name, (purpose or "").strip()
    group.save(update_fields=["name", "purpose"])
    group.points.set(points)
    return group


# Members -----------------------------------------------------------------------------------

@transaction.atomic
def member_add(*, group: Group, membership: Membership, is_chair: bool = False) -> GroupMember:
    """Seat an employee in the group; the new chair replaces the old one."""
    _check_active_member(group.organisation_id, membership)
    if not role_can(membership.role, Capability.VIEW_COCREATION):
        # The group's pages and its meetings' page would refuse them (the socket would not).
        raise ValueError(_("%(name)s cannot take part in improvement groups in their role.")
                         % {"name": membership.name})
    if GroupMember.objects.filter(group=group, membership=membership).exists():
        raise ValueError(_("%(name)s is already a member of this group.") % {"name": membership.name})
    if is_chair:
        GroupMember.objects.filter(group=group, is_chair=True).update(is_chair=False)
    member = GroupMember.objects.create(group=group, membership=membership, is_chair=is_chair)
    for room in _open_rooms(group):
        if room.facilitator_id != membership.pk:
            live.room_participant_add(room=room, role=RoomRole.EMPLOYEE, membership=membership)
    return member


@transaction.atomic
def member_make_chair(*, member: GroupMember) -> GroupMember:
    """Make ``member`` the group's chair (there is one at most)."""
    GroupMember.objects.filter(group_id=member.group_id, is_chair=True).exclude(
        pk=member.pk).update(is_chair=False)
    member.is_chair = True
    member.save(update_fields=["is_chair"])
    return member


@transaction.atomic
def member_remove(*, member: GroupMember) -> None:
    """Take an employee out of the group (and out of a meeting room still open)."""
    for room in _open_rooms(member.group):
        live.room_participant_remove(room=room, membership=member.membership)
    member.delete()


# Delegates ---------------------------------------------------------------------------------

@transaction.atomic
def delegate_add(*, group: Group, contact) -> GroupDelegate:
    """Seat a customer contact in the group as a delegate (invite them separately)."""
    if contact is None or contact.customer.organisation_id != group.organisation_id:
        raise ValueError(_("The contact belongs to another organisation."))
    if GroupDelegate.objects.filter(group=group, contact=contact).exists():
        raise ValueError(_("%(name)s is already a delegate in this group.") % {"name": contact.name})
    delegate = GroupDelegate.objects.create(group=group, contact=contact)
    for room in _open_rooms(group):
        live.room_participant_add(room=room, role=RoomRole.CUSTOMER, contact=contact)
    return delegate


def _link_url(base_url: str, token: str) -> str:
    return base_url.rstrip("/") + reverse("accounts:magic_link", kwargs={"token": token})


@transaction.atomic
def delegate_invite(*, delegate: GroupDelegate, actor: Membership, base_url: str,
                    notify: bool = True) -> GroupDelegate:
    """E-mail the delegate a personal link to the group; an earlier link stops working.

    Used both for the first invitation and to send a new link (a new phone, a lost mail).
    ``notify=False`` issues the link without mail (the demo organisation).
    """
    contact = delegate.contact
    if not contact.email:
        raise ValueError(_("%(name)s has no e-mail address.") % {"name": contact.name})
    if delegate.link_id is not None:
        magic_link_revoke(link=delegate.link)
    issued = magic_link_issue(contact=contact, purpose=MagicLinkPurpose.DELEGATE,
                              created_by=actor.user,
                              max_age=datetime.timedelta(days=DELEGATE_LINK_DAYS))
    delegate.link = issued.link
    delegate.invited_at = timezone.now()
    delegate.save(update_fields=["link", "invited_at"])
    delegate.issued_token = issued.token  # not stored; for a caller that hands the link on itself
    if not notify:
        return delegate
    group = delegate.group
    context = {"group": group, "contact": contact, "organisation": group.organisation,
               "url": _link_url(base_url, issued.token), "days": DELEGATE_LINK_DAYS}
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("cocreation/email/invitation_subject.txt", context).strip()
        body = render_to_string("cocreation/email/invitation.txt", context)
    to = contact.email
    transaction.on_commit(lambda: send_mail(subject, body, None, [to]))
    return delegate


@transaction.atomic
def delegate_revoke(*, delegate: GroupDelegate) -> GroupDelegate:
    """Stop the delegate's link: also a browser that already opened it loses the group."""
    if delegate.link_id is not None:
        magic_link_revoke(link=delegate.link)
        delegate.link.refresh_from_db()
    for room in _open_rooms(delegate.group):
        live.room_participant_remove(room=room, contact=delegate.contact)
    return delegate


@transaction.atomic
def delegate_remove(*, delegate: GroupDelegate) -> None:
    """Take the delegate out of the group; their link stops working."""
    delegate_revoke(delegate=delegate)
    delegate.delete()


# Working on the points ---------------------------------------------------------------------

@transaction.atomic
def comment_add(*, group: Group, text: str, kind: str = CommentKind.COMMENT,
                point: ImprovementPoint | None = None, membership: Membership | None = None,
                contact=None) -> Comment:
    """Add a member's or a delegate's comment (or proposal) to the group."""
    if (membership is None) == (contact is None):
        raise ValueError("Give either a member or a delegate.")
    if kind not in CommentKind.values:
        raise ValueError(f"Unknown comment kind {kind!r}.")
    if membership is not None:
        _check_seated(group, membership)
        name = membership.name
    else:
        _check_delegate(group, contact)
        name = contact.name
    _check_point_of_group(group, point)
    return Comment.objects.create(group=group, kind=kind, point=point,
                                  text=_text(text, _("comment")), author_membership=membership,
                                  author_contact=contact, author_name=name)


@transaction.atomic
def note_add(*, group: Group, author: Membership, text: str,
             point: ImprovementPoint | None = None) -> Note:
    """Add an internal note (never shown to delegates)."""
    _check_seated(group, author)
    _check_point_of_group(group, point)
    return Note.objects.create(group=group, author=author, point=point, text=_text(text, _("note")))


@transaction.atomic
def decision_record(*, group: Group, actor: Membership, text: str, decided_on: datetime.date,
                    point: ImprovementPoint | None = None) -> Decision:
    """Record a decision of the group; only a member records it."""
    _check_seated(group, actor)
    _check_point_of_group(group, point)
    if decided_on is None:
        raise ValueError(_("A decision needs a date."))
    return Decision.objects.create(group=group, point=point, text=_text(text, _("decision")),
                                   decided_on=decided_on, recorded_by=actor)


@transaction.atomic
def group_action_create(*, group: Group, actor: Membership, point: ImprovementPoint, title: str,
                        owner: Membership, due_date: datetime.date | None = None) -> Action:
    """Add an action under one of the group's points, in the improvement spine."""
    _check_seated(group, actor)
    if point is None:
        raise ValueError(_("Choose the improvement point the action belongs to."))
    _check_point_of_group(group, point)
    return improvements.action_create(point=point, actor=actor, title=title, owner=owner,
                                      due_date=due_date)


@transaction.atomic
def proposal_adopt(*, comment: Comment, actor: Membership, title: str = "") -> ImprovementPoint:
    """Turn a proposal into an improvement point the group works on, in one step.

    A delegate's proposal is recorded as their contribution, so that they can follow
    the point in the customer portal.
    """
    group = comment.group
    _check_seated(group, actor)
    comment = Comment.objects.select_for_update().get(pk=comment.pk)
    if comment.kind != CommentKind.PROPOSAL:
        raise ValueError(_("Only a proposal can become an improvement point."))
    if comment.point_created_id is not None:
        raise ValueError(_("This proposal is already an improvement point."))
    title = (title or "").strip() or comment.text.splitlines()[0][:200]
    point = improvements.point_create(
        organisation=group.organisation, actor=actor, title=title, description=comment.text,
        raised_by_label=group.name)
    group.points.add(point)
    comment.point_created = point
    comment.save(update_fields=["point_created"])
    if comment.author_contact is not None:
        contribution_add(contact=comment.author_contact, point=point,
                         kind=ContributionKind.COCREATION, label=group.name)
    return point


# Meetings ----------------------------------------------------------------------------------

@transaction.atomic
def meeting_plan(*, group: Group, actor: Membership, starts_at: datetime.datetime,
                 place: str = "", agenda: str = "") -> Meeting:
    """Plan a meeting of the group."""
    if starts_at is None:
        raise ValueError(_("A meeting needs a date and time."))
    return Meeting.objects.create(group=group, starts_at=starts_at, place=(place or "").strip(),
                                  agenda=(agenda or "").strip(), created_by=actor)


@transaction.atomic
def meeting_update(*, meeting: Meeting, agenda: str, minutes: str) -> Meeting:
    """Change a meeting's agenda and minutes."""
    meeting.agenda = (agenda or "").strip()
    meeting.minutes = (minutes or "").strip()
    meeting.save(update_fields=["agenda", "minutes"])
    return meeting


def _open_rooms(group: Group) -> list[Room]:
    return list(Room.objects.filter(cocreation_meeting__group=group, status=RoomStatus.OPEN))


@transaction.atomic
def meeting_room_open(*, meeting: Meeting, actor: Membership) -> Room:
    """Open the meeting's live room (once), chaired by ``actor``; seat members and delegates."""
    meeting = (Meeting.objects.select_for_update(of=("self",)).select_related("group__organisation")
               .get(pk=meeting.pk))
    group = meeting.group
    room = meeting.room
    if room is None:
        title = _("%(group)s, meeting of %(date)s") % {
            "group": group.name, "date": timezone.localtime(meeting.starts_at).strftime("%d-%m-%Y")}
        room = live.room_create(organisation=group.organisation, format_key="meeting",
                                title=title, facilitator=actor, created_by=actor)
        meeting.room = room
        meeting.save(update_fields=["room"])
    if room.status == RoomStatus.OPEN:
        for member in group.members.select_related("membership__user"):
            if member.membership_id != room.facilitator_id and member.membership.is_active:
                live.room_participant_add(room=room, role=RoomRole.EMPLOYEE,
                                          membership=member.membership)
        for delegate in group.delegates.select_related("contact__customer"):
            if delegate.link_state in ("active", "none"):
                live.room_participant_add(room=room, role=RoomRole.CUSTOMER, contact=delegate.contact)
    return room


@transaction.atomic
def meeting_room_close(*, meeting: Meeting, actor: Membership) -> Meeting:
    """Close the live room and add what it agreed to the minutes."""
    meeting = Meeting.objects.select_for_update(of=("self",)).select_related("room").get(pk=meeting.pk)
    room = meeting.room
    if room is None or room.status != RoomStatus.OPEN:
        raise ValueError(_("The meeting has no open live room."))
    live.room_organiser_event(room=room, by=actor, type="room_close", payload={},
                              client_key=f"cocreation-meeting-{meeting.pk}-close")
    room.refresh_from_db()
    summary = room_summary(room.state)
    if summary:
        meeting.minutes = (meeting.minutes + "\n\n" + summary).strip()
        meeting.save(update_fields=["minutes"])
    _room_outcomes(meeting, room.state, actor)
    return meeting


def _room_outcomes(meeting: Meeting, state: dict, actor: Membership) -> None:
    """Land what the live meeting chose and agreed in the improvement spine.

    A proposal that got dots becomes an improvement point the group works on (a
    delegate's proposal is their contribution, to follow in the portal). An agreed
    action becomes an action with its owner and due date: under its proposal's point,
    else under the group's only point, else under a point of its own. Runs once: the
    room closes in the same transaction and cannot close twice.
    """
    from org.models import Contact

    group = meeting.group
    votes = {gid: sum(v.values()) for gid, v in state.get("votes", {}).items()}
    points = {}
    for gid, proposal in sorted(state.get("groups", {}).items(), key=lambda kv: int(kv[0])):
        if not votes.get(gid):
            continue
        point = improvements.point_create(
            organisation=group.organisation, actor=actor, title=proposal["title"][:200],
            description=_("Chosen in the meeting of %(group)s on %(date)s: %(votes)d dots.") % {
                "group": group.name, "date": timezone.localtime(meeting.starts_at).strftime("%d-%m-%Y"),
                "votes": votes[gid]},
            raised_by_label=group.name)
        group.points.add(point)
        points[gid] = point
        by = str(proposal.get("by") or "")
        if by.startswith("c:"):
            contact = Contact.objects.filter(pk=by[2:], customer__organisation=group.organisation).first()
            if contact is not None:
                contribution_add(contact=contact, point=point, kind=ContributionKind.COCREATION,
                                 label=group.name)
    members = {m.pk: m for m in Membership.objects.filter(organisation=group.organisation, is_active=True)}
    only = list(group.points.all()[:2])
    for item in sorted(state.get("actions", {}).values(), key=lambda a: int(a["id"])):
        owner = members.get(item.get("owner"))
        if owner is None:
            continue  # the owner left the organisation since; the minutes keep the action
        point = points.get(item.get("group")) or (only[0] if len(only) == 1 else None)
        if point is None:
            point = improvements.point_create(organisation=group.organisation, actor=actor,
                                              title=item["title"][:200], raised_by_label=group.name)
            group.points.add(point)
        due = datetime.date.fromisoformat(item["due"]) if item.get("due") else None
        improvements.action_create(point=point, actor=actor, title=item["title"], owner=owner, due_date=due)


def room_summary(state: dict) -> str:
    """Return the room's outcome as plain text for the minutes: proposals, actions, commitments."""
    lines = []
    groups = state.get("groups", {})
    if groups:
        votes = state.get("votes", {})
        ranked = sorted(groups.items(), key=lambda kv: -sum(votes.get(kv[0], {}).values()))
        lines.append(_("Chosen in the meeting:"))
        lines += [f"- {g['title']} ({sum(votes.get(key, {}).values())})" for key, g in ranked]
    actions = state.get("actions", {})
    if actions:
        lines.append(_("Agreed actions:"))
        lines += [f"- {a.get('title', '')}" + (f" ({a['due']})" if a.get("due") else "")
                  for a in actions.values()]
    commitments = state.get("commitments", {})
    if commitments:
        lines.append(_("Commitments:"))
        lines += [f"- {c.get('text', '')}" for c in commitments.values()]
    return "\n".join(lines)
