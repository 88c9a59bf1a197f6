"""A Redis that stops answering (frozen, or a network that drops everything) fails a
command `unavailable` instead of holding the member's event for ever, and the store
carries on once it answers again. Commands are bounded by `Deadlines` (one timer for
all of them) rather than a timeout scope per read and write."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from server.models.errors import StoreUnavailable
from server.store.deadlines import Deadlines
from server.store.redis import RedisStore, redis_client
from tests.redis_server import RedisServer

GUARD_S = 15  # how long the test waits before calling the store stuck


async def test_a_frozen_redis_fails_the_command_and_the_store_recovers(
        fresh_redis: RedisServer) -> None:
    store = RedisStore(redis_client(fresh_redis.url), process_id="p1")
    assert fresh_redis.proc is not None
    try:
        assert await store.latest_seq("r") == 0
        os.kill(fresh_redis.proc.pid, signal.SIGSTOP)
        try:
            with pytest.raises(StoreUnavailable):
                await asyncio.wait_for(store.latest_seq("r"), GUARD_S)
        finally:
            os.kill(fresh_redis.proc.pid, signal.SIGCONT)
        assert await asyncio.wait_for(store.latest_seq("r"), GUARD_S) == 0
    finally:
        await store.close()


async def test_a_deadline_cancels_only_its_own_command() -> None:
    deadlines = Deadlines(timeout_s=0.05, period_s=0.01)
    overdue, prompt = asyncio.Event(), asyncio.Event()

    async def command(done: asyncio.Event) -> str:
        task = deadlines.enter()
        assert task is not None
        assert deadlines.enter() is None  # nested (a health check inside): watched once
        try:
            await done.wait()
            return "answered"
        except asyncio.CancelledError:
            return "timed out" if deadlines.leave(task) else "cancelled"
        finally:
            deadlines.leave(task)

    slow = asyncio.ensure_future(command(overdue))
    quick = asyncio.ensure_future(command(prompt))
    prompt.set()
    assert await quick == "answered"
    assert await asyncio.wait_for(slow, GUARD_S) == "timed out"
    assert not deadlines._due and not deadlines._expired and deadlines._timer is None
