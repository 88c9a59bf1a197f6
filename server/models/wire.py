"""The form of a bus `Envelope` on a Redis channel.

A JSON header line, then (for events sockets see) the Socket.IO packet itself,
`42[event, data]`, exactly as the fan-out writes it to each socket: the receiving
process hands those bytes on without encoding the event again. Control envelopes
(work for the transport, never sent to a client) carry their data in the header.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import orjson

from server.models.envelope import Envelope
from server.models.live import Message

SEQ_MARK = "__SEQ__"
SEQ_PLACEHOLDER = f'"{SEQ_MARK}"'  # the store's post script swaps in the real seq
_HEAD_END = b"\n"  # orjson never writes a raw newline, so the first one ends the header


@dataclass(frozen=True)
class Received:
    envelope: Envelope
    origin: str
    sent_at: float


def event_packet(event: str, data: Any) -> bytes:
    """The Socket.IO EVENT packet for namespace "/" inside an engine.io MESSAGE."""
    return b"42" + orjson.dumps([event, data])


def encode(envelope: Envelope, origin: str, *, seq: Any = None) -> bytes:
    head: dict[str, Any] = {"o": origin, "at": time.time(), "r": envelope.room,
                            "e": envelope.event, "t": envelope.to, "m": envelope.member_id,
                            "p": envelope.process}
    if seq is not None:
        head["q"] = seq
    if envelope.is_control:
        head["d"] = envelope.data
        return orjson.dumps(head)
    packet = envelope.packet or event_packet(envelope.event, envelope.data)
    return orjson.dumps(head) + _HEAD_END + packet


def encode_message_envelope(message: Message, origin: str) -> bytes:
    """A `message` envelope whose seq (twice: header and packet) is a placeholder string
    for the post script; seq comes before the text, which cannot hold the placeholder
    unescaped."""
    data = {**message.to_wire(), "seq": SEQ_MARK}
    return encode(Envelope(message.room, "message", data), origin, seq=SEQ_MARK)


def decode(raw: bytes | str) -> Received:
    body = raw.encode() if isinstance(raw, str) else raw
    head_end = body.find(_HEAD_END)
    head: dict[str, Any] = orjson.loads(body if head_end < 0 else body[:head_end])
    packet = None if head_end < 0 else body[head_end + 1:]
    # The data is read for the domain's use (a seq, say); sockets get the packet as is.
    data = orjson.loads(packet[2:])[1] if packet is not None else head.get("d") or {}
    envelope = Envelope(room=head["r"], event=head["e"], data=data, to=head["t"],
                        member_id=head.get("m"), process=head.get("p"), packet=packet)
    return Received(envelope, head["o"], float(head.get("at", 0.0)))
