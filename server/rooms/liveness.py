"""Keeping shared state honest when processes die or the store restarts empty.

Every process beats; a process whose beat lapsed has its members removed (and
everyone told), so a crash leaves no ghosts. If the store comes back empty, each
process puts back what it holds: its members, its rooms' state, and a seq floor so
numbering continues above every seq already delivered.
"""

from __future__ import annotations

import asyncio
import logging

from server.models.errors import StoreUnavailable
from server.rooms.core import RoomCore
from server.rooms.lobby import Lobby

log = logging.getLogger(__name__)

BEAT_S = 2.0
TTL_S = 10.0  # a dead process's members are gone within TTL_S + BEAT_S
# After the store is found empty, how long sends and joins wait (`unavailable`): each
# process notices at its next beat (within BEAT_S of the restart) and puts back the
# seq of the rooms it hosts; a process that hosted none could otherwise post seq 1
# again, which the rooms' hosts drop as already delivered.
SETTLE_S = 3 * BEAT_S


class Liveness:
    def __init__(self, core: RoomCore, lobby: Lobby) -> None:
        self.core = core
        self.lobby = lobby
        self.ready = True
        self._lock = asyncio.Lock()  # the beat and a reconnect may both call tick

    async def tick(self) -> None:
        """One beat: refresh our key, repair after a store restart, reap the dead."""
        async with self._lock:
            await self._tick()

    async def _tick(self) -> None:
        core = self.core
        try:
            intact = await core.store.heartbeat(core.process_id, TTL_S)
            if not intact:
                log.warning("shared store lost its state; re-registering this process")
                # The new epoch is accepted by this beat already, so remember that the
                # repair is owed until it has completed (it may fail half way through).
                core.repairing = True
                core.settle_until = core.clock() + SETTLE_S
            if core.repairing:
                await self.reregister()
                core.repairing = False
            await core.store.sweep(core.clock())
            for dead in await core.store.dead_processes(core.process_id):
                if await core.store.claim(f"reap:{dead}", 30):
                    await self.reap(dead)
            await self._retry_leaves()
            self.ready = True
        except StoreUnavailable:
            self.ready = False

    async def reregister(self) -> None:
        core = self.core
        rooms = {m.room for m in core.local_members.values()} | set(core.known_runtime)
        for member in list(core.local_members.values()):
            await core.store.put_member(member)
        for room_id in rooms:
            runtime = core.known_runtime.get(room_id)
            if runtime is not None and await core.store.get_runtime(room_id) is None:
                await core.store.put_runtime(room_id, runtime)
            await core.store.reseed_seq(room_id)
        # Tell the rooms we host that all is well again (clients refresh their view).
        for room_id in {m.room for m in core.local_members.values()}:
            room = core.catalog.room(room_id)
            if room is not None:
                await core.publish_state(room)

    async def reap(self, dead: str) -> None:
        core = self.core
        removed = 0
        for room in core.catalog.rooms:
            for member in await core.store.members(room.id):
                if member.process == dead:
                    # Their connections dropped with the process: places kept for a resume.
                    # A process only stalled past its beat (a long pause, cut off from
                    # Redis) still holds the sockets: it disconnects them when it reads
                    # this, so each page resumes instead of sitting out of the room unheard.
                    await core.evict(room, member, revoke=False, keep_place=True, held_by=dead,
                                     disconnect=True)
                    removed += 1
            for person in await core.store.waiting(room.id):
                if person.process == dead:
                    await self.lobby.leave(room.id, person.id)  # staff see the lobby shrink
        await core.store.forget_process(dead)
        log.info("removed %d members of a process that stopped", removed)

    async def _retry_leaves(self) -> None:
        core = self.core
        for room_id, member_id in list(core.pending_leaves):
            room = core.catalog.room(room_id)
            member = await core.store.get_member(room_id, member_id) if room else None
            if room is not None and member is not None and member_id not in core.local_members:
                await core.evict(room, member, revoke=False, keep_place=True)
            core.pending_leaves.discard((room_id, member_id))
        for room_id, waiting_id in list(core.pending_lobby_leaves):
            if core.catalog.room(room_id) is not None:
                await self.lobby.leave(room_id, waiting_id)
            core.pending_lobby_leaves.discard((room_id, waiting_id))
