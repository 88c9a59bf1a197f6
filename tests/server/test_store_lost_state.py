"""Redis coming back empty must not tell a connected member they are not a member
(issue 12, item 10): until this process has put its members back, a send answers
`unavailable` (the client retries with the same client_id), and then it works."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from server.keys import ROOMS
from server.rooms.liveness import SETTLE_S
from tests.helpers import ClientFactory, Served
from tests.redis_server import RedisServer

ROOM = "open-circle"


@pytest.fixture
def backend(redis_server: RedisServer) -> str:
    """Redis only: the memory store cannot lose its state under a live process."""
    redis_server.flush()
    return str(redis_server.url)


async def test_send_while_redis_came_back_empty_is_unavailable_until_repaired(
        server: Served, connect: ClientFactory, redis_server: RedisServer,
        monkeypatch: pytest.MonkeyPatch, clock: Any) -> None:
    liveness = server.server.app[ROOMS].liveness
    repairing, release = asyncio.Event(), asyncio.Event()
    reregister = liveness.reregister

    async def held_repair() -> None:
        # Hold the repair open, so the test can send while it is under way.
        repairing.set()
        await release.wait()
        await reregister()

    monkeypatch.setattr(liveness, "reregister", held_repair)
    river = await connect()
    await river.ok("join", {"room": ROOM, "handle": "River"})
    first = await river.ok("send", {"room": ROOM, "text": "before", "client_id": "c0"})

    redis_server.flush()  # Redis loses everything; the member is still connected
    during = {"room": ROOM, "text": "during", "client_id": "c1"}
    # Before this process has even noticed (its next beat), and while it repairs:
    assert await river.error("send", during) == "unavailable"
    await asyncio.wait_for(repairing.wait(), 10)
    assert await river.error("send", during) == "unavailable"
    assert await river.error("hand", {"room": ROOM, "raised": True}) == "unavailable"

    river.events.clear()
    release.set()
    await river.wait_for("room_state")  # re-registered: the process tells its rooms
    # Every other process puts back its rooms' seq within a beat: sends and joins wait
    # that long after the loss was seen (a process that hosted nothing would reuse one).
    assert await river.error("send", during) == "unavailable"
    newcomer = await connect()
    assert await newcomer.error("join", {"room": ROOM, "handle": "Lake"}) == "unavailable"
    clock.advance(SETTLE_S)
    retry = await river.ok("send", during)
    assert retry["message"]["seq"] > first["message"]["seq"]  # seq continues above
    await river.wait_for("message", lambda m: m["text"] == "during")
    assert river.sio.connected


async def test_a_member_gone_from_the_store_for_real_is_still_not_member(
        server: Served, connect: ClientFactory) -> None:
    """Only a lost store turns a missing membership into `unavailable`."""
    river = await connect()
    joined = await river.ok("join", {"room": ROOM, "handle": "River"})
    store = server.server.app[ROOMS].core.store
    await store.remove_member(ROOM, joined["member"]["id"])  # e.g. reaped elsewhere
    assert await river.error("send", {"room": ROOM, "text": "hi", "client_id": "1"}) \
        == "not_member"
