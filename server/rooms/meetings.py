"""A meeting's run: lobby, open, phases, the share round, and closing."""

from __future__ import annotations

from dataclasses import replace

from moderation.decisions import bad_request
from server.config.settings import RoomConfig
from server.models.envelope import DETACH, Envelope
from server.models.live import Member, RoomRuntime, Share
from server.rooms.calls import Refused, refuse
from server.rooms.core import RoomCore
from server.rooms.lobby import Lobby


class Meetings:
    def __init__(self, core: RoomCore, lobby: Lobby) -> None:
        self.core = core
        self.lobby = lobby

    def _meeting(self, room: RoomConfig) -> None:
        if room.kind == "drop-in":
            raise Refused(bad_request("A drop-in room is always open."))

    async def doors_open(self, room: RoomConfig) -> None:
        """Lobby: people may arrive and wait; the welcome is pinned."""
        self._meeting(room)
        phases = self.core.format_of(room).phases
        await self.core.update_runtime(room, status="lobby", pinned=phases[0].pin)

    async def open(self, room: RoomConfig) -> None:
        """Open the meeting; everyone waiting comes in together (unless admit-by-hand)."""
        self._meeting(room)
        phases = self.core.format_of(room).phases
        await self.core.update_runtime(room, status="open", opened_at=self.core.clock(),
                                       phase=phases[0].name, pinned=phases[0].pin, shared=(),
                                       queue=(), share=None)
        if not room.admit_by_hand:
            await self.lobby.admit_everyone(room)

    async def close(self, room: RoomConfig) -> None:
        """Close: say so, end every membership, forget what was said."""
        self._meeting(room)
        await self.end_everything(room)

    async def end_everything(self, room: RoomConfig) -> None:
        """What closing does, for any room (a drop-in room being deleted too)."""
        core = self.core
        # Memberships end in the store before anyone hears "closed", so nothing can be
        # posted into a room its members have been told is closed.
        members = await self._remove_members(room)
        # A bare closed runtime: nothing of the meeting (pinned text, phase, queue, slow
        # mode, lock) outlives it, yet every process still answers `closed`.
        await core.change_runtime(room, lambda _: RoomRuntime(status="closed"))
        # A join or a seat that read the room open (under the room's lock, before the
        # close took it) may have stored a member since the first reading: they go too.
        # Any later one reads `closed` under the lock.
        members += await self._remove_members(room)
        for member in members:
            await core.bus.publish(Envelope(room.id, DETACH, to="member", member_id=member.id,
                                            process=member.process))
        await self.lobby.dismiss_everyone(room)
        # What a closed meeting leaves behind is nothing: messages, held messages,
        # mutes, rate buckets, idempotency keys, the lobby (docs/reliability.md).
        await core.store.forget_room(room.id)

    async def _remove_members(self, room: RoomConfig) -> list[Member]:
        """End every membership in the store; the ones this call ended."""
        store = self.core.store
        return [member for member in await store.members(room.id)
                if await store.remove_member(room.id, member.id) is not None]

    async def set_phase(self, room: RoomConfig, name: str) -> None:
        phase = next((p for p in self.core.format_of(room).phases if p.name == name), None)
        if phase is None:
            names = ", ".join(p.name for p in self.core.format_of(room).phases)
            raise Refused(bad_request(f"This meeting's phases are: {names}."))
        await self.core.change_runtime(room, lambda runtime: replace(
            runtime, phase=name, pinned=phase.pin if phase.pin is not None else runtime.pinned))

    async def next_share(self, room: RoomConfig, member_id: str | None) -> RoomRuntime:
        """Call the next person in the queue (or a chosen member) to share, with a timer."""
        core = self.core
        fmt = core.format_of(room)
        chosen = member_id
        if chosen is not None and await core.store.get_member(room.id, chosen) is None:
            raise refuse("not_found", "That person is no longer in the room.")

        # A dropped connection keeps its place for a resume (RoomCore.evict); whoever
        # is not back by their turn is passed over and leaves the queue.
        present = {m.id for m in await core.store.members(room.id)}

        def call(runtime: RoomRuntime) -> RoomRuntime:
            runtime = replace(runtime, queue=tuple(m for m in runtime.queue if m in present))
            sharer = chosen or self._first_in_line(runtime, first_time_first=fmt.first_time_first)
            if sharer is None:
                raise refuse("not_found", "Nobody has their hand raised.")
            return replace(runtime, share=Share(sharer, core.clock() + fmt.share_minutes * 60),
                           queue=tuple(m for m in runtime.queue if m != sharer),
                           shared=runtime.shared if sharer in runtime.shared
                           else (*runtime.shared, sharer))

        return await core.change_runtime(room, call)

    @staticmethod
    def _first_in_line(runtime: RoomRuntime, *, first_time_first: bool) -> str | None:
        if first_time_first:
            # People who have not shared yet in this meeting go before those who have.
            for member_id in runtime.queue:
                if member_id not in runtime.shared:
                    return member_id
        return runtime.queue[0] if runtime.queue else None

    async def end_share(self, room: RoomConfig, *, only_if_due: bool = False) -> None:
        """End the current share (or, with `only_if_due`, only one whose time is up)."""
        core = self.core
        if only_if_due:
            # The scheduler asks twice a second: look before taking the room's lock.
            share = (await core.runtime(room)).share
            if share is None or share.ends_at > core.clock():
                return

        def end(runtime: RoomRuntime) -> RoomRuntime:
            if runtime.share is None or (only_if_due and runtime.share.ends_at > core.clock()):
                return runtime
            return replace(runtime, share=None)

        await core.change_runtime(room, end)
