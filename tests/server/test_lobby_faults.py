"""When the store fails at a bad moment in the lobby, nobody is dropped or left behind."""

from __future__ import annotations

from typing import Any

import pytest

from server.keys import ROOMS
from server.models.errors import StoreUnavailable
from server.models.live import Waiting
from server.rooms.service import Rooms
from tests.helpers import Client, ClientFactory, Clock, ServeFn, base_config
from tests.server.test_meetings import OPENS, ROOM, at, host


def admit_by_hand() -> list[dict[str, Any]]:
    rooms = base_config()["rooms"]
    rooms[1] = {**rooms[1], "admit_by_hand": True}
    return list(rooms)


async def one_waiting(clock: Clock, serve: ServeFn,
                      connect: ClientFactory) -> tuple[Rooms, Client, Client, str]:
    """A meeting admitted by hand, its host in, and River waiting in the lobby."""
    served = await at(clock, OPENS + 60, serve, rooms=admit_by_hand())
    rooms = served.server.app[ROOMS]
    staff = await host(served, connect, "open")
    member = await connect(served.url)
    assert await member.error("join", {"room": ROOM, "handle": "River"}) == "waiting"
    waiting = await staff.wait_for("lobby", lambda x: len(x["waiting"]) == 1)
    return rooms, staff, member, waiting["waiting"][0]["id"]


async def test_an_admitted_person_whose_seating_fails_waits_again(
        clock: Clock, serve: ServeFn, connect: ClientFactory,
        monkeypatch: pytest.MonkeyPatch) -> None:
    rooms, staff, member, person_id = await one_waiting(clock, serve, connect)

    seat = rooms.lobby.seat
    failures: list[str] = []

    async def seat_fails_once(person: Waiting, *args: Any) -> Any:
        if not failures:
            failures.append(person.id)
            raise StoreUnavailable("the store went away for a moment")
        return await seat(person, *args)

    monkeypatch.setattr(rooms.lobby, "seat", seat_fails_once)
    staff.events.clear()
    await staff.ok("mod", {"room": ROOM, "action": "admit", "member_id": person_id})
    # Staff see them waiting again, and they can be admitted a second time.
    again = await staff.wait_for("lobby", lambda x: [w["id"] for w in x["waiting"]] == [person_id])
    assert failures == [person_id] and member.seen("admitted") == []
    await staff.ok("mod", {"room": ROOM, "action": "admit", "member_id": again["waiting"][0]["id"]})
    await member.wait_for("admitted")
    assert (await member.wait_for("joined"))["member"]["handle"] == "River"


async def test_a_lobby_leave_that_failed_on_disconnect_is_retried(
        clock: Clock, serve: ServeFn, connect: ClientFactory,
        monkeypatch: pytest.MonkeyPatch) -> None:
    rooms, staff, member, _ = await one_waiting(clock, serve, connect)

    leave = rooms.lobby.leave
    attempts: list[str] = []

    async def leave_fails_once(room_id: str, waiting_id: str) -> None:
        attempts.append(waiting_id)
        if len(attempts) == 1:
            raise StoreUnavailable("the store went away for a moment")
        await leave(room_id, waiting_id)

    monkeypatch.setattr(rooms.lobby, "leave", leave_fails_once)
    staff.events.clear()
    await member.close()
    # The disconnect's leave failed; the next liveness beat ends the lobby place.
    await rooms.liveness.tick()
    await staff.wait_for("lobby", lambda x: x["waiting"] == [])
    assert len(attempts) == 2 and attempts[0] == attempts[1]
    assert await rooms.core.store.waiting(ROOM) == []
