"""A Redis room lock whose lease ran out before release is seen, not ignored."""

from __future__ import annotations

import logging

import pytest

from server.models import redis_names as names
from server.store.redis import RedisStore, redis_client
from tests.redis_server import RedisServer


async def test_an_overrun_lease_is_logged_and_counted(
        redis_server: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    redis_server.flush()
    overruns: list[None] = []
    store = RedisStore(redis_client(redis_server.url), process_id="p1",
                       on_lock_overrun=lambda: overruns.append(None))
    try:
        with caplog.at_level(logging.WARNING, logger="server.store.redis"):
            async with store.room_lock("r"):
                # The lease ends (as when a section overruns it) while still inside.
                assert await store.redis.delete(names.room_key("r", "lock")) == 1
        assert store.lock_overruns == 1 and len(overruns) == 1
        assert any("lease ended" in r.getMessage() for r in caplog.records)
        async with store.room_lock("r"):  # and the room can be locked again
            pass
        assert store.lock_overruns == 1
    finally:
        await store.close()
