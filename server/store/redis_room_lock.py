"""A room's lock across processes: a Redis lease, waited for in this process's queue
first so only one waiter per room polls Redis."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import redis.asyncio as aioredis
from redis.exceptions import LockError

from server.models import redis_names as names
from server.models.errors import StoreUnavailable
from server.store.redis_private import unavailable_on_error as _unavailable_on_error

log = logging.getLogger(__name__)

# The slowest critical section is a join: a few Redis calls (each write and read at
# most the client's 2 s deadline, redis_client.SOCKET_TIMEOUT_S) plus hosting the room
# (up to 2 s to connect and 2 s to confirm the subscribe). 30 s outlasts that with room
# to spare; an overrun is logged and counted rather than ignored, because then two
# processes may have been inside at once.
LOCK_LEASE_S = 30
LOCK_WAIT_S = 10
LOCK_POLL_S = 0.01


class RedisRoomLock:
    redis: aioredis.Redis
    lock_overruns: int
    _on_lock_overrun: Callable[[], None] | None
    _local_locks: defaultdict[str, asyncio.Lock]

    @asynccontextmanager
    async def room_lock(self, room_id: str) -> AsyncIterator[None]:
        local = self._local_locks[room_id]
        try:
            async with asyncio.timeout(LOCK_WAIT_S):  # as the wait for Redis's lock
                await local.acquire()
        except TimeoutError:
            raise StoreUnavailable("room lock (this process's queue)") from None
        try:
            async with self._redis_lock(room_id):
                yield
        finally:
            local.release()

    @asynccontextmanager
    async def _redis_lock(self, room_id: str) -> AsyncIterator[None]:
        # One poller per process (above), so a short poll costs little and the lock
        # passes between processes within ~10 ms of its release.
        lock = self.redis.lock(names.room_key(room_id, "lock"), timeout=LOCK_LEASE_S,
                               blocking_timeout=LOCK_WAIT_S, sleep=LOCK_POLL_S,
                               thread_local=False)
        with _unavailable_on_error():
            if not await lock.acquire():
                raise StoreUnavailable("room lock")
        try:
            yield
        finally:
            try:
                with _unavailable_on_error():
                    await lock.release()
            except LockError:
                self._lock_overran()
            except StoreUnavailable:
                pass  # Redis gone: the lease ends by itself

    def _lock_overran(self) -> None:
        self.lock_overruns += 1
        log.warning("a room lock's %d s lease ended before its holder released it", LOCK_LEASE_S)
        if self._on_lock_overrun is not None:
            self._on_lock_overrun()
