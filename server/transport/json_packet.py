"""Socket.IO packets encoded with orjson (the standard library for what it refuses).

Decoding stays with the standard library: orjson reads integers beyond 64 bits as
floats and refuses NaN, so a client's packet could mean something else; what a
client sends is small, and the cost is in what the server sends.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from socketio import packet


class OrjsonCodec:
    """The `dumps`/`loads` pair python-socketio's packets call."""

    @staticmethod
    def dumps(value: Any, **_: Any) -> str:
        try:
            return orjson.dumps(value).decode()
        except TypeError:
            return json.dumps(value, separators=(",", ":"))

    @staticmethod
    def loads(text: str | bytes) -> Any:
        return json.loads(text)


class OrjsonPacket(packet.Packet):  # type: ignore[misc]
    json = OrjsonCodec
