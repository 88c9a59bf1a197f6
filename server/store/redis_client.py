"""The Redis client the store and bus share, counting its round trips."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import redis.asyncio as aioredis
from redis.asyncio.connection import BlockingConnectionPool, Connection
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError
from redis.exceptions import TimeoutError as RedisTimeoutError

from server.store.deadlines import Deadlines
from server.store.resp_pack import pack_plain

# How long a command waits for a free pooled connection, like the socket timeout: past
# it the caller gets a ConnectionError, which every handler answers `unavailable`.
POOL_WAIT_S = 2.0
# How long one write or one read may take before the command fails `unavailable`;
# a deadline is checked every DEADLINE_CHECK_S (so it holds to within that).
SOCKET_TIMEOUT_S = 2.0
DEADLINE_CHECK_S = 0.25
_T = TypeVar("_T")


class StoreConnection(Connection):
    """A TCP connection whose commands are bounded by `Deadlines` instead of a timeout
    scope per write and per read, and that reports each write: one command, or one
    whole pipeline, is one round trip (what `/metrics` and the benchmark show per
    `send`)."""

    def __init__(self, *, deadlines: Deadlines,
                 on_round_trip: Callable[[], None] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._deadlines = deadlines
        self._on_round_trip = on_round_trip
        # Packed here only in the encoding `pack_plain` writes (the store's default).
        self._packs_plain = (self.encoder.encoding, self.encoder.encoding_errors) == \
            ("utf-8", "strict")

    def pack_command(self, *args: Any) -> list[bytes]:
        if self._packs_plain:
            packed = pack_plain(args)
            if packed is not None:
                return packed
        result: list[bytes] = super().pack_command(*args)
        return result

    async def send_packed_command(self, command: bytes | str | Iterable[bytes],
                                  check_health: bool = True) -> None:
        if self._on_round_trip is not None:
            self._on_round_trip()
        await self._within_deadline(super().send_packed_command(command, check_health))

    # redis-py's own signature, `timeout` included.
    async def read_response(self, disable_decoding: bool = False,
                            timeout: float | None = None,  # noqa: ASYNC109
                            **kwargs: Any) -> Any:
        read = super().read_response(disable_decoding, timeout, **kwargs)
        if timeout is not None:
            return await read  # a wait of the caller's choosing (the bus's read_reply)
        return await self._within_deadline(read)

    async def _within_deadline(self, step: Awaitable[_T]) -> _T:
        task = self._deadlines.enter()
        if task is None:
            return await step
        try:
            return await step
        except asyncio.CancelledError:
            # Cancelled for its deadline (and by nobody else): redis-py has dropped the
            # connection, as on its own timeout; the caller sees that timeout.
            if self._deadlines.leave(task) and task.uncancel() == 0:
                raise RedisTimeoutError("Timeout talking to Redis") from None
            raise
        finally:
            self._deadlines.leave(task)


class StorePool(BlockingConnectionPool):
    """redis-py's capped pool, with a short way to an idle connection.

    Its `get_connection` and `release` take a condition, a timeout scope and a lock,
    and record metrics and dispatch events nobody here listens to (redis-py's
    observability, and re-authentication for rotating credentials, which the store
    does not use), for every command: ~110k instructions of a round trip's ~480k
    (callgrind, docs/performance.md item 21). With a connection idle, none of that
    can change the answer: it is taken at once (no await between the test and the
    take) and checked as redis-py checks it before reuse. With none idle, or someone
    waiting, redis-py's own way (it waits up to `POOL_WAIT_S`, and wakes a waiter).
    Reads redis-py's own lists, hence `redis>=8.2` (tests/server/store/
    test_redis_client.py holds it to the cap, the waiting and the check)."""

    async def get_connection(self, *args: Any, **kwargs: Any) -> Any:
        idle = self._available_connections
        if not idle or self._in_maintenance:
            return await super().get_connection()  # type: ignore[no-untyped-call]
        connection = idle.pop()
        self._in_use_connections.add(connection)
        try:
            await self.ensure_connection(connection)
        except BaseException:
            await self.release(connection)
            raise
        return connection

    async def release(self, connection: Any) -> None:
        # Nobody waiting and nothing to repair: back on the idle list. Otherwise redis-py's
        # way, which wakes a waiter (and reconnects one marked for it).
        if self._condition._waiters or self._lock.locked() or connection.should_reconnect() \
                or connection not in self._in_use_connections:
            await super().release(connection)
            return
        self._in_use_connections.remove(connection)
        self._available_connections.append(connection)


async def run_script(client: aioredis.Redis, script: AsyncScript, keys: list[str],
                     args: list[Any]) -> Any:
    """`await script(keys=keys, args=args)` the short way, for the post of every send:
    one `EVALSHA` on a pooled connection, its answer read there. redis-py's command
    layers around that (the script object's, `execute_command`, the retry wrapper,
    response callbacks, metrics) were ~90k of its ~290k client instructions
    (callgrind). A connection that failed mid-command is dropped, never reused with an
    answer in flight; a Redis that has forgotten the script (restarted) gets it the
    script object's own way, which loads it and runs it again."""
    pool = client.connection_pool
    connection = await pool.get_connection()  # type: ignore[no-untyped-call]
    try:
        await connection.send_command("EVALSHA", script.sha, len(keys), *keys, *args)
        answer = await connection.read_response()
    except NoScriptError:
        pass  # answered in full: the connection is clean
    except BaseException:
        await connection.disconnect()
        raise
    else:
        return answer
    finally:
        await pool.release(connection)
    return await script(keys=keys, args=args)


def redis_client(url: str, on_round_trip: Callable[[], None] | None = None, *,
                 max_connections: int = 50) -> aioredis.Redis:
    """A client that fails fast: a member waiting on a dead Redis gets `unavailable`.

    Its pool holds at most `max_connections` (`limits.redis_connections`): redis-py's
    default pool opens a new connection whenever every open one is busy and never closes
    them, so a burst of sends would leave the process (and Redis) holding as many
    connections, with their buffers, as the burst's peak, for good. Past the cap a
    command waits for a connection to come back."""
    connection: dict[str, Any] = {"socket_timeout": SOCKET_TIMEOUT_S}
    if url.startswith("redis://"):
        connection = {"connection_class": StoreConnection, "on_round_trip": on_round_trip,
                      "deadlines": Deadlines(SOCKET_TIMEOUT_S, DEADLINE_CHECK_S),
                      "socket_timeout": None}
    pool = StorePool.from_url(
        url, max_connections=max_connections, timeout=POOL_WAIT_S,
        socket_connect_timeout=1.0, health_check_interval=5, retry_on_timeout=False,
        **connection)
    return aioredis.Redis.from_pool(pool)
