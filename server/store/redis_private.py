"""Private check-in lines in Redis: one hash per room, member id → opened at.

The hash is a per-room key that `forget_room` does not keep, so a closed meeting takes
its lines with it. No message text is ever stored here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from server.models import redis_names as names
from server.models.errors import StoreUnavailable


@contextmanager
def unavailable_on_error() -> Iterator[None]:
    """Redis out of reach is `StoreUnavailable`, which callers answer `unavailable`."""
    try:
        yield
    except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
        raise StoreUnavailable(type(exc).__name__) from exc


class RedisPrivateLines:
    redis: aioredis.Redis

    async def open_private(self, room_id: str, member_id: str, now: float) -> bool:
        with unavailable_on_error():
            return bool(await self.redis.hsetnx(names.room_key(room_id, "private"), member_id,
                                                repr(now)))

    async def private_open(self, room_id: str, member_id: str) -> bool:
        with unavailable_on_error():
            return bool(await self.redis.hexists(names.room_key(room_id, "private"),
                                                 member_id))

    async def close_private(self, room_id: str, member_ids: list[str]) -> None:
        if not member_ids:
            return
        with unavailable_on_error():
            await self.redis.hdel(names.room_key(room_id, "private"), *member_ids)

    async def private_lines(self, room_id: str) -> list[str]:
        with unavailable_on_error():
            raw = await self.redis.hkeys(names.room_key(room_id, "private"))
        return [r.decode() if isinstance(r, bytes) else r for r in raw]
