"""A dropped connection keeps its place: hand in the queue, share running, mute told,
so a reload resumes into all of it; whoever is not back by their turn is passed over.
A place lasts only as long as a resume could come back to it, and only so many are
kept for people who are not there."""

from __future__ import annotations

from typing import Any

from server.rooms.core import KEPT_PLACES
from tests.helpers import Client, ClientFactory, Clock, Served, ServeFn, login

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


async def test_a_place_lasts_as_long_as_a_resume_could_come_back_to_it(
        server: Served, connect: ClientFactory, clock: Clock) -> None:
    here = await connect()
    lake = (await here.ok("join", {"room": ROOM, "handle": "Lake"}))["member"]["id"]
    dropped: list[tuple[Client, str, dict[str, Any]]] = []
    for name in ("River", "Brook", "Rain"):
        ghost = await connect()
        device = (await ghost.wait_for("welcome"))["device"]
        joined = await ghost.ok("join", {"room": ROOM, "handle": name})
        await ghost.ok("hand", {"room": ROOM, "raised": True})
        dropped.append((ghost, device, joined))
    await here.ok("hand", {"room": ROOM, "raised": True})
    river, brook, rain = (joined["member"]["id"] for _, _, joined in dropped)
    for ghost, _, joined in dropped:
        await ghost.close()  # dropped connections, not `leave`: each keeps its place
        await here.wait_for_left(joined["member"]["id"])

    # The last moment their resume tokens are good: a reload still finds its place.
    clock.advance(server.settings.limits.token_ttl_s)
    _, device, joined = dropped[0]
    back = await connect(device=device)
    answer = await back.ok("join", {"room": ROOM, "resume": {
        "member_token": joined["member_token"], "last_seq": 0}})
    assert answer["member"]["id"] == river
    assert answer["room"]["queue"] == [river, brook, rain, lake]

    # A moment later Brook and Rain can no longer come back as themselves: their places
    # are gone from what anyone is shown, newcomer and members alike.
    clock.advance(1)
    late = await connect()
    answer = await late.ok("join", {"room": ROOM, "handle": "Latecomer"})
    assert answer["room"]["queue"] == [river, lake]
    await here.wait_for("room_state", lambda s: s["queue"] == [river, lake])
    assert (await here.ok("hand", {"room": ROOM, "raised": True}))["queue"] == [river, lake]


async def test_a_flood_of_hands_raised_and_dropped_keeps_only_the_latest_few(
        serve: ServeFn, clients: ClientFactory, clock: Clock) -> None:
    # A drop-in room never closes: nothing else would ever empty its queue. A room
    # with a capacity keeps no more places for people who are not there than that.
    capacity = 3
    served = await serve(rooms=[{"id": "small-circle", "title": "Small Circle",
                                 "kind": "drop-in", "capacity": capacity}])
    room = "small-circle"
    here = await clients(served.url)
    await here.ok("join", {"room": room, "handle": "Lake"})
    ghosts = []
    for n in range(3 * capacity):
        clock.advance(1)
        ghost = await clients(served.url)  # a fresh device each time
        ghosts.append((await ghost.ok("join", {"room": room, "handle": f"Ghost {n}"}))[
            "member"]["id"])
        raised = await ghost.ok("hand", {"room": room, "raised": True})
        assert raised["queue"][-1] == ghosts[-1]
        assert len(raised["queue"]) <= capacity + 1  # the places kept, and theirs
        await ghost.close()
        await here.wait_for_left(ghosts[-1])

    late = await clients(served.url)
    answer = await late.ok("join", {"room": room, "handle": "Latecomer"})
    assert answer["room"]["queue"] == ghosts[-capacity:]  # the longest gone went first
    assert all(len(state["queue"]) <= capacity + 1 for state in here.seen("room_state"))


async def test_a_room_without_a_capacity_keeps_at_most_kept_places(
        server: Served, connect: ClientFactory) -> None:
    # The reviewer's case: one address, a fresh device per connection, join, hand up,
    # drop. The places kept are the last KEPT_PLACES to go, whoever comes in next.
    here = await connect()
    await here.ok("join", {"room": ROOM, "handle": "Lake"})
    ghosts = []
    for n in range(KEPT_PLACES + 2):
        ghost = await connect()
        ghosts.append((await ghost.ok("join", {"room": ROOM, "handle": f"Ghost {n}"}))[
            "member"]["id"])
        await ghost.ok("hand", {"room": ROOM, "raised": True})
        await ghost.close()
    for ghost_id in ghosts:
        await here.wait_for_left(ghost_id)
    late = await connect()
    queue = (await late.ok("join", {"room": ROOM, "handle": "Latecomer"}))["room"]["queue"]
    assert len(queue) == KEPT_PLACES and set(queue) <= set(ghosts)
    assert ghosts[-1] in queue
