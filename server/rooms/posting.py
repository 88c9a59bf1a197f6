"""Posting messages, raising hands and reporting: what members do in a room."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from moderation.decisions import Denial, bad_request
from moderation.filters import addressed_in, screen, validate_text
from moderation.permissions import check_hand, check_post
from moderation.ratelimit import (
    BucketRule,
    consume,
    held_full_denial,
    rate_denial,
    slow_denial,
)
from moderation.roles import is_staff
from server.config.settings import RoomConfig
from server.models.envelope import Envelope
from server.models.errors import StoreUnavailable
from server.models.live import HeldMessage, Member, Message, RoomRuntime
from server.rooms.calls import Refused, new_id, refuse
from server.rooms.core import RoomCore
from server.store.base import BucketTake, Posted, SendSnapshot, SnapshotMoved

MAX_CLIENT_ID = 64
MAX_REASON = 500
_SNAPSHOT_TRIES = 3


def _field(payload: object, name: str, kind: type, what: str) -> Any:
    value = payload.get(name) if isinstance(payload, dict) else None
    if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
        raise Refused(bad_request(f"{name} must be {what}."))
    return value


class Posting:
    def __init__(self, core: RoomCore) -> None:
        self.core = core
        # Without a store that publishes as it posts, post-then-publish runs under one
        # lock per room so this process hands messages to the bus in seq order.
        self._post_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def send(self, payload: object, member_id: str | None) -> dict[str, Any]:
        """Post a member's message: one snapshot read, pure rules, one atomic post."""
        core = self.core
        core.refuse_while_settling()
        room = core.config(payload.get("room") if isinstance(payload, dict) else None)
        # Checked now (pure), refused in its turn below; the @names it has are looked
        # up in the snapshot's one read: never the whole room's handles.
        text = validate_text(payload.get("text") if isinstance(payload, dict) else None)
        addressed = addressed_in(text) if isinstance(text, str) else ()
        fresh = False
        for _ in range(_SNAPSHOT_TRIES):
            now = core.clock()
            member, snapshot = await self._snapshot(room, member_id, now, addressed, fresh)
            try:
                return await self._send(room, payload, text, member, snapshot, now)
            except SnapshotMoved:
                # Something it decided on changed (another send took a token, a mute
                # landed), or a remembered snapshot would refuse: read and decide again.
                fresh = True
        raise StoreUnavailable("send snapshot kept moving")

    async def _snapshot(self, room: RoomConfig, member_id: str | None, now: float,
                        addressed: Sequence[str], fresh: bool) -> tuple[Member, SendSnapshot]:
        core = self.core
        if not member_id:
            raise refuse("not_member", "Please join the room first.")
        # The socket's membership is held here, so its device is known before the read.
        held = core.local_members.get(member_id)
        device = held.device_hash if held else None
        snapshot = await self._read(room, member_id, device, now, addressed, fresh)
        member = await core.stored_or_lost(member_id, snapshot.member)
        if member is None:
            raise refuse("not_member", "Please join the room first.")
        if device != member.device_hash:
            # Rare (the membership is not held here): the mute and the buckets follow
            # the stored membership's device, so read them again under its keys.
            snapshot = await self._read(room, member_id, member.device_hash, now, addressed,
                                        True)
            member = await core.stored_or_lost(member_id, snapshot.member)
            if member is None:
                raise refuse("not_member", "Please join the room first.")
        return member, snapshot

    async def _read(self, room: RoomConfig, member_id: str, device: str | None, now: float,
                    addressed: Sequence[str], fresh: bool) -> SendSnapshot:
        # Mutes and both rate buckets follow the device, not the membership: a member id
        # is new on every fresh join, so leave-and-join would otherwise lift a mute and
        # hand out a fresh allowance (slow mode undone by rejoining).
        if device is None:
            return await self.core.store.send_snapshot(room.id, member_id, [member_id], [],
                                                       now, addressed, fresh=fresh)
        return await self.core.store.send_snapshot(
            room.id, member_id, [member_id, device], [f"msg:{device}", f"slow:{device}"],
            now, addressed, fresh=fresh)

    async def _send(self, room: RoomConfig, payload: object, text: str | Denial,
                    member: Member, snapshot: SendSnapshot, now: float) -> dict[str, Any]:
        core = self.core
        client_id = _field(payload, "client_id", str, "a string")
        if not 1 <= len(client_id) <= MAX_CLIENT_ID:
            raise Refused(bad_request(f"client_id must be 1 to {MAX_CLIENT_ID} characters."))
        if not isinstance(text, str):
            raise Refused(text)

        idempotency_key = f"{member.id}:{client_id}"
        runtime = core.runtime_from(room, snapshot.runtime)
        mute = snapshot.mute
        phase = core.phase_of(room, runtime)
        denial = check_post(
            role=member.role, paused=runtime.paused,
            muted_until=mute.until if mute else None, muted_forever=bool(mute and not mute.until),
            chat_open=phase.chat if phase else True,
            sharing_member_id=runtime.share.member_id if runtime.share else None,
            member_id=member.id,
            hold_chat_during_share=core.format_of(room).hold_chat_during_share, now=now,
        )
        if denial is not None:
            _decided_on_fresh(snapshot)
            return await self._resent_or(Refused(denial), room.id, idempotency_key, now)

        verdict = screen(text, (*room.blocked_terms, *core.settings.blocked_terms),
                         check_pii=not is_staff(member.role), present=snapshot.present,
                         crisis_phrases=core.settings.crisis_phrases)
        if verdict.action != "allow" and not is_staff(member.role):
            assert verdict.denial is not None
            _decided_on_fresh(snapshot)  # before anything is held or alerted
            # A resend of a message posted before (the room changed since: "@Lake" is
            # refused once Lake has left) gets its first answer.
            first = await self._first_answer(room.id, idempotency_key, now)
            if first is not None:
                return first
            try:
                # Each refused message raises an alert or waits for staff: a flood of
                # them meets an allowance of its own (chat's is left alone, so someone
                # told "blocked" may rephrase at once).
                await core.limit_action("refused", member)
                await self._refuse_screened(room, member, text, verdict.action, verdict.pii,
                                            now)
            finally:
                if verdict.crisis:
                    # A blocked message can still be a cry for help: support never
                    # waits, not for a filter and not for a limit.
                    await self._support(room, member, None, text)
            raise Refused(verdict.denial)

        try:
            takes = [] if is_staff(member.role) else self._limit(snapshot, runtime.slow_mode,
                                                                 now)
        except Refused as refused:
            _decided_on_fresh(snapshot)
            return await self._resent_or(refused, room.id, idempotency_key, now)
        message = Message(new_id(), room.id, 0, member.to_wire(), text, now)
        posted = await self.post(room, message, idempotency_key, takes, snapshot)
        if posted.created and verdict.crisis:
            await self._support(room, member, posted.id, text)
        return {"message": {"id": posted.id, "seq": posted.seq}}

    async def _resent_or(self, refused: Refused, room_id: str, idempotency_key: str,
                         now: float) -> dict[str, Any]:
        """The first answer to a resend of a message already posted, else `refused`."""
        first = await self._first_answer(room_id, idempotency_key, now)
        if first is None:
            raise refused
        return first

    async def _first_answer(self, room_id: str, idempotency_key: str,
                            now: float) -> dict[str, Any] | None:
        """What a message posted under `idempotency_key` was answered (DESIGN: a resent
        client_id gets it whatever a mute, a pause, a limit or the room's members say
        now). Read only on the way to a refusal: a send that goes through learns it
        was a resend from the post itself."""
        first = await self.core.store.posted(room_id, idempotency_key, now)
        return {"message": {"id": first[0], "seq": first[1]}} if first else None

    async def post(self, room: RoomConfig, message: Message, idempotency_key: str,
                   takes: Sequence[BucketTake] = (),
                   snapshot: SendSnapshot | None = None) -> Posted:
        """Store and publish one message; a repeated idempotency key publishes nothing.
        With the `snapshot` it was decided on, nothing is posted if that moved since
        (`SnapshotMoved`)."""
        core = self.core
        if core.store.publishes_messages:
            # Stored and published in one atomic step (in seq order by construction):
            # no per-room lock, so one process's senders don't queue behind each other.
            return await core.store.post_message(room.id, message, idempotency_key,
                                                 core.clock(), takes, snapshot)
        async with self._post_locks[room.id]:
            posted = await core.store.post_message(room.id, message, idempotency_key,
                                                   core.clock(), takes, snapshot)
            if posted.created:
                stored = posted.message or message.stored_as(posted.seq, message.ts)
                await core.bus.publish(Envelope(room.id, "message", stored.to_wire()))
        return posted

    def _limit(self, snapshot: SendSnapshot, slow_mode: int, now: float) -> list[BucketTake]:
        """The tokens this message takes (pure: the post script stores them)."""
        limits = self.core.settings.limits
        message_bucket, slow_bucket = snapshot.buckets
        rule = BucketRule(limits.message_burst, limits.message_interval_s)
        state, wait = consume(message_bucket.bucket, rule, now)
        if wait:
            raise Refused(rate_denial(wait))
        takes = [BucketTake(message_bucket, state, rule.keep_s)]
        if slow_mode:
            # Slow mode is a bucket of one that refills every `slow_mode` seconds.
            slow = BucketRule(1, slow_mode)
            state, wait = consume(slow_bucket.bucket, slow, now)
            if wait:
                raise Refused(slow_denial(wait))
            takes.append(BucketTake(slow_bucket, state, slow.keep_s))
        return takes

    async def _refuse_screened(self, room: RoomConfig, member: Member, text: str, action: str,
                               pii: str | None, now: float) -> None:
        core = self.core
        if action == "hold":
            held = HeldMessage(new_id(), room.id, member.to_wire(), member.device_hash, text, now)
            wait = await core.store.hold_message(held)
            if wait:
                # The room holds all it keeps for staff: this one is refused, and says
                # so, rather than push out someone else's message unseen and untold.
                raise Refused(held_full_denial(wait))
            await core.tell_staff(room.id, "held", {"message": held.to_wire()})
        elif pii is not None:
            await core.raise_alert(room.id, "pii", member.id)

    async def _support(self, room: RoomConfig, member: Member, message_id: str | None,
                       text: str) -> None:
        core = self.core
        resources = [r.to_wire() for r in core.catalog.crisis_resources]
        await core.tell_member(member, "support", {"resources": resources})
        # `text`: staff need the words to judge how urgent it is (DESIGN §3 alert.text),
        # also when the message itself was blocked and never reached the room.
        await core.raise_alert(room.id, "crisis", member.id, text=text, message_id=message_id)

    async def hand(self, payload: object, member_id: str | None) -> dict[str, Any]:
        core = self.core
        room = core.config(payload.get("room") if isinstance(payload, dict) else None)
        member = await core.member(room, member_id)
        raised = _field(payload, "raised", bool, "true or false")
        now = core.clock()
        if raised:
            runtime = await core.runtime(room)
            mute = await core.store.get_mute(room.id, [member.id, member.device_hash], now)
            denial = check_hand(role=member.role, paused=runtime.paused, muted=mute is not None)
            if denial is not None:
                raise Refused(denial)
        await core.limit_action("hand", member)  # each raise or lower reaches everyone
        def move_hand(runtime: RoomRuntime) -> RoomRuntime:
            queue = tuple(m for m in runtime.queue if m != member.id)
            # Whoever raises or lowers a hand is here: no drop of theirs counts any more.
            away = tuple(entry for entry in runtime.away if entry[0] != member.id)
            return replace(runtime, queue=(*queue, member.id) if raised else queue, away=away)

        runtime = await core.change_runtime(room, move_hand)
        return {"queue": list(runtime.queue)}

    async def report(self, payload: object, member_id: str | None) -> dict[str, Any]:
        core = self.core
        room = core.config(payload.get("room") if isinstance(payload, dict) else None)
        member = await core.member(room, member_id)
        message_id = _field(payload, "message_id", str, "a string")
        reason = payload.get("reason") if isinstance(payload, dict) else None
        if reason is not None and not isinstance(reason, str):
            raise Refused(bad_request("reason must be a string."))
        message = await core.store.get_message(room.id, message_id)
        if message is None:
            raise refuse("not_found", "That message is no longer here.")
        # Every staff console hears each report, and they share the room's kept alerts
        # with crisis alerts: a flood must not push those out.
        await core.limit_action("report", member)
        await core.raise_alert(room.id, "report", message.author["id"], message_id=message.id,
                               reporter_id=member.id, reason=(reason or "")[:MAX_REASON])
        return {}


def _decided_on_fresh(snapshot: SendSnapshot) -> None:
    """A refusal stands only on a snapshot read now: a remembered one may be older than
    a lifted mute or a resumed room (the post would have checked it, a refusal cannot)."""
    if snapshot.remembered:
        raise SnapshotMoved()
