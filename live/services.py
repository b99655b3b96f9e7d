"""Writes for live rooms: create a room, list participants, append events, presence.

``event_append`` (and ``events_append`` for several actions at once) is the only way
into a room's log. In one transaction it locks the room row, checks the action against
the phase and the actor's room role, assigns the next sequence number and stores the
event; *after commit* it sends one channel-layer message to the room's group. Each
process that has sockets in the room has joined that group with one channel
(``live.hub``) and writes the message, serialised here once, to its own sockets.

Presence is deliberately not in the log: who has a socket open is not history, and
a reconnect storm would otherwise flood the log. It lives in ``RoomPresence`` rows,
shared by every worker through the database.
"""

from __future__ import annotations

import json
import logging
import os
from functools import partial

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db import models, transaction
from django.utils import timezone

from accounts.models import Membership, Organisation
from live import selectors
from live import state as room_state
from live.formats import RoomRole, format_get
from live.hub import group_name, outbox_for
from live.models import Room, RoomEvent, RoomParticipant, RoomPresence, RoomStatus
from live.state import ActionRefused

logger = logging.getLogger(__name__)

__all__ = ["ActionRefused", "event_append", "events_append", "presence_join", "presence_leave",
           "presence_touch", "presence_touch_many", "room_create", "room_organiser_event",
           "room_participant_add", "room_participant_remove"]

MAX_CLIENT_KEY = 64


def _now():
    # Milliseconds, so that the event built here and the one read back are identical.
    now = timezone.now()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _check_member(organisation_id: int, membership: Membership | None, what: str) -> None:
    if (membership is None or membership.organisation_id != organisation_id
            or not membership.is_active or not membership.user.is_active):
        raise ValueError(f"The {what} must be an active member of the organisation.")


@transaction.atomic
def room_create(*, organisation: Organisation, format_key: str, title: str,
                facilitator: Membership, created_by: Membership | None = None) -> Room:
    """Open a room of format ``format_key``; its first event freezes the format's plan."""
    try:
        fmt = format_get(format_key)
    except KeyError:
        raise ValueError(f"Unknown live format {format_key!r}.") from None
    _check_member(organisation.pk, facilitator, "facilitator")
    title = (title or "").strip()
    if not title:
        raise ValueError("A room needs a title.")
    room = Room.objects.create(organisation=organisation, format=fmt.key, title=title,
                               facilitator=facilitator, created_by=created_by or facilitator)
    _append(room, membership=created_by or facilitator, contact=None, role=RoomRole.FACILITATOR,
            type="room_created", client_key="room_created",
            payload={"plan": fmt.plan(), "title": title, "facilitator": f"m:{facilitator.pk}"})
    return room


@transaction.atomic
def room_participant_add(*, room: Room, role: str, membership: Membership | None = None,
                         contact=None) -> RoomParticipant:
    """List a staff member (employee, scribe, observer) or a customer contact in ``room``."""
    if (membership is None) == (contact is None):
        raise ValueError("Give either a member or a customer contact.")
    if contact is not None:
        if contact.customer.organisation_id != room.organisation_id:
            raise ValueError("The contact belongs to another organisation.")
        role = RoomRole.CUSTOMER
    else:
        _check_member(room.organisation_id, membership, "participant")
        if role not in (RoomRole.EMPLOYEE, RoomRole.SCRIBE, RoomRole.OBSERVER):
            raise ValueError(f"A member cannot take part as {role!r}.")
    participant, _created = RoomParticipant.objects.update_or_create(
        room=room, membership=membership, contact=contact, defaults={"role": role})
    return participant


@transaction.atomic
def room_participant_remove(*, room: Room, membership: Membership | None = None,
                            contact=None) -> None:
    """Take someone off the room's list; an open socket of theirs closes on its next check."""
    if (membership is None) == (contact is None):
        raise ValueError("Give either a member or a customer contact.")
    RoomParticipant.objects.filter(room=room, membership=membership, contact=contact).delete()


# Organiser events: the planner of a session acts on the room from outside it (changing
# the moderator before the start, closing it when the session is finished). They are
# logged like every other event, with the role "organiser".
# Server events (``live.state.SERVER_TYPES``, e.g. the revealed answers of a 1-2-3
# session) come this way too, checked by ``live.state.check_server``.
ORGANISER_EVENTS = frozenset({"facilitator_handover", "room_close", *room_state.SERVER_TYPES})


def room_organiser_event(*, room: Room, by: Membership, type: str, payload: dict,
                         client_key: str) -> RoomEvent | None:
    """Append an organiser's ``type`` event to ``room``; return None when it changes nothing."""
    if type not in ORGANISER_EVENTS:
        raise ValueError(f"{type!r} is not an organiser event.")
    _check_member(room.organisation_id, by, "organiser")
    with transaction.atomic():
        locked = Room.objects.select_for_update().get(pk=room.pk)
        existing = RoomEvent.objects.filter(room=locked, client_key=client_key).first()
        if existing is not None:
            return existing
        if locked.state["closed"]:
            return None
        if type == "facilitator_handover":
            _check_member(room.organisation_id,
                          Membership.objects.select_related("user").filter(pk=payload["to"]).first(),
                          "new facilitator")
            if locked.facilitator_id == payload["to"]:
                return None
            payload = {"to": payload["to"]}
        elif type in room_state.SERVER_TYPES:
            payload = room_state.check_server(locked.state, type=type, payload=payload,
                                              allowed=format_get(locked.format).server_events)
        else:
            payload = {}
        record = _append(locked, membership=by, contact=None, role="organiser", type=type,
                         payload=payload, client_key=client_key)
    for field in ("state", "last_seq", "phase", "status", "facilitator_id"):
        setattr(room, field, getattr(locked, field))
    return record


def _actor_parts(actor) -> tuple[Membership | None, object | None]:
    if isinstance(actor, Membership):
        return actor, None
    from org.models import Contact

    if isinstance(actor, Contact):
        return None, actor
    raise TypeError("The actor must be a Membership or a Contact.")


def _check_references(room: Room, action: str, payload: dict) -> None:
    """Check the ids an action names against the database: same organisation, still there."""
    from org.models import Contact

    def member(pk: int, what: str) -> Membership:
        membership = Membership.objects.select_related("user").filter(pk=pk).first()
        try:
            _check_member(room.organisation_id, membership, what)
        except ValueError as exc:
            raise ActionRefused("invalid", str(exc)) from None
        return membership

    if action == "statement_add" and payload.get("customer") is not None:
        if not Contact.objects.filter(pk=payload["customer"],
                                      customer__organisation_id=room.organisation_id).exists():
            raise ActionRefused("invalid", "unknown customer")
    elif action in ("owner_assign", "action_confirm"):
        member(payload["owner"], "owner")
    elif action == "facilitator_handover":
        member(payload["to"], "new facilitator")


def _next(room: Room, *, membership, contact, role: str, type: str, payload: dict,
          client_key: str, sent: list | None = None) -> RoomEvent:
    """Build the next event of the locked ``room`` and apply it to the room's caches.

    Neither the event nor the room is saved here (``_append`` saves both; ``events_append``
    saves a batch at once). The broadcast is registered for after commit, or, with
    ``sent``, added to that list for one broadcast of the whole batch.
    """
    before = room.state
    record = RoomEvent(room=room, seq=room.last_seq + 1, type=type, actor_membership=membership,
                       actor_contact=contact,
                       actor_key=selectors.actor_key(membership or contact),
                       actor_role=role, payload=payload, client_key=client_key, created_at=_now())
    event = record.as_event()
    after = room_state.apply(before, event)
    room.state, room.last_seq, room.phase = after, record.seq, after["phase"] or ""
    room.status = RoomStatus.CLOSED if after["closed"] else RoomStatus.OPEN
    if type == "facilitator_handover":
        _hand_over(room, to=payload["to"])
    if sent is None:
        transaction.on_commit(partial(_broadcast_events, room.pk, [(event, before)]))
    else:
        sent.append((event, before))
    return record


ROOM_CACHES = ["last_seq", "phase", "state", "status"]


def _append(room: Room, **event) -> RoomEvent:
    """Store the next event of the locked ``room``, update its caches, broadcast after commit."""
    record = _next(room, **event)
    record.save()
    room.save(update_fields=[*ROOM_CACHES, *(["facilitator"] if record.type == "facilitator_handover"
                                             else [])])
    return record


@transaction.atomic
def room_text_redact(*, room_id: int, events: dict[int, dict], state: dict | None = None) -> None:
    """Rewrite text inside the payloads of written events: the one exception to append-only.

    Only erasure of a person calls this (the law requires their name to go from the log).
    ``events`` maps event ids of the room to their new payloads, which must differ from the
    old ones only in text; ``state`` is the room's cached state with the same text
    replaced. Type, sequence and actor stay, so the log replays to the same state with the
    text replaced. The room's count of redactions goes up, which voids every process's
    fold checkpoint of the room (``selectors._folded``).
    """
    room = Room.objects.select_for_update().get(pk=room_id)
    stored = dict(RoomEvent.objects.filter(room_id=room_id, pk__in=list(events))
                  .values_list("pk", "type"))
    if set(stored) != set(events):
        raise ValueError("Only events of this room can be redacted.")
    for pk, payload in events.items():
        # The plain QuerySet: RoomEventQuerySet refuses every update, by design.
        models.QuerySet(model=RoomEvent).filter(pk=pk).update(payload=payload)
    fields = ["redactions"]
    room.redactions += 1
    if state is not None:
        room.state = state
        fields.append("state")
    room.save(update_fields=fields)
    selectors.checkpoint_forget(room_id)


def _hand_over(room: Room, *, to: int) -> None:
    previous = room.facilitator_id
    RoomParticipant.objects.filter(room=room, membership_id=to).delete()
    room.facilitator_id = to
    if previous is not None:
        # The former facilitator stays in the room, as an observer unless listed otherwise.
        RoomParticipant.objects.get_or_create(room=room, membership_id=previous,
                                              defaults={"role": RoomRole.OBSERVER})


def event_append(*, room: Room, actor, type: str, payload: dict, client_key: str) -> RoomEvent:
    """Append ``actor``'s action to ``room``'s log, or raise ``ActionRefused``.

    ``client_key`` makes the call idempotent: repeating it returns the stored event
    and appends nothing.
    """
    result = events_append(room=room, actions=[(actor, type, payload, client_key)])[0]
    if isinstance(result, ActionRefused):
        raise result
    return result


def events_append(*, room: Room, actions: list[tuple]) -> list[RoomEvent | ActionRefused]:
    """Append several actions to ``room``'s log in one transaction; return each one's event,
    or the ``ActionRefused`` that says why not.

    Each action is ``(actor, type, payload, client_key)`` and is checked against the
    state the actions before it left, exactly as ``event_append`` one at a time would;
    a refused action holds up none of the others. The batch costs one lock, one write
    of the room's state and one commit (a group commit): the room socket hands the
    actions that queue up while the database is busy to one call (``live.consumers``),
    which is how 500 people can vote within seconds.
    """
    results: list = [None] * len(actions)
    todo = []
    for i, (_actor, _type, _payload, client_key) in enumerate(actions):
        if not isinstance(client_key, str) or not 0 < len(client_key) <= MAX_CLIENT_KEY:
            results[i] = ActionRefused("invalid", "client_key must be 1 to 64 characters")
        else:
            todo.append(i)
    if not todo:
        return results
    new: list[RoomEvent] = []
    sent: list[tuple[dict, dict]] = []
    with transaction.atomic():
        locked = Room.objects.select_for_update().get(pk=room.pk)
        known = {e.client_key: e for e in RoomEvent.objects.filter(
            room=locked, client_key__in={actions[i][3] for i in todo})}
        roles = selectors.RoomRoles(locked, [actions[i][0] for i in todo])
        handed_over = False
        for i in todo:
            actor, type, payload, client_key = actions[i]
            membership, contact = _actor_parts(actor)
            key = selectors.actor_key(actor)
            existing = known.get(client_key)
            if existing is not None:
                results[i] = existing if existing.actor_key == key else ActionRefused(
                    "conflict", "client_key was already used by someone else")
                continue
            role = roles.of(membership=membership, contact=contact)
            if role is None:
                results[i] = ActionRefused("not_participant", "you do not take part in this room")
                continue
            try:
                allowed = format_get(locked.format).allowed(locked.state["phase"], role)
                cleaned = room_state.check(locked.state, actor=key, role=role, action=type,
                                           payload=payload, allowed=allowed)
                _check_references(locked, type, cleaned)
            except ActionRefused as refusal:
                results[i] = refusal
                continue
            record = _next(locked, membership=membership, contact=contact, role=role, type=type,
                           payload=cleaned, client_key=client_key, sent=sent)
            if type == "facilitator_handover":
                handed_over = True
                roles.reload()
            known[client_key] = results[i] = record
            new.append(record)
        if new:
            RoomEvent.objects.bulk_create(new)
            locked.save(update_fields=[*ROOM_CACHES, *(["facilitator"] if handed_over else [])])
            transaction.on_commit(partial(_broadcast_events, locked.pk, sent))
    if new:
        for field in ("state", "last_seq", "phase", "status", "facilitator_id"):
            setattr(room, field, getattr(locked, field))
    return results


# Broadcasting --------------------------------------------------------------------------------

def _send(room_id: int, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    # Called from a consumer's or a view's database thread: hand the send to the server's
    # event loop and carry on. Waiting for it (async_to_sync) would hold every write of
    # the worker behind a loop that is busy writing to hundreds of sockets.
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    if loop is not None and loop.is_running() and getattr(
            SyncToAsync.threadlocal, "main_event_loop_pid", None) == os.getpid():
        outbox_for(loop).put(room_id, message)
        return
    try:
        async_to_sync(layer.group_send)(group_name(room_id), message)
    except Exception:  # the event is stored; clients catch up on the next event or reconnect
        logger.exception("live: broadcast to room %s failed", room_id)


def _broadcast_events(room_id: int, events: list[tuple[dict, dict]]) -> None:
    """Send one message to the room's group with the events of one commit, each serialised
    once per audience: a ``room.event``, or a ``room.events`` holding several."""
    messages = [selectors.event_message(event, before) for event, before in events]
    _send(room_id, messages[0] if len(messages) == 1 else {"type": "room.events",
                                                           "events": messages})


def _broadcast_presence(room_id: int) -> None:
    text = json.dumps({"type": "presence", "rings": selectors.presence_of(room_id=room_id)},
                      separators=(",", ":"))
    _send(room_id, {"type": "room.presence", "text": text})


@transaction.atomic
def presence_join(*, viewer: selectors.Viewer, channel_name: str) -> None:
    """Record an open socket and tell the room who is here."""
    now = timezone.now()
    RoomPresence.objects.update_or_create(
        channel_name=channel_name,
        defaults={"room_id": viewer.room_id, "actor_key": viewer.actor, "role": viewer.role,
                  "name": viewer.name, "seen_at": now})
    transaction.on_commit(partial(_broadcast_presence, viewer.room_id))


@transaction.atomic
def presence_leave(*, room_id: int, channel_name: str) -> None:
    RoomPresence.objects.filter(channel_name=channel_name).delete()
    transaction.on_commit(partial(_broadcast_presence, room_id))


def presence_touch(*, viewer: selectors.Viewer, channel_name: str) -> None:
    """Keep a socket's presence fresh (and its role current) without a broadcast."""
    presence_touch_many(room_id=viewer.room_id, sockets=[(viewer, channel_name)])


def presence_touch_many(*, room_id: int, sockets: list[tuple[selectors.Viewer, str]]) -> None:
    """``presence_touch`` for many sockets of one room: one UPDATE, a broadcast only when a
    role changed."""
    now = timezone.now()
    roles = {channel: viewer.role for viewer, channel in sockets}
    if not roles:
        return
    changed = [(channel, role) for channel, role in (
        RoomPresence.objects.filter(room_id=room_id, channel_name__in=roles)
        .values_list("channel_name", "role")) if roles[channel] != role]
    with transaction.atomic():
        for channel, _old in changed:
            RoomPresence.objects.filter(channel_name=channel).update(role=roles[channel], seen_at=now)
        RoomPresence.objects.filter(room_id=room_id, channel_name__in=roles).update(seen_at=now)
        if changed:
            transaction.on_commit(partial(_broadcast_presence, room_id))
