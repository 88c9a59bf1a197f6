"""The lobby: people wait with their chosen name until the meeting opens or a
facilitator admits them (the defence against strangers a waiting room gives)."""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any, Protocol

from moderation.decisions import Denial
from moderation.handles import MAX_LEN, check_handle, handle_key
from moderation.permissions import BANNED, check_join
from moderation.pii import addressed_as
from moderation.roles import Role
from server.config.settings import RoomConfig
from server.models.envelope import ADMIT, DISMISS, Envelope
from server.models.live import Member, Waiting
from server.rooms.calls import Caller, Refused, new_id, refuse
from server.rooms.core import RoomCore
from server.rooms.schedule import next_start_iso


class Seat(Protocol):
    """What the transport does for the domain on the caller's socket."""

    async def attach(self, member: Member) -> None: ...
    async def wait(self, waiting: Waiting) -> None: ...
    # Is the socket still in the lobby as `waiting`? (Not if it left, joined or went.)
    def waits_as(self, waiting: Waiting) -> bool: ...


class Lobby:
    def __init__(self, core: RoomCore) -> None:
        self.core = core

    async def enter(self, room: RoomConfig, caller: Caller, handle: object, seat: Seat,
                    waiting_denial: Denial) -> Refused | None:
        """Put the caller in the lobby; the refusal to answer with (`waiting`, or why
        not even that: the room closed meanwhile), or None when the room no longer
        makes people wait (it opened meanwhile: the caller goes for a seat)."""
        core = self.core
        # Under the room's lock, as joins and seats take handles (two people waiting at
        # once under one name would be let in as two members with it), and read again
        # there: an opening or a close that came first has already let in or sent away
        # whoever was waiting, and would miss someone added after it.
        async with core.store.room_lock(room.id):
            runtime = await core.runtime(room)
            now_denial = check_join(room_status=runtime.status, locked=runtime.locked,
                                    paused=runtime.paused, banned=False, full=False,
                                    role=Role.MEMBER, admit_by_hand=room.admit_by_hand)
            if now_denial is None:
                return None
            if now_denial.code != "waiting":
                return Refused(now_denial)
            checked = check_handle(handle, await self.names_in_use(room),
                                   list(core.catalog.facilitators))
            if not isinstance(checked, str):
                return Refused(checked)
            person = Waiting(new_id(), room.id, checked, caller.device_hash, core.process_id,
                             core.clock())
            # The socket listens before anyone can admit or dismiss it: an ADMIT sent
            # the moment the place is stored would find nobody in its channel.
            await core.bus.host(room.id)
            try:
                await seat.wait(person)
            except BaseException:
                # The socket went meanwhile (say): it hosts nothing, and nothing is stored.
                await core.let_go(room.id)
                raise
            await core.store.put_waiting(person)
        await self.publish(room)
        return Refused(waiting_denial, {"room": core.state_wire(room, runtime),
                                        "waiting_id": person.id,
                                        "starts_at": next_start_iso(room, core.clock())})

    async def names_in_use(self, room: RoomConfig) -> list[str]:
        """Members' handles and those kept for people in the lobby: a name someone waits
        under is theirs when they are let in."""
        store = self.core.store
        has_lobby = room.kind == "meeting" or room.admit_by_hand
        waiting = await store.waiting(room.id) if has_lobby else []
        return [m.handle for m in await store.members(room.id)] + [w.handle for w in waiting]

    async def publish(self, room: RoomConfig) -> None:
        waiting = await self.core.store.waiting(room.id)
        await self.core.tell_staff(room.id, "lobby", {"waiting": [w.to_wire() for w in waiting]})

    async def admit(self, room: RoomConfig, waiting_id: str) -> None:
        """Admit one person (exactly once, whichever process asks)."""
        if not await self._let_in(room, waiting_id):
            raise refuse("not_found", "That person is no longer waiting.")
        await self.publish(room)

    async def admit_everyone(self, room: RoomConfig) -> int:
        # Staff hear the waiting list once, at the end: once per person was quadratic
        # (134 ms of event loop for a lobby of 1,000 as a meeting opens).
        admitted = 0
        for person in await self.core.store.waiting(room.id):
            admitted += await self._let_in(room, person.id)  # False: admitted meanwhile
        await self.publish(room)
        return admitted

    async def _let_in(self, room: RoomConfig, waiting_id: str) -> bool:
        person = await self.core.store.remove_waiting(room.id, waiting_id)
        if person is None:
            return False
        await self.core.bus.publish(Envelope(room.id, ADMIT, asdict(person), to="waiting",
                                             member_id=person.id, process=person.process))
        return True

    async def dismiss_everyone(self, room: RoomConfig) -> None:
        await self._dismiss(room, await self.core.store.waiting(room.id))
        await self.publish(room)

    async def dismiss_device(self, room: RoomConfig, device_hash: str) -> None:
        """A banned device's places in the lobby go with its seats."""
        people = [p for p in await self.core.store.waiting(room.id)
                  if p.device_hash == device_hash]
        if await self._dismiss(room, people, {"banned": True}):
            await self.publish(room)

    async def _dismiss(self, room: RoomConfig, people: list[Waiting],
                       data: dict[str, Any] | None = None) -> int:
        dismissed = 0
        for person in people:
            if await self.core.store.remove_waiting(room.id, person.id) is not None:
                await self.core.bus.publish(Envelope(room.id, DISMISS, data or {},
                                                     to="waiting", member_id=person.id,
                                                     process=person.process))
                dismissed += 1
        return dismissed

    async def leave(self, room_id: str, waiting_id: str) -> None:
        room = self.core.config(room_id)
        if await self.core.store.remove_waiting(room.id, waiting_id) is not None:
            await self.publish(room)

    async def put_back(self, person: Waiting) -> None:
        """An admitted person who could not be seated waits again, seen by staff."""
        room = self.core.config(person.room)
        await self.core.store.put_waiting(person)
        await self.publish(room)

    async def seat(self, person: Waiting, seat: Seat) -> Member:
        """On the process holding the socket: the admitted person becomes a member.

        Under the room's lock with the same checks as a join: the meeting may have
        closed, filled up or banned them since they were admitted. `Refused` then
        (`closed`, `banned`: they leave the lobby; `full`: they wait again, seen by
        staff). A name taken in between gets a number (`_free_name`)."""
        core = self.core
        room = core.config(person.room)
        now = core.clock()
        member = Member(new_id(), person.room, person.handle, Role.MEMBER, person.device_hash,
                        core.process_id, now, addressed_as=addressed_as(person.handle))
        async with core.store.room_lock(room.id):
            if not seat.waits_as(person):
                raise refuse("not_found", "They are no longer waiting.")
            runtime = await core.runtime(room)
            if runtime.status == "closed":
                raise refuse("closed", "This meeting has ended.")
            count = await core.store.member_count(room.id)
            if room.capacity is not None and count >= room.capacity:
                raise refuse("full", "This room is full right now.")
            member = _free_name(member, await self.names_in_use(room),
                                list(core.catalog.facilitators))
            await core.store.put_member(member)
            # Stored, then checked (as a join does): a ban that swept the room before
            # this seat was stored is seen here.
            if await core.bans.banned(room.id, member.device_hash, now):
                await core.store.remove_member(room.id, member.id)
                raise Refused(BANNED)
            await core.occupy(member, seat.attach)
        await core.publish_presence(person.room, joined=member.to_wire())
        return member


def _free_name(member: Member, taken: list[str], reserved: list[str]) -> Member:
    """The member under their name, or, if someone took it between their admission and
    their seat (the one moment a name is neither waiting nor seated), "River 2" and on:
    the joined payload tells them. Waiting again would fail the same way at every admit."""
    keys = {handle_key(name) for name in taken}
    if handle_key(member.handle) not in keys:
        return member
    for n in range(2, 100):
        suffix = f" {n}"
        name = check_handle(member.handle[:MAX_LEN - len(suffix)].rstrip() + suffix, taken,
                            reserved)
        if isinstance(name, str):
            return replace(member, handle=name, addressed_as=addressed_as(name))
    raise refuse("handle_taken", "Someone in the room has that name.")


def waiting_from_wire(data: dict[str, Any]) -> Waiting:
    return Waiting(**data)
