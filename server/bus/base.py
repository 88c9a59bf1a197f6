"""The `Bus`: how room events reach every process that hosts the room.

The domain publishes `Envelope`s; each process that hosts the room hands them to
its local `Sink` (the Socket.IO transport), which emits to the sockets it holds.
`LocalBus` is the single-process bus; the Redis bus adds a channel per room.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Audience = Literal["room", "staff", "member", "lobby", "waiting"]

# Control words: work the transport does on its local sockets, never sent to clients.
DETACH = "!detach"     # the member's sockets leave the room (removed, banned, closed)
PROMOTE = "!promote"   # the member's sockets join the room's staff channel
ADMIT = "!admit"       # a waiting person's socket becomes a member (data: the Waiting)
DISMISS = "!dismiss"   # a waiting person's socket leaves the lobby (meeting closed)


@dataclass(frozen=True)
class Envelope:
    room: str
    event: str
    data: dict[str, Any] = field(default_factory=dict)
    to: Audience = "room"
    member_id: str | None = None
    process: str | None = None  # the process holding the member's sockets, when known

    @property
    def is_control(self) -> bool:
        return self.event.startswith("!")


Sink = Callable[[Envelope], Awaitable[None]]


class Bus(Protocol):
    async def publish(self, envelope: Envelope) -> None: ...
    async def host(self, room_id: str) -> None: ...
    async def unhost(self, room_id: str) -> None: ...
    async def close(self) -> None: ...
