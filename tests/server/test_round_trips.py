"""An accepted `send` costs at most two Redis round trips: one pipelined read, one
script; a member's sends after their first in a process cost the script alone."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from aiohttp.test_utils import TestServer

import server.app as app_module
from server.config.loader import settings_from_mapping
from tests.helpers import Client, base_config
from tests.redis_server import RedisServer

ROOM = "open-circle"
# Background work with round trips of its own, on tasks of its own.
BACKGROUND = {"liveness", "scheduler", "redis-bus-listener"}


async def test_an_accepted_send_is_one_read_and_one_script_then_the_script_alone(
        redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch) -> None:
    trips: list[str] = []  # the name of the task each round trip was made from
    real = app_module.redis_client

    def counting(url: str, on_round_trip: Callable[[], None] | None = None,  # type: ignore[no-untyped-def]
                 **options):
        def record() -> None:
            task = asyncio.current_task()
            trips.append(task.get_name() if task else "")
            if on_round_trip is not None:
                on_round_trip()

        return real(url, on_round_trip=record, **options)

    async def trips_of(client: Client, text: str) -> int:
        before = len(trips)
        await client.ok("send", {"room": ROOM, "text": text, "client_id": text})
        return len([t for t in trips[before:] if t not in BACKGROUND])

    monkeypatch.setattr(app_module, "redis_client", counting)
    redis_server.flush()
    settings = settings_from_mapping(base_config(redis_url=redis_server.url))
    server = TestServer(app_module.create_app(settings), host="127.0.0.1")
    await server.start_server(access_log=None)
    river, lake = Client(), Client()
    try:
        await river.connect(f"http://127.0.0.1:{server.port}")
        await river.ok("join", {"room": ROOM, "handle": "River"})
        # The first send also loads the script into Redis.
        await river.ok("send", {"room": ROOM, "text": "warm", "client_id": "c0"})
        await lake.connect(f"http://127.0.0.1:{server.port}", device="lake")
        await lake.ok("join", {"room": ROOM, "handle": "Lake"})
        assert await trips_of(lake, "first") == 2  # the read, then the script
        for number in range(1, 4):
            # What the last post left stands in for the read; the script checks it.
            assert await trips_of(lake, f"lake {number}") == 1
            assert await trips_of(river, f"river {number}") == 1
    finally:
        await river.close()
        await lake.close()
        await server.close()


async def test_a_burst_of_sends_opens_no_more_connections_than_the_limit(
        redis_server: RedisServer) -> None:
    """redis-py's default pool opens a connection per concurrent command and keeps them
    all; the process's pool is capped by `limits.redis_connections` and sends wait."""
    redis_server.flush()
    limit = 4
    settings = settings_from_mapping(base_config(
        redis_url=redis_server.url,
        limits={"redis_connections": limit, "message_burst": 100,
                "message_interval_s": 0.05}))
    watcher = app_module.redis_client(redis_server.url)
    # Connections an earlier test's server left behind are not this server's.
    earlier = {entry["id"] for entry in await watcher.client_list()}
    server = TestServer(app_module.create_app(settings), host="127.0.0.1")
    await server.start_server(access_log=None)
    clients = [Client() for _ in range(5)]
    try:
        for number, client in enumerate(clients):
            await client.connect(f"http://127.0.0.1:{server.port}", device=f"d{number}")
            await client.ok("join", {"room": ROOM, "handle": f"Member{number}"})
        answers = await asyncio.gather(*(
            client.call("send", {"room": ROOM, "text": f"burst {n}",
                                 "client_id": f"b{i}-{n}"})
            for i, client in enumerate(clients) for n in range(20)))
        assert [a for a in answers if not a.get("ok")] == []
        listed = [entry for entry in await watcher.client_list()
                  if entry["id"] not in earlier]
        # What is new is the server's pool (the bus's subscription is one of its
        # connections).
        assert 1 < len(listed) <= limit
    finally:
        for client in clients:
            await client.close()
        await watcher.aclose()
        await server.close()
