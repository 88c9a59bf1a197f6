"""Presence changes of a room, coalesced in a join storm.

The first change in a quiet room goes out at once as `presence` (no added latency).
It opens a window of `WINDOW_S`; changes during the window wait for its end. Fewer
than `BATCH_FROM` of them go out as they always did, one `presence` each, in order;
a storm goes out as one `presence_batch {room, joined: [member], left: [member_id],
count}`. So the few changes of an ordinary meeting look exactly as before, and 500
joins are a handful of events, each with one member count read. A window that ended
with changes opens the next one. `count` is the count when the window's events go out.

Within a batch each member appears once, as their last change: joined (with their
latest record, e.g. after a promotion) or left. A client applies `left`, then `joined`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from server.models.envelope import Envelope
from server.models.errors import StoreUnavailable
from server.models.stopping import stop_tasks

log = logging.getLogger(__name__)

WINDOW_S = 0.1
BATCH_FROM = 5

Publish = Callable[[Envelope], Awaitable[None]]
Count = Callable[[str], Awaitable[int]]
Later = Callable[[float, Callable[[], None]], object]


class PresenceBatcher:
    def __init__(self, publish: Publish, count: Count, *, window_s: float = WINDOW_S,
                 call_later: Later | None = None) -> None:
        self._publish = publish
        self._count = count
        self.window_s = window_s
        # How a window's end is scheduled (tests pass their own to end it by hand).
        self.call_later = call_later
        # Rooms with an open window, and the changes waiting in it in order: (member id,
        # wire form) for a join, (member id, None) for a leave. Bounded by configured
        # rooms × the changes one window can see (joins are limited per device).
        self._pending: dict[str, list[tuple[str, dict[str, Any] | None]]] = {}
        self._timers: dict[str, object] = {}  # room → its window's end
        self._flushing: set[asyncio.Task[None]] = set()

    async def change(self, room_id: str, *, joined: dict[str, Any] | None = None,
                     left: str | None = None) -> None:
        pending = self._pending.get(room_id)
        if pending is None:
            self._pending[room_id] = []
            self._schedule(room_id)
            change: dict[str, Any] = {"joined": joined} if joined is not None else {"left": left}
            await self._send(room_id, "presence", change)
            return
        member_id = joined["id"] if joined is not None else left
        assert member_id is not None
        pending.append((member_id, joined))

    async def close(self) -> None:
        await stop_tasks(list(self._flushing))
        for timer in self._timers.values():
            cancel = getattr(timer, "cancel", None)
            if cancel is not None:
                cancel()
        self._timers.clear()
        self._pending.clear()

    def _schedule(self, room_id: str) -> None:
        later = self.call_later or asyncio.get_running_loop().call_later
        self._timers[room_id] = later(self.window_s, lambda: self._start_flush(room_id))

    def _start_flush(self, room_id: str) -> None:
        self._timers.pop(room_id, None)
        task = asyncio.create_task(self.flush(room_id))
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)

    async def flush(self, room_id: str) -> None:
        """End the room's window now: send what waits in it (the timer calls this)."""
        changes = self._pending.pop(room_id, None)
        if not changes:
            return  # a quiet window: the room's next change goes out at once
        self._pending[room_id] = []
        self._schedule(room_id)
        try:
            if len(changes) < BATCH_FROM:
                count = await self._count(room_id)
                for member_id, joined in changes:
                    one = {"joined": joined} if joined is not None else {"left": member_id}
                    await self._send(room_id, "presence", one, count)
                return
            last = dict(changes)  # each member once, as their last change
            await self._send(room_id, "presence_batch", {
                "joined": [m for m in last.values() if m is not None],
                "left": [i for i, m in last.items() if m is None]})
        except StoreUnavailable:
            # Members see the room again on their next join answer or presence.
            log.warning("presence for a room not sent: shared store unavailable")

    async def _send(self, room_id: str, event: str, change: dict[str, Any],
                    count: int | None = None) -> None:
        if count is None:
            count = await self._count(room_id)
        await self._publish(Envelope(room_id, event, {"room": room_id, **change,
                                                      "count": count}))
