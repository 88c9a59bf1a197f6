"""The `Bus`: how room events reach every process that hosts the room.

The domain publishes `Envelope`s; each process that hosts the room hands them to
its local `Sink` (the Socket.IO transport), which emits to the sockets it holds.
`LocalBus` is the single-process bus; the Redis bus adds a channel per room.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from server.models.envelope import Envelope
from server.models.live import Message

Sink = Callable[[Envelope], Awaitable[None]]


class Replay(Protocol):
    """What a bus that can miss messages needs from the store to fill a seq gap."""

    async def latest_seq(self, room_id: str) -> int: ...
    async def messages_after(self, room_id: str, seq: int, now: float) -> list[Message]: ...
    def saw_seq(self, room_id: str, seq: int) -> None: ...


class Bus(Protocol):
    async def start(self) -> None: ...
    async def publish(self, envelope: Envelope) -> None: ...
    async def host(self, room_id: str) -> None: ...
    async def unhost(self, room_id: str) -> None: ...
    async def close(self) -> None: ...
