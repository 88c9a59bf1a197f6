"""A seat is given under the room's lock with every check read again there, so what
staff do while a join (or an admission) is on its way holds: a removal, a ban, a
close, the last seat taken, a name taken.

Each test holds one join at a chosen step (`Held`: the real store's method, made to
wait after it answered) while something else happens, then lets it go on — the
interleaving another process, or another tab, could produce by chance.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import aiohttp
import pytest

from server.keys import ROOMS
from tests.helpers import (
    FACILITATOR,
    WAIT,
    Client,
    ClientFactory,
    Clock,
    Served,
    ServeFn,
    base_config,
    login,
)
from tests.raw_socket import RawPolling
from tests.server.test_meetings import OPENS, at, host
from tests.server.test_meetings import ROOM as MEETING

ROOM = "open-circle"


class Held:
    """The next `calls` calls of `owner.name` answer, then wait until `release()`."""

    def __init__(self, owner: Any, name: str, calls: int = 1,
                 when: Callable[..., bool] = lambda *_: True) -> None:
        self._original: Callable[..., Awaitable[Any]] = getattr(owner, name)
        self._left, self._when = calls, when
        self.reached = asyncio.Event()
        self._go = asyncio.Event()
        self._waiting = 0
        self._calls = calls
        setattr(owner, name, self._call)

    async def _call(self, *args: Any, **kwargs: Any) -> Any:
        answer = await self._original(*args, **kwargs)
        if self._left > 0 and self._when(*args):
            self._left -= 1
            self._waiting += 1
            if self._waiting == self._calls:
                self.reached.set()
            await self._go.wait()
        return answer

    async def until_reached(self) -> None:
        await asyncio.wait_for(self.reached.wait(), WAIT)

    def release(self) -> None:
        self._go.set()


class Watched:
    """Events for when a call of `owner.name` has begun, and when it has ended."""

    def __init__(self, owner: Any, name: str) -> None:
        self._original: Callable[..., Awaitable[Any]] = getattr(owner, name)
        self.began, self.ended = asyncio.Event(), asyncio.Event()
        setattr(owner, name, self._call)

    async def _call(self, *args: Any, **kwargs: Any) -> Any:
        self.began.set()
        try:
            return await self._original(*args, **kwargs)
        finally:
            self.ended.set()


def rooms_of(served: Served) -> Any:
    return served.server.app[ROOMS]


async def staff_in(served: Served, connect: ClientFactory, room: str = ROOM) -> Client:
    staff = await connect(served.url, token=await login(served.url))
    await staff.ok("join", {"room": room})
    return staff


async def resuming_in_a_second_tab(
        served: Served, connect: ClientFactory, held_at: tuple[Any, str],
) -> tuple[Client, str, Held, asyncio.Future[dict[str, Any]]]:
    """Staff in the room, River joined, and a second tab of River's device resuming
    River's membership, held at `held_at` (owner, method): (staff, River's id, the
    hold, the resume's answer to come)."""
    staff = await staff_in(served, connect)
    first = await connect(served.url)
    joined = await first.ok("join", {"room": ROOM, "handle": "River"})
    tab = await connect(served.url, device=first.device)
    held = Held(*held_at)
    resume = asyncio.ensure_future(tab.call("join", {
        "room": ROOM, "resume": {"member_token": joined["member_token"], "last_seq": 0}}))
    await held.until_reached()
    return staff, joined["member"]["id"], held, resume


async def test_a_resume_on_its_way_does_not_undo_a_removal(
        server: Served, connect: ClientFactory) -> None:
    # A second tab of the same device resumes River's membership…
    staff, river, held, resume = await resuming_in_a_second_tab(
        server, connect, (rooms_of(server).core.bans, "banned"))
    # …while staff remove River.
    await staff.ok("mod", {"room": ROOM, "action": "remove", "member_id": river})
    held.release()
    answer = await resume
    # Not as River: the membership ended stays ended (a fresh join would need a handle).
    assert answer["ok"] is False and answer["error"]["code"] == "bad_request"
    members = (await staff.ok("join", {"room": ROOM}))["members"]
    assert river not in [m["id"] for m in members]


async def test_a_join_on_its_way_meets_the_ban_that_landed_meanwhile(
        server: Served, connect: ClientFactory) -> None:
    staff = await staff_in(server, connect)
    troll = await connect(server.url)
    seated = (await troll.ok("join", {"room": ROOM, "handle": "Troll"}))["member"]["id"]
    # The same device's other tab joins under another name, held after its ban check…
    tab = await connect(server.url, device=troll.device)
    held = Held(rooms_of(server).core.bans, "banned")
    join = asyncio.ensure_future(tab.call("join", {"room": ROOM, "handle": "Innocent"}))
    await held.until_reached()
    # …while staff ban the device: the ban's sweep finds only the first seat.
    await staff.ok("mod", {"room": ROOM, "action": "ban", "member_id": seated,
                           "scope": "room"})
    held.release()
    answer = await join
    assert answer["ok"] is False and answer["error"]["code"] == "banned"
    members = (await staff.ok("join", {"room": ROOM}))["members"]
    assert [m["handle"] for m in members if m["role"] == "member"] == []


async def test_joins_at_once_never_take_more_seats_than_the_room_has(
        serve: ServeFn, connect: ClientFactory) -> None:
    rooms = base_config()["rooms"]
    rooms[0] = {**rooms[0], "capacity": 2}
    served = await serve(rooms=rooms)
    first = await connect(served.url)
    await first.ok("join", {"room": ROOM, "handle": "First"})
    # Two more read the count (1 of 2) before either is seated.
    held = Held(rooms_of(served).core.store, "member_count", calls=2)
    late = [await connect(served.url) for _ in range(2)]
    joins = [asyncio.ensure_future(c.call("join", {"room": ROOM, "handle": f"Late {i}"}))
             for i, c in enumerate(late)]
    await held.until_reached()
    held.release()
    answers = await asyncio.gather(*joins)
    assert sorted(str(a.get("ok") or a["error"]["code"]) for a in answers) == ["True", "full"]
    assert await rooms_of(served).core.store.member_count(ROOM) == 2


async def test_a_join_on_its_way_as_the_meeting_closes_is_refused_closed(
        clock: Clock, serve: ServeFn, connect: ClientFactory) -> None:
    served = await at(clock, OPENS + 60, serve)
    staff = await host(served, connect, "open")
    member = await connect(served.url)
    held = Held(rooms_of(served).core.store, "member_count")
    join = asyncio.ensure_future(member.call("join", {"room": MEETING, "handle": "River"}))
    await held.until_reached()  # it read the meeting open
    await staff.ok("mod", {"room": MEETING, "action": "close"})
    held.release()
    answer = await join
    assert answer["ok"] is False and answer["error"]["code"] == "closed"
    assert await rooms_of(served).core.store.members(MEETING) == []


async def test_a_promotion_after_a_removal_brings_nobody_back(
        server: Served, connect: ClientFactory) -> None:
    staff = await staff_in(server, connect)
    member = await connect(server.url)
    river = (await member.ok("join", {"room": ROOM, "handle": "River"}))["member"]["id"]
    store = rooms_of(server).core.store
    # The promotion reads River, then waits while River is removed.
    held = Held(store, "get_member", when=lambda room, member_id: member_id == river)
    promote = asyncio.ensure_future(
        staff.call("mod", {"room": ROOM, "action": "promote", "member_id": river}))
    await held.until_reached()
    await rooms_of(server).core.evict(rooms_of(server).core.config(ROOM),
                                      await store.get_member(ROOM, river) or _never(), revoke=True)
    held.release()
    answer = await promote
    assert answer["ok"] is False and answer["error"]["code"] == "not_found"
    assert await store.get_member(ROOM, river) is None


def _never() -> Any:
    raise AssertionError("River should still be seated when the promotion reads them")


async def test_a_banned_device_waiting_in_the_lobby_is_sent_away(
        clock: Clock, serve: ServeFn, connect: ClientFactory) -> None:
    rooms = base_config()["rooms"]
    rooms[1] = {**rooms[1], "admit_by_hand": True}
    served = await at(clock, OPENS + 60, serve, rooms=rooms)
    staff = await host(served, connect, "open")
    troll = await connect(served.url)
    await staff.ok("mod", {"room": MEETING, "action": "admit",
                           "member_id": await _waiting_id(troll, staff, "Troll")})
    seated = (await troll.wait_for("joined"))["member"]["id"]
    # The same device waits again from another tab, then staff ban it.
    tab = await connect(served.url, device=troll.device)
    await _waiting_id(tab, staff, "Again")
    await staff.ok("mod", {"room": MEETING, "action": "ban", "member_id": seated,
                           "scope": "room"})
    told = await tab.wait_for("moderated", lambda m: m["action"] == "banned")
    assert told["room"] == MEETING
    await staff.wait_for("lobby", lambda x: x["waiting"] == [])


async def _waiting_id(member: Client, staff: Client, handle: str) -> str:
    assert await member.error("join", {"room": MEETING, "handle": handle}) == "waiting"
    lobby = await staff.wait_for("lobby", lambda x: any(w["handle"] == handle
                                                        for w in x["waiting"]))
    return str(next(w["id"] for w in lobby["waiting"] if w["handle"] == handle))


async def test_a_meeting_opens_to_as_many_as_it_has_seats_and_the_rest_wait(
        clock: Clock, serve: ServeFn, connect: ClientFactory) -> None:
    rooms = base_config()["rooms"]
    rooms[1] = {**rooms[1], "capacity": 2}
    served = await at(clock, OPENS - 60, serve, rooms=rooms)  # the lobby is open
    people = [await connect(served.url) for _ in range(3)]
    for i, person in enumerate(people):
        assert await person.error("join", {"room": MEETING, "handle": f"P{i}"}) == "waiting"
    staff = await host(served, connect)
    await staff.wait_for("lobby", lambda x: len(x["waiting"]) == 3)
    await staff.ok("mod", {"room": MEETING, "action": "open"})
    # The host holds a seat too: one member gets in, two wait on, seen by staff.
    lobby = await staff.wait_for("lobby", lambda x: len(x["waiting"]) == 2)
    assert len(lobby["waiting"]) == 2
    members = await rooms_of(served).core.store.members(MEETING)
    assert len(members) == 2


async def test_a_reap_does_not_end_a_membership_resumed_elsewhere_meanwhile(
        server: Served, connect: ClientFactory) -> None:
    client = await connect(server.url)
    river_id = (await client.ok("join", {"room": ROOM, "handle": "River"}))["member"]["id"]
    core = rooms_of(server).core
    river = await core.store.get_member(ROOM, river_id)
    assert river is not None
    # River was held by a process that stopped; the reap reads the room's members…
    await core.store.put_member(replace(river, process="stopped"))
    held = Held(core.store, "members")
    reap = asyncio.ensure_future(rooms_of(server).liveness.reap("stopped"))
    await held.until_reached()
    # …and River resumes on a live process before the reap gets to them.
    await core.store.put_member(river)
    held.release()
    await reap
    assert await core.store.get_member(ROOM, river_id) == river
    # A membership the stopped process still holds is ended, as before.
    await core.store.put_member(replace(river, process="stopped"))
    await rooms_of(server).liveness.reap("stopped")
    assert await core.store.get_member(ROOM, river_id) is None


async def test_a_join_that_read_the_lobby_as_the_meeting_opens_gets_a_seat(
        clock: Clock, serve: ServeFn, connect: ClientFactory) -> None:
    served = await at(clock, OPENS - 60, serve)  # the lobby is open
    staff = await host(served, connect)
    member = await connect(served.url)
    held = Held(rooms_of(served).core.store, "member_count")
    join = asyncio.ensure_future(member.call("join", {"room": MEETING, "handle": "River"}))
    await held.until_reached()  # it read the room as a lobby…
    await staff.ok("mod", {"room": MEETING, "action": "open"})  # …which let in nobody
    held.release()
    answer = await join
    # Not left waiting in a lobby nobody will open again: seated.
    assert answer["ok"] is True and answer["member"]["handle"] == "River"


async def test_a_name_kept_in_the_lobby_is_not_taken_by_a_join(
        clock: Clock, serve: ServeFn, connect: ClientFactory) -> None:
    rooms = base_config()["rooms"]
    rooms[1] = {**rooms[1], "capacity": 2}
    served = await at(clock, OPENS - 60, serve, rooms=rooms)
    people = [await connect(served.url) for _ in range(2)]
    for person, handle in zip(people, ("Lake", "River"), strict=True):
        assert await person.error("join", {"room": MEETING, "handle": handle}) == "waiting"
    staff = await host(served, connect)
    await staff.ok("mod", {"room": MEETING, "action": "open"})
    # One seat after the host's: one of them gets it, the other waits on (put back).
    lobby = await staff.wait_for("lobby", lambda x: len(x["waiting"]) == 1
                                 and staff.seen("presence"))
    waiting = lobby["waiting"][0]["handle"]
    seated = people[1] if waiting == "Lake" else people[0]
    await seated.wait_for("joined")
    await seated.ok("leave", {"room": MEETING})  # a seat is free again
    newcomer = await connect(served.url)
    assert await newcomer.error("join", {"room": MEETING,
                                         "handle": waiting.upper()}) == "handle_taken"


async def test_someone_who_leaves_the_lobby_while_their_admission_waits_is_not_seated(
        clock: Clock, serve: ServeFn, connect: ClientFactory) -> None:
    rooms = base_config()["rooms"]
    rooms[1] = {**rooms[1], "admit_by_hand": True}
    served = await at(clock, OPENS + 60, serve, rooms=rooms)
    staff = await host(served, connect, "open")
    person = await connect(served.url)
    waiting_id = await _waiting_id(person, staff, "River")
    store = rooms_of(served).core.store
    taken, done = asyncio.Event(), asyncio.Event()

    async def hold_the_lock() -> None:
        async with store.room_lock(MEETING):
            taken.set()
            await done.wait()

    holder = asyncio.ensure_future(hold_the_lock())
    await asyncio.wait_for(taken.wait(), WAIT)
    # Admitted, the seat waits for the meeting's lock; meanwhile River leaves.
    seat = Watched(rooms_of(served).joining, "admitted")
    # (On one process the admit's answer waits for the seat: the bus delivers inline.)
    admit = asyncio.ensure_future(staff.call("mod", {"room": MEETING, "action": "admit",
                                                     "member_id": waiting_id}))
    await asyncio.wait_for(seat.began.wait(), WAIT)
    await person.ok("leave", {"room": MEETING})
    done.set()
    await holder
    await asyncio.wait_for(seat.ended.wait(), WAIT)
    assert (await admit)["ok"] is True
    assert person.seen("admitted") == [] and person.seen("joined") == []
    assert [m.handle for m in await store.members(MEETING)] == [FACILITATOR]


async def test_a_reconnect_on_its_way_keeps_a_promotion_made_meanwhile(
        server: Served, connect: ClientFactory) -> None:
    staff, river, held, resume = await resuming_in_a_second_tab(
        server, connect, (rooms_of(server).core.store, "member_count"))
    await staff.ok("mod", {"room": ROOM, "action": "promote", "member_id": river})
    held.release()
    answer = await resume
    assert answer["ok"] is True and answer["member"]["role"] == "facilitator"
    stored = await rooms_of(server).core.store.get_member(ROOM, river)
    assert stored is not None and stored.role.value == "facilitator"


async def test_a_dropped_connection_does_not_end_a_membership_held_elsewhere(
        server: Served, connect: ClientFactory) -> None:
    client = await connect(server.url)
    river_id = (await client.ok("join", {"room": ROOM, "handle": "River"}))["member"]["id"]
    core = rooms_of(server).core
    river = await core.store.get_member(ROOM, river_id)
    assert river is not None
    # River resumed on another process; then this process's old socket drops.
    await core.store.put_member(replace(river, process="another"))
    await rooms_of(server).joining.leave(ROOM, river_id, dropped=True)
    assert await core.store.get_member(ROOM, river_id) == replace(river, process="another")
    # Held here, a drop ends it as before.
    await core.store.put_member(river)
    await rooms_of(server).joining.leave(ROOM, river_id, dropped=True)
    assert await core.store.get_member(ROOM, river_id) is None


def test_a_taken_name_gets_the_first_free_number_within_the_length_limit() -> None:
    from moderation.handles import MAX_LEN
    from moderation.roles import Role
    from server.models.live import Member
    from server.rooms.lobby import _free_name

    river = Member("m1", ROOM, "River", Role.MEMBER, "dev", "p1", 0.0)
    assert _free_name(river, ["Lake"], []) is river
    assert _free_name(river, ["river", "River 2"], []).handle == "River 3"
    long = replace(river, handle="R" * MAX_LEN)
    renamed = _free_name(long, [long.handle], []).handle
    assert renamed == "R" * (MAX_LEN - 2) + " 2" and len(renamed) == MAX_LEN
    assert _free_name(river, ["River"], ["River 2"]).handle == "River 3"  # kept for staff


async def test_a_join_whose_socket_cannot_be_seated_leaves_no_seat_behind(
        server: Served, connect: ClientFactory) -> None:
    from server.keys import NAMESPACE

    namespace = server.server.app[NAMESPACE]
    attach = namespace._attach

    async def gone(*_: Any) -> None:  # as python-socketio does for a socket gone meanwhile
        raise KeyError("sid")

    namespace._attach = gone
    client = await connect(server.url)
    answer = await client.call("join", {"room": ROOM, "handle": "River"})
    assert answer["ok"] is False and answer["error"]["code"] == "internal"
    core = rooms_of(server).core
    assert await core.store.members(ROOM) == [] and core.local_members == {}
    namespace._attach = attach
    assert (await client.ok("join", {"room": ROOM, "handle": "River"}))["member"]["handle"] \
        == "River"


# A second drop-in room: a socket seated there gives its disconnect something to await.
SECOND = "second-circle"


class Hosting:
    """How many times this process hosted each room (`bus.host`) less the times it let
    it go (`bus.unhost`) since made: a count left above 0 subscribes for nobody."""

    def __init__(self, bus: Any) -> None:
        self.held: dict[str, int] = {}
        host, unhost = bus.host, bus.unhost

        async def hosting(room_id: str) -> None:
            self.held[room_id] = self.held.get(room_id, 0) + 1
            await host(room_id)

        async def letting_go(room_id: str) -> None:
            self.held[room_id] = self.held.get(room_id, 0) - 1
            await unhost(room_id)

        bus.host, bus.unhost = hosting, letting_go

    def left(self) -> dict[str, int]:
        return {room: count for room, count in self.held.items() if count}


def failures(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What was logged as something going wrong (a handler's failure, a traceback)."""
    return [r.getMessage() for r in caplog.records
            if r.exc_info or (r.levelno >= logging.WARNING and r.name.startswith("server."))]


def join_packet(ack: int, room: str, handle: str) -> str:
    return f"42{ack}" + json.dumps(["join", {"room": room, "handle": handle}])


@pytest.mark.parametrize("close", ["before the seat", "while the close is under way"])
async def test_a_join_whose_socket_closes_on_its_way_ends_quietly_and_leaves_no_seat(
        serve: ServeFn, caplog: pytest.LogCaptureFixture, close: str) -> None:
    # Over long-polling the close comes on a POST of its own, beside the join's.
    rooms = base_config()["rooms"]
    served = await serve(rooms=[*rooms, {**rooms[0], "id": SECOND, "title": "Second"}])
    core = rooms_of(served).core
    hosting = Hosting(core.bus)
    async with aiohttp.ClientSession() as http:
        raw = await RawPolling.open(http, served.url)
        assert await raw.send(join_packet(0, SECOND, "River"))
        assert await raw.until(lambda p: p.startswith("430")) is not None
        seat = Held(core.store, "put_member", when=lambda member: member.room == ROOM)
        # The disconnect's leave of SECOND reads River there, then waits (held).
        leave = Held(core.store, "get_member", when=lambda room, *_: room == SECOND)
        join = asyncio.ensure_future(raw.send(join_packet(1, ROOM, "Lake")))
        await seat.until_reached()  # stored, not yet seated
        closing = asyncio.ensure_future(raw.send("1"))
        if close == "before the seat":
            leave.release()
            await closing  # the POST is answered once the disconnect has ended
        else:
            await leave.until_reached()  # the disconnect has read what the socket holds
        seat.release()
        await join
        leave.release()
        await closing
    assert await core.store.members(ROOM) == [] and await core.store.members(SECOND) == []
    assert core.local_members == {} and hosting.left() == {}
    assert failures(caplog) == []


async def test_a_join_whose_socket_closes_on_its_way_to_the_lobby_holds_nothing(
        clock: Clock, serve: ServeFn, caplog: pytest.LogCaptureFixture) -> None:
    served = await at(clock, OPENS - 60, serve)  # the lobby is open
    core = rooms_of(served).core
    hosting = Hosting(core.bus)
    async with aiohttp.ClientSession() as http:
        raw = await RawPolling.open(http, served.url)
        # Under the room's lock, reading the names in use before taking a place.
        held = Held(core.store, "members", when=lambda room: room == MEETING)
        join = asyncio.ensure_future(raw.send(join_packet(0, MEETING, "River")))
        await held.until_reached()
        assert await raw.send("1")  # answered once the disconnect has ended
        held.release()
        await join
    assert await core.store.waiting(MEETING) == []
    assert hosting.left() == {}  # the room is not hosted for a socket that never waited
    assert failures(caplog) == []


async def test_an_admitted_person_whose_socket_closes_before_the_seat_is_not_put_back(
        clock: Clock, serve: ServeFn, connect: ClientFactory,
        caplog: pytest.LogCaptureFixture) -> None:
    rooms = base_config()["rooms"]
    rooms[1] = {**rooms[1], "admit_by_hand": True}
    served = await at(clock, OPENS + 60, serve, rooms=rooms)
    staff = await host(served, connect, "open")
    core = rooms_of(served).core
    hosting = Hosting(core.bus)  # after the host's: they stay
    async with aiohttp.ClientSession() as http:
        raw = await RawPolling.open(http, served.url)
        assert await raw.send(join_packet(0, MEETING, "River"))
        lobby = await staff.wait_for("lobby", lambda x: len(x["waiting"]) == 1)
        seat = Held(core.store, "put_member", when=lambda member: member.room == MEETING)
        # (On one process the admit's answer waits for the seat: the bus delivers inline.)
        admit = asyncio.ensure_future(staff.call("mod", {
            "room": MEETING, "action": "admit", "member_id": lobby["waiting"][0]["id"]}))
        await seat.until_reached()  # stored, not yet seated
        assert await raw.send("1")  # answered once the disconnect has ended
        seat.release()
        assert (await admit)["ok"] is True
    # Not seated, and not waiting again for a socket that went: nobody is left behind.
    assert [m.handle for m in await core.store.members(MEETING)] == [FACILITATOR]
    assert await core.store.waiting(MEETING) == []
    assert core.local_members.keys() == {m.id for m in await core.store.members(MEETING)}
    assert hosting.left() == {}
    assert failures(caplog) == []


async def test_a_resume_whose_socket_cannot_be_seated_leaves_the_membership_to_its_socket(
        server: Served, connect: ClientFactory) -> None:
    # A phone changes networks and resumes on a new socket while the old one is still
    # held; the new socket goes too before it is seated. The membership goes on with the
    # socket that held it, as it was.
    from server.keys import NAMESPACE

    first = await connect(server.url)
    joined = await first.ok("join", {"room": ROOM, "handle": "River"})
    namespace = server.server.app[NAMESPACE]
    attach = namespace._attach

    async def gone(*_: Any) -> None:  # as python-socketio does for a socket gone meanwhile
        raise KeyError("sid")

    namespace._attach = gone
    tab = await connect(server.url, device=first.device)
    answer = await tab.call("join", {"room": ROOM, "resume": {
        "member_token": joined["member_token"], "last_seq": 0}})
    namespace._attach = attach
    assert answer["ok"] is False
    core = rooms_of(server).core
    assert [m.id for m in await core.store.members(ROOM)] == [joined["member"]["id"]]
    assert joined["member"]["id"] in core.local_members
    sent = await first.ok("send", {"room": ROOM, "text": "still here", "client_id": "1"})
    assert sent["message"]["seq"] > 0
