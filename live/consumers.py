"""The room socket: authenticate, resync, pass actions to the service, relay the room.

Protocol (JSON text frames). Every server message carries ``server_time`` (epoch
ms, taken when it is sent) so a client can keep its clock offset and show timers
without trusting its own clock.

client → server
    ``{"type": "hello", "last_seq": N}``   after connecting; ``N`` null for a snapshot
    ``{"type": "action", "action": "statement_add", "payload": {...}, "client_key": "..."}``
    ``{"type": "ping"}``
server → client
    ``welcome``  the room, its format and who you are (actor, role, ring)
    ``snapshot`` ``{"seq", "state"}``: your view of the state (first connect)
    ``events``   ``{"seq", "events": [...]}``: what you missed since ``last_seq``
    ``event``    ``{"event": {...}}``: one live event (``type: "hidden"`` for others' private ones)
    ``ack`` / ``refused``  ``{"client_key", "seq"}`` / ``{"client_key", "code", "reason"}``
    ``presence`` ``{"rings": {"inner": [...], ...}}``
    ``you``      your role changed (a facilitator handover)
    ``error``    ``{"code": "rate_limited" | "bad_message"}``; ``pong``

Close codes: 4003 not allowed in (before accept), 4001 session ended or role lost,
4008 too slow to keep up, 1009 message too large.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from live import selectors, services
from live.hub import hub_for
from live.state import ActionRefused

logger = logging.getLogger(__name__)


def _setting(name: str, default):
    return getattr(settings, name, default)


class TokenBucket:
    """Allow ``rate`` messages a second on average and ``burst`` at once."""

    def __init__(self, rate: float, burst: int, clock=time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens, self.last = float(burst), clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def _authenticate(scope, room_id: int):
    """Return (viewer or None, session key, the room's title and format key)."""
    from accounts.views import CUSTOMER_SESSION_KEY

    session = scope.get("session")
    access = session.get(CUSTOMER_SESSION_KEY) if session is not None else None
    viewer = selectors.viewer_for(room_id=room_id, user=scope.get("user"), customer_access=access)
    room = selectors.room_get(room_id=room_id)
    summary = {"title": room.title, "format": room.format} if room is not None else None
    return viewer, (session.session_key if session is not None else None), summary


def _act(viewer: selectors.Viewer, action, payload, client_key) -> int:
    from accounts.models import Membership
    from live.models import Room
    from org.models import Contact

    if viewer.membership_id is not None:
        actor = Membership.objects.select_related("user").get(pk=viewer.membership_id)
    else:
        actor = Contact.objects.select_related("customer").get(pk=viewer.contact_id)
    room = Room.objects.get(pk=viewer.room_id)
    if not isinstance(action, str):
        raise ActionRefused("invalid", "action must be a name")
    return services.event_append(room=room, actor=actor, type=action, payload=payload,
                                 client_key=client_key).seq


def _catch_up(viewer: selectors.Viewer, last_seq, presence: bool = False) -> dict:
    catch_up = _missed(viewer, last_seq)
    if presence:
        catch_up["presence"] = selectors.presence_of(room_id=viewer.room_id)
    return catch_up


def _missed(viewer: selectors.Viewer, last_seq) -> dict:
    room = selectors.room_get(room_id=viewer.room_id)
    if isinstance(last_seq, int) and not isinstance(last_seq, bool) and 0 <= last_seq <= room.last_seq:
        events = selectors.events_since(room=room, after_seq=last_seq, viewer=viewer.actor)
        return {"type": "events", "seq": events[-1]["seq"] if events else last_seq,
                "events": events}
    # A new client, or one that claims a future the server never had (a restored
    # database): start it over from the current state.
    return {"type": "snapshot", "seq": room.last_seq,
            "state": selectors.room_snapshot(room=room, viewer=viewer.actor)}


def _recheck(viewer: selectors.Viewer, session_key, channel_name: str):
    fresh = selectors.viewer_recheck(viewer=viewer, session_key=session_key)
    if fresh is not None:
        services.presence_touch(viewer=fresh, channel_name=channel_name)
    return fresh


class RoomConsumer(AsyncWebsocketConsumer):
    """One participant's socket in one room."""

    viewer: selectors.Viewer | None = None

    async def connect(self):
        self.room_id = int(self.scope["url_route"]["kwargs"]["room_id"])
        self.viewer, self.session_key, room = await database_sync_to_async(_authenticate)(
            self.scope, self.room_id)
        if self.viewer is None:
            await self.close(code=4003)
            return
        self.closed = False
        self.synced: int | None = None
        self.bucket = TokenBucket(_setting("LIVE_RATE_PER_SECOND", 10), _setting("LIVE_RATE_BURST", 20))
        self.inbox: asyncio.Queue = asyncio.Queue(maxsize=_setting("LIVE_OUTBOX_MAX", 2000))
        await self.accept()
        await self._send_json(self._welcome(room))
        self.hub = hub_for(self.channel_layer)
        await self.hub.join(self.room_id, self)
        self.tasks = [asyncio.create_task(self._pump()), asyncio.create_task(self._watch())]
        await database_sync_to_async(services.presence_join)(viewer=self.viewer,
                                                            channel_name=self.channel_name)

    async def disconnect(self, code):
        if self.viewer is None or not hasattr(self, "tasks"):
            return
        self.closed = True
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.hub.leave(self.room_id, self)
        await database_sync_to_async(services.presence_leave)(room_id=self.room_id,
                                                             channel_name=self.channel_name)

    # From the client ---------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None):
        size = len(text_data.encode("utf-8")) if text_data is not None else len(bytes_data or b"")
        if size > _setting("LIVE_MESSAGE_MAX_BYTES", 16 * 1024):
            await self._close(1009)
            return
        if not self.bucket.take():
            await self._send_json({"type": "error", "code": "rate_limited"})
            return
        try:
            message = json.loads(text_data or "")
        except ValueError:
            message = None
        if not isinstance(message, dict):
            await self._send_json({"type": "error", "code": "bad_message"})
            return
        kind = message.get("type")
        if kind == "hello":
            self._queue(("hello", message.get("last_seq")))
        elif kind == "action":
            await self._action(message)
        elif kind == "ping":
            await self._send_json({"type": "pong"})
        else:
            await self._send_json({"type": "error", "code": "bad_message"})

    async def _action(self, message: dict):
        client_key = message.get("client_key")
        try:
            seq = await database_sync_to_async(_act)(self.viewer, message.get("action"),
                                                     message.get("payload", {}), client_key)
        except ActionRefused as refusal:
            await self._send_json({"type": "refused", "client_key": client_key,
                                   "code": refusal.code, "reason": refusal.reason})
        else:
            await self._send_json({"type": "ack", "client_key": client_key, "seq": seq})

    # From the room -----------------------------------------------------------------------

    def push(self, message: dict) -> None:
        """Take a message from the room's feed without waiting (called by ``live.hub``)."""
        if message.get("type") == "room.event":
            self._queue(("event", message))
        elif message.get("type") == "room.presence":
            self._queue(("text", message["text"]))

    def _queue(self, item) -> None:
        if self.closed:
            return
        try:
            self.inbox.put_nowait(item)
        except asyncio.QueueFull:
            # Too slow to keep up: better to drop this socket than to slow the room.
            # The client reconnects and resyncs from its last sequence number.
            self.closed = True
            asyncio.get_running_loop().create_task(self._close(4008, force=True))

    async def _pump(self):
        """Send the room to the client in order: resyncs and live events, never interleaved."""
        waiting: list[dict] = []
        while True:
            kind, item = await self.inbox.get()
            if kind == "hello":
                await self._resync(item, presence=True)
                for message in waiting:
                    await self._deliver(message)
                waiting = []
            elif kind == "event":
                if self.synced is None:
                    waiting.append(item)
                else:
                    await self._deliver(item)
            elif kind == "text" and self.synced is not None:
                await self._send_text(item)

    async def _resync(self, last_seq, presence: bool = False):
        catch_up = await database_sync_to_async(_catch_up)(self.viewer, last_seq, presence)
        rings = catch_up.pop("presence", None)
        self.synced = catch_up["seq"]
        await self._send_json(catch_up)
        if rings is not None:  # presence sent before the hello was not forwarded
            await self._send_json({"type": "presence", "rings": rings})

    async def _deliver(self, message: dict):
        seq = message["seq"]
        if seq <= self.synced:
            return  # already sent by a resync
        if seq > self.synced + 1:
            # A gap: events reach a process in commit order only mostly (two commits'
            # after-commit sends race). The log has them all; send what is missing.
            await self._resync(self.synced)
            return
        self.synced = seq
        own = message["actor"] == self.viewer.actor
        await self._send_text(message["author"] if own else message["others"])

    async def _watch(self):
        """Close the socket within one interval after logout, deactivation or loss of role."""
        while True:
            await asyncio.sleep(_setting("LIVE_RECHECK_SECONDS", 5))
            fresh = await database_sync_to_async(_recheck)(self.viewer, self.session_key,
                                                          self.channel_name)
            if fresh is None:
                await self._close(4001)
                return
            if fresh != self.viewer:
                self.viewer = fresh
                await self._send_json({"type": "you", **self._you()})

    # Sending -----------------------------------------------------------------------------

    def _you(self) -> dict:
        v = self.viewer
        return {"actor": v.actor, "role": v.role, "ring": v.ring, "name": v.name}

    def _welcome(self, room: dict) -> dict:
        return {"type": "welcome", "room": self.room_id, "title": room["title"],
                "format": selectors.format_summary(room["format"]), "you": self._you()}

    async def _send_json(self, data: dict):
        await self._send_text(json.dumps(data, separators=(",", ":")))

    async def _send_text(self, text: str):
        if self.closed:
            return
        # Stamp the send time into the pre-serialised text without parsing it again.
        stamp = f'{{"server_time":{int(time.time() * 1000)},'
        await self.send(text_data=stamp + text[1:] if text != "{}" else stamp[:-1] + "}")

    async def _close(self, code: int, force: bool = False):
        if self.closed and not force:
            return
        self.closed = True
        await self.close(code=code)


