"""Private check-in lines (DESIGN §3 `mod private`, `send {to: "staff"}`, `private`),
with real Socket.IO clients on both stores."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import (
    CO_FACILITATOR,
    CO_PASSPHRASE,
    Client,
    ClientFactory,
    Served,
    ServeFn,
    login,
)

ROOM = "open-circle"


async def staff_client(server: Served, connect: ClientFactory, name: str | None = None,
                       passphrase: str | None = None) -> Client:
    token = await login(server.url, name, passphrase) if name and passphrase else \
        await login(server.url)
    client = await connect(token=token)
    await client.ok("join", {"room": ROOM})
    return client


async def member(connect: ClientFactory, handle: str) -> tuple[Client, dict[str, Any]]:
    client = await connect()
    answer = await client.ok("join", {"room": ROOM, "handle": handle})
    return client, answer["member"]


def private(member_id: str, text: str) -> dict[str, Any]:
    return {"room": ROOM, "action": "private", "member_id": member_id, "text": text}


def reply(text: str, client_id: str = "r1") -> dict[str, Any]:
    return {"room": ROOM, "text": text, "client_id": client_id, "to": "staff"}


@pytest.fixture
async def sam(server: Served, connect: ClientFactory) -> Client:
    return await staff_client(server, connect)


@pytest.fixture
async def alex(server: Served, connect: ClientFactory) -> Client:
    return await staff_client(server, connect, CO_FACILITATOR, CO_PASSPHRASE)


async def test_a_line_is_seen_by_the_member_and_every_staff_member(
        sam: Client, alex: Client, connect: ClientFactory) -> None:
    river_client, river = await member(connect, "River")
    other, lake = await member(connect, "Lake")
    # Nobody can answer a line that was never opened, and members can't open one.
    assert await river_client.error("send", reply("hello?")) == "forbidden"
    assert await river_client.error("mod", private(lake["id"], "psst")) == "forbidden"

    answer = await sam.ok("mod", private(river["id"], "Checking in: how are you doing?"))
    line_id = answer["message"]["id"]
    for client in (river_client, sam, alex):
        seen = await client.wait_for("private", lambda p: p["id"] == line_id)
        assert seen["room"] == ROOM and seen["to"] == river["id"]
        assert seen["member"]["handle"] == "Sam" and seen["member"]["role"] in ("host",
                                                                                "facilitator")
        assert seen["text"] == "Checking in: how are you doing?"
        assert seen["ts"].endswith("Z")

    answered = await river_client.ok("send", reply("Not great, but thank you"))
    reply_id = answered["message"]["id"]
    assert set(answered["message"]) == {"id"}
    for client in (river_client, sam, alex):
        seen = await client.wait_for("private", lambda p: p["id"] == reply_id)
        assert seen["member"] == river and seen["to"] == river["id"]
        assert seen["text"] == "Not great, but thank you"
    # Alex continues the same line; the room never sees any of it.
    await alex.ok("mod", private(river["id"], "We're here."))
    await river_client.wait_for("private", lambda p: p["text"] == "We're here.")
    await other.ok("send", {"room": ROOM, "text": "marker", "client_id": "m"})
    await other.wait_for("message", lambda m: m["text"] == "marker")
    assert other.seen("private") == []
    assert not any(m["text"] == "Not great, but thank you" for m in sam.seen("message"))

    # The log records that a line was opened, once, naming the member; never its text.
    entries = (await sam.ok("mod", {"room": ROOM, "action": "audit"}))["entries"]
    opened = [e for e in entries if e["action"] == "private"]
    assert len(opened) == 1 and opened[0]["target"] == river["id"]
    assert "Checking" not in repr(entries) and "here" not in repr(opened)


async def test_a_retried_reply_is_sent_once(sam: Client, connect: ClientFactory) -> None:
    river_client, river = await member(connect, "River")
    await sam.ok("mod", private(river["id"], "Hi River"))
    first = await river_client.ok("send", reply("once", "same"))
    again = await river_client.ok("send", reply("once", "same"))
    assert first == again
    await sam.wait_for("private", lambda p: p["text"] == "once")
    await sam.ok("mod", private(river["id"], "marker"))
    await sam.wait_for("private", lambda p: p["text"] == "marker")
    assert [p["text"] for p in sam.seen("private")].count("once") == 1


@pytest.mark.parametrize("ending", ["leave", "remove", "ban"])
async def test_the_line_ends_with_the_membership(sam: Client, connect: ClientFactory,
                                                 ending: str) -> None:
    river_client, river = await member(connect, "River")
    await sam.ok("mod", private(river["id"], "Hi River"))
    await river_client.ok("send", reply("hi"))
    if ending == "leave":
        await river_client.ok("leave", {"room": ROOM})
        await river_client.ok("join", {"room": ROOM, "handle": "River"})
        assert await river_client.error("send", reply("still there?", "r2")) == "forbidden"
    else:
        answer = await sam.ok("mod", {"room": ROOM, "action": ending, "member_id": river["id"]})
        await river_client.wait_for("__disconnect__")
        if ending == "ban":
            await sam.ok("mod", {"room": ROOM, "action": "unban", "ban_id": answer["ban_id"]})
        back = await connect(device=river_client.device)
        await back.ok("join", {"room": ROOM, "handle": "River"})
        assert await back.error("send", reply("still there?", "r2")) == "forbidden"
    # Continuing the old line now names nobody.
    assert await sam.error("mod", private(river["id"], "Hello?")) == "not_found"


async def test_filters_apply_to_a_reply(sam: Client, connect: ClientFactory) -> None:
    river_client, river = await member(connect, "River")
    await sam.ok("mod", private(river["id"], "How are you?"))
    # The anonymity guard holds on the line too, and staff hear of it.
    assert await river_client.error("send", reply("call me on 312 555 0142", "p")) == "blocked"
    await sam.wait_for("alert", lambda a: a["kind"] == "pii" and a["member_id"] == river["id"])
    # Crisis words are never blocked: they reach staff, with resources for the writer.
    answer = await river_client.ok("send", reply("i want to kill myself", "c"))
    await river_client.wait_for("support")
    alert = await sam.wait_for("alert", lambda a: a["kind"] == "crisis")
    assert alert["member_id"] == river["id"] and alert["text"] == "i want to kill myself"
    await sam.wait_for("private", lambda p: p["id"] == answer["message"]["id"])
    # Staff may give a number on the line (a helpline), as in the room.
    await sam.ok("mod", private(river["id"], "You can call 988 or 1-800-662-4357"))


async def test_pause_holds_replies_but_a_mute_does_not(sam: Client,
                                                       connect: ClientFactory) -> None:
    river_client, river = await member(connect, "River")
    await sam.ok("mod", {"room": ROOM, "action": "mute", "member_id": river["id"]})
    await sam.ok("mod", private(river["id"], "I muted you; can we talk?"))
    await river_client.ok("send", reply("ok", "a"))
    await sam.ok("mod", {"room": ROOM, "action": "pause", "paused": True})
    assert await river_client.error("send", reply("hello", "b")) == "paused"


async def test_bad_input_on_a_line(sam: Client, connect: ClientFactory) -> None:
    river_client, river = await member(connect, "River")
    assert await sam.error("mod", private(river["id"], "x" * 2001)) == "too_long"
    assert await sam.error("mod", private(river["id"], "   ")) == "empty"
    assert await sam.error("mod", {"room": ROOM, "action": "private",
                                   "member_id": river["id"]}) == "bad_request"
    assert await sam.error("mod", private("nobody", "hi")) == "not_found"
    sam_id = (await sam.ok("join", {"room": ROOM}))["member"]["id"]
    assert await sam.error("mod", private(sam_id, "me")) == "bad_request"  # staff, too
    await sam.ok("mod", private(river["id"], "hi"))
    assert await river_client.error("send", {**reply("x"), "to": "everyone"}) == "bad_request"
    assert await river_client.error("send", {**reply("x"), "to": 5}) == "bad_request"
    assert await river_client.error("send", reply("x" * 2001)) == "too_long"
    assert await river_client.error("send", {**reply("x"), "room": "nowhere"}) == "not_found"
    outsider = await connect()
    assert await outsider.error("send", reply("x")) == "not_member"
    assert await sam.error("send", reply("to myself")) == "forbidden"


async def test_staff_cannot_open_a_line_to_staff(sam: Client, alex: Client) -> None:
    alex_id = (await alex.ok("join", {"room": ROOM}))["member"]["id"]
    assert await sam.error("mod", private(alex_id, "hi")) == "bad_request"


async def test_replies_share_the_member_rate_limit(serve: ServeFn,
                                                   connect: ClientFactory) -> None:
    served = await serve(limits={"message_burst": 2, "message_interval_s": 60.0,
                                 "joins_per_minute": 1000, "connections_per_device": 50})
    staff = await connect(served.url, token=await login(served.url))
    await staff.ok("join", {"room": ROOM})
    river_client = await connect(served.url)
    river = (await river_client.ok("join", {"room": ROOM, "handle": "River"}))["member"]
    await staff.ok("mod", private(river["id"], "hi"))
    await river_client.ok("send", {"room": ROOM, "text": "in the room", "client_id": "1"})
    await river_client.ok("send", reply("on the line", "2"))
    answer = await river_client.call("send", reply("again", "3"))
    assert answer["error"]["code"] == "rate_limited" and answer["error"]["retry_after"] > 0
    # A retry of the reply that went through still gets its answer, and is not sent again.
    first = await river_client.ok("send", reply("on the line", "2"))
    assert first["message"]["id"]
    await staff.ok("mod", private(river["id"], "marker"))
    await staff.wait_for("private", lambda p: p["text"] == "marker")
    assert [p["text"] for p in staff.seen("private")].count("on the line") == 1


async def test_a_rejoin_does_not_refill_the_reply_allowance(serve: ServeFn,
                                                            connect: ClientFactory) -> None:
    served = await serve(limits={"message_burst": 2, "message_interval_s": 60.0,
                                 "joins_per_minute": 1000, "connections_per_device": 50})
    staff = await connect(served.url, token=await login(served.url))
    await staff.ok("join", {"room": ROOM})
    river_client = await connect(served.url)
    await river_client.ok("join", {"room": ROOM, "handle": "River"})
    for i in range(2):
        await river_client.ok("send", {"room": ROOM, "text": f"m{i}", "client_id": str(i)})
    await river_client.ok("leave", {"room": ROOM})
    river = (await river_client.ok("join", {"room": ROOM, "handle": "River"}))["member"]
    await staff.ok("mod", private(river["id"], "hi again"))
    answer = await river_client.call("send", reply("on the line", "2"))
    assert answer["error"]["code"] == "rate_limited" and answer["error"]["retry_after"] > 0


async def test_a_crisis_alert_quotes_the_room_message(sam: Client,
                                                      connect: ClientFactory) -> None:
    river_client, river = await member(connect, "River")
    await river_client.ok("send", {"room": ROOM, "text": "quiero morir", "client_id": "1"})
    alert = await sam.wait_for("alert", lambda a: a["kind"] == "crisis")
    assert alert["text"] == "quiero morir" and alert["member_id"] == river["id"]
    assert isinstance(alert["message_id"], str)


async def test_a_muted_member_who_rejoins_is_told_the_mute(sam: Client,
                                                           connect: ClientFactory) -> None:
    river_client, river = await member(connect, "River")
    answer = await sam.ok("mod", {"room": ROOM, "action": "mute", "member_id": river["id"],
                                  "minutes": 10})
    await river_client.wait_for("moderated")
    await river_client.ok("leave", {"room": ROOM})
    river_client.events.clear()
    await river_client.ok("join", {"room": ROOM, "handle": "Rain"})
    note = await river_client.wait_for("moderated")
    assert note == {"room": ROOM, "action": "muted", "until": answer["until"]}
    # Nobody else hears of it.
    assert not [n for n in sam.seen("moderated")]


async def test_blocked_terms_apply_to_a_reply_and_a_hold_term_reaches_staff(
        serve: ServeFn, connect: ClientFactory) -> None:
    served = await serve(moderation={"blocked_terms": [
        {"term": "casino", "action": "hold"}, {"term": "scam", "action": "block"}]})
    staff = await connect(served.url, token=await login(served.url))
    await staff.ok("join", {"room": ROOM})
    river_client = await connect(served.url)
    river = (await river_client.ok("join", {"room": ROOM, "handle": "River"}))["member"]
    await staff.ok("mod", private(river["id"], "hi"))
    assert await river_client.error("send", reply("this is a scam", "1")) == "blocked"
    # Held words wait for staff in the room; on the line staff are the only readers.
    answer = await river_client.ok("send", reply("I lost it all at the casino", "2"))
    await staff.wait_for("private", lambda p: p["id"] == answer["message"]["id"])
    assert staff.seen("held") == []
