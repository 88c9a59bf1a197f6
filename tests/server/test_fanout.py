"""Fan-out: one encode per broadcast, order per socket, and sockets that stop reading."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import socket

import orjson
import socketio
from hypothesis import given
from hypothesis import strategies as st

from server.keys import SIO
from server.models.wire import event_packet
from server.transport.fanout import FanoutManager, text_frame
from server.transport.json_packet import OrjsonPacket
from server.transport.websockets import WebSockets
from tests.helpers import ClientFactory, Served

ROOM = "open-circle"
WAIT = 10
BIG_TEXT = "ééé " * 480  # 1,920 characters, 3,360 bytes: buffers fill quickly


def test_a_frame_is_what_a_websocket_reader_expects() -> None:
    for size in (0, 125, 126, 65535, 65536):
        payload = b"x" * size
        frame = text_frame(payload)
        assert frame[0] == 0x81  # FIN, text
        if size < 126:
            assert frame[1] == size and frame[2:] == payload
        elif size < 65536:
            assert frame[1] == 126 and int.from_bytes(frame[2:4]) == size
        else:
            assert frame[1] == 127 and int.from_bytes(frame[2:10]) == size
        assert frame.endswith(payload)


def test_an_event_packet_is_socketio_text() -> None:
    packet = event_packet("message", {"text": "héllo", "n": 1})
    assert packet.startswith(b'42["message",')
    assert json.loads(packet[2:]) == ["message", {"text": "héllo", "n": 1}]


async def test_broadcasts_go_straight_to_websockets_and_through_the_queue_for_polling(
        server: Served, connect: ClientFactory) -> None:
    fanout = server.server.app[SIO].fanout
    sockets = [await connect() for _ in range(3)]
    polling = await connect(transports=["polling"])
    for number, client in enumerate([*sockets, polling]):
        await client.ok("join", {"room": ROOM, "handle": f"Member{number}"})
    direct, queued = fanout.direct, fanout.queued
    for i in range(30):
        await sockets[i % 3].ok("send", {"room": ROOM, "text": f"m{i}", "client_id": f"c{i}"})
    for client in [*sockets, polling]:
        await client.wait_for("message", lambda m: m["text"] == "m29")
        assert [m["text"] for m in client.seen("message")] == [f"m{i}" for i in range(30)]
    assert fanout.direct > direct  # websockets with nothing queued: written directly
    assert fanout.queued >= queued + 30  # the polling client: every message queued


async def test_a_broadcast_reaches_who_is_in_the_room_now(
        server: Served, connect: ClientFactory) -> None:
    # Each room's recipients are remembered between broadcasts; every join, leave and
    # disconnect must change who gets the next one, and nothing is kept for rooms gone.
    fanout = server.server.app[SIO].fanout
    a, b, c = [await connect() for _ in range(3)]
    for number, client in enumerate((a, b, c)):
        await client.ok("join", {"room": ROOM, "handle": f"Member{number}"})
    await a.ok("send", {"room": ROOM, "text": "m1", "client_id": "c1"})
    for client in (a, b, c):
        await client.wait_for("message", lambda m: m["text"] == "m1")
    await c.ok("leave", {"room": ROOM})
    await a.ok("send", {"room": ROOM, "text": "m2", "client_id": "c2"})
    d = await connect()
    await d.ok("join", {"room": ROOM, "handle": "Member3"})
    await a.ok("send", {"room": ROOM, "text": "m3", "client_id": "c3"})
    for client in (a, b, d):
        await client.wait_for("message", lambda m: m["text"] == "m3")
    # Anything sent to c before this answer would have arrived before it.
    await c.ok("join", {"room": ROOM, "handle": "Member2"})
    assert [m["text"] for m in c.seen("message")] == ["m1"]
    assert [m["text"] for m in d.seen("message")] == ["m3"]
    for client in (a, b, c, d):
        await client.ok("leave", {"room": ROOM})
    # The room is gone with its last member, and so is what was remembered of it.
    assert ROOM not in fanout.rooms["/"]
    assert ("/", ROOM) not in fanout._recipients_of
    assert all(room in fanout.rooms.get(namespace, {})
               for namespace, room in fanout._recipients_of)


async def test_answers_go_straight_to_an_idle_websocket_too(
        server: Served, connect: ClientFactory) -> None:
    fanout = server.server.app[SIO].fanout
    alone = await connect()
    await alone.ok("join", {"room": ROOM, "handle": "Alone"})
    direct, queued = fanout.direct, fanout.queued
    for i in range(10):
        answer = await alone.ok("send", {"room": ROOM, "text": f"m{i}",
                                         "client_id": f"c{i}"})
        assert answer["message"]["seq"] >= 1
    await alone.wait_for("message", lambda m: m["text"] == "m9")
    # Each send: its broadcast (to the sender alone) and its ack, both written directly.
    assert fanout.direct - direct == 20
    assert fanout.queued == queued


async def test_broadcasts_in_one_pass_of_the_loop_reach_a_socket_in_one_write(
        server: Served, connect: ClientFactory) -> None:
    fanout = server.server.app[SIO].fanout
    members = [await connect() for _ in range(3)]
    for number, client in enumerate(members):
        await client.ok("join", {"room": ROOM, "handle": f"Member{number}"})
    direct, writes = fanout.direct, fanout.writes
    for i in range(5):  # no await yields between them: one pass of the event loop
        packet = event_packet("message", {"room": ROOM, "id": f"x{i}", "seq": 100 + i,
                                          "text": f"burst {i}"})
        await fanout.broadcast(packet, "/", f"room:{ROOM}")
    for client in members:
        await client.wait_for("message", lambda m: m["text"] == "burst 4")
        assert [m["text"] for m in client.seen("message")] == [f"burst {i}" for i in range(5)]
    assert fanout.direct - direct == 15
    assert fanout.writes - writes == 3  # one per socket, not one per broadcast


class SlowReader:
    """A real websocket client that joins, then stops reading its socket.

    Spoken by hand over a plain asyncio stream with a small receive buffer: once the
    stream's own buffer is full asyncio stops reading the socket, the kernel's window
    closes, and everything the server sends after that waits on the server.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def join(cls, url: str, handle: str) -> SlowReader:
        host, port = url.removeprefix("http://").split(":")
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
        reader, writer = await asyncio.open_connection(sock=sock, limit=4096)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write((f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                      f"Host: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
                      ).encode())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
        assert head.startswith(b"HTTP/1.1 101"), head
        client = cls(reader, writer)
        assert (await client.text()).startswith("0")  # engine.io open
        client.send('40{"device":null}')
        while not (await client.text()).startswith("40"):
            pass
        client.send("421" + json.dumps(["join", {"room": ROOM, "handle": handle}]))
        while not (await client.text()).startswith("431"):
            pass
        return client

    def send(self, text: str) -> None:
        payload = text.encode()
        assert len(payload) < 126
        # A client frame must be masked; a zero mask leaves the payload as it is.
        self.writer.write(bytes((0x81, 0x80 | len(payload))) + b"\0\0\0\0" + payload)

    async def text(self) -> str:
        head = await asyncio.wait_for(self.reader.readexactly(2), WAIT)
        size = head[1] & 0x7F
        if size == 126:
            size = int.from_bytes(await self.reader.readexactly(2))
        elif size == 127:
            size = int.from_bytes(await self.reader.readexactly(8))
        return (await self.reader.readexactly(size)).decode()

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


async def test_a_socket_that_stops_reading_is_closed_and_the_room_keeps_flowing(
        server: Served, connect: ClientFactory) -> None:
    fanout = server.server.app[SIO].fanout
    sender = await connect()
    reader = await connect()
    await sender.ok("join", {"room": ROOM, "handle": "Sender"})
    await reader.ok("join", {"room": ROOM, "handle": "Reader"})
    slow = await SlowReader.join(server.url, "Stalled")
    slow_id = (await reader.wait_for("presence", lambda p: p.get("joined", {}).get(
        "handle") == "Stalled"))["joined"]["id"]
    try:
        sent = 0
        # Far more than the 1 MiB limit plus every kernel and client buffer on the way.
        while fanout.slow_closed == 0 and sent < 6000:
            sent += 1
            await sender.ok("send", {"room": ROOM, "text": f"{sent} {BIG_TEXT}",
                                     "client_id": f"c{sent}"})
        assert fanout.slow_closed == 1, f"still open after {sent} messages"
        # The stalled member's connection ended, so they left the room (and may resume).
        await reader.wait_for("presence", lambda p: p.get("left") == slow_id)
        last = await sender.ok("send", {"room": ROOM, "text": "after", "client_id": "after"})
        for client in (sender, reader):
            await client.wait_for("message", lambda m: m["text"] == "after")
            seqs = [m["seq"] for m in client.seen("message")]
            assert seqs == list(range(1, last["message"]["seq"] + 1))  # every one, in order
        assert len(server.server.app[SIO].websockets) == 2
    finally:
        await slow.close()


def test_packets_encode_what_json_encodes_and_read_as_before() -> None:
    from server.transport.json_packet import OrjsonCodec

    for value in ({"a": [1, 2.5, "é", None, True]}, {"n": 123456789012345678901234567890},
                  {1: "int key"}):
        assert json.loads(OrjsonCodec.dumps(value)) == json.loads(json.dumps(value))
    for text in ('{"n":123456789012345678901234567890}', '{"x":NaN}'):
        assert repr(OrjsonCodec.loads(text)) == repr(json.loads(text))
    assert orjson.loads(OrjsonCodec.dumps({"k": "é"})) == {"k": "é"}


# Connect (the None room and the sid's own), join a room, leave it, disconnect: the
# operations python-socketio makes, over a few sids and rooms.
_OPS = st.lists(st.tuples(st.sampled_from(["connect", "join", "leave", "disconnect"]),
                          st.integers(0, 5), st.sampled_from(["a", "b", "c"])),
                max_size=60)


@given(_OPS)
def test_a_disconnect_leaves_the_manager_as_python_socketios_own_would(
        ops: list[tuple[str, int, str]]) -> None:
    # basic_disconnect reads a sid's rooms from an index instead of testing every room;
    # driven alike, both managers must end in the same state.
    ours, theirs = FanoutManager(WebSockets()), socketio.AsyncManager()
    for manager in (ours, theirs):
        connected: set[str] = set()
        for op, number, room in ops:
            sid = f"s{number}"
            if op == "connect" and sid not in connected:
                manager.basic_enter_room(sid, "/", None, eio_sid=f"e{number}")
                manager.basic_enter_room(sid, "/", sid, eio_sid=f"e{number}")
                manager.pending_connect.setdefault("/", []).append(sid)
                manager.callbacks[sid] = {1: print}
                connected.add(sid)
            elif op == "join" and sid in connected:
                manager.basic_enter_room(sid, "/", room)
            elif op == "leave" and sid in connected:
                manager.basic_leave_room(sid, "/", room)
            elif op == "disconnect" and sid in connected:
                manager.pending_disconnect.setdefault("/", []).append(sid)
                manager.basic_disconnect(sid, "/")
                connected.discard(sid)
    assert _state(ours) == _state(theirs)
    # The index holds only sids still in some room.
    assert set(ours._rooms_of) == {("/", sid) for sid in ours.rooms.get("/", {}).get(None, {})}


def _state(manager: socketio.AsyncManager) -> object:
    rooms = {namespace: {room: dict(members) for room, members in by_room.items()}
             for namespace, by_room in manager.rooms.items()}
    return rooms, manager.callbacks, manager.pending_connect, manager.pending_disconnect


# What an event's data can hold: JSON values, and bytes somewhere (or not).
_DATA = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5) | st.binary(max_size=3),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner,
                                                                 max_size=4),
    max_leaves=30)


@given(_DATA)
def test_the_binary_test_answers_as_python_socketios_own(data: object) -> None:
    assert OrjsonPacket.data_is_binary(data) == socketio.packet.Packet.data_is_binary(data)
