"""Fan-out: a broadcast is encoded and framed once, then written to each socket.

python-socketio's own manager builds one task per recipient, and each task goes
through engine.io's queue, a writer task and aiohttp's frame builder. Here (the
"fastlane" of Phoenix Channels) a broadcast is encoded once with orjson into the
Socket.IO text `42[event, data]`, wrapped once in a websocket text frame, and the same
bytes go straight to the transport of every websocket whose engine.io writer is idle
with nothing queued. A socket that is long-polling, upgrading, or still has packets
queued or in hand gets the packet through engine.io's queue, so per-socket order holds.

Frames for one socket are gathered for the rest of the event loop's pass and written
with one `transport.write` at the start of the next (`_flush`): a busy loop handles
several sends a pass, and one system call per socket per pass instead of one per
broadcast is most of what saturation costs. Order holds: a socket is only written to
directly while engine.io holds nothing for it, and anything engine.io is given later
runs after the flush (callbacks run in the order they were scheduled).

A socket that stops reading would otherwise hold every later broadcast in memory:
past `send_buffer_bytes` waiting for one socket, it is closed (the member can resume).
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import Sequence
from typing import Any

import socketio
from engineio import packet as eio_packet

from server.models.wire import event_packet
from server.transport.websockets import FastSocket, WebSockets

log = logging.getLogger(__name__)

DEFAULT_SEND_BUFFER = 1024 * 1024
_SMALL_QUEUE = 8  # below this many queued packets their bytes are not worth summing


def text_frame(payload: bytes) -> bytes:
    """An unmasked, final, uncompressed websocket text frame (RFC 6455 §5.2)."""
    size = len(payload)
    if size < 126:
        return struct.pack("!BB", 0x81, size) + payload
    if size < 65536:
        return struct.pack("!BBH", 0x81, 126, size) + payload
    return struct.pack("!BBQ", 0x81, 127, size) + payload


class Broadcast:
    """One encoded packet, in the two forms sockets take it (built on first use)."""

    __slots__ = ("_frame", "_packet", "payload")

    def __init__(self, payload: bytes) -> None:
        self.payload = payload  # engine.io text: b'42["message",{...}]'
        self._frame: bytes | None = None
        self._packet: eio_packet.Packet | None = None

    @property
    def frame(self) -> bytes:
        if self._frame is None:
            self._frame = text_frame(self.payload)
        return self._frame

    @property
    def packet(self) -> eio_packet.Packet:
        if self._packet is None:
            # engine.io adds the "4" (MESSAGE) itself; data must be str to go as text.
            self._packet = eio_packet.Packet(eio_packet.MESSAGE, self.payload[1:].decode())
        return self._packet


class FanoutManager(socketio.AsyncManager):  # type: ignore[misc]
    def __init__(self, websockets: WebSockets,
                 send_buffer_bytes: int = DEFAULT_SEND_BUFFER) -> None:
        super().__init__()
        self.websockets = websockets
        self.send_buffer_bytes = send_buffer_bytes
        # Counts for metrics and tests: frames written straight to a transport,
        # packets that went through engine.io's queue, sockets closed for not reading.
        self.direct = 0
        self.writes = 0  # transport writes: fewer than `direct` when a pass gathered several
        self.queued = 0
        self.slow_closed = 0
        self._closing: set[asyncio.Task[None]] = set()
        # Frames gathered this pass of the loop, per socket; emptied by `_flush`.
        self._corked: dict[FastSocket, list[bytes]] = {}
        # Each room's engine.io sids as a tuple, until someone enters or leaves it: a
        # broadcast reads that instead of copying the room's bidict (Python-level
        # iteration) every time. Only rooms that exist have an entry.
        self._recipients_of: dict[tuple[str, Any], tuple[str, ...]] = {}
        # The rooms each sid is in (its own and the namespace's None room too), so a
        # disconnect leaves them directly: python-socketio's basic_disconnect tests every
        # room of the namespace for each disconnect, one per open connection at least,
        # which made a mass disconnect quadratic (16 % of the 2,000-join bench's server
        # samples). Bounded by open connections × their rooms.
        self._rooms_of: dict[tuple[str, str], set[Any]] = {}

    async def emit(self, event: str, data: Any, namespace: str, room: Any = None,
                   skip_sid: Any = None, callback: Any = None, to: Any = None,
                   **kwargs: Any) -> None:
        if callback is not None or namespace != "/" or isinstance(data, tuple) \
                or data is None or skip_sid is not None:
            await super().emit(event, data, namespace, room=room, skip_sid=skip_sid,
                               callback=callback, to=to, **kwargs)
            return
        try:
            payload = event_packet(event, data)
        except TypeError:
            # Something orjson does not take (a non-str key): the standard path.
            await super().emit(event, data, namespace, room=room, callback=callback, to=to,
                               **kwargs)
            return
        await self.broadcast(payload, namespace, to or room)

    async def broadcast(self, payload: bytes, namespace: str, room: Any) -> None:
        """Send an already encoded event packet (`event_packet`) to a room's sockets."""
        if namespace not in self.rooms:
            return
        sent = Broadcast(payload)
        queued: list[str] = []
        fast_sockets = self.websockets.by_sid
        cork, frame = self._cork, sent.frame
        # The per-recipient work: a lookup, the idle test, one list append.
        for eio_sid in self._recipients(namespace, room):
            fast = fast_sockets.get(eio_sid)
            if fast is not None and fast.idle():
                cork(fast, frame)
            else:
                queued.append(eio_sid)
        for eio_sid in queued:
            await self._queue(eio_sid, sent)

    def write_direct(self, eio_sid: str, payload: bytes) -> bool:
        """One packet for one socket (an ack), the broadcast's way: written straight to
        its websocket when nothing queued could be overtaken. False when it must go
        through engine.io's queue instead."""
        fast = self.websockets.by_sid.get(eio_sid)
        if fast is None or not fast.idle():
            return False
        self._cork(fast, text_frame(payload))
        return True

    def _cork(self, fast: FastSocket, frame: bytes) -> None:
        """Gather `frame` for `fast` until this pass of the loop ends (`_flush`)."""
        frames = self._corked.get(fast)
        if frames is not None:
            frames.append(frame)
            return
        if not self._corked:
            asyncio.get_running_loop().call_soon(self._flush)
        self._corked[fast] = [frame]

    def _flush(self) -> None:
        """Write what this pass gathered: one write per socket."""
        corked, self._corked = self._corked, {}
        limit = self.send_buffer_bytes
        for fast, frames in corked.items():
            data = frames[0] if len(frames) == 1 else b"".join(frames)
            transport = fast.transport
            if transport.is_closing() or fast.response.closed:
                continue  # gone or closing meanwhile: what it was owed goes with it
            if transport.get_write_buffer_size() + len(data) > limit:
                self._too_slow(fast, fast.socket.sid)
                continue
            transport.write(data)
            self.writes += 1
            self.direct += len(frames)

    def _recipients(self, namespace: str, room: Any) -> Sequence[str]:
        if room is None or isinstance(room, str):
            # One room (a sid is a room too).
            known = self._recipients_of.get((namespace, room))
            if known is not None:
                return known
            members = self.rooms[namespace].get(room)
            if members is None:
                return ()
            known = self._recipients_of[(namespace, room)] = tuple(members.values())
            return known
        return [eio_sid for _, eio_sid in self.get_participants(namespace, room)]

    def basic_enter_room(self, sid: str, namespace: str, room: Any,
                         eio_sid: str | None = None) -> None:
        # Every change to a room's members passes here or through basic_leave_room
        # (connect, join, leave, disconnect, close_room).
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
        self._recipients_of.pop((namespace, room), None)
        self._rooms_of.setdefault((namespace, sid), set()).add(room)

    def basic_leave_room(self, sid: str, namespace: str, room: Any) -> None:
        super().basic_leave_room(sid, namespace, room)
        self._recipients_of.pop((namespace, room), None)
        rooms = self._rooms_of.get((namespace, sid))
        if rooms is not None:
            rooms.discard(room)
            if not rooms:
                del self._rooms_of[(namespace, sid)]

    def basic_disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        """python-socketio's, with the sid's rooms read from the index, not found by
        testing every room (tests/server/test_fanout.py compares the two)."""
        rooms = self._rooms_of.get((namespace, sid))
        if rooms is None or namespace not in self.rooms:
            super().basic_disconnect(sid, namespace, **kwargs)
            return
        for room in list(rooms):  # basic_leave_room takes each out of the set
            self.basic_leave_room(sid, namespace, room)
        self.callbacks.pop(sid, None)
        for pending in (self.pending_connect, self.pending_disconnect):
            waiting = pending.get(namespace)
            if waiting is not None and sid in waiting:
                waiting.remove(sid)
                if not waiting:
                    del pending[namespace]

    async def _queue(self, eio_sid: str, sent: Broadcast) -> None:
        socket = self.server.eio.sockets.get(eio_sid)
        if socket is None or socket.closed or socket.closing:
            return
        fast = self.websockets.get(eio_sid)
        if fast is not None:
            waiting = fast.buffered() + fast.in_queue
        elif socket.queue.qsize() >= _SMALL_QUEUE:
            waiting = _queued_bytes(socket)  # long-polling: only a client that stopped polling
        else:
            waiting = 0
        if waiting + len(sent.payload) > self.send_buffer_bytes:
            self._too_slow(fast, eio_sid)
            return
        if fast is not None:
            fast.in_queue += len(sent.payload)
        self.queued += 1
        await self.server._send_eio_packet(eio_sid, sent.packet)

    def _too_slow(self, fast: FastSocket | None, eio_sid: str) -> None:
        self.slow_closed += 1
        # Never who: the count and size only.
        log.warning("closing a connection that stopped reading (over %d KiB waiting)",
                    self.send_buffer_bytes // 1024)
        if fast is not None:
            # Dropping the transport frees what it holds at once; engine.io and the
            # namespace see the connection end and release its memberships.
            self.websockets.discard(eio_sid)
            fast.abort()
            return
        socket = self.server.eio.sockets.get(eio_sid)
        if socket is not None:
            task = asyncio.create_task(socket.close(wait=False, abort=True))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)


def _queued_bytes(socket: Any) -> int:
    return sum(len(p.data) for p in socket.queue._queue
               if p is not None and isinstance(p.data, str | bytes))
