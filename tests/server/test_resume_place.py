"""A dropped connection keeps its place: hand in the queue, share running, mute told,
so a reload resumes into all of it; whoever is not back by their turn is passed over."""

from __future__ import annotations

from tests.helpers import ClientFactory, Served, login

ROOM = "open-circle"


async def test_a_reload_mid_share_resumes_the_share_and_the_queue(
        server: Served, connect: ClientFactory) -> None:
    staff = await connect(token=await login(server.url))
    await staff.ok("join", {"room": ROOM})
    a = await connect()
    device = (await a.wait_for("welcome"))["device"]
    joined = await a.ok("join", {"room": ROOM, "handle": "River"})
    river = joined["member"]["id"]
    b = await connect()
    lake = (await b.ok("join", {"room": ROOM, "handle": "Lake"}))["member"]["id"]
    await a.ok("hand", {"room": ROOM, "raised": True})
    await b.ok("hand", {"room": ROOM, "raised": True})
    share = (await staff.ok("mod", {"room": ROOM, "action": "next_share"}))["share"]
    assert share["member_id"] == river
    await a.ok("send", {"room": ROOM, "text": "my share", "client_id": "1"})
    await b.ok("hand", {"room": ROOM, "raised": False})
    await b.ok("hand", {"room": ROOM, "raised": True})

    await a.close()  # the tab reloads
    await staff.wait_for("presence", lambda p: p.get("left") == river)
    back = await connect(device=device)
    answer = await back.ok("join", {"room": ROOM, "handle": "River", "resume": {
        "member_token": joined["member_token"], "last_seq": 0}})
    assert answer["member"]["id"] == river
    assert answer["room"]["share"] == share
    assert answer["room"]["queue"] == [lake]
    assert [m["text"] for m in answer["missed"]] == ["my share"]


async def test_someone_not_back_by_their_turn_is_passed_over(
        server: Served, connect: ClientFactory) -> None:
    staff = await connect(token=await login(server.url))
    await staff.ok("join", {"room": ROOM})
    a = await connect()
    river = (await a.ok("join", {"room": ROOM, "handle": "River"}))["member"]["id"]
    b = await connect()
    lake = (await b.ok("join", {"room": ROOM, "handle": "Lake"}))["member"]["id"]
    await a.ok("hand", {"room": ROOM, "raised": True})
    await b.ok("hand", {"room": ROOM, "raised": True})
    await a.close()
    await staff.wait_for("presence", lambda p: p.get("left") == river)
    share = (await staff.ok("mod", {"room": ROOM, "action": "next_share"}))["share"]
    assert share["member_id"] == lake
    state = await staff.wait_for("room_state", lambda s: s["share"] is not None)
    assert state["queue"] == []


async def test_leaving_on_purpose_gives_up_the_place(server: Served,
                                                     connect: ClientFactory) -> None:
    staff = await connect(token=await login(server.url))
    await staff.ok("join", {"room": ROOM})
    a = await connect()
    await a.ok("join", {"room": ROOM, "handle": "River"})
    await a.ok("hand", {"room": ROOM, "raised": True})
    await a.ok("leave", {"room": ROOM})
    await staff.wait_for("room_state", lambda s: s["queue"] == [])


async def test_a_resume_survives_the_old_socket_going_later(
        server: Served, connect: ClientFactory) -> None:
    # A phone changes networks: the page resumes on a new socket at once, while the
    # server still holds the old one until its ping timeout. When that one goes, the
    # resumed membership goes on.
    a = await connect()
    device = (await a.wait_for("welcome"))["device"]
    joined = await a.ok("join", {"room": ROOM, "handle": "River"})
    river = joined["member"]["id"]
    back = await connect(device=device)
    answer = await back.ok("join", {"room": ROOM, "resume": {
        "member_token": joined["member_token"], "last_seq": 0}})
    assert answer["member"]["id"] == river
    other = await connect()
    await other.ok("join", {"room": ROOM, "handle": "Lake"})

    await a.close()  # the old socket finally goes
    await other.ok("send", {"room": ROOM, "text": "after the old socket went",
                            "client_id": "1"})
    heard = await back.wait_for("message", lambda m: m["text"] == "after the old socket went")
    assert heard["member"]["handle"] == "Lake"
    sent = await back.ok("send", {"room": ROOM, "text": "still here", "client_id": "2"})
    assert sent["message"]["seq"] > 0
    members = (await other.ok("join", {"room": ROOM, "handle": "Lake"}))["members"]
    assert river in [m["id"] for m in members]
