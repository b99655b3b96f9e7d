"""Reads for live rooms: who may be in a room in which role, what they missed, who is here."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, replace
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from accounts.models import MagicLink, MagicLinkPurpose, Membership, Role
from live import state as room_state
from live.formats import RING, RoomRole, format_get
from live.models import Room, RoomEvent, RoomParticipant, RoomPresence

# Customers reach a room through a magic link issued for its kind of room, as its page
# takes it: an arena invitation for an arena, a delegate link for a group's meeting.
LIVE_PURPOSES = {"arena": MagicLinkPurpose.ARENA, "meeting": MagicLinkPurpose.DELEGATE}


def _live_purpose_fits(access: dict, room: Room) -> bool:
    purpose = LIVE_PURPOSES.get(room.format)
    return purpose is not None and access.get("purpose") == purpose
# Staff who may always watch a room of their organisation, without being listed.
WATCHING_ROLES = frozenset({Role.ADMIN, Role.CONSULTANT})


@dataclass(frozen=True)
class Viewer:
    """Someone connected to a room: their actor key, room role and display name."""

    room_id: int
    organisation_id: int
    actor: str
    role: str
    name: str
    user_id: int | None = None
    membership_id: int | None = None
    contact_id: int | None = None
    link_id: int | None = None

    @property
    def ring(self) -> str:
        return RING.get(self.role, "outside")


def actor_key(actor) -> str:
    """Return the reducer's key for a Membership (``m:<id>``) or a Contact (``c:<id>``)."""
    if isinstance(actor, Membership):
        return f"m:{actor.pk}"
    return f"c:{actor.pk}"


def _member_role(room: Room, membership: Membership, listed) -> str | None:
    """The role of an active ``membership`` in ``room``; ``listed()`` gives its listed role."""
    if (membership.organisation_id != room.organisation_id or not membership.is_active
            or not membership.user.is_active):
        return None
    if room.facilitator_id == membership.pk:
        return RoomRole.FACILITATOR
    role = listed()
    if role:
        return role
    return RoomRole.OBSERVER if membership.role in WATCHING_ROLES else None


def room_role(*, room: Room, membership: Membership | None = None, contact=None) -> str | None:
    """Return the role ``membership`` or ``contact`` has in ``room`` now, or None."""
    if membership is not None:
        return _member_role(room, membership, lambda: (
            RoomParticipant.objects.filter(room=room, membership=membership)
            .values_list("role", flat=True).first()))
    if contact is not None:
        if contact.customer.organisation_id != room.organisation_id:
            return None
        listed = RoomParticipant.objects.filter(room=room, contact=contact).exists()
        return RoomRole.CUSTOMER if listed else None
    return None


class RoomRoles:
    """``room_role`` for several actors of one room, with the participant list read once.

    ``room.facilitator_id`` is read at each call, so a handover within a batch counts;
    ``reload`` after it, as it changes the list too.
    """

    def __init__(self, room: Room, actors):
        self.room = room
        self.member_ids = {a.pk for a in actors if isinstance(a, Membership)}
        self.contact_ids = {a.pk for a in actors if not isinstance(a, Membership)}
        self.reload()

    def reload(self) -> None:
        rows = (RoomParticipant.objects.filter(room=self.room)
                .filter(Q(membership_id__in=self.member_ids) | Q(contact_id__in=self.contact_ids))
                .values_list("membership_id", "contact_id", "role"))
        self.members, self.contacts = {}, set()
        for membership_id, contact_id, role in rows:
            if membership_id is not None:
                self.members[membership_id] = role
            else:
                self.contacts.add(contact_id)

    def of(self, *, membership: Membership | None = None, contact=None) -> str | None:
        if membership is not None:
            return _member_role(self.room, membership, lambda: self.members.get(membership.pk))
        if contact is not None:
            if contact.customer.organisation_id != self.room.organisation_id:
                return None
            return RoomRole.CUSTOMER if contact.pk in self.contacts else None
        return None


def room_last_seq(*, room_id: int) -> int | None:
    """The sequence number of the room's last event (None: no such room)."""
    return Room.objects.filter(pk=room_id).values_list("last_seq", flat=True).first()


def room_get(*, room_id: int) -> Room | None:
    return Room.objects.filter(pk=room_id).first()


def _staff_viewer(room: Room, user) -> Viewer | None:
    membership = (Membership.objects.active().select_related("user")
                  .filter(user=user, organisation_id=room.organisation_id).first())
    if membership is None:
        return None
    role = room_role(room=room, membership=membership)
    if role is None:
        return None
    return Viewer(room_id=room.pk, organisation_id=room.organisation_id,
                  actor=actor_key(membership), role=role, name=membership.name,
                  user_id=user.pk, membership_id=membership.pk)


def _customer_viewer(room: Room, access: dict) -> Viewer | None:
    from org.models import Contact

    if not _live_purpose_fits(access, room) or access.get("organisation") != room.organisation_id:
        return None
    link_id = access.get("link")
    if link_id is not None and MagicLink.objects.filter(pk=link_id, revoked_at__isnull=False).exists():
        return None
    contact = (Contact.objects.select_related("customer")
               .filter(pk=access.get("contact"), customer__organisation_id=room.organisation_id)
               .first())
    if contact is None or room_role(room=room, contact=contact) is None:
        return None
    return Viewer(room_id=room.pk, organisation_id=room.organisation_id, actor=actor_key(contact),
                  role=RoomRole.CUSTOMER, name=contact.name, contact_id=contact.pk,
                  link_id=link_id)


def viewer_for(*, room_id: int, user, customer_access: dict | None) -> Viewer | None:
    """Return who this socket is in the room, or None when it may not enter.

    A logged-in staff member is checked first; otherwise a customer's magic-link
    session (``accounts.views.CUSTOMER_SESSION_KEY``) whose contact is listed.
    """
    room = room_get(room_id=room_id)
    if room is None:
        return None
    if user is not None and user.is_authenticated and user.is_active:
        return _staff_viewer(room, user)
    if customer_access:
        return _customer_viewer(room, customer_access)
    return None


def viewer_recheck(*, viewer: Viewer, session_key: str | None) -> Viewer | None:
    """Return the viewer as they stand now, or None when the socket must close.

    Reads the session afresh from its store: a logout deletes it, a password change
    changes its hash, an expired session no longer loads.
    """
    return viewers_recheck(room_id=viewer.room_id, sockets=[(viewer, session_key)])[0]


def _sessions_load(session_keys: set[str]) -> dict[str, dict]:
    """Return the data of each live session in ``session_keys`` (missing or expired: absent)."""
    from importlib import import_module

    from django.contrib.sessions.backends.db import SessionStore as DatabaseStore

    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    if not issubclass(store_class, DatabaseStore) or hasattr(store_class, "cache_key_prefix"):
        # Another store (cache, signed cookies, cached_db): one load per session.
        return {key: data for key in session_keys
                if (data := store_class(session_key=key).load())}
    decoder = store_class()
    rows = (store_class.get_model_class().objects
            .filter(session_key__in=session_keys, expire_date__gt=timezone.now())
            .values_list("session_key", "session_data"))
    return {key: data for key, encoded in rows if (data := decoder.decode(encoded))}


def viewers_recheck(*, room_id: int, sockets: list[tuple[Viewer, str | None]]) -> list[Viewer | None]:
    """``viewer_recheck`` for many sockets of one room at once, in a fixed number of queries.

    A worker re-checks all its sockets of a room together (``live.consumers``): one
    query each for the sessions, the users, their memberships, the room's participant
    list, the contacts and the revoked links, whatever the number of sockets.
    """
    from accounts.models import User
    from accounts.views import CUSTOMER_SESSION_KEY
    from org.models import Contact

    room = room_get(room_id=room_id)
    if room is None:
        return [None] * len(sockets)
    sessions = _sessions_load({key for _viewer, key in sockets if key})
    user_ids = {v.user_id for v, key in sockets if v.user_id is not None and key in sessions}
    accesses = {key: sessions[key].get(CUSTOMER_SESSION_KEY) for v, key in sockets
                if v.user_id is None and key in sessions}
    users = {u.pk: u for u in User.objects.filter(pk__in=user_ids, is_active=True)} if user_ids else {}
    memberships = {m.user_id: m for m in (Membership.objects.active().select_related("user")
                                          .filter(user_id__in=users, organisation_id=room.organisation_id))
                   } if users else {}
    listed_members, listed_contacts = {}, set()
    for membership_id, contact_id, role in RoomParticipant.objects.filter(room=room).values_list(
            "membership_id", "contact_id", "role"):
        if membership_id is not None:
            listed_members[membership_id] = role
        else:
            listed_contacts.add(contact_id)
    contact_ids = {a.get("contact") for a in accesses.values() if a}
    contacts = {c.pk: c for c in Contact.objects.select_related("customer").filter(
        pk__in=contact_ids, customer__organisation_id=room.organisation_id)} if contact_ids else {}
    link_ids = {a.get("link") for a in accesses.values() if a and a.get("link") is not None}
    revoked = set(MagicLink.objects.filter(pk__in=link_ids, revoked_at__isnull=False)
                  .values_list("pk", flat=True)) if link_ids else set()

    def staff(viewer: Viewer, data: dict) -> Viewer | None:
        user = users.get(viewer.user_id)
        if user is None or str(data.get(SESSION_KEY)) != str(user.pk):
            return None
        session_hash = data.get(HASH_SESSION_KEY)
        if not session_hash or not constant_time_compare(session_hash, user.get_session_auth_hash()):
            return None
        membership = memberships.get(user.pk)
        if membership is None:
            return None
        role = _member_role(room, membership, lambda: listed_members.get(membership.pk))
        if role is None or actor_key(membership) != viewer.actor:
            return None
        return replace(viewer, role=role, name=membership.name)

    def customer(viewer: Viewer, access) -> Viewer | None:
        if not access or access.get("contact") != viewer.contact_id:
            return None
        if not _live_purpose_fits(access, room) or access.get("organisation") != room.organisation_id:
            return None
        if access.get("link") is not None and access.get("link") in revoked:
            return None
        contact = contacts.get(access.get("contact"))
        if contact is None or contact.pk not in listed_contacts or actor_key(contact) != viewer.actor:
            return None
        return replace(viewer, role=RoomRole.CUSTOMER, name=contact.name)

    fresh = []
    for viewer, key in sockets:
        if not key or key not in sessions:
            fresh.append(None)
        elif viewer.user_id is not None:
            fresh.append(staff(viewer, sessions[key]))
        else:
            fresh.append(customer(viewer, accesses.get(key)))
    return fresh


# The state after some event of each room, left by the last fold in this process: the log
# is append-only, so it stays true, and the next fold starts there instead of at seq 1.
# Keyed by room and checked against that event itself (a room id reused by a restored or
# rebuilt database does not match) and against the room's count of redactions (erasure
# rewrote text in the log, perhaps before that event: the state may hold the erased name).
_checkpoints: dict[int, tuple[int, dict, dict, int]] = {}
_checkpoints_lock = threading.Lock()


def checkpoint_forget(room_id: int) -> None:
    """Drop this process's fold checkpoint of a room (other processes see the redaction count)."""
    with _checkpoints_lock:
        _checkpoints.pop(room_id, None)


def _folded(room_id: int, after_seq: int = 0, upto_seq: int | None = None):
    """Yield each event after ``after_seq`` (up to ``upto_seq``) with the state before it.

    The state comes from folding the log, because a redacted event can depend on the
    state before it (a phase that reveals prepared questions carries them); the fold
    starts at this process's checkpoint of the room when it lies at or before
    ``after_seq``.
    """
    with _checkpoints_lock:
        checkpoint = _checkpoints.get(room_id)
    redactions = Room.objects.filter(pk=room_id).values_list("redactions", flat=True).first() or 0
    start, seen, state = 0, None, room_state.initial()
    if checkpoint is not None and checkpoint[0] <= after_seq and checkpoint[3] == redactions:
        start, seen, state, _count = checkpoint
    events = RoomEvent.objects.filter(room_id=room_id, seq__gte=max(start, 1)).order_by("seq")
    if upto_seq is not None:
        events = events.filter(seq__lte=upto_seq)
    last = None
    for record in events.iterator(chunk_size=2000):
        event = record.as_event()
        if event["seq"] == start:
            if event != seen:  # not the log the checkpoint was taken from
                with _checkpoints_lock:
                    _checkpoints.pop(room_id, None)
                yield from _folded(room_id, after_seq, upto_seq)
                return
            continue
        if event["seq"] > after_seq:
            yield event, state
        state = room_state.apply(state, event)
        last = event
    if last is not None:
        with _checkpoints_lock:
            if room_id in _checkpoints or len(_checkpoints) < 1000:
                _checkpoints[room_id] = (last["seq"], last, state, redactions)


def events_since(*, room: Room, after_seq: int, viewer: str | None) -> list[dict]:
    """Return the events after ``after_seq`` as ``viewer`` receives them, oldest first."""
    return [room_state.redact(event, before, viewer)
            for event, before in _folded(room.pk, after_seq)]


def envelope(event: dict) -> str:
    """An event as a client receives it live (``live.hub.ENVELOPE_PREFIX`` relies on the form)."""
    return json.dumps({"type": "event", "event": event}, separators=(",", ":"))


def event_message(event: dict, before: dict) -> dict:
    """The channel-layer message of a stored event, serialised once for its author and once
    for everyone else (``live.hub`` hands it to the sockets)."""
    author = room_state.redact(event, before, event["actor"])
    others = room_state.redact(event, before, None)
    author_text = envelope(author)
    return {"type": "room.event", "seq": event["seq"], "actor": event["actor"] or "",
            "author": author_text, "others": author_text if others == author else envelope(others)}


def event_messages(*, room_id: int, after_seq: int, upto_seq: int) -> list[dict]:
    """``event_message`` of each stored event after ``after_seq`` up to ``upto_seq``: what a
    feed missing an event fetches, once for all its sockets."""
    return [event_message(event, before) for event, before in _folded(room_id, after_seq, upto_seq)]


def room_snapshot(*, room: Room, viewer: str | None) -> dict:
    """Return the room's current state as ``viewer`` may see it."""
    return room_state.visible(room.state, viewer)


def presence_stale_before():
    return timezone.now() - timedelta(seconds=getattr(settings, "LIVE_PRESENCE_STALE_SECONDS", 30))


def presence_of(*, room_id: int) -> dict[str, list[dict]]:
    """Return who is connected to the room, per ring, each person once."""
    rows = (RoomPresence.objects.filter(room_id=room_id, seen_at__gte=presence_stale_before())
            .order_by("name", "actor_key").values("actor_key", "role", "name"))
    rings: dict[str, list[dict]] = {ring: [] for ring in dict.fromkeys(RING.values())}
    seen = set()
    for row in rows:
        if row["actor_key"] in seen:
            continue  # the same person on two devices
        seen.add(row["actor_key"])
        rings[RING.get(row["role"], "outside")].append(
            {"actor": row["actor_key"], "role": row["role"], "name": row["name"]})
    return rings


def format_summary(format_key: str) -> dict:
    """Return a format's phases with their labels and prompts, for clients."""
    fmt = format_get(format_key)
    return {"key": fmt.key, "label": str(fmt.label), "vote_budget": fmt.vote_budget,
            "phases": [{"key": p.key, "label": str(p.label), "prompt": str(p.prompt),
                        "timer": p.timer_seconds} for p in fmt.phases]}
