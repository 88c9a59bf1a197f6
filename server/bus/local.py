"""`LocalBus`: one process, so publishing is delivering."""

from __future__ import annotations

from server.bus.base import Sink
from server.models.envelope import Envelope


class LocalBus:
    def __init__(self, sink: Sink) -> None:
        self._sink = sink

    async def start(self) -> None:
        return None

    async def publish(self, envelope: Envelope) -> None:
        await self._sink(envelope)

    async def host(self, room_id: str) -> None:
        return None

    async def unhost(self, room_id: str) -> None:
        return None

    async def close(self) -> None:
        return None
