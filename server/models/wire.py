"""The JSON form of a bus `Envelope` on a Redis channel."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from server.models.envelope import Envelope
from server.models.live import Message

SEQ_MARK = "__SEQ__"
SEQ_PLACEHOLDER = f'"{SEQ_MARK}"'  # the store's post script swaps in the real seq


@dataclass(frozen=True)
class Received:
    envelope: Envelope
    origin: str
    sent_at: float


def encode(envelope: Envelope, origin: str) -> str:
    return json.dumps({"o": origin, "at": time.time(), "r": envelope.room, "e": envelope.event,
                       "t": envelope.to, "m": envelope.member_id, "p": envelope.process,
                       "d": envelope.data},
                      separators=(",", ":"))


def encode_message_envelope(message: Message, origin: str) -> str:
    """A `message` envelope whose seq is a placeholder string for the post script."""
    data = {**message.to_wire(), "seq": SEQ_MARK}
    return encode(Envelope(message.room, "message", data), origin)


def decode(raw: bytes | str) -> Received:
    body: dict[str, Any] = json.loads(raw)
    envelope = Envelope(room=body["r"], event=body["e"], data=body["d"], to=body["t"],
                        member_id=body.get("m"), process=body.get("p"))
    return Received(envelope, body["o"], float(body.get("at", 0.0)))
