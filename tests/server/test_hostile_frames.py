"""What a hostile client can send below the event level, and what it gets back."""

from __future__ import annotations

import json
import logging

import aiohttp
import pytest

from tests.helpers import ClientFactory, Served, refusal
from tests.raw_socket import RawPolling, RawSocket

ROOM = "open-circle"

async def member_count(url: str) -> int:
    async with aiohttp.ClientSession() as http, http.get(f"{url}/api/rooms") as response:
        rooms = await response.json()
    return int(next(r for r in rooms if r["id"] == ROOM)["members"])


@pytest.mark.parametrize("event", ["connect", "disconnect", "connect_error", "!detach",
                                   "!admit", "message"])
async def test_reserved_event_names_answer_bad_request_and_run_nothing(
        server: Served, connect: ClientFactory, event: str) -> None:
    client = await connect()
    await client.ok("join", {"room": ROOM, "handle": "River"})
    for _ in range(3):
        assert await client.error(event, "x") == "bad_request"
        assert await client.error(event, {"room": ROOM}) == "bad_request"
    # Still a member, still counted once, still able to talk.
    assert await member_count(server.url) == 1
    await client.ok("send", {"room": ROOM, "text": "still here", "client_id": "c1"})
    assert client.sio.connected


async def test_emitting_disconnect_does_not_free_a_connection_slot(
        server: Served, connect: ClientFactory) -> None:
    limit = server.settings.limits.connections_per_device
    first = await connect()
    device = first.device
    for _ in range(limit - 1):
        await connect(device=device)
    for _ in range(limit):
        assert await first.error("disconnect") == "bad_request"
    assert await refusal(server.url, {"device": device}) == "too_many_connections"


GARBAGE_TEXT = [
    "42null", "42{}", "42[]", '42["send",', "42[1,2]", "9", "4", "",
    "4" + "2" * 120 + '["send",{}]',          # an ack id of 120 digits
    "42" + "[" * 20000 + "]" * 20000,          # nested 20,000 deep
    '451-["send",{"_placeholder":true,"num":0}]',   # a binary packet, no attachment
    '45999999-["send",{"_placeholder":true,"num":0}]',
    '42["send",{"room":"open-circle","text":"x","client_id":' + "9" * 5000 + "}]",
]


@pytest.mark.parametrize("frame", GARBAGE_TEXT, ids=lambda f: f[:24])
async def test_a_malformed_frame_is_answered_or_closes_only_that_connection(
        server: Served, connect: ClientFactory, caplog: pytest.LogCaptureFixture,
        frame: str) -> None:
    bystander = await connect()
    await bystander.ok("join", {"room": ROOM, "handle": "River"})
    with caplog.at_level(logging.DEBUG):
        async with aiohttp.ClientSession() as http:
            raw = await RawSocket.open(http, server.url)
            await raw.ws.send_str(frame)
            # Then a well-formed call with an ack id: either it is answered (the bad
            # frame was refused in place) or the connection is closed. Never silence.
            await raw.ws.send_str('4277["leave",{"room":"open-circle"}]')
            answer = await raw.until(lambda f: f.startswith("4377[") or f.startswith("1"))
            if answer is not None and answer.startswith("4377["):
                assert json.loads(answer[4:]) == [{"ok": True}]
            await raw.ws.close()
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    # One line says what happened to the bad frame, and none repeats it.
    said = [r.getMessage() for r in caplog.records if r.name.startswith("server.")
            and ("malformed" in r.getMessage() or "dropped" in r.getMessage())]
    assert len(said) == 1, said
    await bystander.ok("send", {"room": ROOM, "text": "fine", "client_id": "b1"})
    assert bystander.sio.connected


@pytest.mark.parametrize("frame", GARBAGE_TEXT, ids=lambda f: f[:24])
async def test_a_malformed_packet_over_long_polling_is_answered_or_ends_only_that_session(
        server: Served, connect: ClientFactory, caplog: pytest.LogCaptureFixture,
        frame: str) -> None:
    # The same packets, posted by a client that never upgrades to a websocket.
    bystander = await connect(transports=["polling"])
    await bystander.ok("join", {"room": ROOM, "handle": "River"})
    with caplog.at_level(logging.DEBUG):
        async with aiohttp.ClientSession() as http:
            raw = await RawPolling.open(http, server.url)
            await raw.send(frame)
            await raw.send('4277["leave",{"room":"open-circle"}]')
            answer = await raw.until(lambda p: p.startswith("4377[") or p == "1")
            if answer is not None and answer.startswith("4377["):
                assert json.loads(answer[4:]) == [{"ok": True}]
            else:
                # Ended: the session is gone for good, whatever it posts next.
                assert not await raw.send('4278["leave",{"room":"open-circle"}]')
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    said = [r.getMessage() for r in caplog.records if r.name.startswith("server.")
            and ("malformed" in r.getMessage() or "dropped" in r.getMessage())]
    assert len(said) <= 1, said
    await bystander.ok("send", {"room": ROOM, "text": "fine", "client_id": "b1"})
    assert bystander.sio.connected


async def test_a_long_polling_post_engineio_cannot_read_is_one_line_and_the_session_goes_on(
        server: Served, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        async with aiohttp.ClientSession() as http:
            raw = await RawPolling.open(http, server.url)
            for body in (b"\xff\xfe42", "9", "8hello"):  # not UTF-8; unknown packet types
                await raw.send(body)
            assert await raw.send('4277["leave",{"room":"open-circle"}]')
            answer = await raw.until(lambda p: p.startswith("4377["))
            assert answer is not None and json.loads(answer[4:]) == [{"ok": True}]
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    # One line a minute at most for the whole process (test_engine_log.py), so this
    # test may come after another's line: at most one, and never a traceback.
    lines = [r for r in caplog.records if r.name == "engineio.server"
             and "could not be handled" in r.getMessage()]
    assert [r.levelname for r in lines] in ([], ["WARNING"])
    assert all("hello" not in r.getMessage() for r in caplog.records)


async def test_a_binary_frame_closes_that_connection(server: Served) -> None:
    async with aiohttp.ClientSession() as http:
        raw = await RawSocket.open(http, server.url)
        await raw.ws.send_bytes(b"\x04\xff\x00garbage")
        # An engine.io close packet ("1"), or the websocket closing under it.
        assert await raw.until(lambda f: f == "1") in (None, "1")


async def test_an_unknown_event_name_gets_bad_request(connect: ClientFactory) -> None:
    client = await connect()
    assert await client.error("no_such_event", {"room": ROOM}) == "bad_request"
    assert await client.error("join", {"room": ROOM, "handle": 42}) == "bad_request"
    await client.ok("join", {"room": ROOM, "handle": "River"})
    # Already in: a wrong type is still bad_request, not the existing membership.
    assert await client.error("join", {"room": ROOM, "handle": 42}) == "bad_request"
    assert await client.error("send", ["not", "an", "object"]) == "bad_request"
