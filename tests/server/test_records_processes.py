"""Records with real server processes: a restart keeps them, SIGHUP re-reads the file,
and processes sharing Redis and PostgreSQL apply one another's changes."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from typing import Any

import aiohttp

from tests.helpers import (
    FACILITATOR,
    ClientFactory,
    LiveServer,
    StartProcess,
    login,
    refusal,
    toml_config,
)
from tests.postgres import PostgresDatabase
from tests.redis_server import RedisServer
from tests.server.test_admin_api import MEETING, admin_config

WAIT_S = 10.0


async def admin_call(server: LiveServer, token: str, method: str, path: str,
                     body: Any = None) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.request(
            method, f"{server.url}{path}", json=body,
            headers={"Authorization": f"Bearer {token}"}) as response:
        return response.status, (await response.json() if response.status != 204 else None)


async def listed(server: LiveServer) -> set[str]:
    async with aiohttp.ClientSession() as http, \
            http.get(f"{server.url}/api/rooms") as response:
        return {room["id"] for room in await response.json()}


async def until_listed(server: LiveServer, room_id: str) -> float:
    """Seconds until `room_id` shows in the server's listing (fails after WAIT_S)."""
    start = time.monotonic()

    async def poll() -> None:
        # Another process's answer: there is no event here to wait on, only its API.
        while room_id not in await listed(server):  # noqa: ASYNC110
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), WAIT_S)
    return time.monotonic() - start


async def test_rooms_bans_and_audit_survive_a_restart_on_sqlite(
        server_process: StartProcess, clients: ClientFactory) -> None:
    config = admin_config()  # records in one SQLite file for the test's processes
    first = server_process(config)
    token = await login(first.url)
    status, _ = await admin_call(first, token, "POST", "/api/admin/rooms", MEETING)
    assert status == 201
    host = await clients(first.url, token=token)
    await host.ok("join", {"room": "open-circle"})
    troll = await clients(first.url)
    joined = await troll.ok("join", {"room": "open-circle", "handle": "Troll"})
    await host.ok("mod", {"room": "open-circle", "action": "ban",
                          "member_id": joined["member"]["id"], "scope": "room"})
    await troll.wait_for("__disconnect__")
    device = troll.device
    first.proc.send_signal(signal.SIGTERM)
    first.proc.wait(15)

    second = server_process(config)
    assert "thursday-night" in await listed(second)
    again = await clients(second.url, device=device)
    assert await again.error("join", {"room": "open-circle", "handle": "Troll2"}) == "banned"
    token = await login(second.url)
    host = await clients(second.url, token=token)
    await host.ok("join", {"room": "open-circle"})
    entries = (await host.ok("mod", {"room": "open-circle", "action": "audit"}))["entries"]
    assert [e["action"] for e in entries] == ["ban"]
    status, site = await admin_call(second, token, "GET", "/api/admin/audit")
    # The second start provisioned nothing new, so it wrote nothing.
    assert [(e["actor"], e["action"]) for e in site] == [(FACILITATOR, "room.create"),
                                                         ("config file", "config.provision")]


async def test_sighup_rereads_the_config_without_dropping_connections(
        server_process: StartProcess, clients: ClientFactory, tmp_path: Path) -> None:
    config = admin_config()
    server = server_process(config)
    member = await clients(server.url)
    await member.ok("join", {"room": "open-circle", "handle": "River"})
    rooms = [{**config["rooms"][0], "title": "Open Circle, renamed"}, *config["rooms"][1:],
             {"id": "new-room", "title": "New Room", "kind": "drop-in"}]
    assert rooms[0]["id"] == "open-circle"
    (tmp_path / f"peer-rooms-{server.port}.toml").write_text(
        toml_config({**config, "rooms": rooms,
                     "database_url": f"sqlite:///{tmp_path / 'records.sqlite3'}"}))
    server.proc.send_signal(signal.SIGHUP)
    await until_listed(server, "new-room")
    # The room's members hear of the new title (DESIGN: room_state on any change).
    state = await member.wait_for("room_state", lambda s: s["title"] == "Open Circle, renamed")
    assert state["room"] == "open-circle"
    token = await login(server.url)
    _, records = await admin_call(server, token, "GET", "/api/admin/rooms")
    assert {r["id"]: r["source"] for r in records}["new-room"] == "config"
    _, site = await admin_call(server, token, "GET", "/api/admin/audit")
    assert (site[0]["action"], site[0]["detail"]) == ("config.provision",
                                                      {"rooms": ["open-circle", "new-room"]})
    # The member never noticed: same connection, same membership.
    await member.ok("send", {"room": "open-circle", "text": "still here", "client_id": "1"})
    await member.wait_for("message", lambda m: m["text"] == "still here")
    assert member.seen("__disconnect__") == []


async def test_two_processes_on_redis_and_postgresql_share_records(
        server_process: StartProcess, clients: ClientFactory, fresh_redis: RedisServer,
        postgres: PostgresDatabase) -> None:
    config = admin_config(redis_url=fresh_redis.url, database_url=postgres.url)
    a, b = server_process(config), server_process(config)
    token = await login(a.url)
    status, _ = await admin_call(a, token, "POST", "/api/admin/rooms",
                                 {**MEETING, "id": "made-on-a", "kind": "drop-in",
                                  "weekly": [], "timezone": None})
    assert status == 201
    took = await until_listed(b, "made-on-a")
    print(f"room made on A listed on B after {took:.2f} s")
    member = await clients(b.url)
    await member.ok("join", {"room": "made-on-a", "handle": "Lake"})

    status, invite = await admin_call(a, token, "POST", "/api/admin/facilitators",
                                      {"name": "Robin"})
    assert status == 201
    # The invite is used on the other process: the record is shared.
    link = invite["invite_url"].replace(a.url, b.url)
    async with aiohttp.ClientSession() as http:
        async with http.get(link) as page:
            assert page.status == 200
        passphrase = "a long enough passphrase"
        async with http.post(link, data={"passphrase": passphrase, "passphrase_again": passphrase},
                             headers={"Origin": b.url}, allow_redirects=False) as done:
            assert done.status in (302, 303), await done.text()
    robin = await login(b.url, "Robin", passphrase)  # where the page sends them

    async def known_on_a() -> None:
        # A learns of the passphrase from the records within its next poll.
        while await refusal(a.url, {"token": robin}) is not None:  # noqa: ASYNC110
            await asyncio.sleep(0.05)

    await asyncio.wait_for(known_on_a(), WAIT_S)
    sockets = [await clients(s.url, token=robin) for s in (a, b)]
    for socket in sockets:
        await socket.ok("join", {"room": "open-circle"})
    status, _ = await admin_call(a, token, "DELETE", "/api/admin/facilitators/Robin")
    assert status == 204
    for socket in sockets:
        await socket.wait_for("__disconnect__")
    for server in (a, b):
        assert await refusal(server.url, {"token": robin}) == "auth_failed"
