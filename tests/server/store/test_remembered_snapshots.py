"""RedisStore remembers what a member's last post left, so their next send needs no
read: its post script checks every part of it instead."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from moderation.ratelimit import Bucket
from moderation.roles import Role
from server.models.live import Message, RoomRuntime
from server.store.base import BucketTake, SnapshotMoved
from server.store.redis import RedisStore, redis_client
from server.store.redis_sends import REMEMBERED_SENDS
from tests.redis_server import RedisServer
from tests.server.store.test_contract import member

NOW = time.time()
MUTES = ["m1", "dev-m1"]
BUCKETS = ["msg:m1", "slow:m1"]


class Counted:
    def __init__(self) -> None:
        self.trips = 0

    def __call__(self) -> None:
        self.trips += 1


@pytest.fixture
async def counted(redis_server: RedisServer) -> AsyncIterator[tuple[RedisStore, Counted]]:
    redis_server.flush()
    trips = Counted()
    store = RedisStore(redis_client(redis_server.url, on_round_trip=trips), process_id="p1")
    await store.put_member(member("m1"))
    await store.put_runtime("r", RoomRuntime())
    yield store, trips
    await store.close()


def said(number: int) -> Message:
    return Message(f"id{number}", "r", 0, member("m1").to_wire(), f"text {number}", NOW)


async def post(store: RedisStore, number: int, tokens: float, *, fresh: bool = False) -> None:
    snapshot = await store.send_snapshot("r", "m1", MUTES, BUCKETS, NOW, fresh=fresh)
    take = BucketTake(snapshot.buckets[0], Bucket(tokens, NOW), 60)
    await store.post_message("r", said(number), f"k{number}", NOW, [take], snapshot)


async def test_the_send_after_a_post_is_one_round_trip_on_what_that_post_left(
        counted: tuple[RedisStore, Counted]) -> None:
    store, trips = counted
    await post(store, 1, 4.0, fresh=True)
    before = trips.trips
    snapshot = await store.send_snapshot("r", "m1", MUTES, BUCKETS, NOW)
    assert trips.trips == before  # nothing read
    assert snapshot.remembered and snapshot.member == member("m1")
    assert snapshot.runtime == RoomRuntime() and snapshot.mute is None
    assert [b.bucket for b in snapshot.buckets] == [Bucket(4.0, NOW), None]
    take = BucketTake(snapshot.buckets[0], Bucket(3.0, NOW), 60)
    posted = await store.post_message("r", said(2), "k2", NOW, [take], snapshot)
    assert posted.created and posted.seq == 2 and trips.trips == before + 1
    # The bucket as the second post stored it is what the third send starts from.
    third = await store.send_snapshot("r", "m1", MUTES, BUCKETS, NOW)
    assert third.remembered and third.buckets[0].bucket == Bucket(3.0, NOW)


async def test_fresh_reads_and_messages_with_names_always_read(
        counted: tuple[RedisStore, Counted]) -> None:
    store, trips = counted
    await post(store, 1, 4.0, fresh=True)
    before = trips.trips
    assert not (await store.send_snapshot("r", "m1", MUTES, BUCKETS, NOW, fresh=True)).remembered
    assert not (await store.send_snapshot("r", "m1", MUTES, BUCKETS, NOW,
                                          ["lake"])).remembered
    # Other keys (a member held elsewhere has no device key here) are another snapshot.
    assert not (await store.send_snapshot("r", "m1", ["m1"], BUCKETS, NOW)).remembered
    assert trips.trips == before + 3


async def test_a_snapshot_that_moved_is_forgotten_and_the_next_send_reads(
        counted: tuple[RedisStore, Counted]) -> None:
    store, _ = counted
    await post(store, 1, 4.0, fresh=True)
    remembered = await store.send_snapshot("r", "m1", MUTES, BUCKETS, NOW)
    # Promoted on another process: the membership this process remembers is old.
    other = RedisStore(store.redis, process_id="p2")
    await other.put_member(replace(member("m1"), role=Role.FACILITATOR))
    take = BucketTake(remembered.buckets[0], Bucket(3.0, NOW), 60)
    with pytest.raises(SnapshotMoved):
        await store.post_message("r", said(2), "k2", NOW, [take], remembered)
    assert await store.latest_seq("r") == 1
    after = await store.send_snapshot("r", "m1", MUTES, BUCKETS, NOW)
    assert not after.remembered and after.member is not None
    assert after.member.role == Role.FACILITATOR


async def test_the_memory_of_sends_is_bounded(counted: tuple[RedisStore, Counted]) -> None:
    store, _ = counted
    assert store._last_sends.max_size == REMEMBERED_SENDS
