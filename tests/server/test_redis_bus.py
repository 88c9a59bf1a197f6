"""The Redis bus on its own: per-room seq tracking fills gaps from the buffer."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from moderation.roles import Role
from server.bus.redis import RedisBus, is_published, new_subscription, read_reply
from server.bus.silence import Due, Silence
from server.models.envelope import Envelope
from server.models.live import Message
from server.store import redis as redis_store_module
from server.store.redis import RedisStore, redis_client
from tests.redis_server import RedisServer


def message(message_id: str) -> Message:
    author = {"id": "m1", "handle": "River", "role": Role.MEMBER.value}
    return Message(message_id, "r", 0, author, f"text {message_id}", time.time())


class Delivered:
    """A bus sink that records each message's seq; `until(n)` waits for the n-th."""

    def __init__(self) -> None:
        self.seqs: list[int] = []
        self._waiting: dict[int, asyncio.Event] = {}

    async def __call__(self, envelope: Envelope) -> None:
        self.seqs.append(int(envelope.data["seq"]))
        for count, event in self._waiting.items():
            if len(self.seqs) >= count:
                event.set()

    async def until(self, count: int, timeout_s: float) -> None:
        if len(self.seqs) < count:
            await asyncio.wait_for(self._waiting.setdefault(count, asyncio.Event()).wait(),
                                   timeout_s)


async def test_a_seq_gap_is_filled_from_the_buffer_in_order(
        redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch) -> None:
    redis_server.flush()
    store = RedisStore(redis_client(redis_server.url), process_id="p1")
    delivered = Delivered()
    bus = RedisBus(store.redis, store, delivered, process_id="p1")
    await bus.start()
    try:
        await bus.host("r")
        await store.post_message("r", message("a"), "k1", time.time())
        # Stored but never published (as if the publish were lost): seq 2 is a gap.
        with monkeypatch.context() as patch:
            patch.setattr(redis_store_module.names, "room_channel", lambda _room: "nowhere")
            await store.post_message("r", message("b"), "k2", time.time())
        await store.post_message("r", message("c"), "k3", time.time())
        await delivered.until(3, 5)
        assert delivered.seqs == [1, 2, 3]
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


class WatchedSilence(Silence):
    """A Silence that tells the test when it pings and when it gives up."""

    def __init__(self, answer_s: float = 0.5) -> None:
        super().__init__(quiet_s=0.3, answer_s=answer_s)
        self.pings = 0
        self.answered_pings = asyncio.Event()  # three pings, each answered
        self.gave_up = asyncio.Event()

    def heard(self, now: float) -> None:
        if self.pinged_at is not None and self.pings >= 3:
            self.answered_pings.set()
        super().heard(now)

    def due(self, now: float) -> Due | None:
        due = super().due(now)
        if due == "ping":
            self.pings += 1
        elif due == "give up":
            self.gave_up.set()
        return due


async def test_a_quiet_subscription_that_answers_its_pings_is_kept(
        redis_server: RedisServer) -> None:
    """The listener waits with no timeout; a quiet subscription is pinged, answers
    through the listener, and stays."""
    redis_server.flush()
    store = RedisStore(redis_client(redis_server.url), process_id="p1")
    delivered = Delivered()
    silence = WatchedSilence(answer_s=5.0)  # a slow answer on a busy machine is still one
    bus = RedisBus(store.redis, store, delivered, process_id="p1", silence=silence,
                   silence_check_s=0.05)
    await bus.start()
    try:
        await bus.host("r")
        await asyncio.wait_for(silence.answered_pings.wait(), 10)
        assert bus.given_up == 0 and not silence.gave_up.is_set()
        await store.post_message("r", message("a"), "k1", time.time())
        await delivered.until(1, 5)
        assert delivered.seqs == [1]
    finally:
        await bus.close()
        await store.close()


async def test_a_subscription_that_goes_silent_is_given_up_and_the_bus_comes_back(
        fresh_redis: RedisServer) -> None:
    """A Redis that stops answering (frozen: the connection stays up, nothing comes)
    is noticed by the unanswered ping, and once it answers again the bus is back and
    delivers."""
    store = RedisStore(redis_client(fresh_redis.url), process_id="p1")
    delivered = Delivered()
    silence = WatchedSilence()
    bus = RedisBus(store.redis, store, delivered, process_id="p1", silence=silence,
                   silence_check_s=0.05)
    await bus.start()
    assert fresh_redis.proc is not None
    try:
        await bus.host("r")
        await store.post_message("r", message("a"), "k1", time.time())
        os.kill(fresh_redis.proc.pid, signal.SIGSTOP)
        try:
            await asyncio.wait_for(silence.gave_up.wait(), 10)
        finally:
            os.kill(fresh_redis.proc.pid, signal.SIGCONT)
        assert bus.given_up >= 1
        # Posted by another process as Redis answers again: it reaches this one, over
        # the new subscription or, if it came first, from the buffer the reconnect reads.
        other = RedisStore(redis_client(fresh_redis.url), process_id="p2")
        try:
            await other.post_message("r", message("b"), "k2", time.time())
        finally:
            await other.close()
        await delivered.until(2, 15)
        assert delivered.seqs == [1, 2]
        assert bus.connected.is_set()
    finally:
        await bus.close()
        await store.close()


class SilentLink:
    """A TCP relay to Redis whose open connections can be made to go silent: bytes
    are swallowed both ways and nothing is closed, as when a network path dies with no
    FIN. Connections made afterwards relay normally."""

    def __init__(self, port: int) -> None:
        self._port = port
        self._links: list[list[bool]] = []  # one [silent] flag per connection
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: list[asyncio.StreamWriter] = []
        self._server: asyncio.Server | None = None

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"redis://127.0.0.1:{port}/0"

    def silence_open_connections(self) -> None:
        for flag in self._links:
            flag[0] = True

    async def close(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for writer in self._writers:
            writer.close()
        await asyncio.gather(*(w.wait_closed() for w in self._writers),
                             return_exceptions=True)
        await self._server.wait_closed()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._port)
        self._writers += [writer, up_writer]
        flag = [False]
        self._links.append(flag)
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink, flag))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter,
                    silent: list[bool]) -> None:
        while data := await source.read(65536):
            if not silent[0]:
                sink.write(data)
                await sink.drain()


async def test_a_subscription_whose_connection_died_without_a_fin_is_replaced(
        redis_server: RedisServer) -> None:
    """Nothing arrives on it and nothing fails: only the unanswered ping shows it. The
    bus subscribes again on a new connection and messages reach it again."""
    redis_server.flush()
    store = RedisStore(redis_client(redis_server.url), process_id="p1")
    link = SilentLink(int(redis_server.url.rsplit(":", 1)[1].split("/")[0]))
    bus_client = redis_client(await link.start())
    delivered = Delivered()
    silence = WatchedSilence()
    bus = RedisBus(bus_client, store, delivered, process_id="p1", silence=silence,
                   silence_check_s=0.05)
    await bus.start()
    try:
        await bus.host("r")
        await store.post_message("r", message("a"), "k1", time.time())
        await delivered.until(1, 5)
        link.silence_open_connections()
        await asyncio.wait_for(silence.gave_up.wait(), 10)
        await asyncio.wait_for(bus.connected.wait(), 10)
        await store.post_message("r", message("b"), "k2", time.time())
        await delivered.until(2, 10)
        assert delivered.seqs == [1, 2]
        assert bus.given_up >= 1  # (more if a slow machine kept an answer past 0.5 s)
    finally:
        await bus.close()
        await bus_client.aclose()
        await link.close()
        await store.close()


async def test_the_bus_reads_replies_without_get_message_and_a_closed_one_raises(
        redis_server: RedisServer) -> None:
    client = redis_client(redis_server.url)
    pubsub = new_subscription(client)
    try:
        await pubsub.subscribe("read-reply-test")
        confirmation = await asyncio.wait_for(read_reply(pubsub), 5.0)
        assert not is_published(confirmation)
        # redis-py still keeps the subscription's books from what the bus hands it.
        handled = await pubsub.handle_message(confirmation)
        assert handled is not None and handled["type"] == "subscribe"
        await client.publish("read-reply-test", b"hello")
        published = await asyncio.wait_for(read_reply(pubsub), 5.0)
        assert is_published(published)
        assert published[1:] == [b"read-reply-test", b"hello"]
        await pubsub.ping()
        assert not is_published(await asyncio.wait_for(read_reply(pubsub), 5.0))
        await pubsub.aclose()
        # No reconnect of its own: the bus's listener reconnects and fills the gap.
        with pytest.raises(RedisConnectionError):
            await read_reply(pubsub)
    finally:
        await pubsub.aclose()
        await client.aclose()
