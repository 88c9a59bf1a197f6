"""engine.io's aiohttp websocket, hardened, and with a cheaper receive loop.

engine.io decodes a frame outside its error handling, so an empty frame or an
unknown packet type raised out of the request with a traceback; here such a frame
closes that one connection. Its receive loop also made a task and a `wait_for` for
every frame a client sends; a connection that starts on websocket (every client of
ours) is served by the same loop without them, and hands each client event to the
Socket.IO server directly (`GuardedServer.client_event`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp.web import WebSocketResponse
from engineio import exceptions
from engineio import packet as eio_packet
from engineio.async_drivers.aiohttp import WebSocket

from server.transport.occasional import Occasional
from server.transport.websockets import FastSocket, WebSockets

log = logging.getLogger(__name__)

# engine.io packet types a client may send (open..noop); anything else is not engine.io.
_EIO_TYPES = frozenset("0123456")

# A well-behaved client answers a websocket close at once; past this it is cut off.
CLOSE_REPLY_S = 2.0

# The kernel's send buffer for one websocket. Linux would grow it to tcp_wmem's
# maximum (4 MiB here) for a peer that stopped reading; fixed, it bounds what one
# socket holds in the kernel beside the fan-out's own limit (and still moves ~2.5 MB/s
# at a 100 ms round trip, far beyond any room's traffic).
KERNEL_SEND_BUFFER = 256 * 1024


def _bound_kernel_buffer(transport: Any) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, KERNEL_SEND_BUFFER)


class GuardedWebSocket(WebSocket):  # type: ignore[misc]
    """engine.io's aiohttp websocket driver. A frame engine.io cannot decode makes
    `wait` return None, engine.io's "the client went away".

    While its handler runs the socket is in `websockets`, so the fan-out can write
    pre-framed broadcasts to it. No permessage-deflate (Node's socket.io does not
    offer it either): each frame would be compressed per socket, and framing once
    is the point.
    """

    def __init__(self, handler: Any, server: Any, *, websockets: WebSockets,
                 unreadable: Occasional,
                 client_event: Callable[[str, str], Awaitable[bool]]) -> None:
        super().__init__(handler, server)
        self._websockets = websockets
        self._client_event = client_event  # GuardedServer.client_event
        self._unreadable = unreadable  # the server's: one line a minute for all its sockets
        self._fast: FastSocket | None = None

    async def __call__(self, environ: dict[str, Any]) -> WebSocketResponse:
        request = environ["aiohttp.request"]
        # `timeout`: how long a close waits for the client's close frame. No receive
        # timeout: a silent client is found by `GuardedServer.close_silent`, which
        # costs nothing per frame.
        self._sock = WebSocketResponse(
            max_msg_size=self.server.max_http_buffer_size, compress=False,
            timeout=CLOSE_REPLY_S)
        await self._sock.prepare(request)
        self.environ = environ
        eio_socket = self.handler.__self__
        transport = request.transport
        if transport is not None:
            _bound_kernel_buffer(transport)
            self._fast = FastSocket(eio_socket, self._sock, transport)
            self._websockets.add(eio_socket.sid, self._fast)
        try:
            if eio_socket.connected:
                await self.handler(self)  # an upgrade from polling: engine.io's own way
            else:
                await self._serve(eio_socket)
        finally:
            self._websockets.discard(eio_socket.sid, self._fast)
        return self._sock

    async def _serve(self, eio_socket: Any) -> None:
        """engine.io's websocket loop for a connection that starts on websocket, the
        same steps without a task and a `wait_for` per frame: a client that stops
        answering pings is closed by `GuardedServer.close_silent` instead."""
        eio_socket.connected = True
        eio_socket.upgraded = True
        writer = asyncio.ensure_future(self._write_queue(eio_socket))
        try:
            while True:
                try:
                    data = await self.wait()
                except Exception:  # closed, reset, or silent past the ping timeout: gone
                    break
                if data is None:  # (aiohttp refuses frames over max_http_buffer_size)
                    break
                try:
                    # A client event (engine.io MESSAGE "4", Socket.IO EVENT "2": nearly
                    # every frame) goes straight to the server's event lane; the rest,
                    # and anything that lane does not take, engine.io's own way.
                    if not (isinstance(data, str) and data[:2] == "42"
                            and await self._client_event(eio_socket.sid, data[1:])):
                        await eio_socket.receive(eio_packet.Packet(encoded_packet=data))
                except exceptions.UnknownPacketError:
                    pass
                except exceptions.SocketIsClosedError:
                    break
                except Exception as error:  # one line, never the frame (it may hold words)
                    if self._unreadable.due():  # a client can send these at will
                        log.warning("a packet could not be handled (%s); %d more since the "
                                    "last line", type(error).__name__,
                                    self._unreadable.left_out)
        finally:
            await eio_socket.queue.put(None)  # the writer finishes what is queued, then stops
            await writer
            await eio_socket.close(wait=False, abort=True,
                                   reason=self.server.reason.TRANSPORT_CLOSE)

    async def _write_queue(self, eio_socket: Any) -> None:
        """What engine.io queues for this socket, written in order; then the close."""
        while True:
            try:
                packets = await eio_socket.poll()
            except exceptions.QueueEmpty:
                break
            if not packets:
                break
            try:
                for pkt in packets:
                    await self.send(pkt.encode())
            except Exception:  # the connection is gone
                break
        await self.close()

    async def send(self, message: str | bytes) -> None:
        await super().send(message)
        if self._fast is not None:
            self._fast.wrote(len(message))

    async def wait(self) -> str | bytes | None:
        data: str | bytes = await super().wait()
        if isinstance(data, str) and (not data or data[:1] not in _EIO_TYPES):
            log.warning("closing a connection that sent a malformed frame (engine.io "
                        "cannot decode it)")
            return None
        if isinstance(data, str) and data[:1] == "1":
            # The client's close packet: engine.io marks the socket closed but keeps
            # the websocket until its ping timeout; end it now instead.
            await self.close()
            return None
        return data


