"""What a facilitator arriving late or reloading must still see, in Redis: held
messages (a hash per room, id → message) and recent alerts (a list per room, oldest
first).

Both quote what a member wrote, so both keys expire with the replay buffer, hold no
more entries than it does, and are per-room keys that `forget_room` does not keep. A
room's alerts drop the oldest past that many; its held messages never do (a full room
refuses the next one to be held instead).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

from server.models import redis_names as names
from server.models.live import Alert, HeldMessage
from server.store import codec
from server.store.memory_for_staff import in_order
from server.store.redis_private import unavailable_on_error as _unavailable_on_error


class RedisForStaff:
    redis: aioredis.Redis
    _buffer_messages: int
    _buffer_seconds: int

    _hold: AsyncScript
    _hpop: Callable[[str, str], Awaitable[bytes | None]]  # RedisStore's

    async def hold_message(self, held: HeldMessage) -> float:
        # One script: the count, the check and the store are one step, so two holds at
        # once cannot both take the room's last place (scripts.HOLD says why a full
        # room refuses the new message).
        with _unavailable_on_error():
            wait = await self._hold(
                keys=[names.room_key(held.room, "held")],
                args=[held.id, codec.held_to_json(held), held.ts, self._buffer_messages,
                      self._buffer_seconds])
        return float(wait)

    def _newest(self, held: list[HeldMessage], now: float) -> list[HeldMessage]:
        fresh = sorted((h for h in held if h.ts >= now - self._buffer_seconds),
                       key=lambda h: h.ts)
        return fresh[-self._buffer_messages:]

    async def take_held(self, room_id: str, held_id: str) -> HeldMessage | None:
        raw = await self._hpop(names.room_key(room_id, "held"), held_id)
        return codec.held_from_json(raw) if raw else None

    async def held_messages(self, room_id: str, now: float) -> list[HeldMessage]:
        with _unavailable_on_error():
            raw = await self.redis.hvals(names.room_key(room_id, "held"))
        return self._newest([codec.held_from_json(r) for r in raw], now)

    async def keep_alert(self, alert: Alert) -> None:
        # Every alert in one list, in the order they went out; a crisis alert in a list
        # of its own as well, so no flood of reports or PII alerts pushes it out of a
        # late facilitator's view. Each list has the buffer's cap.
        parts = ("alerts", "alerts:crisis") if alert.kind == "crisis" else ("alerts",)
        raw = codec.alert_to_json(alert)
        with _unavailable_on_error():
            async with self.redis.pipeline(transaction=True) as pipe:
                for part in parts:
                    key = names.room_key(alert.room, part)
                    pipe.rpush(key, raw)
                    pipe.ltrim(key, -self._buffer_messages, -1)
                    pipe.expire(key, self._buffer_seconds)
                await pipe.execute()

    async def alerts(self, room_id: str, now: float) -> list[Alert]:
        with _unavailable_on_error():
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.lrange(names.room_key(room_id, "alerts"), 0, -1)
                pipe.lrange(names.room_key(room_id, "alerts:crisis"), 0, -1)
                every, crisis = await pipe.execute()
        kept = in_order([codec.alert_from_json(r) for r in every],
                        [codec.alert_from_json(r) for r in crisis])
        return [a for a in kept if a.ts >= now - self._buffer_seconds]
