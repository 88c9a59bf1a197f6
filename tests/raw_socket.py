"""An engine.io v4 websocket spoken by hand, for what no client library would do."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

WAIT = 10


class RawSocket:
    """An engine.io v4 websocket spoken by hand, to send frames no library would."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    @classmethod
    async def open(cls, http: aiohttp.ClientSession, url: str, *,
                   namespace: bool = True) -> RawSocket:
        """An open engine.io connection; with `namespace`, connected to "/" too."""
        ws = await http.ws_connect(f"{url}/socket.io/?EIO=4&transport=websocket")
        raw = cls(ws)
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
