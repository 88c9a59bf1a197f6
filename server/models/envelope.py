"""An `Envelope`: one room event on its way to the processes that host the room."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

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
    # The event already encoded as a Socket.IO packet (`wire.event_packet`), when it
    # arrived that way from another process: sockets get these bytes as they are.
    packet: bytes | None = field(default=None, compare=False, repr=False)

    @property
    def is_control(self) -> bool:
        return self.event.startswith("!")
