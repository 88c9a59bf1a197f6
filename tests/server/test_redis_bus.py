"""The Redis bus on its own: per-room seq tracking fills gaps from the buffer."""

from __future__ import annotations

import asyncio
import time

import pytest

from moderation.roles import Role
from server.bus.redis import RedisBus
from server.models.envelope import Envelope
from server.models.live import Message
from server.store import redis as redis_store_module
from server.store.redis import RedisStore, redis_client
from tests.redis_server import RedisServer


def message(message_id: str) -> Message:
    author = {"id": "m1", "handle": "River", "role": Role.MEMBER.value}
    return Message(message_id, "r", 0, author, f"text {message_id}", time.time())


async def test_a_seq_gap_is_filled_from_the_buffer_in_order(
        redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch) -> None:
    redis_server.flush()
    store = RedisStore(redis_client(redis_server.url), process_id="p1")
    delivered: list[int] = []
    arrived = asyncio.Event()

    async def sink(envelope: Envelope) -> None:
        delivered.append(int(envelope.data["seq"]))
        if len(delivered) == 3:
            arrived.set()

    bus = RedisBus(store.redis, store, sink, process_id="p1")
    await bus.start()
    try:
        await bus.host("r")
        await store.post_message("r", message("a"), "k1", time.time())
        # Stored but never published (as if the publish were lost): seq 2 is a gap.
        with monkeypatch.context() as patch:
            patch.setattr(redis_store_module.names, "room_channel", lambda _room: "nowhere")
            await store.post_message("r", message("b"), "k2", time.time())
        await store.post_message("r", message("c"), "k3", time.time())
        await asyncio.wait_for(arrived.wait(), 5)
        assert delivered == [1, 2, 3]
        assert bus.received == 2  # only a and c came over pub/sub
    finally:
        await bus.close()
        await store.close()


async def test_unhosted_rooms_are_unsubscribed_after_a_while(
        redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from server.bus import redis as bus_module

    monkeypatch.setattr(bus_module, "UNSUBSCRIBE_AFTER_S", 0.0)
    redis_server.flush()
    store = RedisStore(redis_client(redis_server.url), process_id="p1")

    async def sink(envelope: Envelope) -> None:
        return None

    bus = RedisBus(store.redis, store, sink, process_id="p1")
    await bus.start()
    try:
        await bus.host("r")
        channels = await store.redis.pubsub_channels("pr:ch:room:*")
        assert channels == [b"pr:ch:room:r"]
        await bus.unhost("r")
        # The unsubscribe completes once Redis has confirmed it.
        await asyncio.wait_for(bus._pending_unsubscribe["r"], 5)
        assert await store.redis.pubsub_channels("pr:ch:room:*") == []
        assert await store.redis.publish("pr:ch:room:r", "x") == 0
    finally:
        await bus.close()
        await store.close()



async def test_a_message_whose_delivery_failed_is_delivered_from_the_buffer(
        redis_server: RedisServer) -> None:
    redis_server.flush()
    store = RedisStore(redis_client(redis_server.url), process_id="p1")
    delivered: list[int] = []
    failed: list[int] = []
    arrived = asyncio.Event()

    async def sink(envelope: Envelope) -> None:
        seq = int(envelope.data["seq"])
        if seq == 2 and not failed:
            failed.append(seq)
            raise RuntimeError("a socket write failed")
        delivered.append(seq)
        if seq == 3:
            arrived.set()

    bus = RedisBus(store.redis, store, sink, process_id="p1")
    await bus.start()
    try:
        await bus.host("r")
        for key in ("a", "b", "c"):
            await store.post_message("r", message(key), f"k-{key}", time.time())
        await asyncio.wait_for(arrived.wait(), 5)
        assert failed == [2]
        assert delivered == [1, 2, 3]  # 2 was not recorded as seen, so the gap was filled
    finally:
        await bus.close()
        await store.close()
