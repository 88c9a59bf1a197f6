"""`join`, `leave`, presence and the device `welcome` over real Socket.IO clients."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest
import socketio

from server.keys import NAMESPACE
from tests.helpers import (
    FACILITATOR,
    ClientFactory,
    Served,
    ServeFn,
    base_config,
    login,
    refusal,
)


async def test_new_device_gets_welcome_and_valid_device_does_not(connect: ClientFactory) -> None:
    first = await connect()
    welcome = await first.wait_for("welcome")
    assert welcome["device"].startswith("d1.")
    again = await connect(device=welcome["device"])
    answer = await again.ok("join", {"room": "open-circle", "handle": "River"})
    assert answer["member"]["handle"] == "River"
    assert again.seen("welcome") == []


async def test_forged_device_token_is_replaced(connect: ClientFactory) -> None:
    client = await connect(device="d1.eyJpZCI6ImZha2UifQ.forged")
    welcome = await client.wait_for("welcome")
    assert welcome["device"] != "d1.eyJpZCI6ImZha2UifQ.forged"


async def test_join_answer_and_presence(connect: ClientFactory) -> None:
    a = await connect()
    b = await connect()
    first = await a.ok("join", {"room": "open-circle", "handle": "River"})
    assert first["member"]["role"] == "member"
    assert first["seq"] == 0 and first["missed"] == []
    assert first["room"]["status"] == "open" and first["room"]["kind"] == "drop-in"
    assert isinstance(first["member_token"], str)
    second = await b.ok("join", {"room": "open-circle", "handle": "Lake"})
    assert {m["handle"] for m in second["members"]} == {"River", "Lake"}
    seen = await a.wait_for("presence", lambda p: p.get("joined", {}).get("handle") == "Lake")
    assert seen["count"] == 2 and seen["room"] == "open-circle"
    assert second["member"]["id"] != first["member"]["id"]

    assert (await b.ok("leave", {"room": "open-circle"})) == {"ok": True}
    left = await a.wait_for("presence", lambda p: p.get("left") == second["member"]["id"])
    assert left["count"] == 1


async def test_member_ids_differ_per_join_and_room(connect: ClientFactory) -> None:
    a = await connect()
    one = await a.ok("join", {"room": "open-circle", "handle": "River"})
    await a.ok("leave", {"room": "open-circle"})
    two = await a.ok("join", {"room": "open-circle", "handle": "River"})
    assert one["member"]["id"] != two["member"]["id"]


async def test_join_errors(connect: ClientFactory) -> None:
    a = await connect()
    b = await connect()
    assert await a.error("join", {"room": "nowhere", "handle": "River"}) == "not_found"
    assert await a.error("join", {"room": "tuesday-night", "handle": "River"}) == "closed"
    assert await a.error("join", {"room": "open-circle", "handle": "x"}) == "handle_invalid"
    assert await a.error("join", {"room": "open-circle", "handle": "a\u202eb"}) == "handle_invalid"
    assert await a.error("join", {"room": "open-circle", "handle": "sam"}) == "handle_taken"
    await a.ok("join", {"room": "open-circle", "handle": "River"})
    # Same name in other letters (Cyrillic Р... no: full-width and case) is still taken.
    assert await b.error("join", {"room": "open-circle", "handle": "ＲＩＶＥＲ"}) == "handle_taken"
    assert await b.error("join", {"room": "open-circle", "handle": "Rіver"}) == "handle_taken"


async def test_leave_errors(connect: ClientFactory) -> None:
    a = await connect()
    assert await a.error("leave", {"room": "nowhere"}) == "not_found"
    assert await a.error("leave", None) == "bad_request"


async def test_facilitator_joins_under_configured_name(server: Served,
                                                       connect: ClientFactory) -> None:
    token = await login(server.url)
    staff = await connect(token=token)
    answer = await staff.ok("join", {"room": "open-circle", "handle": "ignored"})
    assert answer["member"] == {"id": answer["member"]["id"], "handle": FACILITATOR,
                                "role": "facilitator"}
    # Hosts of a meeting may enter it while it is closed, to open it.
    host = await staff.ok("join", {"room": "tuesday-night"})
    assert host["member"]["role"] == "host"


async def test_bad_facilitator_token_refuses_connection(server: Served) -> None:
    assert await refusal(server.url, {"device": None, "token": "f1.bad.token"}) == "auth_failed"
    assert await refusal(server.url, {"device": None, "token": 42}) == "auth_failed"
    assert await refusal(server.url, {"device": None}) is None


async def test_too_many_connections_per_device(serve: ServeFn, connect: ClientFactory) -> None:
    served = await serve(limits={**base_config()["limits"], "connections_per_device": 2})
    first = await connect(served.url)
    device = (await first.wait_for("welcome"))["device"]
    await connect(served.url, device=device)
    assert await refusal(served.url, {"device": device}) == "too_many_connections"
    # Another device is not affected.
    assert await refusal(served.url, {"device": None}) is None


async def test_full_room_and_staff_still_enter(serve: ServeFn, connect: ClientFactory) -> None:
    rooms = base_config()["rooms"]
    rooms[0] = {**rooms[0], "capacity": 2}
    served = await serve(rooms=rooms)
    for handle in ("River", "Lake"):
        await (await connect(served.url)).ok("join", {"room": "open-circle", "handle": handle})
    late = await connect(served.url)
    assert await late.error("join", {"room": "open-circle", "handle": "Hill"}) == "full"
    staff = await connect(served.url, token=await login(served.url))
    assert (await staff.ok("join", {"room": "open-circle"}))["member"]["role"] == "facilitator"


async def test_joins_per_device_are_rate_limited(serve: ServeFn, connect: ClientFactory) -> None:
    served = await serve(limits={**base_config()["limits"], "joins_per_minute": 2})
    client = await connect(served.url)
    for room in ("open-circle", "open-circle"):
        await client.ok("join", {"room": room, "handle": "River"})
        await client.ok("leave", {"room": room})
    answer = await client.call("join", {"room": "open-circle", "handle": "River"})
    assert answer["error"]["code"] == "rate_limited"
    assert 0 < answer["error"]["retry_after"] <= 30


async def test_joining_again_from_the_same_socket_changes_nothing(
        connect: ClientFactory) -> None:
    client = await connect()
    first = await client.ok("join", {"room": "open-circle", "handle": "River"})
    again = await client.ok("join", {"room": "open-circle", "handle": "Someone Else"})
    assert again["member"] == first["member"]
    assert [m["id"] for m in again["members"]] == [first["member"]["id"]]


async def test_too_many_connections_from_one_address(
        serve: ServeFn, connect: ClientFactory, caplog: pytest.LogCaptureFixture) -> None:
    # A new device is one connect away, so the address holds a machine back too; staff
    # signed in are not counted, and a closed connection frees its place.
    served = await serve(limits={**base_config()["limits"], "connections_per_address": 3})
    members = [await connect(served.url) for _ in range(3)]
    with caplog.at_level(logging.WARNING):
        for _ in range(2):
            assert await refusal(served.url, {"device": None}) == "too_many_connections"
    # The operator hears of it once (a flood is many refusals), never the address.
    said = [r.getMessage() for r in caplog.records if r.name.startswith("server.")]
    assert len(said) == 1 and "connections_per_address" in said[0], said
    assert "127.0.0.1" not in said[0]
    staff = await connect(served.url, token=await login(served.url))
    await staff.ok("join", {"room": "open-circle"})
    await members[0].close()
    await until_connections(served.url, 3)  # two members and the facilitator
    again = await connect(served.url)
    await again.ok("join", {"room": "open-circle", "handle": "River"})
    assert await refusal(served.url, {"device": None}) == "too_many_connections"


async def until_connections(url: str, count: int) -> None:
    """Until the server's connection gauge reads `count` (fails after 10 s)."""
    async def poll() -> None:
        # The server's disconnect handling runs after the client has gone: there is
        # no event to wait on from here, only the gauge /metrics shows.
        while await connections(url) != count:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    await asyncio.wait_for(poll(), 10)


async def connections(url: str) -> float:
    async with aiohttp.ClientSession() as http, http.get(f"{url}/metrics") as response:
        for line in (await response.text()).splitlines():
            if line.startswith("peer_rooms_connections "):
                return float(line.split()[1])
    raise AssertionError("no peer_rooms_connections in /metrics")



async def test_a_connection_gone_while_connecting_is_not_counted(server: Served) -> None:
    # python-socketio calls no on_disconnect for a connection that closes while its
    # connect handler is still waiting (on the token check): if that handler counted
    # it afterwards, the count would never come down. Here the connection is already
    # gone when the handler runs.
    namespace = server.server.app[NAMESPACE]
    before = (dict(namespace._per_device), dict(namespace._per_address), len(namespace.sessions))
    with pytest.raises(socketio.exceptions.ConnectionRefusedError):
        await namespace.on_connect("no-such-sid", {}, {"device": None})
    assert (dict(namespace._per_device), dict(namespace._per_address),
            len(namespace.sessions)) == before
    assert await refusal(server.url, {"device": None}) is None  # the living are still let in
