"""Per-process fan-out: one channel-layer channel per room, written to local sockets in batches.

A ``group_send`` per socket does not scale past a few hundred sockets (measured:
300 sockets at 20 messages/s gave a p95 of seconds). So sockets do not join the
room's group themselves: the first socket of a room in this process starts a
``_Feed`` that joins the group with a single channel and hands every message to
the process's sockets of that room. A message is serialised once, by the service
that sends it; a feed only passes the text along.

Nor does one frame per event and socket scale: 500 sockets with 20 statements and
50 votes a second are 35,000 frames a second; even a bare ``websockets`` server
falls seconds behind on two cores (``bench/live_bench.py``). So a feed coalesces:
it hands its sockets the events that arrived within a short window of each other as
one ``Batch``, written once into a single ``events`` frame (a lone event stays an
``event`` frame), and a socket that fell behind joins the batches queued for it into
one frame. The first event after a quiet spell goes out at once; a burst waits at
most the window, which grows with the number of local sockets (``_Feed.window``:
0.1 s for 500). Vote tallies and every other event are coalesced alike. Presence is
coalesced too, the latest list winning, at most once per
``LIVE_PRESENCE_COALESCE_SECONDS`` (1 s): a join storm of 500 sockets would
otherwise send each of them 500 lists of up to 500 people.

A batch is in sequence order. Events reach a process in commit order only mostly
(two workers' after-commit sends race), so a feed holds back what follows a missing
sequence number for up to ``LIVE_REORDER_SECONDS`` (50 ms), then reads the missing
events from the log itself (in a thread of its own, not behind the worker's writes):
once for all its sockets, which stay in step, instead of every socket resyncing on
its own (250 sockets each folding the log at once was a measured collapse).

A socket's ``push`` must not block (it queues and returns), so one slow client can
not hold up the feed for the others.

When the channel layer fails (Redis stopped or restarted: the feed's subscription is
gone with it), a feed hands on nothing more: it tells each of its sockets
(``socket.layer_lost()``, which closes it for the client to reconnect and resync from
its last sequence number) and leaves the hub, so that the next socket to join starts a
fresh feed with a fresh subscription. A join while the layer is down raises
``LayerLost``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import json
import logging
import threading
import uuid
import weakref

from django.conf import settings

logger = logging.getLogger(__name__)

# ``live.services`` serialises an event for the clients as this prefix, the event, "}".
ENVELOPE_PREFIX = '{"type":"event","event":'


class LayerLost(Exception):
    """The channel layer cannot be reached: the room's events would not arrive."""


def group_name(room_id: int) -> str:
    return f"live.room.{room_id}"


def _setting(name: str, default: float) -> float:
    return getattr(settings, name, default)


def _event_text(envelope: str) -> str:
    """Return the event's JSON inside an ``event`` envelope, without parsing it if possible."""
    if envelope.startswith(ENVELOPE_PREFIX) and envelope.endswith("}"):
        return envelope[len(ENVELOPE_PREFIX):-1]
    return json.dumps(json.loads(envelope)["event"], separators=(",", ":"))


class Batch:
    """Consecutive events of one room, as ``room.event`` messages in sequence order.

    ``shared`` is the frame for every socket that is in step (its last sequence number
    is ``first - 1``) and is not in ``authors``, the actors who receive some event of
    the batch differently (their own private note). Everyone else takes ``messages``
    one by one. ``shared`` is None when the sequence numbers are not consecutive.
    """

    __slots__ = ("authors", "first", "last", "messages", "shared", "texts")

    def __init__(self, messages: list[dict], texts: list[str] | None = None):
        self.messages = messages
        self.first, self.last = messages[0]["seq"], messages[-1]["seq"]
        self.authors = frozenset(m["actor"] for m in messages if m["author"] != m["others"])
        self.texts = texts
        if self.last - self.first + 1 != len(messages) or len({m["seq"] for m in messages}) != len(messages):
            self.shared = None
        elif len(messages) == 1:
            self.shared = messages[0]["others"]
        else:
            self.shared = (f'{{"type":"events","seq":{self.last},"events":['
                           + ",".join(self.event_texts()) + "]}")

    def event_texts(self) -> list[str]:
        """The events as others receive them, serialised (each taken out of its envelope)."""
        if self.texts is None:
            self.texts = [_event_text(m["others"]) for m in self.messages]
        return self.texts

    @classmethod
    def join(cls, batches: list[Batch]) -> Batch:
        """One batch of several queued ones, without serialising anything again."""
        return cls([m for b in batches for m in b.messages],
                   [t for b in batches for t in b.event_texts()])


class _Feed:
    def __init__(self, layer, room_id: int, on_lost=None):
        self.layer = layer
        self.room_id = room_id
        self.on_lost = on_lost  # called with the feed when the layer fails
        self.failed = False
        self.sockets: set = set()
        self.channel: str | None = None
        self.task: asyncio.Task | None = None
        self.ready = asyncio.Event()
        self.loop = asyncio.get_running_loop()
        self.pending: dict[int, dict] = {}
        self.last_seq: int | None = None  # the last sequence number handed to the sockets
        self.gap_since: float | None = None
        self.filling = False
        self.filled_upto = 0
        self.flush_at: asyncio.TimerHandle | None = None
        self.flushed = float("-inf")
        self.presence: str | None = None
        self.presence_text: str | None = None  # the last list handed on
        self.presence_at: asyncio.TimerHandle | None = None
        self.presence_sent = float("-inf")

    async def start(self) -> None:
        try:
            # A channel of its own rather than a process-local one (``new_channel``): with
            # Redis, a process-local channel's messages are read one at a time by whichever
            # of the process's receivers holds a lock, a few loop passes each.
            self.channel = f"live.feed.{self.room_id}.{uuid.uuid4().hex}"
            await self.layer.group_add(group_name(self.room_id), self.channel)
            self.task = asyncio.create_task(self._run(), name=f"live-feed-{self.room_id}")
            # Start at the log's head as it is now that the feed is subscribed: everything
            # after it comes through the group (the sockets resync up to there themselves),
            # so that the first event to arrive, from another worker perhaps out of
            # order, is not taken for the first.
            from channels.db import database_sync_to_async

            from live import selectors

            head = await database_sync_to_async(selectors.room_last_seq)(room_id=self.room_id)
            self.last_seq = head if self.last_seq is None else self.last_seq
            for seq in [s for s in self.pending if s <= self.last_seq]:
                del self.pending[seq]
        except BaseException:
            self.failed = True
            if self.task is not None:
                self.task.cancel()
            raise
        finally:
            self.ready.set()
            if self.pending:
                self._schedule(self.loop.time())

    async def _run(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001  (Redis stopped or restarted)
                # The subscription may be gone with it, and whatever was sent meanwhile is:
                # the sockets reconnect and resync from the log, which has every event.
                logger.warning("live: feed of room %s lost the channel layer (%r); its %s "
                               "socket(s) reconnect", self.room_id, error, len(self.sockets))
                self._lose()
                return
            try:
                self.take(message)
            except Exception:
                logger.exception("live: feed of room %s could not take a message", self.room_id)

    # Coalescing ---------------------------------------------------------------------------

    def take(self, message: dict) -> None:
        kind = message.get("type")
        if kind in ("room.event", "room.events"):
            for event in message["events"] if kind == "room.events" else [message]:
                # One already handed on (or given up on, the sockets resyncing) is dropped.
                if self.last_seq is None or event["seq"] > self.last_seq:
                    self.pending[event["seq"]] = event
            self._schedule(self.flushed + self.window())
        elif kind == "room.presence":
            if self.presence is None and message["text"] == self.presence_text:
                return  # the copy of one already handed on
            self.presence = message["text"]
            if self.presence_at is None:
                when = self.presence_sent + _setting("LIVE_PRESENCE_COALESCE_SECONDS", 1.0)
                self.presence_at = self._at(when, self._flush_presence)

    def window(self) -> float:
        """How long a burst of events waits to go out together: a flush costs about
        ``LIVE_COALESCE_PER_SOCKET`` (0.2 ms) per local socket, so a room of 500 sockets
        flushes at most every 0.1 s (``LIVE_COALESCE_SECONDS``), a room of 10 at once."""
        return min(_setting("LIVE_COALESCE_SECONDS", 0.1),
                   _setting("LIVE_COALESCE_PER_SOCKET", 0.0002) * len(self.sockets))

    def _at(self, when: float, callback) -> asyncio.Handle:
        if when <= self.loop.time():
            return self.loop.call_soon(callback)  # the rest of this loop pass joins the batch
        return self.loop.call_at(when, callback)

    def _schedule(self, when: float) -> None:
        if self.flush_at is None:
            self.flush_at = self._at(when, self._flush)

    def _flush(self) -> None:
        self.flush_at = None
        if not self.pending or not self.ready.is_set():
            return  # (``start`` flushes what came in meanwhile)
        now = self.loop.time()
        seqs = sorted(self.pending)
        late = [s for s in seqs if self.last_seq is not None and s <= self.last_seq]
        expected = seqs[len(late)] if self.last_seq is None else self.last_seq + 1
        ready = late[:]
        for seq in seqs[len(late):]:
            if seq != expected:
                break
            ready.append(seq)
            expected += 1
        if len(ready) < len(seqs):  # a sequence number is missing: wait a little for it
            if self.gap_since is None:
                self.gap_since = now
            wait_until = self.gap_since + _setting("LIVE_REORDER_SECONDS", 0.05)
            if expected <= self.filled_upto:
                # Not even in the log (a fill failed): the sockets resync over the gap.
                ready, self.gap_since = seqs, None
            elif now < wait_until:
                self._schedule(wait_until)
            elif not self.filling:
                # Still missing: read it from the log, once for all this process's sockets.
                self.filling = True
                self.loop.create_task(self._fill(expected - 1, seqs[-1]))
        else:
            self.gap_since = None
        if not ready:
            return
        self.flushed = now
        if late:  # an event that lost the race; the sockets skip what they already have
            self._deliver(Batch([self.pending.pop(s) for s in late]))
            ready = ready[len(late):]
            if not ready:
                return
        self.last_seq = max(ready[-1], self.last_seq or 0)
        self._deliver(Batch([self.pending.pop(s) for s in ready]))

    async def _fill(self, after_seq: int, upto_seq: int) -> None:
        from channels.db import database_sync_to_async

        from live import selectors

        try:
            # A read, in a thread of its own: not queued behind the worker's writes.
            messages = await database_sync_to_async(selectors.event_messages, thread_sensitive=False)(
                room_id=self.room_id, after_seq=after_seq, upto_seq=upto_seq)
        except Exception:
            logger.exception("live: feed of room %s could not read the log", self.room_id)
            messages = []
        self.filling, self.gap_since = False, None
        self.filled_upto = max(self.filled_upto, upto_seq)
        for message in messages:
            if self.last_seq is None or message["seq"] > self.last_seq:
                self.pending.setdefault(message["seq"], message)
        self._flush()

    def _deliver(self, batch: Batch) -> None:
        for socket in list(self.sockets):
            socket.push(batch)

    def _flush_presence(self) -> None:
        self.presence_at = None
        text, self.presence = self.presence, None
        if text is None:
            return
        self.presence_text = text
        self.presence_sent = self.loop.time()
        for socket in list(self.sockets):
            socket.push_text(text)

    def _lose(self) -> None:
        self.failed = True
        for handle in (self.flush_at, self.presence_at):
            if handle is not None:
                handle.cancel()
        if self.on_lost is not None:
            self.on_lost(self)
        sockets, self.sockets = list(self.sockets), set()
        for socket in sockets:
            socket.layer_lost()
        self.loop.create_task(self._unsubscribe())

    async def _unsubscribe(self) -> None:
        # Best effort: if the layer came back with the subscription, end it.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.layer.group_discard(group_name(self.room_id), self.channel), 5)

    async def stop(self) -> None:
        await self.ready.wait()
        for handle in (self.flush_at, self.presence_at):
            if handle is not None:
                handle.cancel()
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task
        if self.channel is not None:
            with contextlib.suppress(Exception):
                await self.layer.group_discard(group_name(self.room_id), self.channel)


class Hub:
    """The feeds of one event loop and one channel layer."""

    def __init__(self, layer):
        self.layer = layer
        self.feeds: dict[int, _Feed] = {}

    async def join(self, room_id: int, socket) -> None:
        """Deliver the room's batches to ``socket.push`` and presence to ``socket.push_text``."""
        feed = self.feeds.get(room_id)
        if feed is None:
            feed = self.feeds[room_id] = _Feed(self.layer, room_id, on_lost=self._lost)
            feed.sockets.add(socket)
            try:
                await feed.start()
            except Exception as error:
                self._lost(feed)
                raise LayerLost(f"room {room_id}: {error!r}") from error
        else:
            feed.sockets.add(socket)
            # Return only once the feed is subscribed: a resync after this point can not
            # miss an event committed in between.
            await feed.ready.wait()
            if feed.failed:
                feed.sockets.discard(socket)
                raise LayerLost(f"room {room_id}: the channel layer failed")

    def _lost(self, feed: _Feed) -> None:
        """Forget a feed whose layer failed (the next join starts a new one)."""
        if self.feeds.get(feed.room_id) is feed:
            del self.feeds[feed.room_id]

    async def leave(self, room_id: int, socket) -> None:
        feed = self.feeds.get(room_id)
        if feed is None or socket not in feed.sockets:
            return
        feed.sockets.discard(socket)
        if not feed.sockets:
            del self.feeds[room_id]
            await feed.stop()


class _Outbox:
    """Messages for the room groups handed over by other threads, sent by one task of the loop.

    A database thread hands each commit's events to its worker's loop here and goes on
    with the next write. The loop gives them at once to its own feeds of the room (which
    drop the copy that comes back through the channel layer) and one task sends them to
    the group for the other workers, a few at a time and in the order they came: a send
    per event and task, hundreds at once, took a Redis connection each and ran the pool
    dry.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.messages: collections.deque = collections.deque()
        self.sending = False

    def put(self, room_id: int, message: dict) -> None:
        """Queue ``message`` for the room's group (from any thread)."""
        # In a context of its own: the caller's (a database thread's) would make a
        # database call of a task started from here look nested in that thread.
        self.loop.call_soon_threadsafe(self._arrived, room_id, message, context=contextvars.Context())

    def _arrived(self, room_id: int, message: dict) -> None:
        for hub in list(_hubs.get(self.loop, {}).values()):
            feed = hub.feeds.get(room_id)
            if feed is not None:
                feed.take(message)
        self.messages.append((group_name(room_id), message))
        if not self.sending:
            self.sending = True
            self.loop.create_task(self._run())

    async def _run(self) -> None:
        from channels.layers import get_channel_layer

        try:
            while self.messages:
                # A few at a time: a group send takes a loop pass or two even in memory.
                sends = [self.messages.popleft() for _ in range(min(len(self.messages), 8))]
                layer = get_channel_layer()
                results = await asyncio.gather(*(layer.group_send(group, message)
                                                 for group, message in sends),
                                               return_exceptions=True)
                for (group, _message), result in zip(sends, results, strict=True):
                    if isinstance(result, Exception):  # stored: clients catch up on the next
                        logger.error("live: broadcast to %s failed", group, exc_info=result)
        finally:
            self.sending = False


_outboxes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_outboxes_lock = threading.Lock()


def outbox_for(loop: asyncio.AbstractEventLoop) -> _Outbox:
    """Return ``loop``'s outbox (callable from any thread)."""
    with _outboxes_lock:
        outbox = _outboxes.get(loop)
        if outbox is None:
            outbox = _outboxes[loop] = _Outbox(loop)
        return outbox


_hubs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def hub_for(layer) -> Hub:
    """Return this event loop's hub for ``layer``."""
    per_loop = _hubs.setdefault(asyncio.get_running_loop(), {})
    hub = per_loop.get(id(layer))
    if hub is None or hub.layer is not layer:
        hub = per_loop[id(layer)] = Hub(layer)
    return hub
