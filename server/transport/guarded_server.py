"""A Socket.IO server that refuses what no well-behaved client sends.

python-socketio hands a client's event name straight to the handlers, so a client
could emit `connect` or `disconnect` and run the real connection handlers; it also
lets a malformed packet raise out of the engine.io receive loop (a traceback per
frame) and waits forever for binary attachments that never come. Our protocol is
JSON text only, so here: reserved names are answered `bad_request` and run nothing,
and a packet that cannot be decoded closes that one connection with one log line.

An engine.io connection is also closed when it has no Socket.IO session to serve:
one that has not connected to the namespace within `connect_timeout_s` (as Node's
socket.io does), and one whose session the server ended (a removal, a logout). A
client that kept such a connection open would otherwise hold it, uncounted by the
per-device limit, for as long as it answered pings.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from typing import Any

import orjson
import socketio
from socketio import packet

from moderation.decisions import bad_request
from server.transport.address_limit import RefusalWarning, connection_address
from server.transport.engine_log import quiet_post_errors
from server.transport.fanout import DEFAULT_SEND_BUFFER, FanoutManager
from server.transport.guarded_websocket import CLOSE_REPLY_S, GuardedWebSocket
from server.transport.json_packet import OrjsonPacket
from server.transport.occasional import Occasional
from server.transport.open_counts import OpenCounts
from server.transport.websockets import WebSockets

log = logging.getLogger(__name__)

# Names python-socketio or the client library give meaning to; a client may not emit them.
RESERVED_EVENTS = frozenset({"connect", "disconnect", "connect_error", "message",
                             "newListener", "removeListener"})


# What python-socketio refuses to decode (or a handler's arguments raise) for a
# packet no well-behaved client sends: that one connection is closed.
_UNREADABLE = (ValueError, TypeError, RecursionError, IndexError, KeyError)
_DIGITS = frozenset("0123456789")
_MAX_ACK_DIGITS = 15  # longer ids (python-socketio reads up to 100) go its own way


def is_reserved(event: str) -> bool:
    return event in RESERVED_EVENTS or event.startswith("!")


class GuardedServer(socketio.AsyncServer):  # type: ignore[misc]
    def __init__(self, *, send_buffer_bytes: int = DEFAULT_SEND_BUFFER,
                 connect_timeout_s: float, unjoined_per_address: int,
                 **kwargs: Any) -> None:
        # `connect_timeout_s` (`limits.connect_timeout_s`): how long a new connection
        # has to connect to the namespace; Node's socket.io waits 45 s.
        self.websockets = WebSockets()
        self.fanout = FanoutManager(self.websockets, send_buffer_bytes)
        self.connect_timeout_s = connect_timeout_s
        # engine.io connections not yet in the namespace, per client address: the
        # namespace counts members per address, and these would be a way round it
        # (each lives up to `connect_timeout_s`, and a client can open them at will).
        # `limits.connections_per_address`; an honest client leaves this count within
        # milliseconds, when it connects to "/".
        self.unjoined_per_address = unjoined_per_address
        self._unjoined: dict[str, str] = {}  # eio sid → its address, until it joins "/"
        self._unjoined_count = OpenCounts()
        self._refusals = RefusalWarning()
        self._closing: set[asyncio.Task[None]] = set()
        super().__init__(client_manager=self.fanout, serializer=OrjsonPacket, **kwargs)
        quiet_post_errors()
        # The driver table is engine.io's own extension point for its transports.
        self.eio._async = {**self.eio._async, "websocket": functools.partial(
            GuardedWebSocket, websockets=self.websockets, unreadable=Occasional(),
            client_event=self.client_event)}

    async def _handle_eio_connect(self, eio_sid: str, environ: dict[str, Any]) -> Any:
        address = connection_address(environ)
        if self._unjoined_count[address] >= self.unjoined_per_address:
            self._refusals.refused(self.unjoined_per_address)
            return False  # engine.io answers 401 and keeps nothing of it
        self._unjoined[eio_sid] = address
        self._unjoined_count[address] += 1
        answer = await super()._handle_eio_connect(eio_sid, environ)
        asyncio.get_running_loop().call_later(self.connect_timeout_s,
                                              self._close_if_unjoined, eio_sid)
        return answer

    async def _handle_connect(self, eio_sid: str, namespace: str | None, data: Any) -> None:
        await super()._handle_connect(eio_sid, namespace, data)
        if self.manager.sid_from_eio_sid(eio_sid, "/") is not None:
            self._joined(eio_sid)  # from here the namespace counts it (or not, for staff)

    async def _handle_eio_disconnect(self, eio_sid: str, reason: Any) -> None:
        self._joined(eio_sid)
        await super()._handle_eio_disconnect(eio_sid, reason)

    def _joined(self, eio_sid: str) -> None:
        address = self._unjoined.pop(eio_sid, None)
        if address is not None:
            self._unjoined_count.release(address)

    def _close_if_unjoined(self, eio_sid: str) -> None:
        if eio_sid in self.eio.sockets and self.manager.sid_from_eio_sid(eio_sid, "/") is None:
            log.info("closing a connection that did not connect to Socket.IO in time")
            self._close_later(eio_sid)

    def _close_later(self, eio_sid: str) -> None:
        task = asyncio.ensure_future(self.end_connection(eio_sid))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def end_connection(self, eio_sid: str) -> None:
        """engine.io's close (its CLOSE packet queued behind what is already queued),
        then the websocket's once that is written.

        Never engine.io's own `disconnect`: it waits until the queue is drained, and a
        long-polling client that stopped polling never drains it — whoever ended the
        session (a facilitator's `mod`, the staff check) would wait with it."""
        eio_socket = self.eio.sockets.pop(eio_sid, None)
        if eio_socket is None:
            return
        await eio_socket.close(wait=False, reason=self.eio.reason.SERVER_DISCONNECT)
        fast = self.websockets.get(eio_sid)
        if fast is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(eio_socket.queue.join(), CLOSE_REPLY_S)
            await fast.close()

    @property
    def silence_check_s(self) -> float:
        """How often `close_silent` runs."""
        return min(5.0, max(0.1, float(self.eio.ping_timeout) / 4))

    async def close_silent(self) -> None:
        """Abort each websocket that has not answered engine.io's ping within
        `ping_timeout`.

        engine.io's service task makes the same test, one socket at a time over a
        `ping_timeout`, and closes the socket through its queue: a CLOSE packet the
        writer sends, then the websocket. A writer stuck on a client that stopped
        reading never gets there; an abort does. Together they replace a receive
        timeout on every frame each websocket receives: a timeout scope costs ~35k
        instructions on Python 3.11, once per message sent (docs/performance.md)."""
        now, limit = time.time(), self.eio.ping_timeout
        for fast in list(self.websockets.by_sid.values()):
            pinged = fast.socket.last_ping
            if pinged and now - pinged > limit and not fast.transport.is_closing():
                fast.abort()  # its receive loop ends, and engine.io's close follows

    async def disconnect(self, sid: str, namespace: str | None = None,
                         ignore_queue: bool = False) -> None:
        eio_sid = self.manager.eio_sid_from_sid(sid, namespace or "/")
        await super().disconnect(sid, namespace, ignore_queue)
        if eio_sid is not None and (namespace or "/") == "/":
            # "/" is the only namespace: a session the server ended leaves the
            # connection nothing to carry. Closing queues behind the DISCONNECT packet.
            await self.end_connection(eio_sid)

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        if not isinstance(data, str) or data[:1] in (str(packet.BINARY_EVENT),
                                                      str(packet.BINARY_ACK)):
            # Binary frames and binary packets: nothing in our protocol uses them, and
            # a binary packet makes python-socketio treat the next frames as attachments.
            await self._close(eio_sid, "binary frame")
            return
        try:
            await super()._handle_eio_message(eio_sid, data)
        except _UNREADABLE as exc:
            await self._close(eio_sid, type(exc).__name__)
            return
        if data[:1] == str(packet.DISCONNECT):
            # "/" is our only namespace: a connection that left it can do nothing more,
            # so it is closed rather than left idle (its later events would go unanswered).
            await self.eio.disconnect(eio_sid)

    async def client_event(self, eio_sid: str, text: str) -> bool:
        """A Socket.IO EVENT for "/" (`2[...]` or `2<ack id>[...]`: every event our
        clients send) from a websocket, decoded here and handed to `_handle_event`.

        engine.io's packet, its socket's receive (a log line built per frame), its
        event dispatch (an `inspect` test and a closure per frame) and python-socketio's
        packet object are what this skips: the same checks follow (`_handle_event`).
        False for anything else — a namespace, attachments, JSON that does not parse —
        which then goes python-socketio's own way (and is refused there)."""
        end, limit = 1, min(len(text), _MAX_ACK_DIGITS + 1)
        while end < limit and text[end] in _DIGITS:
            end += 1
        if text[end:end + 1] != "[" or eio_sid in self._binary_packet:
            return False
        try:
            data = self.packet_class.json.loads(text[end:])
        except (ValueError, RecursionError):
            return False
        try:
            await self._handle_event(eio_sid, "/", int(text[1:end]) if end > 1 else None, data)
        except _UNREADABLE as exc:
            await self._close(eio_sid, type(exc).__name__)
        return True

    async def _trigger_event(self, event: str, namespace: str, *args: Any) -> Any:
        # Every handler is the namespace's (no `@sio.on`): python-socketio's lookup
        # through its handler tables, for each event, finds that.
        if namespace == "/" and not self.handlers:
            handler = self.namespace_handlers.get("/")
            if handler is not None:
                return await handler.trigger_event(event, *args)
        return await super()._trigger_event(event, namespace, *args)

    async def _handle_event_internal(self, server: Any, sid: str, eio_sid: str, data: Any,
                                     namespace: str, id: int | None) -> None:
        """python-socketio's, with the answer encoded by orjson straight into the
        ACK's text (`43<id>[answer]`) rather than through a packet object."""
        answer = await server._trigger_event(data[0], namespace, sid, *data[1:])
        if answer is self.not_handled or id is None:
            return
        if namespace == "/" and isinstance(answer, dict):
            try:
                encoded = b"43%d%s" % (id, orjson.dumps([answer]))
            except TypeError:
                pass  # something orjson does not take: the packet's own way below
            else:
                if not self.fanout.write_direct(eio_sid, encoded):
                    await self.eio.send(eio_sid, encoded[1:].decode())
                return
        values = [] if answer is None else list(answer) if isinstance(answer, tuple) \
            else [answer]
        await server._send_packet(eio_sid, self.packet_class(
            packet.ACK, namespace=namespace, id=id, data=values))

    async def _handle_event(self, eio_sid: str, namespace: str | None, id: int | None,
                            data: Any) -> None:
        if not isinstance(data, list) or not data or not isinstance(data[0], str):
            await self._refuse(eio_sid, namespace, id, "An event needs a name.")
            return
        if is_reserved(data[0]):
            await self._refuse(eio_sid, namespace, id, "That event name is reserved.")
            return
        await super()._handle_event(eio_sid, namespace, id, data)

    async def _send_packet(self, eio_sid: str, pkt: Any) -> None:
        if pkt.packet_type == packet.ACK:
            # Every event's answer: straight to an idle websocket, as broadcasts go,
            # rather than through engine.io's queue and writer task.
            encoded = pkt.encode()
            if isinstance(encoded, str):
                if not self.fanout.write_direct(eio_sid, b"4" + encoded.encode()):
                    await self.eio.send(eio_sid, encoded)
                return
        await super()._send_packet(eio_sid, pkt)

    async def _refuse(self, eio_sid: str, namespace: str | None, id: int | None,
                      message: str) -> None:
        if id is None:
            # Nothing to answer: the event is dropped, said once, never with its content.
            log.info("dropped an event with no acknowledgement id (%s)", message)
            return
        answer = {"ok": False, "error": bad_request(message).to_wire()}
        await self._send_packet(eio_sid, self.packet_class(
            packet.ACK, namespace=namespace or "/", id=id, data=[answer]))

    async def _close(self, eio_sid: str, why: str) -> None:
        # One line, no traceback, and never the frame: it may hold someone's words.
        log.warning("closing a connection that sent a malformed packet (%s)", why)
        self._binary_packet.pop(eio_sid, None)
        await self.end_connection(eio_sid)
