"""Reads for co-creation, always scoped: to the organisation for staff, to their groups for delegates."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.utils import timezone

from accounts.models import MagicLink, MagicLinkPurpose, Membership, Organisation
from accounts.permissions import MATRIX, Capability
from cocreation.models import Comment, Decision, Group, GroupDelegate, GroupMember, Meeting
from improvements.models import Action, ImprovementPoint

# The roles that may sit in a group: its pages need VIEW_COCREATION, and so does its meeting.
GROUP_ROLES = sorted(MATRIX[Capability.VIEW_COCREATION][1])


def group_list(organisation: Organisation):
    return (Group.objects.for_organisation(organisation)
            .annotate(member_count=Count("members", distinct=True),
                      delegate_count=Count("delegates", distinct=True),
                      point_count=Count("points", distinct=True)))


def groups_of_member(membership: Membership) -> set[int]:
    return set(GroupMember.objects.filter(membership=membership).values_list("group_id", flat=True))


def access_group_by_id(organisation: Organisation, pk) -> Group:
    group = Group.objects.for_organisation(organisation).filter(pk=pk).first()
    if group is None:
        raise Http404
    return group


def _scoped(model, organisation: Organisation, pk, *related):
    obj = (model.objects.select_related("group", *related)
           .filter(pk=pk, group__organisation=organisation).first())
    if obj is None:
        raise Http404
    return obj


def access_member_by_id(organisation: Organisation, pk) -> GroupMember:
    return _scoped(GroupMember, organisation, pk, "membership")


def access_delegate_by_id(organisation: Organisation, pk) -> GroupDelegate:
    return _scoped(GroupDelegate, organisation, pk, "contact__customer", "link")


def access_comment_by_id(organisation: Organisation, pk) -> Comment:
    return _scoped(Comment, organisation, pk, "author_contact__customer")


def access_meeting_by_id(organisation: Organisation, pk) -> Meeting:
    return _scoped(Meeting, organisation, pk, "room")


def is_member(group: Group, membership: Membership) -> bool:
    return GroupMember.objects.filter(group=group, membership=membership).exists()


def group_points(group: Group):
    """The group's points with their actions (owner and all), for the staff page."""
    return (group.points.select_related("unit", "theme", "organisation")
            .prefetch_related(Prefetch("actions", queryset=Action.objects.select_related("owner__user")
                                       .order_by("due_date", "pk")))
            .order_by("number"))


def members(group: Group):
    return group.members.select_related("membership__user", "membership__unit")


def delegates(group: Group):
    return group.delegates.select_related("contact__customer", "link")


def comments(group: Group):
    return group.comments.select_related("point", "point_created__organisation")


def notes(group: Group):
    return group.notes.select_related("author__user", "point")


def decisions(group: Group):
    return group.decisions.select_related("recorded_by__user", "point")


def meetings(group: Group):
    return group.meetings.select_related("room")


def candidate_members(group: Group):
    """Active members of the organisation not yet in the group whose role sees the groups."""
    return (Membership.objects.active().filter(organisation_id=group.organisation_id,
                                               role__in=GROUP_ROLES)
            .exclude(cocreation_memberships__group=group).select_related("user")
            .order_by("user__name"))


def organisation_points(organisation: Organisation):
    return ImprovementPoint.objects.for_organisation(organisation).order_by("number")


# The delegate's side -----------------------------------------------------------------------

def _link_usable_q(prefix: str = "") -> Q:
    return Q(**{f"{prefix}revoked_at__isnull": True, f"{prefix}expires_at__gt": timezone.now()})


def delegate_contact(access: dict | None):
    """Return the contact of a delegate's magic-link session, or None when it no longer holds.

    The session stands while the link that opened it is neither revoked nor expired.
    """
    from org.models import Contact

    if not access or access.get("purpose") != MagicLinkPurpose.DELEGATE:
        return None
    if not MagicLink.objects.filter(_link_usable_q(), pk=access.get("link"),
                                    contact_id=access.get("contact"),
                                    purpose=MagicLinkPurpose.DELEGATE).exists():
        return None
    return (Contact.objects.select_related("customer__organisation")
            .filter(pk=access.get("contact"), customer__organisation_id=access.get("organisation"))
            .first())


def delegate_groups(contact):
    """The groups in which ``contact`` is a delegate with a link that still works."""
    return (Group.objects.filter(organisation_id=contact.customer.organisation_id,
                                 delegates__contact=contact,
                                 delegates__link__isnull=False)
            .filter(_link_usable_q("delegates__link__"))
            .distinct())


def access_delegate_group(contact, pk) -> Group:
    """Return one of the delegate's groups; any other group (of any organisation) is a 404."""
    group = delegate_groups(contact).filter(pk=pk).select_related("organisation").first()
    if group is None:
        raise Http404
    return group


def access_delegate_meeting(contact, pk) -> Meeting:
    meeting = (Meeting.objects.select_related("group", "room")
               .filter(pk=pk, group__in=delegate_groups(contact)).first())
    if meeting is None:
        raise Http404
    return meeting


@dataclass(frozen=True)
class PublicPoint:
    """What a delegate sees of a point: no description, no owners, no notes."""

    pk: int
    reference: str
    title: str
    status: str
    status_label: str
    actions_total: int
    actions_done: int


def public_points(group: Group) -> list[PublicPoint]:
    points = (group.points.annotate(actions_total=Count("actions"),
                                    actions_done=Count("actions", filter=Q(actions__status="done")))
              .order_by("number"))
    return [PublicPoint(pk=p.pk, reference=p.reference, title=p.title, status=p.status,
                        status_label=p.get_status_display(), actions_total=p.actions_total,
                        actions_done=p.actions_done) for p in points]


def public_decisions(group: Group):
    return Decision.objects.filter(group=group).select_related("point")


def public_meetings(group: Group):
    return Meeting.objects.filter(group=group).select_related("room")

