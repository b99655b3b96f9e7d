"""Writes for the klantarena: plan, invite, answer, finish into the improvement spine, thank."""

from __future__ import annotations

import datetime
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import MagicLinkPurpose, Membership, Organisation
from accounts.services import magic_link_issue, magic_link_revoke
from arena import selectors
from arena.models import Arena, ArenaInvitation, ArenaOutcome, ArenaStatus, Rsvp
from improvements import services as improvements
from improvements.models import PointStatus, Priority
from live import services as live
from live.formats import RoomRole

MAX_CUSTOMERS = 15
MIN_CUSTOMERS = 8
ROUNDS = ("round_1", "round_2", "round_3")


def default_script() -> dict[str, list[str]]:
    """Return the method's questions for each round, in the active language."""
    return {
        "round_1": [
            _("How do you experience our services?"),
            _("What image do you have of us?"),
            _("How service-minded are our staff?"),
            _("What are your experiences with our competitors?"),
        ],
        "round_2": [
            _("What do you expect of us, and what may we expect of you?"),
            _("What causes good service, and what causes bad service?"),
            _("What should we improve first?"),
        ],
        "round_3": [
            _("What went well in this arena?"),
            _("What will you contribute yourself?"),
        ],
    }


def _clean_script(script: dict) -> dict[str, list[str]]:
    cleaned = {}
    for key in ROUNDS:
        lines = script.get(key, [])
        if isinstance(lines, str):
            lines = lines.splitlines()
        cleaned[key] = [line.strip()[:500] for line in lines if line.strip()][:20]
    return cleaned


def _check_member(organisation: Organisation, membership: Membership | None, what: str) -> None:
    if (membership is None or membership.organisation_id != organisation.pk
            or not membership.is_active):
        raise ValueError(f"The {what} must be an active member of the organisation.")


def _check_open(arena: Arena) -> None:
    # Read the status afresh: the caller's instance may predate a finish.
    if Arena.objects.filter(pk=arena.pk, status=ArenaStatus.FINISHED).exists():
        raise ValueError(_("This arena is finished."))


@transaction.atomic
def arena_plan(*, organisation: Organisation, actor: Membership, title: str, starts_at: datetime.datetime,
               moderator: Membership, topic: str = "", place: str = "", units: Iterable = (),
               wave=None, script: dict | None = None) -> Arena:
    """Plan an arena and open its room (waiting in the welcome phase)."""
    title = (title or "").strip()
    if not title:
        raise ValueError("An arena needs a title.")
    _check_member(organisation, moderator, "moderator")
    units = list(units)
    if any(unit.organisation_id != organisation.pk for unit in units):
        raise ValueError("A unit belongs to another organisation.")
    if wave is not None and wave.organisation_id != organisation.pk:
        raise ValueError("The wave belongs to another organisation.")
    room = live.room_create(organisation=organisation, format_key="arena", title=title,
                            facilitator=moderator, created_by=actor)
    arena = Arena.objects.create(
        organisation=organisation, title=title, topic=(topic or "").strip(), starts_at=starts_at,
        place=(place or "").strip(), moderator=moderator, wave=wave,
        script=_clean_script(script if script is not None else default_script()), room=room,
        created_by=actor)
    arena.units.set(units)
    return arena


@transaction.atomic
def arena_update(*, arena: Arena, actor: Membership, title: str, starts_at: datetime.datetime,
                 moderator: Membership, topic: str = "", place: str = "", units: Iterable = (),
                 wave=None) -> Arena:
    """Change an arena's plan; a new moderator takes over the room."""
    _check_open(arena)
    title = (title or "").strip()
    if not title:
        raise ValueError("An arena needs a title.")
    _check_member(arena.organisation, moderator, "moderator")
    if moderator.pk != arena.moderator_id:
        live.room_organiser_event(room=arena.room, by=actor, type="facilitator_handover",
                                  payload={"to": moderator.pk}, client_key=f"org-{uuid.uuid4().hex}")
    arena.title, arena.starts_at, arena.moderator = title, starts_at, moderator
    arena.topic, arena.place, arena.wave = (topic or "").strip(), (place or "").strip(), wave
    arena.save()
    arena.units.set(list(units))
    return arena


@transaction.atomic
def arena_script_update(*, arena: Arena, script: dict) -> Arena:
    """Replace the moderator's question script (one list of questions per round)."""
    arena.script = _clean_script(script)
    arena.save(update_fields=["script"])
    return arena


@transaction.atomic
def arena_employee_add(*, arena: Arena, membership: Membership, role: str = RoomRole.EMPLOYEE):
    """Seat a staff member in the outer ring (or beside the moderator as scribe)."""
    _check_open(arena)
    _check_member(arena.organisation, membership, "employee")
    if membership.pk == arena.room.facilitator_id:
        raise ValueError(_("The moderator is already in the arena."))
    if role not in (RoomRole.EMPLOYEE, RoomRole.SCRIBE, RoomRole.OBSERVER):
        raise ValueError(f"Unknown arena role {role!r}.")
    return live.room_participant_add(room=arena.room, role=role, membership=membership)


@transaction.atomic
def arena_employee_remove(*, arena: Arena, membership: Membership) -> None:
    _check_open(arena)
    live.room_participant_remove(room=arena.room, membership=membership)


@transaction.atomic
def arena_customer_add(*, arena: Arena, contact, actor: Membership | None = None,
                       promotership: str = "") -> ArenaInvitation:
    """Put a customer contact on the inner-ring list (at most 15)."""
    _check_open(arena)
    if contact.customer.organisation_id != arena.organisation_id:
        raise ValueError("The contact belongs to another organisation.")
    existing = ArenaInvitation.objects.filter(arena=arena, contact=contact).first()
    if existing is not None:
        return existing
    # Lock the arena so that two planners cannot both add the sixteenth customer.
    Arena.objects.select_for_update().filter(pk=arena.pk).first()
    count = ArenaInvitation.objects.filter(arena=arena).exclude(rsvp=Rsvp.NO).count()
    if count >= MAX_CUSTOMERS:
        raise ValueError(_("An arena has at most %(max)d customers.") % {"max": MAX_CUSTOMERS})
    if not promotership:
        promotership = selectors.promotership_of(contact=contact, wave=arena.wave)
    invitation = ArenaInvitation.objects.create(
        arena=arena, contact=contact, promotership=promotership, seat=count + 1,
        added_by=actor.user if actor is not None else None)
    live.room_participant_add(room=arena.room, role=RoomRole.CUSTOMER, contact=contact)
    return invitation


@transaction.atomic
def arena_customer_remove(*, invitation: ArenaInvitation) -> None:
    """Take a customer off the list; their link stops working."""
    _check_open(invitation.arena)
    if invitation.link is not None:
        magic_link_revoke(link=invitation.link)
    live.room_participant_remove(room=invitation.arena.room, contact=invitation.contact)
    invitation.delete()


@dataclass(frozen=True)
class InviteResult:
    sent: list[str]
    skipped: list[str]


def _link_url(base_url: str, token: str) -> str:
    return base_url.rstrip("/") + reverse("accounts:magic_link", kwargs={"token": token})


def _mail(template: str, context: dict, to: str) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"arena/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"arena/email/{template}.txt", context)
    transaction.on_commit(lambda: send_mail(subject, body, None, [to]))


@transaction.atomic
def arena_invitations_send(*, arena: Arena, actor: Membership, base_url: str,
                           again: bool = False, only: ArenaInvitation | None = None) -> InviteResult:
    """E-mail each listed customer not yet invited a personal link to answer and join.

    The link works until the day after the arena; ``again`` re-sends to those who
    have not answered, ``only`` to one customer whatever their answer (a new phone on
    the day). An earlier link stops working.
    """
    _check_open(arena)
    invitations = (ArenaInvitation.objects.select_for_update(of=("self",)).filter(arena=arena)
                   .select_related("contact__customer", "link"))
    if only is not None:
        invitations = invitations.filter(pk=only.pk)
    else:
        invitations = invitations.filter(rsvp__in=[Rsvp.NOT_SENT, Rsvp.PENDING] if again
                                         else [Rsvp.NOT_SENT])
    max_age = max(arena.starts_at + datetime.timedelta(days=1) - timezone.now(),
                  datetime.timedelta(days=1))
    sent, skipped = [], []
    for invitation in invitations:
        contact = invitation.contact
        if not contact.email:
            skipped.append(contact.name)
            continue
        if invitation.link is not None:
            magic_link_revoke(link=invitation.link)
        issued = magic_link_issue(contact=contact, purpose=MagicLinkPurpose.ARENA,
                                  created_by=actor.user, max_age=max_age)
        invitation.link = issued.link
        if invitation.rsvp == Rsvp.NOT_SENT:
            invitation.rsvp = Rsvp.PENDING
        invitation.invited_at = timezone.now()
        invitation.save(update_fields=["link", "rsvp", "invited_at"])
        _mail("invitation", {"arena": arena, "contact": contact, "url": _link_url(base_url, issued.token),
                             "organisation": arena.organisation}, contact.email)
        sent.append(contact.name)
    return InviteResult(sent=sent, skipped=skipped)


@transaction.atomic
def arena_rsvp(*, invitation: ArenaInvitation, answer: str) -> ArenaInvitation:
    """Record a customer's answer to the invitation."""
    if answer not in (Rsvp.YES, Rsvp.NO):
        raise ValueError("Answer yes or no.")
    _check_open(invitation.arena)
    invitation.rsvp = answer
    invitation.responded_at = timezone.now()
    invitation.save(update_fields=["rsvp", "responded_at"])
    return invitation


# Finishing -------------------------------------------------------------------------------

def _round_label(phase: str) -> str:
    return {"round_1": _("round 1"), "round_2": _("round 2"), "round_3": _("round 3")}.get(phase, phase)


@transaction.atomic
def arena_finish(*, arena: Arena, actor: Membership) -> list[ArenaOutcome]:
    """Close the room and turn its groups and confirmed actions into the improvement spine.

    Each group becomes an improvement point with its statements as evidence, ranked by
    votes; its owner gets an action unless the moderator confirmed actions for it.
    Running it again creates nothing twice.
    """
    arena = Arena.objects.select_for_update().get(pk=arena.pk)
    room = arena.room
    live.room_organiser_event(room=room, by=actor, type="room_close", payload={},
                              client_key=f"arena-finish-{arena.pk}")
    room.refresh_from_db()
    state = room.state
    names = selectors.actor_names(arena)
    members = {m.pk: m for m in Membership.objects.select_related("user")
               .filter(organisation=arena.organisation, is_active=True)}
    done = {(o.kind, o.item): o for o in arena.outcomes.select_related("point")}
    label_base = _("Customer arena “%(title)s”, %(date)s") % {
        "title": arena.title, "date": timezone.localtime(arena.starts_at).date().isoformat()}
    tallies = {gid: sum(v.values()) for gid, v in state["votes"].items()}
    ranked = sorted(state["groups"].values(), key=lambda g: (-tallies.get(g["id"], 0), int(g["id"])))
    unit = arena.units.order_by("depth", "path").first()
    actions_by_group: dict[str | None, list[dict]] = {}
    for item in sorted(state["actions"].values(), key=lambda a: int(a["id"])):
        actions_by_group.setdefault(item["group"], []).append(item)

    points = {}
    for rank, group in enumerate(ranked):
        outcome = done.get((ArenaOutcome.Kind.POINT, group["id"]))
        if outcome is not None:
            points[group["id"]] = outcome.point
            continue
        votes = tallies.get(group["id"], 0)
        priority = Priority.HIGH if rank == 0 and votes else Priority.MEDIUM
        owner = members.get(group["owner"])
        themes = Counter(state["statements"][sid]["theme"].strip().lower()
                         for sid in group["statements"]
                         if sid in state["statements"] and state["statements"][sid]["theme"].strip())
        theme = (improvements.theme_get_or_create(organisation=arena.organisation,
                                                  name=themes.most_common(1)[0][0].capitalize())
                 if themes else None)
        point = improvements.point_create(
            organisation=arena.organisation, actor=actor, title=group["title"],
            description=_("From the customer arena “%(title)s”: %(votes)d votes.")
            % {"title": arena.title, "votes": votes},
            unit=unit, priority=priority, theme=theme,
            status=PointStatus.PLANNED if owner else PointStatus.PROPOSED,
            raised_by_label=label_base)
        for sid in group["statements"]:
            statement = state["statements"].get(sid)
            if statement is None:
                continue
            who = names.get(f"c:{statement['customer']}") if statement.get("customer") else None
            quote = statement["text"] + (f" — {who}" if who else "")
            improvements.evidence_add(point=point, actor=actor, quote=quote, source=arena,
                                      label=f"{label_base}, {_round_label(statement['phase'])}")
        ArenaOutcome.objects.create(arena=arena, kind=ArenaOutcome.Kind.POINT, item=group["id"],
                                    point=point)
        points[group["id"]] = point
        if owner is not None and not actions_by_group.get(group["id"]):
            action = improvements.action_create(point=point, actor=actor, owner=owner,
                                                title=_("Work out “%(title)s”") % {"title": group["title"]})
            ArenaOutcome.objects.create(arena=arena, kind=ArenaOutcome.Kind.ACTION,
                                        item=f"g{group['id']}", point=point, action=action)

    for group_id, items in actions_by_group.items():
        for item in items:
            if (ArenaOutcome.Kind.ACTION, item["id"]) in done:
                continue
            owner = members.get(item["owner"])
            if owner is None:
                continue  # the owner left the organisation since; the report still lists it
            point = points.get(group_id)
            if point is None:
                point = improvements.point_create(
                    organisation=arena.organisation, actor=actor, title=item["title"], unit=unit,
                    status=PointStatus.PLANNED, raised_by_label=label_base)
            due = datetime.date.fromisoformat(item["due"]) if item.get("due") else None
            action = improvements.action_create(point=point, actor=actor, title=item["title"],
                                                owner=owner, due_date=due)
            ArenaOutcome.objects.create(arena=arena, kind=ArenaOutcome.Kind.ACTION, item=item["id"],
                                        point=point, action=action)
    # Every customer whose words became evidence of a point can follow it in the portal.
    from portal.services import arena_contributions_record

    arena_contributions_record(arena=arena, points=points)
    arena.status = ArenaStatus.FINISHED
    arena.finished_at = arena.finished_at or timezone.now()
    arena.save(update_fields=["status", "finished_at"])
    return list(arena.outcomes.select_related("point", "action"))


@transaction.atomic
def arena_thank(*, arena: Arena, actor: Membership, base_url: str) -> InviteResult:
    """Thank each customer who took part, with a link to follow the points that came of it."""
    arena = (Arena.objects.select_for_update(of=("self",)).select_related("room", "organisation")
             .get(pk=arena.pk))
    if arena.status != ArenaStatus.FINISHED:
        raise ValueError(_("Finish the arena before thanking the customers."))
    sent, skipped = [], []
    for invitation in selectors.attended(arena).select_for_update(of=("self",)):
        contact = invitation.contact
        if invitation.thanked_at is not None:
            continue
        if not contact.email:
            skipped.append(contact.name)
            continue
        issued = magic_link_issue(contact=contact, purpose=MagicLinkPurpose.PORTAL,
                                  created_by=actor.user, max_age=datetime.timedelta(days=365))
        _mail("thanks", {"arena": arena, "contact": contact, "url": _link_url(base_url, issued.token),
                         "organisation": arena.organisation,
                         "points": selectors.raised_by(arena=arena, contact=contact)}, contact.email)
        invitation.thanked_at = timezone.now()
        invitation.save(update_fields=["thanked_at"])
        sent.append(contact.name)
    arena.thanked_at = timezone.now()
    arena.save(update_fields=["thanked_at"])
    return InviteResult(sent=sent, skipped=skipped)
