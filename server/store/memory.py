"""`MemoryStore`: the embedded default, one process, no Redis.

Expiry is lazy (checked against the `now` callers pass), so the store runs no
background task and tests can move time by passing a different `now`.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

from moderation.audit import AuditEntry, retained
from moderation.ratelimit import Bucket
from server.models.live import Ban, HeldMessage, Member, Message, Mute, RoomRuntime, Waiting
from server.store.base import Posted

_IDEMPOTENCY_TTL_S = 15 * 60
# Revocations expire lazily; past this many entries the expired ones are swept.
_REVOCATIONS_SWEEP = 1024


class MemoryStore:
    publishes_messages = False

    def __init__(self, *, buffer_messages: int = 500, buffer_seconds: int = 900) -> None:
        self._buffer_messages = buffer_messages
        self._buffer_seconds = buffer_seconds
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._runtime: dict[str, RoomRuntime] = {}
        self._members: defaultdict[str, dict[str, Member]] = defaultdict(dict)
        self._revoked: dict[tuple[str, str], float] = {}
        self._mutes: dict[tuple[str, str], Mute] = {}
        self._bans: dict[str, Ban] = {}
        self._buckets: dict[str, tuple[Bucket, float]] = {}
        self._seq: defaultdict[str, int] = defaultdict(int)
        self._buffer: defaultdict[str, OrderedDict[str, Message]] = defaultdict(OrderedDict)
        self._posted: dict[tuple[str, str], tuple[Posted, float]] = {}
        self._held: defaultdict[str, dict[str, HeldMessage]] = defaultdict(dict)
        self._audit: defaultdict[str, list[AuditEntry]] = defaultdict(list)
        self._waiting: defaultdict[str, dict[str, Waiting]] = defaultdict(dict)
        self._claims: dict[str, float] = {}
        self._revoked_tokens: dict[str, float] = {}  # token id → expires_at
        self._not_before: dict[str, tuple[float, float]] = {}  # name → (cut-off, expires_at)
        self._revocations_high_water = _REVOCATIONS_SWEEP

    async def close(self) -> None:
        return None

    # One process: always alive, never restarted under itself.
    async def heartbeat(self, process_id: str, ttl_s: float) -> bool:
        return True

    async def dead_processes(self, process_id: str) -> list[str]:
        return []

    async def claim(self, key: str, ttl_s: float) -> bool:
        now = time.monotonic()
        if self._claims.get(key, 0.0) > now:
            return False
        self._claims[key] = now + ttl_s
        return True

    async def forget_process(self, dead_process_id: str) -> None:
        return None

    async def reseed_seq(self, room_id: str) -> None:
        return None

    @asynccontextmanager
    async def room_lock(self, room_id: str) -> AsyncIterator[None]:
        async with self._locks[room_id]:
            yield

    async def get_runtime(self, room_id: str) -> RoomRuntime | None:
        return self._runtime.get(room_id)

    async def put_runtime(self, room_id: str, runtime: RoomRuntime) -> None:
        self._runtime[room_id] = runtime

    async def put_member(self, member: Member) -> None:
        self._members[member.room][member.id] = member

    async def get_member(self, room_id: str, member_id: str) -> Member | None:
        return self._members[room_id].get(member_id)

    async def remove_member(self, room_id: str, member_id: str) -> Member | None:
        return self._members[room_id].pop(member_id, None)

    async def members(self, room_id: str) -> list[Member]:
        return sorted(self._members[room_id].values(), key=lambda m: m.joined_at)

    async def member_count(self, room_id: str) -> int:
        return len(self._members[room_id])

    async def revoke_member(self, room_id: str, member_id: str, ttl_s: int) -> None:
        self._revoked[(room_id, member_id)] = time.monotonic() + ttl_s

    async def is_revoked(self, room_id: str, member_id: str) -> bool:
        until = self._revoked.get((room_id, member_id))
        return until is not None and until > time.monotonic()

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
        self._waiting[waiting.room][waiting.id] = waiting

    async def remove_waiting(self, room_id: str, waiting_id: str) -> Waiting | None:
        return self._waiting[room_id].pop(waiting_id, None)

    async def waiting(self, room_id: str) -> list[Waiting]:
        return sorted(self._waiting[room_id].values(), key=lambda w: w.since)

    async def add_ban(self, ban: Ban) -> None:
        self._bans[ban.ban_id] = ban

    async def remove_ban(self, ban_id: str) -> Ban | None:
        return self._bans.pop(ban_id, None)

    async def bans(self, room_id: str, now: float) -> list[Ban]:
        return [b for b in self._bans.values()
                if b.active(now) and (b.room is None or b.room == room_id)]

    async def get_bucket(self, key: str) -> Bucket | None:
        found = self._buckets.get(key)
        if found is None or found[1] < time.monotonic():
            return None
        return found[0]

    async def put_bucket(self, key: str, bucket: Bucket, ttl_s: float) -> None:
        self._buckets[key] = (bucket, time.monotonic() + ttl_s)

    async def revoke_token(self, token_id: str, expires_at: float, now: float) -> None:
        self._revoked_tokens[token_id] = expires_at
        self._sweep_revocations(now)

    async def revoke_tokens_before(self, name: str, not_before: float, expires_at: float,
                                   now: float) -> None:
        cut, until = self._not_before.get(name, (not_before, expires_at))
        self._not_before[name] = (max(cut, not_before), max(until, expires_at))
        self._sweep_revocations(now)

    async def token_revoked(self, token_id: str, name: str, issued_at: float,
                            now: float) -> bool:
        until = self._revoked_tokens.get(token_id)
        if until is not None and until > now:
            return True
        cut = self._not_before.get(name)
        return cut is not None and cut[1] > now and issued_at <= cut[0]

    def _sweep_revocations(self, now: float) -> None:
        if len(self._revoked_tokens) + len(self._not_before) <= self._revocations_high_water:
            return
        self._revoked_tokens = {k: v for k, v in self._revoked_tokens.items() if v > now}
        self._not_before = {k: v for k, v in self._not_before.items() if v[1] > now}
        # Live entries are bounded by logins within one token lifetime; sweep again
        # only once they have doubled, so a sweep costs O(1) per revocation.
        self._revocations_high_water = max(
            _REVOCATIONS_SWEEP, 2 * (len(self._revoked_tokens) + len(self._not_before)))

    async def post_message(self, room_id: str, message: Message, idempotency_key: str,
                           now: float) -> Posted:
        # No await inside: on one event loop this whole method is one atomic step.
        seen = self._posted.get((room_id, idempotency_key))
        if seen is not None and seen[1] > now:
            return replace(seen[0], created=False)
        self._seq[room_id] += 1
        stored = replace(message, seq=self._seq[room_id], ts=now)
        buffer = self._buffer[room_id]
        buffer[stored.id] = stored
        self._trim(buffer, now)
        posted = Posted(stored.id, stored.seq, True)
        self._posted[(room_id, idempotency_key)] = (posted, now + _IDEMPOTENCY_TTL_S)
        if len(self._posted) > 50_000:
            self._posted = {k: v for k, v in self._posted.items() if v[1] > now}
        return posted

    def _trim(self, buffer: OrderedDict[str, Message], now: float) -> None:
        while buffer:
            oldest = next(iter(buffer.values()))
            if len(buffer) <= self._buffer_messages and oldest.ts >= now - self._buffer_seconds:
                break
            buffer.popitem(last=False)

    async def messages_after(self, room_id: str, seq: int, now: float) -> list[Message]:
        buffer = self._buffer[room_id]
        self._trim(buffer, now)
        return [m for m in buffer.values() if m.seq > seq]

    async def get_message(self, room_id: str, message_id: str) -> Message | None:
        return self._buffer[room_id].get(message_id)

    async def delete_message(self, room_id: str, message_id: str) -> Message | None:
        return self._buffer[room_id].pop(message_id, None)

    async def latest_seq(self, room_id: str) -> int:
        return self._seq[room_id]

    async def clear_messages(self, room_id: str) -> None:
        # seq keeps counting: a client's last_seq from before must never match anew.
        self._buffer.pop(room_id, None)
        self._held.pop(room_id, None)

    async def hold_message(self, held: HeldMessage) -> None:
        self._held[held.room][held.id] = held

    async def take_held(self, room_id: str, held_id: str) -> HeldMessage | None:
        return self._held[room_id].pop(held_id, None)

    async def add_audit(self, room_id: str, entry: AuditEntry) -> None:
        self._audit[room_id].append(entry)

    async def audit(self, room_id: str, now: float) -> list[AuditEntry]:
        self._audit[room_id] = retained(self._audit[room_id], now)
        return list(self._audit[room_id])
