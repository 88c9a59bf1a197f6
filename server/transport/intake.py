"""What a request may send before any handler sees it: a bounded body, in bounded time,
and at most one long-poll at a time per engine.io session.

aiohttp has no body-read timeout and python-engineio reads the body itself
(`request.content`), so both are enforced here, in front of every handler. The header
timeout is aiohttp's own (`keepalive_timeout`, set in `create_app`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import hdrs, web
from aiohttp.typedefs import Middleware

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def request_intake(*, engineio_path: str, max_body: int, body_timeout_s: float,
                   engineio: Callable[[], Any]) -> Middleware:
    """`engineio()` gives the engine.io server, whose sessions a bad request closes."""
    polling: set[str] = set()  # sids with a long-poll in flight (bounded by connections)

    async def close_session(sid: str | None) -> None:
        socket = engineio().sockets.get(sid) if sid else None
        if socket is not None:
            # wait=False: engineio's own disconnect() waits for a poll to collect the
            # CLOSE packet, and with no poll in flight that wait never ends.
            await socket.close(wait=False, abort=False)

    @web.middleware
    async def intake(request: web.Request, handler: Handler) -> web.StreamResponse:
        is_engineio = request.path == engineio_path
        sid = request.query.get("sid") if is_engineio else None
        if request.body_exists:
            length = request.content_length
            if length is None:
                # Chunked: its size is unknown until it has all arrived.
                raise web.HTTPLengthRequired(text="A request body needs a Content-Length.")
            if length > max_body:
                # Engine.io's limit: a frame this big closes that connection.
                await close_session(sid)
                raise web.HTTPRequestEntityTooLarge(max_size=max_body, actual_size=length)
            try:
                # The body stays buffered for the handler (it is under aiohttp's
                # read-pause mark), so waiting for its end consumes nothing.
                async with asyncio.timeout(body_timeout_s):
                    await request.content.wait_eof()
            except TimeoutError:
                await close_session(sid)
                timeout = web.HTTPRequestTimeout(text="The request body came too slowly.")
                timeout.force_close()  # the rest of that body is not worth waiting for
                raise timeout from None
        if not (is_engineio and sid and request.method == hdrs.METH_GET
                and request.query.get("transport") == "polling"
                and hdrs.UPGRADE not in request.headers):
            return await handler(request)
        if sid in polling:
            # The engine.io protocol allows one poll at a time; a second one is an
            # error that ends the session (and frees the first poll at once).
            await close_session(sid)
            raise web.HTTPBadRequest(text="Overlapping long-polling request.")
        polling.add(sid)
        try:
            return await handler(request)
        finally:
            polling.discard(sid)

    return intake
