"""The websockets this process holds, for writing pre-framed bytes to them directly."""

from __future__ import annotations

import asyncio
from typing import Any


class FastSocket:
    """One engine.io socket upgraded to a websocket, and the transport under it."""

    __slots__ = ("in_queue", "response", "socket", "transport")

    def __init__(self, socket: Any, response: Any, transport: asyncio.Transport) -> None:
        self.socket = socket  # engine.io's AsyncSocket
        self.response = response  # aiohttp's WebSocketResponse
        self.transport = transport
        # Bytes put in engine.io's queue for this socket and not yet written.
        self.in_queue = 0

    def idle(self) -> bool:
        """True when a write now cannot overtake anything engine.io still holds.

        engine.io's writer takes every queued packet at once and writes them one by
        one; only when it is back waiting on the empty queue (its getter pending) has
        it nothing in hand. Any put removes that getter, so this stays False until the
        writer has written everything and waits again.
        """
        socket = self.socket
        if not socket.upgraded or socket.upgrading or socket.closing or socket.closed \
                or self.response.closed or self.transport.is_closing():
            return False
        queue = socket.queue
        # A getter leaves the list when woken or cancelled: one there is still waiting.
        getters = queue._getters
        return not queue._queue and len(getters) == 1 and not getters[0].done()

    def buffered(self) -> int:
        return self.transport.get_write_buffer_size()

    def write(self, frame: bytes) -> None:
        self.transport.write(frame)

    def wrote(self, size: int) -> None:
        """engine.io's writer sent a packet of `size` characters from the queue."""
        self.in_queue = max(0, self.in_queue - size)

    def abort(self) -> None:
        self.transport.abort()

    async def close(self) -> None:
        """End the websocket now: engine.io's writer would keep it open until its
        poll timed out (ping interval + timeout) for a client that ignores CLOSE."""
        await self.response.close()


class WebSockets:
    """engine.io sid → its `FastSocket`, while its websocket handler runs."""

    def __init__(self) -> None:
        self._by_sid: dict[str, FastSocket] = {}  # bounded by open connections

    def __len__(self) -> int:
        return len(self._by_sid)

    def get(self, eio_sid: str) -> FastSocket | None:
        return self._by_sid.get(eio_sid)

    @property
    def by_sid(self) -> dict[str, FastSocket]:
        """The live mapping, for the fan-out's per-recipient loop (read only)."""
        return self._by_sid

    def add(self, eio_sid: str, fast: FastSocket) -> None:
        self._by_sid[eio_sid] = fast

    def discard(self, eio_sid: str, fast: FastSocket | None = None) -> None:
        if fast is None or self._by_sid.get(eio_sid) is fast:
            self._by_sid.pop(eio_sid, None)
