"""The baseline: bare python-socketio with the same events, no moderation, no store.

    python -m bench.baseline --port 8001 [--redis redis://127.0.0.1:6390/0]

With `--redis` it shares rooms through `socketio.AsyncRedisManager`, which puts every
emit of every process on one channel: that is what peer-rooms' per-room channels are
measured against. `/stats` answers `{"received": n}`, the pub/sub messages this
process received from Redis (its own included, as with peer-rooms' counter).
"""

from __future__ import annotations

import argparse
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import socketio
from aiohttp import web


class CountingRedisManager(socketio.AsyncRedisManager):  # type: ignore[misc]
    """AsyncRedisManager that counts what its listener yields (every channel message)."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.received = 0

    async def _listen(self) -> AsyncIterator[Any]:
        async for message in super()._listen():
            self.received += 1
            yield message


def create_app(redis_url: str | None) -> web.Application:
    manager = CountingRedisManager(redis_url) if redis_url else None
    # Same engine settings as peer-rooms (one event at a time per connection), so
    # the comparison is about what each does with an event, not about scheduling.
    sio = socketio.AsyncServer(async_mode="aiohttp", client_manager=manager,
                               async_handlers=False, logger=False, engineio_logger=False)
    handles: dict[str, str] = {}
    seqs: dict[str, int] = {}

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: object = None) -> None:
        return None

    @sio.event
    async def disconnect(sid: str, *reason: object) -> None:
        handles.pop(sid, None)

    @sio.event
    async def join(sid: str, data: dict[str, Any]) -> dict[str, Any]:
        handles[sid] = str(data["handle"])
        await sio.enter_room(sid, f"room:{data['room']}")
        return {"ok": True}

    @sio.event
    async def send(sid: str, data: dict[str, Any]) -> dict[str, Any]:
        room = str(data["room"])
        # A per-process counter: enough to give messages a seq, not a global order.
        seq = seqs[room] = seqs.get(room, 0) + 1
        message = {"room": room, "id": uuid.uuid4().hex, "seq": seq,
                   "member": {"id": sid, "handle": handles.get(sid, ""), "role": "member"},
                   "text": data["text"], "ts": time.time()}
        await sio.emit("message", message, room=f"room:{room}")
        return {"ok": True, "message": {"id": message["id"], "seq": seq}}

    async def stats(request: web.Request) -> web.Response:
        return web.json_response({"received": manager.received if manager else 0})

    app = web.Application()
    sio.attach(app)
    app.router.add_get("/stats", stats)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.baseline", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis", help="redis://... to share rooms across processes")
    args = parser.parse_args()
    # Flushed: the benchmark reads "Running on" from a pipe to know we are ready.
    web.run_app(create_app(args.redis), host="127.0.0.1", port=args.port, access_log=None,
                print=lambda text: print(text, flush=True))


if __name__ == "__main__":
    main()
