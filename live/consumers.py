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
    ``events``   ``{"seq", "events": [...]}``: consecutive events, up to ``seq``: what you
                 missed since ``last_seq``, or live events that came within moments of
                 each other (``live.hub`` coalesces them into one frame)
    ``event``    ``{"event": {...}}``: one live event (``type: "hidden"`` for others' private ones)
    ``ack`` / ``refused``  ``{"client_key", "seq"}`` / ``{"client_key", "code", "reason"}``;
                 an action's events may arrive before or after its answer
    ``presence`` ``{"rings": {"inner": [...], ...}}``
    ``you``      your role changed (a facilitator handover)
    ``error``    ``{"code": "rate_limited" | "bad_message"}``; ``pong``

Close codes: 4003 not allowed in (before accept), 4001 session ended or role lost,
4008 too slow to keep up, 1009 message too large, 1012 the channel layer (Redis) failed
or cannot be reached: reconnect and resync (the client says "connection lost,
reconnecting" and retries with back-off until the layer is back).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import json
import logging
import time
import uuid
import weakref

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import DatabaseError

from live import selectors, services
from live.hub import Batch, LayerLost, hub_for
from live.models import RoomEvent
from live.state import ActionRefused

logger = logging.getLogger(__name__)

CLOSE_LAYER_LOST = 1012  # "service restart": reconnect, resync from the last sequence number


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


def _act(room_id: int, items: list[tuple]) -> list:
    """Append the actions ``(viewer, action, payload, client_key)`` of one room's sockets.

    Return, per action, its sequence number or the ``ActionRefused``; an unexpected
    error of one action is returned as that action's result, not the others'.
    """
    from accounts.models import Membership
    from live.models import Room
    from org.models import Contact

    # Only what the role check reads (``selectors._member_role``): a batch's one query for
    # everyone's membership stays small.
    members = (Membership.objects.select_related("user")
               .only("organisation_id", "is_active", "role", "user_id", "user__is_active")
               .in_bulk({viewer.membership_id for viewer, *_ in items
                         if viewer.membership_id is not None}))
    contacts = Contact.objects.select_related("customer").in_bulk(
        {viewer.contact_id for viewer, *_ in items if viewer.contact_id is not None})
    results: list = [None] * len(items)
    actions, positions = [], []
    for i, (viewer, action, payload, client_key) in enumerate(items):
        actor = (members.get(viewer.membership_id) if viewer.membership_id is not None
                 else contacts.get(viewer.contact_id))
        if actor is None:
            results[i] = ActionRefused("not_participant", "you do not take part in this room")
        elif not isinstance(action, str):
            results[i] = ActionRefused("invalid", "action must be a name")
        else:
            actions.append((actor, action, payload, client_key))
            positions.append(i)
    # services.events_append locks and reads the room itself; it needs only its id here.
    room = Room(pk=room_id)
    try:
        appended = services.events_append(room=room, actions=actions)
    except Exception:
        if len(actions) <= 1:
            raise
        logger.exception("live: a batch of %s actions failed; appending them one by one", len(actions))
        appended = []
        for one in actions:
            try:
                appended.extend(services.events_append(room=room, actions=[one]))
            except Exception as exc:  # noqa: BLE001  (handed to that action's socket)
                appended.append(exc)
    for i, result in zip(positions, appended, strict=True):
        results[i] = result.seq if isinstance(result, RoomEvent) else result
    return results


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


def _recheck(room_id: int, sockets: list[tuple[selectors.Viewer, str | None, str]]):
    """Return each socket's viewer as they stand now (None: close it); touch their presence."""
    fresh = selectors.viewers_recheck(room_id=room_id,
                                      sockets=[(viewer, key) for viewer, key, _channel in sockets])
    services.presence_touch_many(room_id=room_id, sockets=[
        (viewer, channel) for viewer, (_v, _k, channel) in zip(fresh, sockets, strict=True)
        if viewer is not None])
    return fresh


class _Local:
    """This process's sockets of one room: their actions appended and their sessions
    re-checked together.

    Actions: a socket's action joins a queue that the database thread drains in batches
    (``services.events_append``, one transaction each): whatever queued up while one
    batch was being written goes in the next, so 500 votes within seconds cost a few
    dozen transactions, not 500, and a facilitator's statement never waits behind
    hundreds of single writes. With nothing queued an action goes alone, at once. The
    thread goes on to the next batch without waiting for the event loop (which may be
    busy writing the last batch's events to every socket) and hands each batch's
    answers back to the loop as it goes; after ``LIVE_WRITER_SLICE_SECONDS`` (0.25) it
    lets the thread's other work (joins, resyncs) have a turn.

    Re-checks: every ``LIVE_RECHECK_SECONDS`` (5) one task re-checks all the sockets in a
    fixed number of queries (``selectors.viewers_recheck``) instead of one task and a
    handful of queries per socket (500 sockets: 100 checks a second). A socket whose user
    logged out, was deactivated or lost their role is closed within one interval plus
    the time the check takes.
    """

    def __init__(self, room_id: int):
        self.room_id = room_id
        self.sockets: set[RoomConsumer] = set()
        # Appended to by the loop, taken from by the database thread (deque operations
        # are atomic).
        self.actions: collections.deque = collections.deque()
        self.writer: asyncio.Task | None = None
        self.appended = float("-inf")  # when the last batch started (monotonic)
        self.watch = asyncio.create_task(self._watch(), name=f"live-watch-{room_id}")

    def act(self, viewer: selectors.Viewer, action, payload, client_key) -> asyncio.Future:
        """Queue an action; the future gives its sequence number or its ``ActionRefused``."""
        future = asyncio.get_running_loop().create_future()
        self.actions.append((viewer, action, payload, client_key, future))
        if self.writer is None:
            self.writer = asyncio.create_task(self._write(), name=f"live-writer-{self.room_id}")
        return future

    async def _write(self):
        loop = asyncio.get_running_loop()
        try:
            while self.actions:
                try:
                    await database_sync_to_async(self._drain)(loop)
                except Exception as exc:  # noqa: BLE001  (the database is gone: answer everyone)
                    logger.exception("live: appending to room %s failed", self.room_id)
                    while self.actions:
                        _settle([self.actions.popleft()], [exc])
        finally:
            self.writer = None

    def _drain(self, loop: asyncio.AbstractEventLoop) -> None:
        """Append the queued actions batch by batch (in the database thread)."""
        size = _setting("LIVE_APPEND_BATCH", 100)
        interval = _setting("LIVE_APPEND_INTERVAL_SECONDS", 0.05)
        until = time.monotonic() + _setting("LIVE_WRITER_SLICE_SECONDS", 0.25)
        while time.monotonic() < until:
            # Group commit: at most one batch per interval, so that actions arriving in the
            # meantime share its transaction. Waiting here (rather than returning) also
            # keeps the thread's database connection for the next batch of a steady stream.
            pause = self.appended + interval - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            if not self.actions:
                return  # the stream paused
            self.appended = time.monotonic()
            batch = []
            while self.actions and len(batch) < size:
                batch.append(self.actions.popleft())
            try:
                results = _act(self.room_id, [item[:4] for item in batch])
            except Exception:
                for item in batch[::-1]:  # back to the front of the queue, for the loop to answer
                    self.actions.appendleft(item)
                raise
            loop.call_soon_threadsafe(_settle, batch, results, context=contextvars.Context())

    async def _watch(self):
        while True:
            await asyncio.sleep(_setting("LIVE_RECHECK_SECONDS", 5))
            sockets = [s for s in self.sockets if not s.closed]
            # In slices, so that appends in between do not wait for all of it.
            size = _setting("LIVE_RECHECK_BATCH", 100)
            for start in range(0, len(sockets), size):
                part = sockets[start:start + size]
                try:
                    fresh = await database_sync_to_async(_recheck)(
                        self.room_id, [(s.viewer, s.session_key, s.channel_name) for s in part])
                except Exception:  # a database hiccup: try again next time
                    logger.exception("live: re-check of room %s failed", self.room_id)
                    break
                for socket, viewer in zip(part, fresh, strict=True):
                    socket.rechecked(viewer)


def _settle(batch: list[tuple], results: list) -> None:
    for item, result in zip(batch, results, strict=True):
        if not item[4].done():
            item[4].set_result(result)


_locals: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _local_join(socket: RoomConsumer) -> _Local:
    per_loop = _locals.setdefault(asyncio.get_running_loop(), {})
    local = per_loop.get(socket.room_id)
    if local is None:
        local = per_loop[socket.room_id] = _Local(socket.room_id)
    local.sockets.add(socket)
    return local


def _local_leave(socket: RoomConsumer) -> None:
    per_loop = _locals.get(asyncio.get_running_loop(), {})
    local = per_loop.get(socket.room_id)
    if local is None:
        return
    local.sockets.discard(socket)
    if not local.sockets:
        del per_loop[socket.room_id]
        local.watch.cancel()  # a writer still running finishes its queue


class RoomConsumer(AsyncWebsocketConsumer):
    """One participant's socket in one room."""

    viewer: selectors.Viewer | None = None
    # No channel-layer channel per socket: the room reaches its sockets through ``live.hub``
    # (one channel per room and process). An alias with no layer behind it keeps Channels
    # from making one; with Redis, 250 sockets' idle receives would otherwise take turns
    # on the process's inbox with the feed's. ``channel_name`` is still unique per socket
    # (presence rows are keyed by it).
    channel_layer_alias = "live.sockets-have-no-channel"

    async def connect(self):
        self.room_id = int(self.scope["url_route"]["kwargs"]["room_id"])
        self.channel_name = f"live.socket.{uuid.uuid4().hex}"
        try:
            self.viewer, self.session_key, room = await database_sync_to_async(_authenticate)(
                self.scope, self.room_id)
        except DatabaseError:  # refused like any failed handshake: the client retries
            logger.warning("live: room %s: socket refused (database unreachable)", self.room_id)
            await self.close(code=1011)
            return
        if self.viewer is None:
            await self.close(code=4003)
            return
        self.closed = False
        self.synced: int | None = None
        self.bucket = TokenBucket(_setting("LIVE_RATE_PER_SECOND", 10), _setting("LIVE_RATE_BURST", 20))
        # What the pump is to send, in order; ``inbox_ready`` wakes it.
        self.inbox: collections.deque = collections.deque()
        self.inbox_max = _setting("LIVE_OUTBOX_MAX", 2000)
        self.inbox_ready = asyncio.Event()
        self.answers: set[asyncio.Task] = set()
        await self.accept()
        await self._send_json(self._welcome(room))
        self.hub = hub_for(get_channel_layer())
        try:
            await self.hub.join(self.room_id, self)
        except LayerLost:
            logger.warning("live: room %s: the channel layer is unreachable; socket closed",
                           self.room_id)
            await self._close(CLOSE_LAYER_LOST)
            return
        self.tasks = [asyncio.create_task(self._pump())]
        self.local = _local_join(self)
        try:
            await database_sync_to_async(services.presence_join)(viewer=self.viewer,
                                                                channel_name=self.channel_name)
        except DatabaseError:  # the socket works; unlisted in presence until it reconnects
            logger.warning("live: room %s: presence not recorded (database unreachable)", self.room_id)

    async def disconnect(self, code):
        if self.viewer is None or not hasattr(self, "tasks"):
            return
        self.closed = True
        _local_leave(self)
        for task in [*self.tasks, *self.answers]:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.hub.leave(self.room_id, self)
        try:
            await database_sync_to_async(services.presence_leave)(room_id=self.room_id,
                                                                 channel_name=self.channel_name)
        except DatabaseError:  # the row goes stale and drops out of the presence list
            logger.warning("live: room %s: presence not cleared (database unreachable)", self.room_id)

    async def dispatch(self, message):
        """Hand ``message`` to its handler, without Channels' trip to the database thread.

        Channels closes stale database connections before every message, through the
        worker's single database thread: each frame a client sends would wait behind
        whatever that thread is doing (a batch of 500 votes' worth of writes), and a
        facilitator posting fast would fall seconds behind. This consumer reaches the
        database only through ``database_sync_to_async``, which does the same check around
        each of its calls.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

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
        # Queue the action and read on: the answer follows when its batch is written. A
        # socket's actions are appended in the order they came, each checked against the
        # state its predecessors left, and answered in that order.
        client_key = message.get("client_key")
        result = self.local.act(self.viewer, message.get("action"), message.get("payload", {}),
                                client_key)
        answer = asyncio.create_task(self._answer(client_key, result))
        self.answers.add(answer)
        answer.add_done_callback(self.answers.discard)

    async def _answer(self, client_key, future: asyncio.Future):
        result = await future
        if isinstance(result, ActionRefused):
            await self._send_json({"type": "refused", "client_key": client_key,
                                   "code": result.code, "reason": result.reason})
        elif isinstance(result, BaseException):
            logger.error("live: an action failed in room %s", self.room_id, exc_info=result)
            await self._close(1011)
        else:
            await self._send_json({"type": "ack", "client_key": client_key, "seq": result})

    # From the room -----------------------------------------------------------------------

    def push(self, batch: Batch) -> None:
        """Take a batch of events from the room's feed without waiting (called by ``live.hub``)."""
        self._queue(("batch", batch))

    def push_text(self, text: str) -> None:
        """Take a presence message from the room's feed without waiting."""
        self._queue(("text", text))

    def _queue(self, item) -> None:
        if self.closed:
            return
        if len(self.inbox) >= self.inbox_max:
            # Too slow to keep up: better to drop this socket than to slow the room.
            # The client reconnects and resyncs from its last sequence number.
            self.closed = True
            asyncio.get_running_loop().create_task(self._close(4008, force=True))
            return
        self.inbox.append(item)
        self.inbox_ready.set()

    async def _pump(self):
        """Send the room to the client in order: resyncs and live events, never interleaved."""
        waiting: list[dict] = []
        while True:
            while not self.inbox:
                self.inbox_ready.clear()
                await self.inbox_ready.wait()
            kind, item = self.inbox.popleft()
            if kind == "hello":
                await self._resync(item, presence=True)
                for message in waiting:
                    await self._deliver(message)
                waiting = []
            elif kind == "batch":
                if self.synced is None:
                    waiting.extend(item.messages)
                else:
                    await self._deliver_batch(self._more(item))
            elif kind == "text" and self.synced is not None:
                await self._send_text(item)
            elif kind == "you":
                await self._send_json({"type": "you", **self._you()})

    def _more(self, batch: Batch) -> Batch:
        """Join the batches queued behind ``batch`` to it: a socket that fell behind catches
        up in one frame instead of one per batch."""
        parts = [batch]
        while self.inbox and self.inbox[0][0] == "batch":
            parts.append(self.inbox.popleft()[1])
        return parts[0] if len(parts) == 1 else Batch.join(parts)

    async def _resync(self, last_seq, presence: bool = False):
        catch_up = await database_sync_to_async(_catch_up)(self.viewer, last_seq, presence)
        rings = catch_up.pop("presence", None)
        self.synced = catch_up["seq"]
        await self._send_json(catch_up)
        if rings is not None:  # presence sent before the hello was not forwarded
            await self._send_json({"type": "presence", "rings": rings})

    async def _deliver_batch(self, batch: Batch):
        if (batch.shared is not None and batch.first == self.synced + 1
                and self.viewer.actor not in batch.authors):
            self.synced = batch.last  # in step: the frame written once for everyone
            await self._send_text(batch.shared)
            return
        for message in batch.messages:
            await self._deliver(message)

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

    def layer_lost(self) -> None:
        """The room's feed lost the channel layer: close, for the client to reconnect."""
        if not self.closed:
            asyncio.get_running_loop().create_task(self._close(CLOSE_LAYER_LOST))

    def rechecked(self, fresh: selectors.Viewer | None) -> None:
        """Take the result of a re-check (``_Watch``): close, or tell a changed role."""
        if self.closed:
            return
        if fresh is None:
            asyncio.get_running_loop().create_task(self._close(4001))
        elif fresh != self.viewer:
            self.viewer = fresh
            self._queue(("you", None))

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
        # Straight to the ASGI send (what ``self.send(text_data=...)`` ends in): this runs
        # once per socket and batch, thousands of times a second in a full room.
        await self.base_send({"type": "websocket.send",
                              "text": stamp + text[1:] if text != "{}" else stamp[:-1] + "}"})

    async def _close(self, code: int, force: bool = False):
        if self.closed and not force:
            return
        self.closed = True
        await self.close(code=code)


