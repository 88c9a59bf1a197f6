"""The Redis client the store and bus share, counting its round trips."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.connection import BlockingConnectionPool, Connection
from redis.exceptions import TimeoutError as RedisTimeoutError

# How long a command waits for a free pooled connection, like the socket timeout: past
# it the caller gets a ConnectionError, which every handler answers `unavailable`.
POOL_WAIT_S = 2.0


class StoreConnection(Connection):
    """A TCP connection that writes each command without a task of its own, and
    reports each write: one command, or one whole pipeline, is one round trip (what
    `/metrics` and the benchmark show per `send`)."""

    def __init__(self, *, on_round_trip: Callable[[], None] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._on_round_trip = on_round_trip

    async def send_packed_command(self, command: bytes | str | Iterable[bytes],
                                  check_health: bool = True) -> None:
        if self._on_round_trip is not None:
            self._on_round_trip()
        # With a socket timeout, redis-py writes through asyncio.wait_for, which on
        # Python 3.11 makes a task per command: ~40 µs of CPU a round trip on this
        # kind of machine (bench note, stop 22), for a write that waits only when
        # the socket's buffer is full. The same timeout as a scope, without the task;
        # reads keep redis-py's own timeout.
        timeout, self.socket_timeout = self.socket_timeout, None
        try:
            async with asyncio.timeout(timeout):
                await super().send_packed_command(command, check_health)
        except TimeoutError:
            await self.disconnect(nowait=True)  # redis-py does so on its own timeout
            raise RedisTimeoutError("Timeout writing to socket") from None
        finally:
            self.socket_timeout = timeout


def redis_client(url: str, on_round_trip: Callable[[], None] | None = None, *,
                 max_connections: int = 50) -> aioredis.Redis:
    """A client that fails fast: a member waiting on a dead Redis gets `unavailable`.

    Its pool holds at most `max_connections` (`limits.redis_connections`): redis-py's
    default pool opens a new connection whenever every open one is busy and never closes
    them, so a burst of sends would leave the process (and Redis) holding as many
    connections, with their buffers, as the burst's peak, for good. Past the cap a
    command waits for a connection to come back."""
    plain_tcp: dict[str, Any] = {}
    if url.startswith("redis://"):
        plain_tcp = {"connection_class": StoreConnection, "on_round_trip": on_round_trip}
    pool = BlockingConnectionPool.from_url(
        url, max_connections=max_connections, timeout=POOL_WAIT_S, socket_timeout=2.0,
        socket_connect_timeout=1.0, health_check_interval=5, retry_on_timeout=False,
        **plain_tcp)
    return aioredis.Redis.from_pool(pool)
