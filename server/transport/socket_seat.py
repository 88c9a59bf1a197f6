"""One socket as the rooms domain and the namespace see it: its session (who, what it
holds) and its seat (the domain's handle to put it in a room or a lobby)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from moderation.decisions import Denial
from server.models.live import Member, Waiting
from server.rooms.calls import Caller, Refused

if TYPE_CHECKING:
    from server.transport.namespace import RoomsNamespace

# For an event whose socket is gone, or going (if the answer can still reach anyone).
RECONNECT = Denial("not_member", "Please reconnect.")


@dataclass
class SocketSession:
    device_hash: str
    facilitator: str | None
    token: str | None = None  # the facilitator's, checked again before each event
    address: str | None = None  # what the per-address count holds it under (not staff)
    memberships: dict[str, str] = field(default_factory=dict)  # room id → member id
    waiting: dict[str, str] = field(default_factory=dict)  # room id → lobby id

    @property
    def caller(self) -> Caller:
        return Caller(self.device_hash, self.facilitator, self.address)


class SocketSeat:
    """The domain's handle on one socket: seat it in a room, or in the lobby."""

    def __init__(self, namespace: RoomsNamespace, sid: str, session: SocketSession) -> None:
        self._namespace = namespace
        self._sid = sid
        self._session = session

    async def attach(self, member: Member) -> None:
        self._still_connected()
        await self._namespace._attach(self._sid, self._session, member)

    async def wait(self, waiting: Waiting) -> None:
        self._still_connected()
        await self._namespace._wait(self._sid, self._session, waiting)

    def waits_as(self, waiting: Waiting) -> bool:
        return (self._connected()
                and self._session.waiting.get(waiting.room) == waiting.id)

    def _connected(self) -> bool:
        # `on_disconnect` takes the session out first, before it awaits anything.
        return self._namespace.sessions.get(self._sid) is self._session

    def _still_connected(self) -> None:
        """Refuse (quietly: the domain takes back the seat or place) to seat a socket
        whose disconnect has begun. Over long-polling the close comes on a POST of its
        own, while a join is on its way. `on_disconnect` has already read what the
        socket holds, so a seat taken now would outlive it: a member nobody sees leave;
        once python-socketio has taken the socket out of its channels, `enter_room`
        raises instead."""
        if not self._connected():
            raise Refused(RECONNECT)
