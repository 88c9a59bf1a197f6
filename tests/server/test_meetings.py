"""Scheduled meetings run themselves: lobby, opening, phases, the share round, closing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.helpers import Client, ClientFactory, Clock, Served, ServeFn, base_config, login

ROOM = "tuesday-night"  # tue 19:00 America/Chicago, doors 15 min before, 90 minutes
# Tuesday 2026-11-24 in Chicago (UTC-6): doors 18:45, opens 19:00, closes 20:30.
DOORS = datetime(2026, 11, 25, 0, 45, tzinfo=UTC).timestamp()
OPENS = datetime(2026, 11, 25, 1, 0, tzinfo=UTC).timestamp()
CLOSES = datetime(2026, 11, 25, 2, 30, tzinfo=UTC).timestamp()


async def at(clock: Clock, moment: float, serve: ServeFn, **overrides: Any) -> Served:
    clock.now = moment
    return await serve(**overrides)


async def host(served: Served, connect: ClientFactory, status: str | None = None) -> Client:
    """The meeting's host, joined; with `status`, once the room has reached it."""
    client = await connect(served.url, token=await login(served.url))
    answer = await client.ok("join", {"room": ROOM})
    if status is not None and answer["room"]["status"] != status:
        await client.wait_for("room_state", lambda s: s["status"] == status)
    return client


async def test_lobby_then_everyone_admitted_when_the_meeting_opens(
        clock: Clock, serve: ServeFn, connect: ClientFactory) -> None:
    served = await at(clock, DOORS + 60, serve)
    member = await connect(served.url)
    answer = await member.call("join", {"room": ROOM, "handle": "River"})
    assert answer["ok"] is False and answer["error"]["code"] == "waiting"
    assert answer["room"]["status"] == "lobby" and answer["room"]["pinned"]
    assert answer["starts_at"] == "2026-11-25T01:00:00.000Z"
    staff = await host(served, connect)
    lobby = await staff.wait_for("lobby", lambda x: len(x["waiting"]) == 1)
    assert lobby["waiting"][0]["handle"] == "River"
    # The name is kept for them while they wait.
    other = await connect(served.url)
    assert await other.error("join", {"room": ROOM, "handle": "river"}) == "handle_taken"

    clock.now = OPENS + 5
    await member.wait_for("room_state", lambda s: s["status"] == "open")
    assert (await member.wait_for("admitted")) == {"room": ROOM}
    joined = await member.wait_for("joined")
    assert joined["member"]["handle"] == "River" and joined["room"]["status"] == "open"
    assert joined["missed"] == [] and isinstance(joined["member_token"], str)
    await member.ok("send", {"room": ROOM, "text": "hello all", "client_id": "1"})
    await staff.wait_for("message", lambda m: m["text"] == "hello all")
    await staff.wait_for("lobby", lambda x: x["waiting"] == [])


async def test_admit_by_hand(clock: Clock, serve: ServeFn, connect: ClientFactory) -> None:
    rooms = base_config()["rooms"]
    rooms[1] = {**rooms[1], "admit_by_hand": True}
    served = await at(clock, OPENS + 60, serve, rooms=rooms)
    staff = await host(served, connect, "open")
    member = await connect(served.url)
    assert await member.error("join", {"room": ROOM, "handle": "River"}) == "waiting"
    waiting = await staff.wait_for("lobby", lambda x: len(x["waiting"]) == 1)
    assert member.seen("admitted") == []
    await staff.ok("mod", {"room": ROOM, "action": "admit",
                           "member_id": waiting["waiting"][0]["id"]})
    await member.wait_for("admitted")
    assert (await member.wait_for("joined"))["member"]["handle"] == "River"
    assert await staff.error("mod", {"room": ROOM, "action": "admit",
                                     "member_id": waiting["waiting"][0]["id"]}) == "not_found"


async def test_phases_and_share_round(clock: Clock, serve: ServeFn,
                                      connect: ClientFactory) -> None:
    served = await at(clock, OPENS + 60, serve)
    staff = await host(served, connect, "open")
    people = {}
    for handle in ("River", "Lake", "Hill"):
        client = await connect(served.url)
        people[handle] = (client, (await client.ok("join", {"room": ROOM,
                                                            "handle": handle}))["member"])
    river, lake, hill = (people[h][0] for h in ("River", "Lake", "Hill"))

    await staff.ok("mod", {"room": ROOM, "action": "phase", "name": "readings"})
    await river.wait_for("room_state", lambda s: s["phase"] == "readings")
    assert await river.error("send", {"room": ROOM, "text": "x", "client_id": "1"}) == \
        "chat_held"
    assert await staff.error("mod", {"room": ROOM, "action": "phase", "name": "nope"}) == \
        "bad_request"
    await staff.ok("mod", {"room": ROOM, "action": "phase", "name": "shares"})
    await river.wait_for("room_state", lambda s: s["phase"] == "shares" and not s["chat"])

    await lake.ok("hand", {"room": ROOM, "raised": True})
    await river.ok("hand", {"room": ROOM, "raised": True})
    await hill.ok("hand", {"room": ROOM, "raised": True})
    queue = [people[h][1]["id"] for h in ("Lake", "River", "Hill")]
    await staff.wait_for("room_state", lambda s: s["queue"] == queue)
    await hill.ok("hand", {"room": ROOM, "raised": False})  # lowering your own hand

    called = await staff.ok("mod", {"room": ROOM, "action": "next_share"})
    assert called["share"]["member_id"] == queue[0]
    state = await river.wait_for("room_state", lambda s: s["share"] is not None)
    assert state["queue"] == [queue[1]]
    ends_at = datetime.fromisoformat(state["share"]["ends_at"].replace("Z", "+00:00"))
    assert abs(ends_at.timestamp() - (clock.now + 180)) < 1  # default 3 minutes
    assert await river.error("send", {"room": ROOM, "text": "x", "client_id": "2"}) == \
        "chat_held"
    # The person sharing speaks even though chat is closed in the "shares" phase.
    await lake.ok("send", {"room": ROOM, "text": "my share", "client_id": "3"})

    clock.now += 181  # the timer runs out on its own
    await river.wait_for("room_state", lambda s: s["share"] is None and s["queue"] == [queue[1]])
    assert await lake.error("send", {"room": ROOM, "text": "more", "client_id": "5"}) == \
        "chat_held"
    await staff.ok("mod", {"room": ROOM, "action": "phase", "name": "discussion"})
    await river.wait_for("room_state", lambda s: s["phase"] == "discussion" and s["chat"])
    await river.ok("send", {"room": ROOM, "text": "thank you", "client_id": "4"})

    await staff.ok("mod", {"room": ROOM, "action": "next_share",
                           "member_id": people["Hill"][1]["id"]})
    await river.wait_for("room_state", lambda s: s["share"] is not None
                         and s["share"]["member_id"] == people["Hill"][1]["id"])
    await staff.ok("mod", {"room": ROOM, "action": "end_share"})
    await river.wait_for("room_state", lambda s: s["share"] is None and s["queue"] == [queue[1]])
    await staff.ok("mod", {"room": ROOM, "action": "next_share"})
    await river.wait_for("room_state", lambda s: s["share"] is not None
                         and s["share"]["member_id"] == queue[1] and s["queue"] == [])
    assert await staff.error("mod", {"room": ROOM, "action": "next_share"}) == "not_found"


async def test_first_time_sharers_first(clock: Clock, serve: ServeFn,
                                        connect: ClientFactory) -> None:
    rooms = base_config()["rooms"]
    rooms[1] = {**rooms[1], "format": "round"}
    formats = {"round": {"first_time_first": True, "share_minutes": 1,
                         "phases": [{"name": "shares", "chat": True}]}}
    served = await at(clock, OPENS + 60, serve, rooms=rooms, formats=formats)
    staff = await host(served, connect)
    a, b = await connect(served.url), await connect(served.url)
    first = (await a.ok("join", {"room": ROOM, "handle": "River"}))["member"]["id"]
    second = (await b.ok("join", {"room": ROOM, "handle": "Lake"}))["member"]["id"]
    await a.ok("hand", {"room": ROOM, "raised": True})
    assert (await staff.ok("mod", {"room": ROOM, "action": "next_share"}))["share"][
        "member_id"] == first
    await staff.ok("mod", {"room": ROOM, "action": "end_share"})
    await a.ok("hand", {"room": ROOM, "raised": True})   # River again, first in line
    await b.ok("hand", {"room": ROOM, "raised": True})   # Lake has not shared yet
    called = await staff.ok("mod", {"room": ROOM, "action": "next_share"})
    assert called["share"]["member_id"] == second


async def test_meeting_closes_on_time_and_forgets_what_was_said(
        clock: Clock, serve: ServeFn, connect: ClientFactory) -> None:
    served = await at(clock, OPENS + 60, serve)
    member = await connect(served.url)
    await member.wait_for("welcome")
    staff = await host(served, connect, "open")
    joined = await member.ok("join", {"room": ROOM, "handle": "River"})
    await member.ok("send", {"room": ROOM, "text": "words", "client_id": "1"})
    clock.now = CLOSES + 1
    await member.wait_for("room_state", lambda s: s["status"] == "closed")
    assert await member.error("send", {"room": ROOM, "text": "x", "client_id": "2"}) == \
        "not_member"
    assert await member.error("join", {"room": ROOM, "handle": "River"}) == "closed"
    entries = (await staff.ok("mod", {"room": ROOM, "action": "audit"}))["entries"]
    assert [e["action"] for e in entries if e["actor"] == "schedule"] == ["open", "closed"]
    # Opened by hand after the schedule closed it: nothing said before remains.
    await staff.ok("mod", {"room": ROOM, "action": "open"})
    again = await member.ok("join", {"room": ROOM, "handle": "River", "resume": {
        "member_token": joined["member_token"], "last_seq": 0}})
    assert again["missed"] == []


async def test_opening_tells_staff_the_emptied_lobby_once(
        clock: Clock, serve: ServeFn, connect: ClientFactory) -> None:
    served = await at(clock, DOORS + 60, serve)
    staff = await host(served, connect)
    people = []
    for i in range(4):
        person = await connect(served.url)
        assert await person.error("join", {"room": ROOM, "handle": f"Member {i}"}) == "waiting"
        people.append(person)
    await staff.wait_for("lobby", lambda x: len(x["waiting"]) == 4)
    before = len(staff.seen("lobby"))
    clock.now = OPENS + 5
    for person in people:
        await person.wait_for("joined")
    await staff.wait_for("lobby", lambda x: x["waiting"] == [])
    await staff.ok("send", {"room": ROOM, "text": "marker", "client_id": "m"})
    await staff.wait_for("message", lambda m: m["text"] == "marker")
    # One list as the doors open (everyone admitted), not one per person let in.
    assert [len(x["waiting"]) for x in staff.seen("lobby")[before:]] == [0]
