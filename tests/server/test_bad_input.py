"""Bad input: a documented error, no change, no crash, the connection stays up."""

from __future__ import annotations

import asyncio
import itertools
import logging

import pytest
import socketio

from tests.helpers import Client, ClientFactory, Served, login

ROOM = "open-circle"
NASTY: list[object] = [None, 0, -1, 1.5, True, "", " ", "x" * 5000, [], {}, [1, 2],
                       {"a": {"b": []}}, "\u202e\u200b", "open-circle\x00", float("inf")]
KNOWN_CODES = {"bad_request", "not_found", "not_member", "forbidden", "handle_invalid",
               "handle_taken", "empty", "too_long", "closed", "muted", "banned", "locked",
               "paused"}


def payloads(fields: dict[str, object]) -> list[object]:
    """Each field replaced by each nasty value, plus missing fields and non-dicts."""
    out: list[object] = [None, "join", 42, [ROOM], {}]
    for name in fields:
        for value in NASTY:
            out.append({**fields, name: value})
        out.append({k: v for k, v in fields.items() if k != name})
    return out


async def test_nasty_payloads_get_error_codes_and_change_nothing(
        server: Served, connect: ClientFactory) -> None:
    staff = await connect(token=await login(server.url))
    await staff.ok("join", {"room": ROOM})
    victim = await connect()
    victim_member = (await victim.ok("join", {"room": ROOM, "handle": "River"}))["member"]
    attacker = await connect()
    await attacker.ok("join", {"room": ROOM, "handle": "Lake"})

    cases = {
        "join": {"room": ROOM, "handle": "Other"},
        "leave": {"room": "tuesday-night"},
        "send": {"room": ROOM, "text": "hi", "client_id": "c"},
        "hand": {"room": ROOM, "raised": True},
        "report": {"room": ROOM, "message_id": "m", "reason": "r"},
        "mod": {"room": ROOM, "action": "remove", "member_id": victim_member["id"]},
        "no_such_event": {"room": ROOM},
    }
    for event, fields in cases.items():
        for payload in payloads(fields):
            answer = await attacker.call(event, payload)
            if answer.get("ok"):
                # A well-formed variant may succeed (e.g. another handle); never a mod.
                assert event in ("join", "leave", "send", "hand"), (event, payload)
                continue
            assert answer["error"]["code"] in KNOWN_CODES, (event, payload, answer)
    assert attacker.sio.connected and victim.sio.connected
    assert victim.seen("moderated") == []
    members = await staff.ok("join", {"room": ROOM})
    assert victim_member["id"] in {m["id"] for m in members["members"]}


async def test_extra_arguments_and_no_payload(connect: ClientFactory) -> None:
    client = await connect()
    answer = await client.sio.call("join", timeout=5)
    assert answer["error"]["code"] in ("bad_request", "not_found")
    answer = await client.sio.call("join", ({"room": ROOM, "handle": "River"}, "extra"), timeout=5)
    assert answer["ok"] is True


async def test_oversized_frame_closes_only_that_connection(server: Served,
                                                           connect: ClientFactory) -> None:
    bystander = await connect()
    await bystander.ok("join", {"room": ROOM, "handle": "River"})
    big = Client()
    await big.connect(server.url)
    await big.ok("join", {"room": ROOM, "handle": "Lake"})
    await big.sio.emit("send", {"room": ROOM, "text": "x" * 70_000, "client_id": "1"})
    await big.wait_for("__disconnect__")
    await bystander.ok("send", {"room": ROOM, "text": "still fine", "client_id": "2"})
    assert bystander.sio.connected


async def test_logs_never_carry_text_handles_or_tokens(
        server: Served, connect: ClientFactory, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    token = await login(server.url)
    staff = await connect(token=token)
    await staff.ok("join", {"room": ROOM})
    a = await connect()
    joined = await a.ok("join", {"room": ROOM, "handle": "Secretive Handle"})
    await a.ok("send", {"room": ROOM, "text": "my private words", "client_id": "1"})
    await a.call("send", {"room": ROOM, "text": "x" * 3000, "client_id": "2"})
    await staff.ok("mod", {"room": ROOM, "action": "ban", "member_id": joined["member"]["id"],
                           "reason": "private reason"})
    await a.wait_for("__disconnect__")
    await asyncio.wait_for(_settled(staff), 5)
    text = "\n".join(r.getMessage() + str(r.args) for r in caplog.records)
    for secret in ("my private words", "Secretive Handle", token, joined["member_token"],
                   "private reason", "127.0.0.1"):
        assert secret not in text


async def _settled(client: Client) -> None:
    # One more round trip: everything the server did before it has been logged.
    await client.ok("mod", {"room": ROOM, "action": "bans"})


@pytest.mark.parametrize("transport", ["polling"])
async def test_polling_clients_work_too(server: Served, transport: str) -> None:
    client = socketio.AsyncClient(reconnection=False)
    try:
        await client.connect(server.url, transports=[transport], wait_timeout=5)
        answer = await client.call("join", {"room": ROOM, "handle": "River"}, timeout=5)
        assert answer["ok"] is True
        assert client.transport() == "polling"
    finally:
        # Don't wait for the open long-poll to time out (the engine.io client would).
        await client.eio.disconnect(abort=True)


def test_payload_corpus_is_not_empty() -> None:
    assert len(payloads({"a": 1})) > len(NASTY)
    assert list(itertools.islice(payloads({"a": 1}), 1)) == [None]
