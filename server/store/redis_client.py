"""The Redis client the store and bus share, counting its round trips."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.connection import Connection


class CountingConnection(Connection):
    """A connection that reports each write: one command, or one whole pipeline, is one
    round trip (what `/metrics` and the benchmark show per `send`)."""

    def __init__(self, *, on_round_trip: Callable[[], None] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._on_round_trip = on_round_trip

    async def send_packed_command(self, command: bytes | str | Iterable[bytes],
                                  check_health: bool = True) -> None:
        if self._on_round_trip is not None:
            self._on_round_trip()
        await super().send_packed_command(command, check_health)


def redis_client(url: str, on_round_trip: Callable[[], None] | None = None) -> aioredis.Redis:
    """A client that fails fast: a member waiting on a dead Redis gets `unavailable`."""
    counting: dict[str, Any] = {}
    if on_round_trip is not None and url.startswith("redis://"):
        counting = {"connection_class": CountingConnection, "on_round_trip": on_round_trip}
    return aioredis.from_url(url, socket_timeout=2.0, socket_connect_timeout=1.0,
                             health_check_interval=5, retry_on_timeout=False, **counting)
