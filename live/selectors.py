"""Reads for live rooms: who may be in a room in which role, what they missed, who is here."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from accounts.models import MagicLink, MagicLinkPurpose, Membership, Role
from live import state as room_state
from live.formats import RING, RoomRole, format_get
from live.models import Room, RoomEvent, RoomParticipant, RoomPresence

# Customers reach a room through a magic link issued for a live purpose.
LIVE_PURPOSES = frozenset({MagicLinkPurpose.ARENA, MagicLinkPurpose.DELEGATE})
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


def room_role(*, room: Room, membership: Membership | None = None, contact=None) -> str | None:
    """Return the role ``membership`` or ``contact`` has in ``room`` now, or None."""
    if membership is not None:
        if (membership.organisation_id != room.organisation_id or not membership.is_active
                or not membership.user.is_active):
            return None
        if room.facilitator_id == membership.pk:
            return RoomRole.FACILITATOR
        listed = (RoomParticipant.objects.filter(room=room, membership=membership)
                  .values_list("role", flat=True).first())
        if listed:
            return listed
        return RoomRole.OBSERVER if membership.role in WATCHING_ROLES else None
    if contact is not None:
        if contact.customer.organisation_id != room.organisation_id:
            return None
        listed = RoomParticipant.objects.filter(room=room, contact=contact).exists()
        return RoomRole.CUSTOMER if listed else None
    return None


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

    if access.get("purpose") not in LIVE_PURPOSES or access.get("organisation") != room.organisation_id:
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
    from importlib import import_module

    from accounts.views import CUSTOMER_SESSION_KEY

    if not session_key:
        return None
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
    data = store.load()
    room = room_get(room_id=viewer.room_id)
    if room is None:
        return None
    if viewer.user_id is not None:
        from accounts.models import User

        user = User.objects.filter(pk=viewer.user_id, is_active=True).first()
        if user is None or str(data.get(SESSION_KEY)) != str(user.pk):
            return None
        session_hash = data.get(HASH_SESSION_KEY)
        if not session_hash or not constant_time_compare(session_hash, user.get_session_auth_hash()):
            return None
        fresh = _staff_viewer(room, user)
    else:
        access = data.get(CUSTOMER_SESSION_KEY)
        if not access or access.get("contact") != viewer.contact_id:
            return None
        fresh = _customer_viewer(room, access)
    if fresh is None or fresh.actor != viewer.actor:
        return None
    return replace(viewer, role=fresh.role, name=fresh.name)


def events_since(*, room: Room, after_seq: int, viewer: str | None) -> list[dict]:
    """Return the events after ``after_seq`` as ``viewer`` receives them, oldest first.

    The log is folded from the start because a redacted event can depend on the
    state before it (a phase that reveals prepared questions carries them).
    """
    state = room_state.initial()
    missed = []
    for event in (e.as_event() for e in RoomEvent.objects.filter(room=room).order_by("seq")
                  .iterator(chunk_size=2000)):
        if event["seq"] > after_seq:
            missed.append(room_state.redact(event, state, viewer))
        state = room_state.apply(state, event)
    return missed


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
