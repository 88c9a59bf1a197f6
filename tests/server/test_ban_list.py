"""Each process's copy of the bans: exact across processes, never a database read per join."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.models.errors import StoreUnavailable
from server.models.live import Ban
from server.records.database import make_engine, sqlite_url
from server.records.sql import SqlRecords
from server.rooms.bans import MAX_AGE_S, BanList
from server.store.base import Store
from server.store.memory import MemoryStore
from server.store.redis import RedisStore, redis_client
from tests.redis_server import RedisServer

NOW = time.time()


class CountingRecords(SqlRecords):
    """Real records that count how often the bans are read (and can fail one read)."""

    reads = 0
    fail_next = False

    async def bans(self, room_id: str, now: float) -> list[Ban]:
        self.reads += 1
        if self.fail_next:
            self.fail_next = False
            raise StoreUnavailable("records unreachable")
        return await super().bans(room_id, now)


@pytest.fixture
async def records(tmp_path: Path) -> AsyncIterator[CountingRecords]:
    records = CountingRecords(make_engine(sqlite_url(tmp_path)))
    await records.open()
    yield records
    await records.close()


@pytest.fixture(params=["memory", "redis"])
async def stores(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Store, Store]]:
    """The store as two processes see it (one MemoryStore is one process's)."""
    if request.param == "memory":
        store = MemoryStore()
        yield store, store
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    server.flush()
    a = RedisStore(redis_client(server.url), process_id="a")
    b = RedisStore(redis_client(server.url), process_id="b")
    yield a, b
    await a.close()
    await b.close()


def ban(ban_id: str, room: str | None = "r", device: str = "dev",
        until: float | None = None) -> Ban:
    return Ban(ban_id, room, device, "River", until, None, "Sam")


async def test_a_ban_on_one_process_holds_on_the_other_at_once(
        records: CountingRecords, stores: tuple[Store, Store]) -> None:
    here, there = BanList(records, stores[0]), BanList(records, stores[1])
    assert not await there.banned("r", "dev", NOW)  # the other process has read its copy
    await here.add(ban("b1"), NOW)
    assert await there.banned("r", "dev", NOW)
    assert not await there.banned("r", "other-device", NOW)
    assert not await there.banned("elsewhere", "dev", NOW)
    await here.remove("b1")
    assert not await there.banned("r", "dev", NOW)


async def test_joins_read_the_copy_not_the_database(
        records: CountingRecords, stores: tuple[Store, Store]) -> None:
    bans = BanList(records, stores[0])
    await bans.add(ban("site", room=None, device="dev2"), NOW)
    for _ in range(20):
        assert await bans.banned("r", "dev2", NOW)
        assert not await bans.banned("r", "dev", NOW)
    assert records.reads == 1
    # A ban that ends is over when it ends, without a reload.
    await bans.add(ban("short", device="dev3", until=NOW + 60), NOW)
    assert await bans.banned("r", "dev3", NOW + 59)
    assert not await bans.banned("r", "dev3", NOW + 61)


async def test_a_store_that_lost_its_marker_makes_every_copy_reload(
        records: CountingRecords, redis_server: RedisServer) -> None:
    store = RedisStore(redis_client(redis_server.url), process_id="a")
    try:
        bans = BanList(records, store)
        assert not await bans.banned("r", "dev", NOW)
        # Written by a process whose marker change never landed, then Redis restarts empty.
        await records.add_ban(ban("b1"), NOW)
        redis_server.flush()
        assert await bans.banned("r", "dev", NOW)
    finally:
        await store.close()


async def test_no_copy_is_trusted_past_its_age(records: CountingRecords) -> None:
    clock = [0.0]
    bans = BanList(records, MemoryStore(), monotonic=lambda: clock[0])
    assert not await bans.banned("r", "dev", NOW)
    await records.add_ban(ban("b1"), NOW)  # the marker is not changed: only age reloads
    assert not await bans.banned("r", "dev", NOW)
    clock[0] = MAX_AGE_S + 1
    assert await bans.banned("r", "dev", NOW)


async def test_many_joins_at_once_share_one_read(records: CountingRecords) -> None:
    bans = BanList(records, MemoryStore())
    await bans.add(ban("b1", device="dev7"), NOW)
    answers = await asyncio.gather(*(bans.banned("r", f"dev{n}", NOW) for n in range(50)))
    assert answers == [n == 7 for n in range(50)]
    assert records.reads == 1


async def test_a_failed_read_is_not_kept(records: CountingRecords) -> None:
    bans = BanList(records, MemoryStore())
    await bans.add(ban("b1"), NOW)
    records.fail_next = True
    with pytest.raises(StoreUnavailable):
        await bans.banned("r", "dev", NOW)
    assert await bans.banned("r", "dev", NOW)
    assert records.reads == 2
