"""`RedisBus`: a Redis pub/sub channel per room, and one per process.

A process subscribes to a room's channel when its first local member joins and
unsubscribes a while after the last one leaves, so it only receives traffic for
rooms it hosts. Pub/sub is at-most-once, so receivers track each room's seq and
fill any gap from the store's replay buffer (after a reconnect, say).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from server.bus.base import Replay, Sink
from server.bus.silence import ANSWER_S, Silence
from server.models import redis_names as names
from server.models.envelope import Envelope
from server.models.errors import StoreUnavailable
from server.models.stopping import stop_tasks
from server.models.wire import decode, encode

log = logging.getLogger(__name__)

UNSUBSCRIBE_AFTER_S = 10.0
MAX_BACKOFF_S = 5.0
SILENCE_CHECK_S = 1.0
_REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)
_PUBLISHED = (b"message", "message")


async def _as_parsed(reply: Any) -> Any:
    # redis-py's default handler for a RESP3 push reply looks up a logger and logs it
    # at debug level, for every message received; this one only hands it back.
    return reply


def new_subscription(client: aioredis.Redis) -> aioredis.client.PubSub:
    """A pub/sub connection whose push replies reach `read_reply` as they were parsed."""
    return client.pubsub(push_handler_func=_as_parsed)


async def read_reply(pubsub: aioredis.client.PubSub) -> Any:
    """The next reply on `pubsub`'s connection, as redis-py's parser gives it: a
    published message is `[b"message", channel, data]` (`is_published`).

    `get_message` reaches the same read through a health check, a retry wrapper that
    reconnects and resubscribes on its own, and a dict built per message: half of what
    receiving a message cost (docs/performance.md, item 25). The bus has its own
    health check (`Silence`) and its own reconnect (which fills gaps from the replay
    buffers), so here a lost connection simply raises."""
    connection = pubsub.connection
    if connection is None or not connection.is_connected:
        raise RedisConnectionError("the pub/sub connection is closed")
    # math.inf: no timeout at all (redis-py's None would mean its socket timeout).
    return await connection.read_response(timeout=math.inf, disconnect_on_error=False,
                                          push_request=True)


def is_published(reply: Any) -> bool:
    return isinstance(reply, list) and len(reply) == 3 and reply[0] in _PUBLISHED


class RedisBus:
    def __init__(self, client: aioredis.Redis, store: Replay, sink: Sink, *,
                 process_id: str, on_lag: Callable[[float], None] | None = None,
                 on_reconnect: Callable[[], Awaitable[None]] | None = None,
                 on_receive: Callable[[], None] | None = None,
                 silence: Silence | None = None,
                 silence_check_s: float = SILENCE_CHECK_S) -> None:
        self._redis = client
        self._store = store
        self._sink = sink
        self._process_id = process_id
        self._on_lag = on_lag
        self._on_reconnect = on_reconnect
        self._on_receive = on_receive
        self._ever_connected = False
        self._pubsub: aioredis.client.PubSub | None = None
        self._hosted: dict[str, int] = {}  # room → local memberships
        self._pending_unsubscribe: dict[str, asyncio.Task[None]] = {}
        self._subscribed: set[str] = set()
        self._confirmed: dict[str, asyncio.Event] = {}
        self._released: dict[str, asyncio.Event] = {}
        self._last_seq: dict[str, int] = {}
        self._listener: asyncio.Task[None] | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._silence = silence or Silence()
        self._silence_check_s = silence_check_s
        self._reading = False  # the listener is waiting on the subscription
        self.given_up = 0  # subscriptions dropped for silence (for tests and logs)
        self.connected = asyncio.Event()
        self.received = 0  # pub/sub messages this process received (for the benchmark)

    # -- lifecycle ----------------------------------------------------------------
    async def start(self) -> None:
        self._listener = asyncio.create_task(self._listen(), name="redis-bus-listener")
        self._watcher = asyncio.create_task(self._watch(), name="redis-bus-silence")

    async def close(self) -> None:
        tasks = [t for t in (self._watcher, self._listener, *self._pending_unsubscribe.values())
                 if t]
        if await stop_tasks(tasks):
            log.warning("the pub/sub listener did not stop in time; closing anyway")
        await self._drop_pubsub()

    # -- the Bus protocol ----------------------------------------------------------
    async def publish(self, envelope: Envelope) -> None:
        # Work for one member goes straight to the process that holds their sockets.
        channel = (names.process_channel(envelope.process)
                   if envelope.to in ("member", "waiting") and envelope.process
                   else names.room_channel(envelope.room))
        try:
            await self._redis.publish(channel, encode(envelope, self._process_id))
        except _REDIS_DOWN as exc:
            raise StoreUnavailable("publish") from exc

    async def host(self, room_id: str) -> None:
        self._hosted[room_id] = self._hosted.get(room_id, 0) + 1
        pending = self._pending_unsubscribe.pop(room_id, None)
        if pending is not None:
            pending.cancel()
        if room_id not in self._subscribed:
            try:
                await self._subscribe(room_id)
            except StoreUnavailable:
                await self.unhost(room_id)  # the caller was not seated: don't count it
                raise

    async def unhost(self, room_id: str) -> None:
        count = self._hosted.get(room_id, 0) - 1
        if count > 0:
            self._hosted[room_id] = count
            return
        self._hosted.pop(room_id, None)
        if room_id in self._subscribed and room_id not in self._pending_unsubscribe:
            # Debounced: a member who reconnects at once should not cost a resubscribe.
            self._pending_unsubscribe[room_id] = asyncio.create_task(
                self._unsubscribe_later(room_id))

    # -- subscriptions -------------------------------------------------------------
    async def _subscribe(self, room_id: str) -> None:
        channel = names.room_channel(room_id)
        self._subscribed.add(room_id)
        confirmed = self._confirmed.setdefault(channel, asyncio.Event())
        try:
            await asyncio.wait_for(self.connected.wait(), 2.0)
            if self._pubsub is None:
                raise StoreUnavailable("pub/sub reconnecting")
            await self._pubsub.subscribe(channel)
            # Wait for Redis to confirm, so nothing published after our seq read is missed.
            await asyncio.wait_for(confirmed.wait(), 2.0)
        except (*_REDIS_DOWN, TimeoutError) as exc:
            raise StoreUnavailable("subscribe") from exc
        if room_id not in self._last_seq:
            self._last_seq[room_id] = await self._store.latest_seq(room_id)

    async def _unsubscribe_later(self, room_id: str) -> None:
        await asyncio.sleep(UNSUBSCRIBE_AFTER_S)
        self._pending_unsubscribe.pop(room_id, None)
        if room_id in self._hosted:
            return
        self._subscribed.discard(room_id)
        self._last_seq.pop(room_id, None)
        channel = names.room_channel(room_id)
        self._confirmed.pop(channel, None)
        if self._pubsub is not None:
            released = self._released.setdefault(channel, asyncio.Event())
            with contextlib.suppress(*_REDIS_DOWN, TimeoutError):
                await self._pubsub.unsubscribe(channel)
                await asyncio.wait_for(released.wait(), 2.0)
            self._released.pop(channel, None)

    # -- receiving -----------------------------------------------------------------
    async def _listen(self) -> None:
        backoff = 0.1
        while True:
            try:
                if self._pubsub is None:
                    await self._connect()
                    backoff = 0.1
                assert self._pubsub is not None
                # No timeout, so no timer per message: `_watch` notices a silence.
                self._reading = True
                try:
                    reply = await read_reply(self._pubsub)
                finally:
                    self._reading = False
                self._silence.heard(time.monotonic())
                if is_published(reply):
                    await self._on_published(reply[2])
                else:
                    # Confirmations, pongs: redis-py keeps the subscription's books.
                    message = await self._pubsub.handle_message(  # type: ignore[no-untyped-call]
                        reply)
                    if message is not None:
                        await self._on_message(message)
            except _REDIS_DOWN:
                log.warning("redis pub/sub connection lost; reconnecting")
                await self._drop_pubsub()
                await asyncio.sleep(backoff)  # capped exponential backoff
                backoff = min(backoff * 2, MAX_BACKOFF_S)
            except StoreUnavailable:
                await self._drop_pubsub()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("bus message handling failed")

    async def _watch(self) -> None:
        """Ping a subscription that has gone quiet; give up on one that does not answer
        (`Silence`), so the listener reconnects and fills the gap from the buffers."""
        while True:
            await asyncio.sleep(self._silence_check_s)
            pubsub = self._pubsub
            if pubsub is None or not self._reading:
                continue  # reconnecting, or busy delivering what it heard
            try:
                due = self._silence.due(time.monotonic())
                if due == "ping":
                    with contextlib.suppress(*_REDIS_DOWN):
                        await pubsub.ping()  # answered through the listener
                elif due == "give up":
                    log.warning("redis pub/sub went silent; reconnecting")
                    self.given_up += 1
                    await self._restart_listener()
            except asyncio.CancelledError:
                raise
            except Exception:
                # The watch must outlive anything odd redis-py raises here.
                log.exception("pub/sub silence watch failed")

    async def _restart_listener(self) -> None:
        # Only while it waits on the read (`_reading`): nothing half-delivered is cut off.
        if self._listener is not None:
            await stop_tasks([self._listener])
        await self._drop_pubsub()
        self._listener = asyncio.create_task(self._listen(), name="redis-bus-listener")

    async def _connect(self) -> None:
        pubsub = new_subscription(self._redis)
        channels = [names.process_channel(self._process_id),
                    *(names.room_channel(r) for r in self._subscribed)]
        await pubsub.subscribe(*channels)
        self._silence.heard(time.monotonic())
        self._pubsub = pubsub
        self.connected.set()
        log.info("redis pub/sub connected (%d rooms)", len(self._subscribed))
        # Anything published while we were away is in the replay buffers.
        for room_id in list(self._subscribed):
            if room_id in self._last_seq:
                await self._fill(room_id, self._last_seq[room_id], None)
        if self._ever_connected and self._on_reconnect is not None:
            # Don't wait for the next beat: repair shared state as soon as Redis is back.
            await self._on_reconnect()
        self._ever_connected = True

    async def _drop_pubsub(self) -> None:
        self.connected.clear()
        pubsub, self._pubsub = self._pubsub, None
        for event in self._confirmed.values():
            event.clear()
        if pubsub is not None:
            with contextlib.suppress(Exception):  # a frozen Redis included: bounded
                await asyncio.wait_for(pubsub.aclose(), ANSWER_S)

    async def _on_message(self, message: dict[str, object]) -> None:
        kind = message.get("type")
        channel = message.get("channel")
        channel = channel.decode() if isinstance(channel, bytes) else channel
        if kind == "subscribe" and isinstance(channel, str):
            self._confirmed.setdefault(channel, asyncio.Event()).set()
            return
        if kind == "unsubscribe" and isinstance(channel, str):
            if channel in self._released:
                self._released[channel].set()
            return
        if kind == "message":  # only if a published message's reply took another shape
            data = message.get("data")
            assert isinstance(data, bytes | str)
            await self._on_published(data)

    async def _on_published(self, data: bytes | str) -> None:
        self.received += 1
        if self._on_receive is not None:
            self._on_receive()
        received = decode(data)
        if self._on_lag is not None and received.sent_at:
            self._on_lag(max(0.0, time.time() - received.sent_at))
        envelope = received.envelope
        if envelope.event == "message":
            seq = int(envelope.data["seq"])
            last = self._last_seq.get(envelope.room)
            if last is not None:
                if seq <= last:
                    return  # already delivered (a gap fill got here first)
                if seq > last + 1:
                    await self._fill(envelope.room, last, seq)
            await self._sink(envelope)
            # Only once delivered: if the sink raised, the next message sees the gap
            # and fills it from the buffer, so this one is not lost here.
            self._delivered(envelope.room, seq)
            return
        await self._sink(envelope)

    def _delivered(self, room_id: str, seq: int) -> None:
        self._last_seq[room_id] = seq
        self._store.saw_seq(room_id, seq)

    async def _fill(self, room_id: str, after: int, before: int | None) -> None:
        """Deliver the buffered messages with after < seq < before, in order."""
        messages = await self._store.messages_after(room_id, after, time.time())
        for message in messages:
            if before is not None and message.seq >= before:
                break
            await self._sink(Envelope(room_id, "message", message.to_wire()))
            self._delivered(room_id, message.seq)
