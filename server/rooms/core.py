"""What every room operation shares: config lookup, runtime, broadcasts, eviction."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from moderation.audit import new_entry
from moderation.hands import dropped, kept_places
from moderation.ratelimit import BucketRule, action_denial
from moderation.roles import Role
from moderation.timefmt import iso_utc
from server.bus.base import Bus
from server.config.settings import Format, Phase, RoomConfig, Settings
from server.models.envelope import DETACH, Envelope
from server.models.errors import StoreUnavailable
from server.models.live import Alert, AlertKind, Member, RoomRuntime
from server.records.base import Records
from server.rooms.bans import BanList
from server.rooms.calls import Caller, Refused, new_id, refuse
from server.rooms.catalog import Catalog
from server.rooms.presence import PresenceBatcher
from server.rooms.tokens import Tokens
from server.store.base import Store

log = logging.getLogger(__name__)

# The most places in a room's hand queue kept for people who are not there (a dropped
# connection keeps its place for a resume), or the room's capacity if that is smaller;
# past it the longest gone lose theirs first. With each place also lasting only as long
# as a resume could come (`limits.token_ttl_s` from the drop), the queue every
# `room_state` carries is at most the members present plus this, however many hands
# are raised and dropped. 50 is more than any share round gets through, so it never
# costs a real reload its place; a constant, as an operator has no reason to tune it.
KEPT_PLACES = 50


class RoomCore:
    def __init__(self, *, settings: Settings, store: Store, records: Records, bus: Bus,
                 tokens: Tokens, clock: Callable[[], float], process_id: str) -> None:
        self.settings = settings
        self.store = store
        self.records = records
        self.bans = BanList(records, store)
        # Replaced whole when the records change (`Rooms.refresh`); read, never awaited.
        self.catalog = Catalog()
        self.bus = bus
        self.tokens = tokens
        self.clock = clock
        self.process_id = process_id
        # What this process holds, so it can put it back if the shared store loses it.
        self.local_members: dict[str, Member] = {}
        self.known_runtime: dict[str, RoomRuntime] = {}
        # Leaves that failed because the store was down, retried by the liveness beat.
        self.pending_leaves: set[tuple[str, str]] = set()        # (room, member id)
        self.pending_lobby_leaves: set[tuple[str, str]] = set()  # (room, waiting id)
        self.presence = PresenceBatcher(bus.publish, store.member_count)
        # True from the moment the store is found to have lost its state until this
        # process has put its members back (set by `Liveness`).
        self.repairing = False
        # Until when (this clock) sends and joins wait after the store was found empty
        # (`Liveness`): every process that hosts a room must first have put back the
        # room's seq, or a post here could reuse a seq a member elsewhere already has.
        self.settle_until = 0.0

    def refuse_while_settling(self) -> None:
        """`StoreUnavailable` (the client retries) while the shared store has lost its
        state and the processes are still putting it back (no read: a send's check)."""
        if self.clock() < self.settle_until:
            raise StoreUnavailable("the shared store is being put back after a restart")

    async def check_settled(self) -> None:
        """`refuse_while_settling`, and the store's own check (a read) for a loss this
        process has not seen yet (a join, which reads the members and the seq)."""
        self.refuse_while_settling()
        if self.repairing or not await self.store.intact():
            raise StoreUnavailable("the shared store lost its state; it is being put back")

    async def hold(self, member: Member) -> None:
        """A socket here now holds `member`: host the room before it can miss anything."""
        await self.bus.host(member.room)
        self.local_members[member.id] = member

    async def occupy(self, member: Member, attach: Callable[[Member], Awaitable[None]], *,
                     previous: Member | None = None) -> None:
        """Hold a membership just stored and seat the socket in it (`attach`); if either
        fails (the socket went meanwhile, say), the stored seat goes too — or, for a
        membership this join resumed while another socket still held it (`previous`,
        as it was stored), goes back to that socket as it was."""
        try:
            await self.hold(member)
        except BaseException:
            await self._give_back(member, previous)
            raise
        try:
            await attach(member)
        except BaseException:
            await self._give_back(member, previous)
            held_here = previous is not None and previous.process == self.process_id
            await self.let_go(member.room, None if held_here else member.id)
            raise

    async def _give_back(self, member: Member, previous: Member | None) -> None:
        if previous is None:
            await self.store.remove_member(member.room, member.id)
        else:
            await self.store.put_member(previous)

    async def let_go(self, room_id: str, member_id: str | None = None) -> None:
        """A socket here no longer holds a membership (or lobby place) in the room."""
        if member_id is not None:
            self.local_members.pop(member_id, None)
        await self.bus.unhost(room_id)

    def config(self, room_id: object) -> RoomConfig:
        room = self.catalog.room(room_id) if isinstance(room_id, str) else None
        if room is None:
            raise refuse("not_found", "There is no room by that name.")
        return room

    def format_of(self, room: RoomConfig) -> Format:
        formats = self.catalog.formats
        return formats.get(room.format or "default") or formats["default"]

    def initial_runtime(self, room: RoomConfig) -> RoomRuntime:
        if room.kind == "drop-in":
            return RoomRuntime(status="open")
        if room.open_at_start:
            phases = self.format_of(room).phases
            return RoomRuntime(status="open", opened_at=self.clock(),
                               phase=phases[0].name if phases else None,
                               pinned=phases[0].pin if phases else None)
        return RoomRuntime(status="closed")

    async def runtime(self, room: RoomConfig) -> RoomRuntime:
        return self.runtime_from(room, await self.store.get_runtime(room.id))

    def runtime_from(self, room: RoomConfig, runtime: RoomRuntime | None) -> RoomRuntime:
        """The runtime as read from the store (None: lost or never written)."""
        if runtime is None:
            return self.known_runtime.get(room.id) or self.initial_runtime(room)
        self.known_runtime[room.id] = runtime
        return runtime

    async def change_runtime(self, room: RoomConfig,
                             change: Callable[[RoomRuntime], RoomRuntime], *,
                             presence: bool = False) -> RoomRuntime:
        """The one way to change a room's runtime: under the room's lock, read, apply
        `change` (which may refuse), store and remember it, and tell the room — only
        if something changed, and only if something it sees did.

        Places in the hand queue nobody can come back to go in the same step
        (`places_kept`); with `presence` the room's members are read under the lock
        too, so a place held by someone neither here nor seen to drop is timed from now.
        """
        async with self.store.room_lock(room.id):
            current = await self.runtime(room)
            present = ({m.id for m in await self.store.members(room.id)}
                       if presence else None)
            runtime = self.places_kept(room, change(current), present)
            if runtime == current:
                return current
            await self.store.put_runtime(room.id, runtime)
            self.known_runtime[room.id] = runtime
        if replace(runtime, away=current.away) != current:
            # A drop noted (`away` alone) changes nothing anyone is shown.
            await self.publish_state(room, runtime)
        return runtime

    def places_kept(self, room: RoomConfig, runtime: RoomRuntime,
                    present: set[str] | None = None) -> RoomRuntime:
        """`runtime` with only the places in its queue that someone present or able to
        resume holds (`moderation.hands.kept_places`; `runtime` itself when all are)."""
        most = KEPT_PLACES if room.capacity is None else min(KEPT_PLACES, room.capacity)
        # A resume token lives `token_ttl_s` from the join answer that gave it, which
        # came before the drop: no resume can come later than that after the drop.
        queue, away = kept_places(runtime.queue, runtime.away, self.clock(),
                                  keep_s=self.settings.limits.token_ttl_s, most=most,
                                  present=present)
        if queue == runtime.queue and away == runtime.away:
            return runtime
        return replace(runtime, queue=queue, away=away)

    async def update_runtime(self, room: RoomConfig, **changes: Any) -> RoomRuntime:
        """Set fields of a room's runtime (see `change_runtime`)."""
        return await self.change_runtime(room, lambda runtime: replace(runtime, **changes))

    def phase_of(self, room: RoomConfig, runtime: RoomRuntime) -> Phase | None:
        return next((p for p in self.format_of(room).phases if p.name == runtime.phase), None)

    def state_wire(self, room: RoomConfig, runtime: RoomRuntime) -> dict[str, Any]:
        share = runtime.share
        fmt = self.format_of(room)
        phase = self.phase_of(room, runtime)
        return {
            "room": room.id, "title": room.title, "kind": room.kind,
            "status": runtime.status, "locked": runtime.locked, "paused": runtime.paused,
            "slow_mode": runtime.slow_mode, "phase": runtime.phase,
            # What is stored may hold a place whose time ran out since it was written.
            "queue": list(self.places_kept(room, runtime).queue),
            "share": {"member_id": share.member_id, "ends_at": iso_utc(share.ends_at)}
            if share else None,
            "pinned": runtime.pinned,
            # Beyond DESIGN §3, for pages: is member chat open now, and the format's phases.
            "chat": phase.chat if phase else True,
            "phases": [p.name for p in fmt.phases] if room.kind == "meeting" else [],
            "now": iso_utc(self.clock()),  # the server's time, for countdowns
        }

    async def publish_state(self, room: RoomConfig, runtime: RoomRuntime | None = None) -> None:
        runtime = runtime or await self.runtime(room)
        state = self.state_wire(room, runtime)
        await self.bus.publish(Envelope(room.id, "room_state", state))
        if room.kind == "meeting":
            # People waiting in the lobby see the room open (and the pinned welcome).
            await self.bus.publish(Envelope(room.id, "room_state", state, to="lobby"))

    async def publish_presence(self, room_id: str, *, joined: dict[str, Any] | None = None,
                               left: str | None = None) -> None:
        """Tell the room a member joined (or changed) or left; a storm is coalesced."""
        await self.presence.change(room_id, joined=joined, left=left)

    async def tell_member(self, member: Member, event: str, data: dict[str, Any]) -> None:
        await self.bus.publish(Envelope(member.room, event, {"room": member.room, **data},
                                        to="member", member_id=member.id,
                                        process=member.process))

    async def tell_staff(self, room_id: str, event: str, data: dict[str, Any]) -> None:
        await self.bus.publish(Envelope(room_id, event, {"room": room_id, **data}, to="staff"))

    async def raise_alert(self, room_id: str, kind: AlertKind, member_id: str,
                          **details: str | None) -> None:
        """Tell the room's staff, and keep the alert for staff who join or reload later
        (their join answer carries it). Telling comes first: an alert that could not be
        kept still reaches everyone on duty."""
        alert = Alert(new_id(), room_id, kind, member_id, self.clock(), **details)
        await self.bus.publish(Envelope(room_id, "alert", alert.to_wire(), to="staff"))
        try:
            await self.store.keep_alert(alert)
        except StoreUnavailable:
            log.warning("an alert was sent but not kept: the store is unavailable")

    async def evict(self, room: RoomConfig, member: Member, *, revoke: bool,
                    disconnect: bool = False, keep_place: bool = False,
                    held_by: str | None = None) -> None:
        """End a membership everywhere: sockets leave, presence and queue forget it.

        `revoke` also refuses the member's resume token, so a removed member cannot
        walk back in under the same identity. `keep_place` (a dropped connection)
        leaves their hand in the queue and their share running, so a reload or a
        phone's dropped tab resumes into both; `next_share` skips anyone not back, and
        the place goes by itself once no resume could come (`keep_place`).
        `held_by` (a reap): only while that process still holds the membership —
        one resumed on another process since it was read goes on.
        """
        if held_by is not None:
            removed = await self.store.remove_member(room.id, member.id, process=held_by)
            if removed is None:
                return
        await self.bus.publish(Envelope(room.id, DETACH, {"disconnect": disconnect}, to="member",
                                        member_id=member.id, process=member.process))
        if revoke:
            await self.store.revoke_member(room.id, member.id, self.settings.limits.token_ttl_s)
        if held_by is None:
            removed = await self.store.remove_member(room.id, member.id)
        # A private check-in ends with the membership (DESIGN §3), however it ended.
        await self.store.close_private(room.id, [member.id])
        if removed is None:
            return
        if keep_place:
            # Timed from the drop before the room hears of it: whoever acts on the
            # departure (a join, a next_share) finds the place already timed.
            await self.keep_place(room, member.id)
        await self.publish_presence(room.id, left=member.id)
        if not keep_place:
            await self.drop_from_queue(room, member.id)

    async def keep_place(self, room: RoomConfig, member_id: str) -> None:
        """A dropped connection's hand stays in the queue; when it dropped is noted, so
        the place goes once a resume could no longer come (`places_kept`)."""
        # Most connections that drop have no hand up: look before taking the lock.
        if member_id not in (await self.runtime(room)).queue:
            return

        def note(runtime: RoomRuntime) -> RoomRuntime:
            return replace(runtime, away=dropped(runtime.queue, runtime.away, member_id,
                                                 self.clock()))

        # With the members read under the lock: a reload that was quicker than this
        # (resumed already) is here again, and is not timed as gone.
        await self.change_runtime(room, note, presence=True)

    async def drop_from_queue(self, room: RoomConfig, member_id: str) -> None:
        def drop(runtime: RoomRuntime) -> RoomRuntime:
            sharing = runtime.share is not None and runtime.share.member_id == member_id
            return replace(runtime, queue=tuple(m for m in runtime.queue if m != member_id),
                           share=None if sharing else runtime.share)

        await self.change_runtime(room, drop)

    async def record(self, room_id: str, *, actor: str, action: str,
                     target: str | None = None, reason: str | None = None,
                     detail: dict[str, Any] | None = None) -> None:
        entry = new_entry(entry_id=new_id(), now=self.clock(), actor=actor, action=action,
                          target=target, reason=reason, detail=detail)
        await self.records.add_audit(room_id, entry)

    async def facilitator_of(self, token: object) -> str | None:
        """The facilitator a valid, unexpired, unrevoked session token names.

        The one check for every way a token arrives (cookie, Bearer, handshake), so a
        logout or revocation holds everywhere at once.
        """
        now = self.clock()
        session = self.tokens.facilitator_session(token, now=now)
        if session is None:
            return None
        person = self.catalog.facilitator(session.name)
        # Deleted, or every session up to a moment ended (revoked, or the name re-made).
        if person is None or session.issued_at < person.not_before:
            return None
        try:
            revoked = await self.store.token_revoked(session.token_id, session.name,
                                                     session.issued_at, now,
                                                     epoch=session.epoch)
        except StoreUnavailable:
            # Fail closed: a session we cannot check may be one that was ended.
            log.warning("shared store unavailable; facilitator session not accepted")
            return None
        return None if revoked else session.name

    async def end_session(self, token: object) -> None:
        """Log out: this one token stops working on every process (others stay valid)."""
        now = self.clock()
        session = self.tokens.facilitator_session(token, now=now)
        if session is not None:
            await self.store.revoke_token(session.token_id, session.expires_at, now)

    async def revoke_facilitator(self, name: str) -> None:
        """Every token issued to `name` until now stops working on every process."""
        now = self.clock()
        # No token issued before now outlives now + the token lifetime.
        await self.store.revoke_tokens_before(name, now, now + self.settings.limits.token_ttl_s,
                                              now)
        if self.catalog.facilitators.get(name) is not None:
            # The record too, so it holds after a restart of the shared store.
            await self.records.revoke_sessions(name, now)

    def staff_role(self, room: RoomConfig, caller: Caller) -> Role | None:
        """The role a logged-in facilitator has in this room, or None."""
        name = caller.facilitator
        if name is None or self.catalog.facilitator(name) is None:
            return None
        if name in room.hosts:
            return Role.HOST
        return Role.FACILITATOR if room.may_facilitate(name) else None

    def login_holds(self, room: RoomConfig, caller: Caller, member: Member) -> bool:
        """Whether `member`'s seat is still the caller's to use as it was given. A seat a
        facilitator's login gave is only while that login is the caller's and still
        facilitates the room: a resume token outlives a logout, a revoked session, a
        deleted account and an admin's edit of the room's facilitators. A member's seat
        (a promoted co-facilitator's too) needs no login."""
        if member.facilitator is None:
            return True
        return caller.facilitator == member.facilitator \
            and self.staff_role(room, caller) is not None

    async def member(self, room: RoomConfig, member_id: str | None) -> Member:
        member = await self.lookup(room.id, member_id) if member_id else None
        if member is None:
            raise refuse("not_member", "Please join the room first.")
        return member

    async def lookup(self, room_id: str, member_id: str) -> Member | None:
        """The stored membership, or None if it ended.

        A membership this process still holds but the store has forgotten because
        it lost its state (Redis restarted empty) has not ended: until this process
        has put its members back that is `StoreUnavailable` (the client retries),
        never "not a member".
        """
        return await self.stored_or_lost(member_id,
                                         await self.store.get_member(room_id, member_id))

    async def stored_or_lost(self, member_id: str, member: Member | None) -> Member | None:
        """`lookup`'s rule for a membership already read from the store."""
        if member is None and member_id in self.local_members and (
                self.repairing or not await self.store.intact()):
            raise StoreUnavailable("membership not re-registered yet")
        return member

    async def token_wait(self, *buckets: tuple[str, BucketRule],
                         room_id: str | None = None) -> float:
        """Take one token from each of the stored buckets, named with their rules, in
        one atomic step: 0.0 when taken, else the seconds to wait (and none is taken)."""
        return await self.store.take_tokens(buckets, self.clock(), room_id)

    async def limit_action(self, kind: str, member: Member) -> None:
        """Take one of `member`'s tokens for `kind` ("hand", "report", "refused": a
        message the filters refused), or refuse `rate_limited`: each reaches the whole
        room or every staff console. Kept by device, as mutes and the message buckets
        are: a fresh join is a new member id, and would otherwise bring a full allowance."""
        limits = self.settings.limits
        wait = await self.token_wait(
            (f"{kind}:{member.device_hash}",
             BucketRule(limits.actions_burst, limits.actions_interval_s)),
            room_id=member.room)
        if wait:
            raise Refused(action_denial(wait))

    async def limit_join(self, device_hash: str, address: str | None = None) -> float:
        """Take one of the device's join tokens and one of its address's when it has
        one (staff have none), both or neither: 0.0 when taken, else the seconds to wait."""
        limits = self.settings.limits
        buckets = [(f"join:{device_hash}",
                    BucketRule(limits.joins_per_minute, 60 / limits.joins_per_minute))]
        if address is not None:
            per_address = limits.joins_per_address_per_minute
            buckets.append((f"join-address:{address}", BucketRule(per_address, 60 / per_address)))
        return await self.token_wait(*buckets)

    async def store_ready(self) -> bool:
        """Can the shared store be reached right now? (`/readyz`)"""
        try:
            await self.store.latest_seq("__ready__")
        except StoreUnavailable:
            return False
        return True
