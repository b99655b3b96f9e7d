"""Per-process fan-out: one channel-layer channel per room, written to local sockets.

A ``group_send`` per socket does not scale past a few hundred sockets (measured:
300 sockets at 20 messages/s gave a p95 of seconds). So sockets do not join the
room's group themselves: the first socket of a room in this process starts a
``_Feed`` that joins the group with a single channel and hands every message to
the process's sockets of that room. A message is serialised once, by the service
that sends it; a feed only passes the text along.

A socket's ``push`` must not block (it queues and returns), so one slow client can
not hold up the feed for the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref

logger = logging.getLogger(__name__)


def group_name(room_id: int) -> str:
    return f"live.room.{room_id}"


class _Feed:
    def __init__(self, layer, room_id: int):
        self.layer = layer
        self.room_id = room_id
        self.sockets: set = set()
        self.channel: str | None = None
        self.task: asyncio.Task | None = None
        self.ready = asyncio.Event()

    async def start(self) -> None:
        try:
            self.channel = await self.layer.new_channel()
            await self.layer.group_add(group_name(self.room_id), self.channel)
            self.task = asyncio.create_task(self._run(), name=f"live-feed-{self.room_id}")
        finally:
            self.ready.set()

    async def _run(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:  # a layer hiccup (Redis restart): log, wait, carry on
                logger.exception("live: feed of room %s could not receive", self.room_id)
                await asyncio.sleep(1)
                continue
            for socket in list(self.sockets):
                socket.push(message)

    async def stop(self) -> None:
        await self.ready.wait()
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
        """Deliver the room's messages to ``socket.push`` from now on."""
        feed = self.feeds.get(room_id)
        if feed is None:
            feed = self.feeds[room_id] = _Feed(self.layer, room_id)
            feed.sockets.add(socket)
            await feed.start()
        else:
            feed.sockets.add(socket)
            # Return only once the feed is subscribed: a resync after this point can not
            # miss an event committed in between.
            await feed.ready.wait()

    async def leave(self, room_id: int, socket) -> None:
        feed = self.feeds.get(room_id)
        if feed is None:
            return
        feed.sockets.discard(socket)
        if not feed.sockets:
            del self.feeds[room_id]
            await feed.stop()


_hubs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def hub_for(layer) -> Hub:
    """Return this event loop's hub for ``layer``."""
    per_loop = _hubs.setdefault(asyncio.get_running_loop(), {})
    hub = per_loop.get(id(layer))
    if hub is None or hub.layer is not layer:
        hub = per_loop[id(layer)] = Hub(layer)
    return hub
