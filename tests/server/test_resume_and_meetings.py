"""Resume after a reconnect, and a meeting opened and closed by hand."""

from __future__ import annotations

from tests.helpers import ClientFactory, Served, login

ROOM = "open-circle"


async def test_resume_keeps_identity_and_replays_exactly_what_was_missed(
        connect: ClientFactory) -> None:
    a = await connect()
    device = (await a.wait_for("welcome"))["device"]
    joined = await a.ok("join", {"room": ROOM, "handle": "River"})
    b = await connect()
    await b.ok("join", {"room": ROOM, "handle": "Lake"})
    first = await b.ok("send", {"room": ROOM, "text": "one", "client_id": "1"})
    await a.wait_for("message", lambda m: m["id"] == first["message"]["id"])
    await a.close()
    await b.wait_for("presence", lambda p: p.get("left") == joined["member"]["id"])
    for i in (2, 3, 4):
        await b.ok("send", {"room": ROOM, "text": f"m{i}", "client_id": str(i)})

    back = await connect(device=device)
    answer = await back.ok("join", {"room": ROOM, "handle": "ignored", "resume": {
        "member_token": joined["member_token"], "last_seq": 1}})
    assert answer["member"] == joined["member"]
    assert [m["text"] for m in answer["missed"]] == ["m2", "m3", "m4"]
    assert [m["seq"] for m in answer["missed"]] == [2, 3, 4]
    assert answer["seq"] == 4


async def test_resume_token_is_bound_to_its_device(connect: ClientFactory) -> None:
    a = await connect()
    joined = await a.ok("join", {"room": ROOM, "handle": "River"})
    await a.close()
    thief = await connect()
    answer = await thief.ok("join", {"room": ROOM, "handle": "Thief", "resume": {
        "member_token": joined["member_token"], "last_seq": 0}})
    assert answer["member"]["id"] != joined["member"]["id"]
    assert answer["missed"] == []


async def test_removed_member_cannot_resume(server: Served, connect: ClientFactory) -> None:
    staff = await connect(token=await login(server.url))
    await staff.ok("join", {"room": ROOM})
    a = await connect()
    device = (await a.wait_for("welcome"))["device"]
    joined = await a.ok("join", {"room": ROOM, "handle": "River"})
    await staff.ok("mod", {"room": ROOM, "action": "remove", "member_id": joined["member"]["id"]})
    await a.wait_for("__disconnect__")
    back = await connect(device=device)
    answer = await back.ok("join", {"room": ROOM, "handle": "River", "resume": {
        "member_token": joined["member_token"], "last_seq": 0}})
    assert answer["member"]["id"] != joined["member"]["id"]


async def test_bad_resume_payload(connect: ClientFactory) -> None:
    a = await connect()
    for resume in ({"member_token": 1, "last_seq": 0}, {"member_token": "x", "last_seq": -1},
                   {"member_token": "x", "last_seq": True}, "nope"):
        assert await a.error("join", {"room": ROOM, "handle": "River", "resume": resume}) == \
            "bad_request"


async def test_meeting_open_and_close_by_hand(server: Served, connect: ClientFactory) -> None:
    host = await connect(token=await login(server.url))
    await host.ok("join", {"room": "tuesday-night"})
    a = await connect()
    assert await a.error("join", {"room": "tuesday-night", "handle": "River"}) == "closed"
    await host.ok("mod", {"room": "tuesday-night", "action": "open"})
    state = await host.wait_for("room_state", lambda s: s["status"] == "open")
    assert state["phase"] == "opening" and state["pinned"]
    joined = await a.ok("join", {"room": "tuesday-night", "handle": "River"})
    sent = await a.ok("send", {"room": "tuesday-night", "text": "my share", "client_id": "1"})

    await host.ok("mod", {"room": "tuesday-night", "action": "close"})
    closed = await a.wait_for("room_state", lambda s: s["status"] == "closed")
    assert closed["queue"] == [] and closed["share"] is None
    assert await a.error("send", {"room": "tuesday-night", "text": "x", "client_id": "2"}) == \
        "not_member"
    assert await a.error("join", {"room": "tuesday-night", "handle": "River"}) == "closed"
    # Nothing said in the meeting remains: a resume finds no history.
    await host.ok("mod", {"room": "tuesday-night", "action": "open"})
    again = await a.ok("join", {"room": "tuesday-night", "handle": "River", "resume": {
        "member_token": joined["member_token"], "last_seq": 0}})
    assert again["missed"] == []
    assert again["seq"] >= sent["message"]["seq"]
    assert await host.error("mod", {"room": ROOM, "action": "close"}) == "bad_request"
