"""This process's copy of the bans in force, so a join needs no database read.

Bans are records (SQLite or PostgreSQL). Reading them for every join cost ~1.3 ms of
CPU (a query through aiosqlite's thread), the largest part of a join. The copy is
trusted only while the store's bans marker is the one it was read under: a ban or an
unban commits its record first and then changes the marker, so any join anywhere that
starts after the ban's answer reads a new marker and reloads. A marker lost with the
store (Redis restarted empty) is made anew, and every process reloads too.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable

from server.models.live import Ban
from server.records.base import Records
from server.store.base import Store

# A backstop, not the mechanism: even if a marker change were lost (Redis unreachable
# between a ban's record and its marker), no copy is older than this.
MAX_AGE_S = 30.0


class BanList:
    def __init__(self, records: Records, store: Store,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._records = records
        self._store = store
        self._monotonic = monotonic
        self._marker: str | None = None
        self._read_at = 0.0
        # Configured rooms read so far: each room's read, shared by the joins that wait on it.
        self._by_room: dict[str, asyncio.Future[list[Ban]]] = {}

    async def banned(self, room_id: str, device_hash: str, now: float) -> bool:
        """Whether a ban in force (the room's own or site-wide) covers the device."""
        marker = await self._store.bans_marker()
        if marker != self._marker or self._monotonic() - self._read_at > MAX_AGE_S:
            self._by_room = {}
            self._marker = marker
            self._read_at = self._monotonic()
        # The copy this read belongs to: if the marker moves while the records are read,
        # what was read goes into the old copy, never into the one trusted under the
        # new marker. One read per room and copy, however many join at once.
        copy = self._by_room
        reading = copy.get(room_id)
        if reading is None:
            reading = copy[room_id] = asyncio.ensure_future(self._records.bans(room_id, now))
            reading.add_done_callback(functools.partial(_drop_if_failed, copy, room_id))
        # Shielded: one join giving up (its connection went) does not cancel the others' read.
        bans = await asyncio.shield(reading)
        return any(ban.device_hash == device_hash and ban.active(now) for ban in bans)

    async def add(self, ban: Ban, now: float) -> None:
        await self._records.add_ban(ban, now)
        await self._store.bans_changed()

    async def remove(self, ban_id: str) -> Ban | None:
        removed = await self._records.remove_ban(ban_id)
        await self._store.bans_changed()
        return removed


def _drop_if_failed(copy: dict[str, asyncio.Future[list[Ban]]], room_id: str,
                    reading: asyncio.Future[list[Ban]]) -> None:
    """A failed read (the database unreachable) is not a copy: the next join reads again.
    Its error reached every join that waited on it; retrieved here for those that left."""
    failed = reading.cancelled() or reading.exception() is not None
    if failed and copy.get(room_id) is reading:
        del copy[room_id]
