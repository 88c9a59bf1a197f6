"""The baseline: bare python-socketio with the same events, no moderation, no store.

    python -m bench.baseline --port 8001 [--redis redis://127.0.0.1:6390/0]

With `--redis` it shares rooms through `socketio.AsyncRedisManager`, which puts every
emit of every process on one channel: that is what peer-rooms' per-room channels are
measured against. `/stats` answers `{"received": n}`, the pub/sub messages this
process received from Redis (its own included, as with peer-rooms' counter).
"""

from __future__ import annotations

import argparse
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
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


class BaselineNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    """`join` and `send` and nothing else: no checks, no store, no presence."""

    def __init__(self) -> None:
        super().__init__("/")
        self.handles: dict[str, str] = {}
        self.seqs: dict[str, int] = {}

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: object = None) -> None:
        return None

    async def on_disconnect(self, sid: str, *reason: object) -> None:
        self.handles.pop(sid, None)

    async def on_join(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        self.handles[sid] = str(data["handle"])
        await self.enter_room(sid, f"room:{data['room']}")
        return {"ok": True}

    async def on_send(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        room = str(data["room"])
        # A per-process counter: enough to give messages a seq, not a global order.
        seq = self.seqs[room] = self.seqs.get(room, 0) + 1
        message = {"room": room, "id": uuid.uuid4().hex, "seq": seq,
                   "member": {"id": sid, "handle": self.handles.get(sid, ""), "role": "member"},
                   "text": data["text"], "ts": _now_iso()}
        await self.emit("message", message, room=f"room:{room}")
        return {"ok": True, "message": {"id": message["id"], "seq": seq}}


def _now_iso() -> str:
    # The same shape of timestamp peer-rooms sends, so clients parse the same payloads.
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def create_app(redis_url: str | None) -> web.Application:
    manager = CountingRedisManager(redis_url) if redis_url else None
    # Same engine settings as peer-rooms (one event at a time per connection), so
    # the comparison is about what each does with an event, not about scheduling.
    sio = socketio.AsyncServer(async_mode="aiohttp", client_manager=manager,
                               async_handlers=False, logger=False, engineio_logger=False)
    sio.register_namespace(BaselineNamespace())

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
