"""`RedisStore`: the same `Store` contract, shared by every process through Redis.

Posting is one Lua script — idempotency check, next seq, append to the capped buffer,
publish to the room's channel — so no process can see seq N+1 before seq N exists,
and a message is never acknowledged unless it was stored.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import cast

import redis.asyncio as aioredis

from moderation.ratelimit import EPSILON, BucketRule
from server.models import redis_names as names
from server.models.live import Message, Mute, RoomRuntime, Waiting
from server.store import codec
from server.store import redis_scripts as scripts
from server.store.expiring import ExpiringMap
from server.store.redis_client import redis_client
from server.store.redis_for_staff import RedisForStaff
from server.store.redis_logins import RedisLogins
from server.store.redis_members import RedisMembers
from server.store.redis_private import RedisPrivateLines
from server.store.redis_private import unavailable_on_error as _unavailable_on_error
from server.store.redis_revocations import RedisRevocations
from server.store.redis_room_lock import RedisRoomLock
from server.store.redis_sends import REMEMBERED_SENDS, RedisSends

__all__ = ["RedisStore", "redis_client"]

# What a closed meeting leaves in Redis (docs/reliability.md): seq (a last_seq from
# before must never match anew), the bare closed runtime (every process must answer
# `closed`), the room lock while held, and revoked:* (a removed member's id, expiring
# with their resume token). Bans and the audit log are records (server/records/).
_KEPT_AFTER_CLOSE = frozenset({"seq", "runtime", "lock"})


class RedisStore(RedisSends, RedisMembers, RedisRoomLock, RedisForStaff, RedisLogins,
                 RedisPrivateLines, RedisRevocations):
    publishes_messages = True

    def __init__(self, client: aioredis.Redis, *, process_id: str, buffer_messages: int = 500,
                 buffer_seconds: int = 900, idempotency_keys: int = 1000,
                 on_lock_overrun: Callable[[], None] | None = None) -> None:
        self.redis = client
        self.lock_overruns = 0
        self._on_lock_overrun = on_lock_overrun
        # This process's waiters for a room's lock queue here, first come first served,
        # and only the first polls Redis: redis-py's lock is a SET NX retried every
        # `sleep`, so a lobby opening (hundreds of seats at once) was hundreds of pollers,
        # each seat waiting up to a poll after the one before. One per room (configured).
        self._local_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.process_id = process_id
        self._buffer_messages = buffer_messages
        self._buffer_seconds = buffer_seconds
        self._idempotency_keys = idempotency_keys
        self._post = client.register_script(scripts.POST)
        self._raise = client.register_script(scripts.RAISE)
        self._not_before = client.register_script(scripts.NOT_BEFORE)
        self._swap = client.register_script(scripts.SWAP)
        self._take = client.register_script(scripts.TAKE)
        self._hold = client.register_script(scripts.HOLD)
        self._put_member = client.register_script(scripts.PUT_MEMBER)
        self._remove_member = client.register_script(scripts.REMOVE_MEMBER)
        self._epoch: bytes | None = None
        # Highest seq this process has seen per room: the floor after a Redis restart.
        self.highest_seq: dict[str, int] = {}
        self._last_sends = ExpiringMap(REMEMBERED_SENDS)

    async def close(self) -> None:
        await self.redis.aclose()

    async def heartbeat(self, process_id: str, ttl_s: float) -> bool:
        with _unavailable_on_error():
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.set(names.alive(process_id), 1, px=int(ttl_s * 1000))
                pipe.sadd(names.PROCESSES, process_id)
                pipe.get(names.EPOCH)
                *_, epoch = await pipe.execute()
        if epoch is None:
            # Empty Redis (first start, restart without persistence, failover).
            epoch = (await self.marker(names.EPOCH)).encode()
        known, self._epoch = self._epoch, epoch
        return known is None or known == epoch

    async def intact(self) -> bool:
        """False once Redis has lost what it held since our last beat (epoch gone or new)."""
        if self._epoch is None:
            return True
        with _unavailable_on_error():
            return bool(await self.redis.get(names.EPOCH) == self._epoch)

    async def sweep(self, now: float) -> None:
        return None  # Redis expires keys itself

    async def forget_room(self, room_id: str) -> None:
        doomed: list[bytes | str] = []
        with _unavailable_on_error():
            async for key in self.redis.scan_iter(match=names.room_key(room_id, "*"),
                                                  count=500):
                part = (key.decode() if isinstance(key, bytes) else key).split("}:", 1)[1]
                if part not in _KEPT_AFTER_CLOSE and not part.startswith("revoked:"):
                    doomed.append(key)
            for start in range(0, len(doomed), 500):
                await self.redis.unlink(*doomed[start:start + 500])

    async def dead_processes(self, process_id: str) -> list[str]:
        with _unavailable_on_error():
            members = [m.decode() if isinstance(m, bytes) else m
                       for m in await self.redis.smembers(names.PROCESSES)]
            others = [m for m in members if m != process_id]
            if not others:
                return []
            async with self.redis.pipeline(transaction=False) as pipe:
                for other in others:
                    pipe.exists(names.alive(other))
                alive = await pipe.execute()
        return [pid for pid, up in zip(others, alive, strict=True) if not up]

    async def claim(self, key: str, ttl_s: float) -> bool:
        with _unavailable_on_error():
            return bool(await self.redis.set(f"{names.PREFIX}claim:{key}", self.process_id,
                                             nx=True, px=max(1, int(ttl_s * 1000))))

    async def claimed(self, key: str) -> bool:
        with _unavailable_on_error():
            return bool(await self.redis.exists(f"{names.PREFIX}claim:{key}"))

    async def forget_process(self, dead_process_id: str) -> None:
        with _unavailable_on_error():
            await self.redis.srem(names.PROCESSES, dead_process_id)

    async def reseed_seq(self, room_id: str) -> None:
        floor = self.highest_seq.get(room_id, 0)
        if floor:
            await self.raise_seq(room_id, floor)

    async def get_runtime(self, room_id: str) -> RoomRuntime | None:
        with _unavailable_on_error():
            raw = await self.redis.get(names.room_key(room_id, "runtime"))
        return codec.runtime_from_json(raw) if raw else None

    async def put_runtime(self, room_id: str, runtime: RoomRuntime) -> None:
        with _unavailable_on_error():
            await self.redis.set(names.room_key(room_id, "runtime"), codec.runtime_to_json(runtime))

    async def _hpop(self, key: str, field: str) -> bytes | None:
        """Read and delete one hash field in one step: only one caller gets it."""
        with _unavailable_on_error():
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.hget(key, field)
                pipe.hdel(key, field)
                raw, removed = await pipe.execute()
        return raw if raw and removed else None

    async def set_mute(self, room_id: str, keys: list[str], mute: Mute, now: float) -> None:
        ttl = max(1, int(mute.until - now) + 1) if mute.until is not None else None
        with _unavailable_on_error():
            async with self.redis.pipeline(transaction=True) as pipe:
                for key in keys:
                    pipe.set(names.room_key(room_id, f"mute:{key}"), codec.mute_to_json(mute),
                             ex=ttl)
                await pipe.execute()

    async def get_mute(self, room_id: str, keys: list[str], now: float) -> Mute | None:
        with _unavailable_on_error():
            raw = await self.redis.mget([names.room_key(room_id, f"mute:{k}") for k in keys])
        for item in raw:
            if item:
                mute = codec.mute_from_json(item)
                if mute.active(now):
                    return mute
        return None

    async def clear_mute(self, room_id: str, keys: list[str]) -> None:
        with _unavailable_on_error():
            await self.redis.delete(*[names.room_key(room_id, f"mute:{k}") for k in keys])

    async def put_waiting(self, waiting: Waiting) -> None:
        with _unavailable_on_error():
            await self.redis.hset(names.room_key(waiting.room, "waiting"), waiting.id,
                                  codec.waiting_to_json(waiting))

    async def remove_waiting(self, room_id: str, waiting_id: str) -> Waiting | None:
        raw = await self._hpop(names.room_key(room_id, "waiting"), waiting_id)
        return codec.waiting_from_json(raw) if raw else None

    async def waiting(self, room_id: str) -> list[Waiting]:
        with _unavailable_on_error():
            raw = await self.redis.hvals(names.room_key(room_id, "waiting"))
        return sorted((codec.waiting_from_json(r) for r in raw), key=lambda w: w.since)

    async def take_tokens(self, buckets: Sequence[tuple[str, BucketRule]], now: float,
                          room_id: str | None = None) -> float:
        args: list[float | int] = [now, EPSILON]
        for _, rule in buckets:
            args += [rule.burst, rule.interval_s, max(1, int(rule.keep_s * 1000))]
        with _unavailable_on_error():
            wait = await self._take(keys=[self._bucket_key(key, room_id) for key, _ in buckets],
                                    args=args)
        return float(wait)

    async def raise_seq(self, room_id: str, floor: int) -> int:
        with _unavailable_on_error():
            return int(await self._raise(keys=[names.room_key(room_id, "seq")], args=[floor]))

    async def messages_after(self, room_id: str, seq: int, now: float) -> list[Message]:
        with _unavailable_on_error():
            ids = cast(list[bytes], await self.redis.zrangebyscore(
                names.room_key(room_id, "buffer"), f"({seq}", "+inf"))
            raw = await self.redis.hmget(names.room_key(room_id, "messages"), ids) if ids else []
        messages = [codec.message_from_json(r) for r in raw if r]
        return [m for m in messages if m.ts >= now - self._buffer_seconds]

    async def get_message(self, room_id: str, message_id: str) -> Message | None:
        with _unavailable_on_error():
            raw = await self.redis.hget(names.room_key(room_id, "messages"), message_id)
        return codec.message_from_json(raw) if raw else None

    async def delete_message(self, room_id: str, message_id: str) -> Message | None:
        with _unavailable_on_error():
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.hget(names.room_key(room_id, "messages"), message_id)
                pipe.hdel(names.room_key(room_id, "messages"), message_id)
                pipe.zrem(names.room_key(room_id, "buffer"), message_id)
                pipe.zrem(names.room_key(room_id, "ages"), message_id)
                raw, removed, *_ = await pipe.execute()
        return codec.message_from_json(raw) if raw and removed else None

    async def latest_seq(self, room_id: str) -> int:
        with _unavailable_on_error():
            raw = await self.redis.get(names.room_key(room_id, "seq"))
        seq = int(raw) if raw else 0
        self.saw_seq(room_id, seq)
        return seq

    async def clear_messages(self, room_id: str) -> None:
        with _unavailable_on_error():
            await self.redis.delete(*[names.room_key(room_id, p)
                                      for p in ("buffer", "messages", "ages", "held",
                                                "alerts", "alerts:crisis")])

