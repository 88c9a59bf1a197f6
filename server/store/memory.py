"""`MemoryStore`: the embedded default, one process, no Redis.

Expiry is lazy (checked against the `now` callers pass), so the store runs no
background task and tests can move time by passing a different `now`.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import OrderedDict, defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from moderation.ratelimit import Bucket, BucketRule, consume
from server.models.live import Alert, HeldMessage, Member, Message, Mute, RoomRuntime, Waiting
from server.store.base import (
    BucketRead,
    BucketTake,
    LoginKind,
    LoginLimits,
    Posted,
    SendSnapshot,
    SnapshotMoved,
)
from server.store.codec import message_from_json, message_to_json
from server.store.expiring import ExpiringMap
from server.store.memory_for_staff import MemoryForStaff
from server.store.memory_logins import LOGIN_ENTRIES, MemoryLogins
from server.store.memory_members import MemoryMembers
from server.store.memory_revocations import REVOCATIONS_SWEEP, MemoryRevocations

_IDEMPOTENCY_TTL_S = 15 * 60

# A buffered message as (ts, seq, its JSON): the garbage collector does not track a
# string, and untracks a tuple of a float, an int and a string at its first pass. A
# `Message` (with its author's dict) is traversed by every full collection for as long
# as it is buffered: 25,000 of them (50 busy rooms) made each full collection tens of
# milliseconds longer, a pause every few seconds under load (docs/performance.md).
_Kept = tuple[float, int, str]


@dataclass(frozen=True, slots=True, eq=False)
class _Seen:
    """What a send snapshot read, as the objects themselves: every change stores a
    new one (they are frozen), so "the same object" means "nothing changed"."""

    member_id: str
    mute_keys: tuple[str, ...]
    member: Member | None
    runtime: RoomRuntime | None
    mutes: tuple[Mute | None, ...]

    def same_as(self, now: _Seen) -> bool:
        return self.member is now.member and self.runtime is now.runtime and all(
            seen is current for seen, current in zip(self.mutes, now.mutes, strict=True))


class MemoryStore(MemoryMembers, MemoryRevocations, MemoryForStaff):
    """Every map here is bounded by configuration, never by traffic (docs/reliability.md):
    per-room maps are keyed by configured rooms and capped per room; per-server maps
    are `ExpiringMap`s capped at `live_entries`; everything a meeting leaves is dropped
    by `forget_room` when it closes."""

    publishes_messages = False

    def __init__(self, *, buffer_messages: int = 500, buffer_seconds: int = 900,
                 idempotency_keys: int = 1000, live_entries: int = 100_000,
                 login_entries: int = LOGIN_ENTRIES) -> None:
        self._buffer_messages = buffer_messages
        self._buffer_seconds = buffer_seconds
        self._idempotency_keys = idempotency_keys
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._runtime: dict[str, RoomRuntime] = {}
        self._members: dict[str, dict[str, Member]] = {}
        self._addressed: dict[str, dict[str, int]] = {}
        self._revoked: ExpiringMap[tuple[str, str], bool] = ExpiringMap(live_entries)
        self._mutes: dict[tuple[str, str], Mute] = {}
        # Keyed (room or "", key): a room's buckets go when its meeting closes.
        self._buckets: ExpiringMap[tuple[str, str], Bucket] = ExpiringMap(live_entries)
        self._seq: defaultdict[str, int] = defaultdict(int)
        self._buffer: dict[str, OrderedDict[str, _Kept]] = {}
        # Per room, in posting order: (message id, seq) by idempotency key. The TTL is the
        # same for all, so the front is always the next to lapse.
        self._posted: dict[str, ExpiringMap[str, tuple[str, int]]] = {}
        self._held: dict[str, dict[str, HeldMessage]] = {}
        self._alerts: dict[str, dict[str, Alert]] = {}
        self._crisis_alerts: dict[str, dict[str, Alert]] = {}
        self._waiting: dict[str, dict[str, Waiting]] = {}
        self._private: dict[str, dict[str, float]] = {}  # room → member id → opened at
        self._claims: ExpiringMap[str, bool] = ExpiringMap(live_entries)
        self.logins = MemoryLogins(login_entries)
        self._revoked_tokens: dict[str, float] = {}  # token id → expires_at
        self._not_before: dict[str, tuple[float, float]] = {}  # name → (cut-off, expires_at)
        self._revocations_high_water = REVOCATIONS_SWEEP
        self._bans_marker = secrets.token_hex(8)
        self._session_epoch = secrets.token_hex(8)

    async def close(self) -> None:
        return None

    # One process: always alive, never restarted under itself.
    async def heartbeat(self, process_id: str, ttl_s: float) -> bool:
        return True

    async def intact(self) -> bool:
        return True

    async def sweep(self, now: float) -> None:
        # Without Redis's TTLs, idle state would sit here until the next write touched
        # it: an empty drop-in room would keep its buffer (message text) for ever.
        for room_id in list(self._buffer):
            buffer = self._buffer[room_id]
            self._trim(buffer, now)
            if not buffer:
                del self._buffer[room_id]
        for room_id in {*self._held, *self._alerts, *self._crisis_alerts}:
            self._trim_for_staff(room_id, now)
        for window in self._posted.values():
            window.expire(now)
        self._posted = {r: w for r, w in self._posted.items() if len(w)}
        self._mutes = {k: m for k, m in self._mutes.items() if m.active(now)}
        monotonic = time.monotonic()
        for expiring in (self._buckets, self._revoked, self._claims):
            expiring.expire(monotonic)
        self.logins.expire(monotonic)

    async def dead_processes(self, process_id: str) -> list[str]:
        return []

    async def login_limits(self, address: str | None, kind: LoginKind,
                           account: str) -> LoginLimits:
        return self.logins.read(address, kind, account)

    async def swap_login_limits(self, address: str | None, kind: LoginKind, account: str,
                                seen: LoginLimits, new: LoginLimits, *,
                                address_ttl_s: float, account_ttl_s: float) -> bool:
        return self.logins.swap(address, kind, account, seen, new, address_ttl_s,
                                account_ttl_s)

    async def claim(self, key: str, ttl_s: float) -> bool:
        now = time.monotonic()
        if self._claims.get(key, now):
            return False
        self._claims.put(key, True, now + ttl_s, now)
        return True

    async def claimed(self, key: str) -> bool:
        return bool(self._claims.get(key, time.monotonic()))

    async def forget_process(self, dead_process_id: str) -> None:
        return None

    async def reseed_seq(self, room_id: str) -> None:
        return None

    async def forget_room(self, room_id: str) -> None:
        self._buffer.pop(room_id, None)
        self._held.pop(room_id, None)
        self._alerts.pop(room_id, None)
        self._crisis_alerts.pop(room_id, None)
        self._posted.pop(room_id, None)
        self._waiting.pop(room_id, None)
        self._private.pop(room_id, None)
        if not self._members.get(room_id):
            self._members.pop(room_id, None)
        self._mutes = {k: m for k, m in self._mutes.items() if k[0] != room_id}
        self._buckets.drop_where(lambda key: key[0] == room_id)

    def footprint(self, room_id: str) -> dict[str, int]:
        """How many entries each structure holds for one room (absent when none)."""
        sizes = {
            "runtime": int(room_id in self._runtime),
            "members": len(self._members.get(room_id, {})),
            "addressed": len(self._addressed.get(room_id, {})),
            "revoked": sum(1 for k in self._revoked if k[0] == room_id),
            "mutes": sum(1 for k in self._mutes if k[0] == room_id),
            "buckets": sum(1 for k in self._buckets if k[0] == room_id),
            "seq": int(self._seq.get(room_id, 0) > 0),
            "buffer": len(self._buffer.get(room_id, {})),
            "posted": len(self._posted.get(room_id, ())),
            "held": len(self._held.get(room_id, {})),
            "alerts": len(self._alerts.get(room_id, {})),
            "crisis_alerts": len(self._crisis_alerts.get(room_id, {})),
            "waiting": len(self._waiting.get(room_id, {})),
            "private": len(self._private.get(room_id, {})),
        }
        return {name: size for name, size in sizes.items() if size}

    @asynccontextmanager
    async def room_lock(self, room_id: str) -> AsyncIterator[None]:
        # One lock per configured room (callers only pass configured room ids).
        async with self._locks[room_id]:
            yield

    async def get_runtime(self, room_id: str) -> RoomRuntime | None:
        return self._runtime.get(room_id)

    async def put_runtime(self, room_id: str, runtime: RoomRuntime) -> None:
        self._runtime[room_id] = runtime

    async def set_mute(self, room_id: str, keys: list[str], mute: Mute, now: float) -> None:
        for key in keys:
            self._mutes[(room_id, key)] = mute

    async def get_mute(self, room_id: str, keys: list[str], now: float) -> Mute | None:
        for key in keys:
            mute = self._mutes.get((room_id, key))
            if mute is not None and mute.active(now):
                return mute
        return None

    async def clear_mute(self, room_id: str, keys: list[str]) -> None:
        for key in keys:
            self._mutes.pop((room_id, key), None)

    async def put_waiting(self, waiting: Waiting) -> None:
        self._waiting.setdefault(waiting.room, {})[waiting.id] = waiting

    async def remove_waiting(self, room_id: str, waiting_id: str) -> Waiting | None:
        waiting = self._waiting.get(room_id)
        if waiting is None:
            return None
        removed = waiting.pop(waiting_id, None)
        if not waiting:
            del self._waiting[room_id]
        return removed

    async def waiting(self, room_id: str) -> list[Waiting]:
        return sorted(self._waiting.get(room_id, {}).values(), key=lambda w: w.since)

    async def take_tokens(self, buckets: Sequence[tuple[str, BucketRule]], now: float,
                          room_id: str | None = None) -> float:
        # No await inside: on one event loop this is one atomic step.
        clock, room = time.monotonic(), room_id or ""
        taken, wait = [], 0.0
        for key, rule in buckets:
            state, retry_after = consume(self._buckets.get((room, key), clock), rule, now)
            taken.append((key, state, rule.keep_s))
            wait = max(wait, retry_after)
        if wait:
            return wait
        for key, state, keep_s in taken:
            self._buckets.put((room, key), state, clock + keep_s, clock)
        return 0.0

    async def send_snapshot(self, room_id: str, member_id: str, mute_keys: list[str],
                            bucket_keys: list[str], now: float,
                            addressed: Sequence[str] = (),
                            fresh: bool = False) -> SendSnapshot:
        clock = time.monotonic()
        reads = []
        for key in bucket_keys:
            bucket = self._buckets.get((room_id, key), clock)
            reads.append(BucketRead(key, bucket, version=bucket))
        mute = await self.get_mute(room_id, mute_keys, now)
        counts = self._addressed.get(room_id, {})
        member = self._members.get(room_id, {}).get(member_id)
        runtime = self._runtime.get(room_id)
        return SendSnapshot(member, runtime, mute, tuple(reads),
                            frozenset(key for key in addressed if key in counts),
                            version=self._seen(room_id, member_id, mute_keys))

    def _seen(self, room_id: str, member_id: str, mute_keys: Sequence[str]) -> _Seen:
        # Every change stores a new object (they are frozen): the very objects a
        # snapshot read are its version.
        return _Seen(member_id, tuple(mute_keys), self._members.get(room_id, {}).get(member_id),
                     self._runtime.get(room_id),
                     tuple(self._mutes.get((room_id, key)) for key in mute_keys))

    def _take(self, room_id: str, takes: Sequence[BucketTake]) -> None:
        clock = time.monotonic()
        # The version is the very object the snapshot read: anything else means a
        # write came between.
        if any(self._buckets.get((room_id, t.read.key), clock) is not t.read.version
               for t in takes):
            raise SnapshotMoved()
        for take in takes:
            self._buckets.put((room_id, take.read.key), take.new, clock + take.ttl_s, clock)

    async def post_message(self, room_id: str, message: Message, idempotency_key: str,
                           now: float, takes: Sequence[BucketTake] = (),
                           snapshot: SendSnapshot | None = None) -> Posted:
        # No await inside: on one event loop this whole method is one atomic step.
        window = self._posted.get(room_id)
        if window is None:
            window = self._posted[room_id] = ExpiringMap(self._idempotency_keys)
        seen = window.get(idempotency_key, now)
        if seen is not None:
            return Posted(seen[0], seen[1], False)  # a resend: first, so it takes no token
        read = snapshot.version if snapshot is not None else None
        if isinstance(read, _Seen) and not read.same_as(
                self._seen(room_id, read.member_id, read.mute_keys)):
            raise SnapshotMoved()  # a mute, a pause, a removal came after the read
        self._take(room_id, takes)
        self._seq[room_id] += 1
        stored = message.stored_as(self._seq[room_id], now)
        buffer = self._buffer.setdefault(room_id, OrderedDict())
        buffer[stored.id] = (stored.ts, stored.seq, message_to_json(stored))
        self._trim(buffer, now)
        # O(1) amortised: lapsed keys leave from the front, the cap drops the oldest.
        window.put(idempotency_key, (stored.id, stored.seq), now + _IDEMPOTENCY_TTL_S, now)
        return Posted(stored.id, stored.seq, True, stored)

    def _trim(self, buffer: OrderedDict[str, _Kept], now: float) -> None:
        while buffer:
            oldest_ts = next(iter(buffer.values()))[0]
            if len(buffer) <= self._buffer_messages and oldest_ts >= now - self._buffer_seconds:
                break
            buffer.popitem(last=False)

    async def posted(self, room_id: str, idempotency_key: str,
                     now: float) -> tuple[str, int] | None:
        window = self._posted.get(room_id)
        return window.get(idempotency_key, now) if window is not None else None

    async def messages_after(self, room_id: str, seq: int, now: float) -> list[Message]:
        buffer = self._buffer.get(room_id)
        if buffer is None:
            return []
        self._trim(buffer, now)
        return [message_from_json(kept[2]) for kept in buffer.values() if kept[1] > seq]

    async def get_message(self, room_id: str, message_id: str) -> Message | None:
        buffer = self._buffer.get(room_id)
        kept = buffer.get(message_id) if buffer is not None else None
        return message_from_json(kept[2]) if kept is not None else None

    async def delete_message(self, room_id: str, message_id: str) -> Message | None:
        buffer = self._buffer.get(room_id)
        kept = buffer.pop(message_id, None) if buffer is not None else None
        return message_from_json(kept[2]) if kept is not None else None

    async def latest_seq(self, room_id: str) -> int:
        return self._seq.get(room_id, 0)

    async def clear_messages(self, room_id: str) -> None:
        # seq keeps counting: a client's last_seq from before must never match anew.
        self._buffer.pop(room_id, None)
        self._held.pop(room_id, None)
        self._alerts.pop(room_id, None)
        self._crisis_alerts.pop(room_id, None)

    async def open_private(self, room_id: str, member_id: str, now: float) -> bool:
        lines = self._private.setdefault(room_id, {})
        if member_id in lines:
            return False
        lines[member_id] = now
        return True

    async def private_open(self, room_id: str, member_id: str) -> bool:
        return member_id in self._private.get(room_id, {})

    async def close_private(self, room_id: str, member_ids: list[str]) -> None:
        lines = self._private.get(room_id)
        if lines is None:
            return
        for member_id in member_ids:
            lines.pop(member_id, None)
        if not lines:
            del self._private[room_id]

    async def private_lines(self, room_id: str) -> list[str]:
        return list(self._private.get(room_id, {}))
