"""Joining, resuming and leaving a room."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace
from typing import Any

from moderation.decisions import Denial, bad_request
from moderation.handles import check_handle, handle_key
from moderation.permissions import BANNED, check_join
from moderation.pii import addressed_as
from moderation.ratelimit import BucketRule, action_denial
from moderation.roles import Role, is_staff
from moderation.timefmt import iso_utc
from server.config.settings import RoomConfig
from server.models.errors import StoreUnavailable
from server.models.live import Member, Waiting
from server.rooms.calls import Caller, Refused, new_id, refuse
from server.rooms.core import RoomCore
from server.rooms.lobby import Lobby, Seat

# Resumes that make an ended membership again, per device: 30 at once, then one every
# 2 s. A reconnect into a membership that still exists takes none.
REMADE_RESUMES = BucketRule(30, 2.0)
# A join's tries at a seat while the room changes under it (lobby, open, lobby again).
_ADMISSION_PASSES = 3


@dataclass(frozen=True)
class Resume:
    member_token: str
    last_seq: int


@dataclass(frozen=True)
class JoinRequest:
    room: str
    handle: object
    resume: Resume | None

    @staticmethod
    def parse(payload: object) -> JoinRequest:
        if not isinstance(payload, dict):
            raise Refused(bad_request("join takes {room, handle, resume?}."))
        room, resume = payload.get("room"), payload.get("resume")
        if not isinstance(room, str):
            raise Refused(bad_request("room must be a string."))
        parsed = None
        if resume is not None:
            token = resume.get("member_token") if isinstance(resume, dict) else None
            last = resume.get("last_seq") if isinstance(resume, dict) else None
            if not isinstance(token, str) or isinstance(last, bool) or not isinstance(last, int) \
                    or last < 0:
                raise Refused(bad_request(
                    "resume must be {member_token: string, last_seq: whole number ≥ 0}."))
            parsed = Resume(token, last)
        return JoinRequest(room, payload.get("handle"), parsed)


class Joining:
    def __init__(self, core: RoomCore, lobby: Lobby) -> None:
        self.core = core
        self.lobby = lobby

    async def join(self, caller: Caller, request: JoinRequest, seat: Seat) -> dict[str, Any]:
        """Admit the caller (or re-admit them with `resume`) and return the join answer.

        `seat.attach` puts the caller's socket into the room's channels; it runs before
        the missed messages are read so nothing posted meanwhile falls between the two.
        Someone who must wait is put in the lobby (`seat.wait`) and refused `waiting`.
        """
        core = self.core
        room = core.config(request.room)
        # A join reads the members and the seq: none until every process has put them
        # back after the store was found empty.
        await core.check_settled()
        now = core.clock()
        resumed, resumed_live = await self._resumable(room, caller, request.resume, now)
        staff_role = core.staff_role(room, caller)
        role = resumed.role if resumed else staff_role or Role.MEMBER
        if resumed is None and staff_role is None and request.handle is None:
            raise Refused(bad_request("handle must be a string."))

        # A ban is of a device; a facilitator's login is not kept out by one (a member
        # promoted in some room could otherwise lock a host out of their own meeting).
        banned = staff_role is None and await core.bans.banned(room.id, caller.device_hash,
                                                               now)
        # A join takes one of the device's join tokens. A resume whose membership still
        # exists takes none; one that must make it again (the connection dropped, or the
        # member left) takes one of a far larger allowance: a phone on a bad train line
        # reconnects often, but leave-and-resume in a loop would cost the room a member
        # list and a replay each time.
        if resumed is None:
            wait = await core.limit_join(caller.device_hash, caller.address)
        elif not resumed_live:
            wait = await core.token_wait((f"resume:{caller.device_hash}", REMADE_RESUMES))
        else:
            wait = 0.0
        if wait and not banned:
            raise Refused(action_denial(wait))
        member: Member | None = None
        for _ in range(_ADMISSION_PASSES):
            denial = await self._refusal(room, role, banned, resumed is not None)
            if denial is not None and denial.code != "waiting":
                raise Refused(denial)
            if denial is not None:
                refused = await self.lobby.enter(room, caller, request.handle, seat, denial)
                if refused is not None:
                    raise refused
                continue  # the room stopped making people wait meanwhile: a seat, then
            async with core.store.room_lock(room.id):
                # Every join and seat of the room waits here, so what was read above is
                # read again: a removal, the last seat gone, the room locked or closed.
                if resumed is not None and await core.store.is_revoked(room.id, resumed.id):
                    resumed, resumed_live = None, False  # removed since: not as them
                    role = staff_role or Role.MEMBER
                    if staff_role is None and request.handle is None:
                        raise Refused(bad_request("handle must be a string."))
                denial = await self._refusal(room, role, banned, resumed is not None)
                if denial is not None and denial.code != "waiting":
                    raise Refused(denial)
                if denial is None:
                    member = await self._take_seat(room, caller, request.handle, role, banned,
                                                   resumed, resumed_live, seat, now)
            if member is not None:
                break
            # "waiting" under the lock: the room went back to its lobby, or a resume lost
            # its membership in a room that admits by hand. To the lobby, next pass.
        if member is None:
            raise StoreUnavailable("the room kept changing while joining")
        await core.publish_presence(room.id, joined=member.to_wire())
        if is_staff(member.role):
            await self.lobby.publish(room)  # staff see who is waiting as they arrive

        seq = await core.store.latest_seq(room.id)
        missed = []
        if request.resume is not None and resumed is not None:
            messages = await core.store.messages_after(room.id, request.resume.last_seq, now)
            missed = [m.to_wire() for m in messages if m.seq <= seq]
        await self._tell_mute(member)
        return await self.answer(room, member, seq, missed)

    async def _take_seat(self, room: RoomConfig, caller: Caller, handle: object, role: Role,
                         banned: bool, resumed: Member | None, resumed_live: bool, seat: Seat,
                         now: float) -> Member:
        """Under the room's lock, every check passed: store the membership and seat the
        socket in it."""
        core = self.core
        current = (await core.store.get_member(room.id, resumed.id)
                   if resumed is not None and resumed_live else None)
        if current is not None:
            resumed = current  # as stored now, not as read before: a promotion stays
        elif resumed is not None:
            await self._handle_free(room, resumed)  # made again (or ended meanwhile)
        member = resumed or await self._new_member(room, caller, handle, role, now)
        member = replace(member, process=core.process_id)
        if not await core.store.put_member(member):
            # Removed in the instant since the check (the store refuses a revoked
            # membership in the same step as storing it).
            raise refuse("not_found", "Please join the room again.")
        if not banned and core.staff_role(room, caller) is None \
                and await core.bans.banned(room.id, caller.device_hash, now):
            # A ban that landed while this join was on its way: its sweep of the room's
            # members ran before this seat was stored, so it goes here (a ban stores
            # itself before it sweeps, and the seat was stored first).
            await core.store.remove_member(room.id, member.id)
            raise Refused(BANNED)
        await core.occupy(member, seat.attach, previous=current)
        return member

    async def _refusal(self, room: RoomConfig, role: Role, banned: bool,
                       resumed: bool) -> Denial | None:
        """Why the caller may not take a seat now (None: they may), read from the store."""
        core = self.core
        runtime = await core.runtime(room)
        count = await core.store.member_count(room.id)
        denial = check_join(
            room_status=runtime.status, locked=runtime.locked, paused=runtime.paused,
            banned=banned, full=room.capacity is not None and count >= room.capacity,
            role=role, admit_by_hand=room.admit_by_hand,
        )
        if denial is not None and resumed and denial.code in ("locked", "full", "waiting"):
            return None  # a member who was already inside keeps their seat through a reconnect
        return denial

    async def _handle_free(self, room: RoomConfig, member: Member) -> None:
        """A membership made again keeps its handle, unless someone took it meanwhile."""
        others = await self.lobby.names_in_use(room)
        if any(handle_key(name) == handle_key(member.handle) for name in others):
            raise refuse("handle_taken", "Someone took your name while you were away. "
                         "Please choose another one.")

    async def current(self, room_id: str, member_id: str) -> dict[str, Any] | None:
        """The join answer for a membership that already exists (None if it ended).

        It costs a join token like any join: the answer lists every member."""
        room = self.core.config(room_id)
        member = await self.core.lookup(room.id, member_id)
        if member is None:
            return None
        wait = await self.core.limit_join(member.device_hash)
        if wait:
            raise Refused(action_denial(wait))
        seq = await self.core.store.latest_seq(room.id)
        return await self.answer(room, member, seq, [])

    async def admitted(self, person: Waiting, seat: Seat) -> dict[str, Any]:
        """The `joined` payload for someone just admitted from the lobby."""
        room = self.core.config(person.room)
        member = await self.lobby.seat(person, seat)
        try:
            seq = await self.core.store.latest_seq(room.id)
            await self._tell_mute(member)
            return await self.answer(room, member, seq, [])
        except BaseException:
            # Seated but never told: the seat goes, and the caller puts them back in
            # the lobby (a seat kept would be a second one at the next admit).
            with contextlib.suppress(StoreUnavailable):
                await self.core.evict(room, member, revoke=False)
            raise

    async def _tell_mute(self, member: Member) -> None:
        """A mute follows the device, so someone who comes back muted is told again
        (`moderated muted` with its end) and their page can show it before they type."""
        core = self.core
        mute = await core.store.get_mute(member.room, [member.id, member.device_hash],
                                         core.clock())
        if mute is not None:
            await core.tell_member(member, "moderated", {
                "action": "muted", "until": iso_utc(mute.until) if mute.until else None})

    async def answer(self, room: RoomConfig, member: Member, seq: int,
                     missed: list[dict[str, Any]]) -> dict[str, Any]:
        """The join answer; the room's state is read now, after the member is seated."""
        core = self.core
        members = await core.store.members(room.id)
        runtime = await core.runtime(room)
        if core.places_kept(room, runtime, {m.id for m in members}) != runtime:
            # The queue holds a place nobody can come back to any more, one held by
            # someone not here and never seen to drop (a hand raised as its member
            # left), or the drop time of someone back (this resume): put right under
            # the room's lock, the members read again there. Most joins find nothing
            # to change and take no lock.
            runtime = await core.change_runtime(room, lambda same: same, presence=True)
        token = core.tokens.new_member(member, now=core.clock(),
                                       ttl_s=core.settings.limits.token_ttl_s)
        answer = {
            "member": member.to_wire(), "member_token": token,
            "room": core.state_wire(room, runtime),
            "members": [m.to_wire() for m in members], "seq": seq, "missed": missed,
        }
        if is_staff(member.role):
            # A facilitator who reloads, or comes on duty late, must still see what is
            # waiting for them (additive fields; README "Where we differ").
            now = core.clock()
            answer["alerts"] = [a.to_wire() for a in await core.store.alerts(room.id, now)]
            answer["held"] = [h.to_wire() for h in await core.store.held_messages(room.id, now)]
        return answer

    async def _new_member(self, room: RoomConfig, caller: Caller, handle: object, role: Role,
                          now: float) -> Member:
        core = self.core
        if is_staff(role):
            # A facilitator's handle is their configured name; two tabs are one person.
            name = caller.facilitator or ""
            return Member(new_id(), room.id, name, role, caller.device_hash, core.process_id,
                          now, facilitator=name, addressed_as=addressed_as(name))
        reserved = list(core.catalog.facilitators)
        checked = check_handle(handle, await self.lobby.names_in_use(room), reserved)
        if not isinstance(checked, str):
            raise Refused(checked)
        return Member(new_id(), room.id, checked, Role.MEMBER, caller.device_hash,
                      core.process_id, now, addressed_as=addressed_as(checked))

    async def _resumable(self, room: RoomConfig, caller: Caller, resume: Resume | None,
                         now: float) -> tuple[Member | None, bool]:
        """The member a valid resume token brings back (None for a fresh join), and
        whether their membership still exists (a reconnect) or is made again."""
        if resume is None:
            return None, False
        core = self.core
        claims = core.tokens.member(resume.member_token, now=now)
        if (claims is None or claims.get("room") != room.id
                or claims.get("dev") != caller.device_hash):
            return None, False
        member_id = claims.get("mid")
        if not isinstance(member_id, str) or await core.store.is_revoked(room.id, member_id):
            return None, False
        member = await core.store.get_member(room.id, member_id)
        if member is not None:
            return (member, True) if core.login_holds(room, caller, member) else (None, False)
        # The membership ended with the old connection: the same identity comes back,
        # unless someone else took the handle meanwhile.
        handle, role = claims.get("handle"), claims.get("role")
        if not isinstance(handle, str) or role not in tuple(Role):
            return None, False
        made = Member(member_id, room.id, handle, Role(role), caller.device_hash,
                      core.process_id, now, facilitator=claims.get("fac"),
                      addressed_as=addressed_as(handle))
        if made.facilitator is not None:
            # Their role in this room as it is now (a host no longer listed is not one).
            made = replace(made, role=core.staff_role(room, caller) or made.role)
        return (made, False) if core.login_holds(room, caller, made) else (None, False)

    async def leave(self, room_id: object, member_id: str | None, *,
                    dropped: bool = False) -> None:
        """End a membership; `dropped` (the connection went away, no `leave`) keeps
        the person's place in the queue and their share for a `resume`."""
        core = self.core
        room = core.config(room_id)
        if member_id is None:
            return
        member = await core.store.get_member(room.id, member_id)
        if member is not None:
            # A dropped connection ends only the membership as this process holds it:
            # one resumed on another process meanwhile goes on.
            await core.evict(room, member, revoke=False, keep_place=dropped,
                             held_by=core.process_id if dropped else None)

