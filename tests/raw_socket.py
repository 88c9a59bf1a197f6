"""An engine.io v4 websocket spoken by hand, for what no client library would do."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

WAIT = 10


class RawSocket:
    """An engine.io v4 websocket spoken by hand, to send frames no library would."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, answer_pings: bool = True) -> None:
        self.ws = ws
        self.answer_pings = answer_pings
        self.pings = 0

    @classmethod
    async def open(cls, http: aiohttp.ClientSession, url: str, *,
                   namespace: bool = True, answer_pings: bool = True) -> RawSocket:
        """An open engine.io connection; with `namespace`, connected to "/" too;
        without `answer_pings`, a client gone silent (frozen, or its network lost)."""
        ws = await http.ws_connect(f"{url}/socket.io/?EIO=4&transport=websocket")
        raw = cls(ws, answer_pings)
        opened = await raw.frame()
        assert opened is not None and opened.startswith("0"), opened
        if not namespace:
            return raw
        await ws.send_str("40")  # Socket.IO connect to "/" with no auth
        connected = await raw.until(lambda f: f.startswith("40"))
        assert connected is not None, "no Socket.IO connect answer"
        return raw

    async def frame(self) -> str | None:
        """The next text frame; None once the connection is closed."""
        while True:
            message = await asyncio.wait_for(self.ws.receive(), WAIT)
            if message.type == aiohttp.WSMsgType.TEXT:
                if message.data == "2":  # engine.io ping: answer it like a client
                    self.pings += 1
                    if self.answer_pings:
                        await self.ws.send_str("3")
                    continue
                return str(message.data)
            if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                                aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.ERROR):
                return None

    async def until(self, match: Any) -> str | None:
        while True:
            frame = await self.frame()
            if frame is None or match(frame):
                return frame


class RawPolling:
    """An engine.io v4 long-polling session spoken by hand: each POST carries packets,
    each GET waits for what the server has queued (packets joined by \\x1e)."""

    def __init__(self, http: aiohttp.ClientSession, url: str, sid: str) -> None:
        self.http, self.url, self.sid = http, url, sid
        self._pending: list[str] = []
        self.closed = False

    @classmethod
    async def open(cls, http: aiohttp.ClientSession, url: str) -> RawPolling:
        """An open engine.io session connected to the "/" namespace."""
        async with http.get(f"{url}/socket.io/?EIO=4&transport=polling") as response:
            opened = await response.text()
        assert opened.startswith("0"), opened
        sid = str(json.loads(opened[1:])["sid"])
        raw = cls(http, url, sid)
        assert await raw.send("40")
        connected = await raw.until(lambda p: p.startswith("40"))
        assert connected is not None, "no Socket.IO connect answer"
        return raw

    def _path(self) -> str:
        return f"{self.url}/socket.io/?EIO=4&transport=polling&sid={self.sid}"

    async def send(self, payload: str | bytes) -> bool:
        """POST one payload as it is; False when the server refused it (the session
        is then over, as engine.io ends a session that posts what it cannot read)."""
        body = payload.encode() if isinstance(payload, str) else payload
        async with self.http.post(self._path(), data=body,
                                  headers={"Content-Type": "text/plain;charset=UTF-8"}
                                  ) as response:
            await response.read()
            if response.status != 200:
                self.closed = True
            return response.status == 200

    async def packet(self) -> str | None:
        """The next packet; None once the session is gone (a 400, or a close packet)."""
        while not self._pending:
            if self.closed:
                return None
            async with self.http.get(self._path(),
                                     timeout=aiohttp.ClientTimeout(total=WAIT)) as response:
                body = await response.text()
                if response.status != 200:
                    self.closed = True
                    return None
            for packet in body.split("\x1e"):
                if packet == "2":  # engine.io ping: answer it like a client
                    await self.send("3")
                elif packet == "1":
                    self.closed = True
                    return packet
                elif packet:
                    self._pending.append(packet)
        return self._pending.pop(0)

    async def until(self, match: Any) -> str | None:
        while True:
            packet = await self.packet()
            if packet is None or match(packet):
                return packet
