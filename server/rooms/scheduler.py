"""Moving scheduled meetings `closed → lobby → open → closed` on time.

Every process runs the same tick; a transition is claimed in the shared store, so
exactly one process performs it. A transition is claimed even when nothing needs
doing, so a facilitator's manual open or close is never undone by the clock.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from server.config.settings import RoomConfig
from server.models.errors import StoreUnavailable
from server.rooms.core import RoomCore
from server.rooms.meetings import Meetings
from server.rooms.schedule import Status, current_or_next, occurrences, status_at

log = logging.getLogger(__name__)

TICK_S = 0.5
_CLAIM_TTL_S = 2 * 86400


class Scheduler:
    def __init__(self, core: RoomCore, meetings: Meetings) -> None:
        self.core = core
        self.meetings = meetings
        self.started_at = core.clock()

    async def tick(self) -> None:
        """Apply any transition that is due, and end shares whose time is up."""
        for room in self.core.catalog.rooms:
            try:
                if room.kind == "meeting" and room.weekly:
                    await self._transition(room)
                if room.kind == "meeting":
                    await self.meetings.end_share(room, only_if_due=True)
            except StoreUnavailable:
                return

    def _boundary(self, room: RoomConfig, now: float, status: Status) -> float | None:
        """When the transition into `status` that is in force now happened."""
        if status in ("lobby", "open"):
            occurrence = current_or_next(room, now)
            if occurrence is None:
                return None
            moment = occurrence.doors_at if status == "lobby" else occurrence.starts_at
            return moment.timestamp()
        moment = datetime.fromtimestamp(now, UTC)
        ended = [o.ends_at for o in occurrences(room, moment - timedelta(days=8), moment)
                 if o.ends_at.timestamp() <= now]
        return max(ended).timestamp() if ended else None

    async def _transition(self, room: RoomConfig) -> None:
        core = self.core
        now = core.clock()
        status = status_at(room, now)
        boundary = self._boundary(room, now, status)
        if boundary is None:
            return
        # A close that happened before this process started is not ours to replay:
        # a meeting opened by hand (or the demo's) stays open.
        if status == "closed" and boundary < self.started_at:
            return
        if not await core.store.claim(f"transition:{room.id}:{int(boundary)}:{status}",
                                      _CLAIM_TTL_S):
            return
        runtime = await core.runtime(room)
        if runtime.status == status or (status == "lobby" and runtime.status == "open"):
            return  # already there, or opened early by hand
        log.info("schedule: a meeting moves to %s", status)
        await core.record(room.id, actor="schedule", action=status)
        if status == "lobby":
            await self.meetings.doors_open(room)
        elif status == "open":
            await self.meetings.open(room)
        else:
            await self.meetings.close(room)
