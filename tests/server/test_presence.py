"""Presence: single changes as before, a join storm as one `presence_batch`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from server.keys import ROOMS
from server.models.envelope import Envelope
from server.rooms.presence import BATCH_FROM, PresenceBatcher
from tests.helpers import ClientFactory, Served

ROOM = "open-circle"


class Window:
    """A presence window that ends only when the test says so."""

    def __init__(self) -> None:
        self.scheduled: list[Callable[[], None]] = []

    def __call__(self, delay: float, callback: Callable[[], None]) -> object:
        self.scheduled.append(callback)
        return None


def batcher() -> tuple[PresenceBatcher, list[Envelope]]:
    sent: list[Envelope] = []
    members = {"n": 0}

    async def publish(envelope: Envelope) -> None:
        sent.append(envelope)

    async def count(room_id: str) -> int:
        return members["n"]

    return PresenceBatcher(publish, count, call_later=Window()), sent


def member(n: int, role: str = "member") -> dict[str, Any]:
    return {"id": f"m{n}", "handle": f"H{n}", "role": role}


async def test_a_lone_change_goes_out_at_once_and_a_few_one_by_one() -> None:
    presence, sent = batcher()
    await presence.change(ROOM, joined=member(1))
    assert [(e.event, e.data) for e in sent] == [
        ("presence", {"room": ROOM, "joined": member(1), "count": 0})]
    await presence.change(ROOM, joined=member(2))
    await presence.change(ROOM, left="m1")
    assert len(sent) == 1  # waiting for the window's end
    await presence.flush(ROOM)
    assert [(e.event, e.data.get("joined"), e.data.get("left")) for e in sent[1:]] == [
        ("presence", member(2), None), ("presence", None, "m1")]
    await presence.flush(ROOM)  # a quiet window closes it
    await presence.change(ROOM, left="m2")
    assert sent[-1].event == "presence" and sent[-1].data["left"] == "m2"


async def test_a_storm_is_one_batch_with_each_member_once_as_their_last_change() -> None:
    presence, sent = batcher()
    await presence.change(ROOM, joined=member(0))
    for n in range(1, BATCH_FROM + 2):
        await presence.change(ROOM, joined=member(n))
    await presence.change(ROOM, left="m1")  # joined and left in the same window
    await presence.change(ROOM, joined=member(2, "facilitator"))  # promoted meanwhile
    await presence.change(ROOM, left="m0")
    await presence.flush(ROOM)
    batch = sent[-1]
    assert batch.event == "presence_batch" and len(sent) == 2
    assert [m["id"] for m in batch.data["joined"]] == [f"m{n}" for n in range(2, BATCH_FROM + 2)]
    assert batch.data["joined"][0]["role"] == "facilitator"
    assert batch.data["left"] == ["m1", "m0"]
    assert set(batch.data) == {"room", "joined", "left", "count"}


async def test_a_join_storm_reaches_members_as_presence_batch(server: Served,
                                                              connect: ClientFactory) -> None:
    window = Window()
    server.server.app[ROOMS].core.presence.call_later = window
    observer = await connect()
    await observer.ok("join", {"room": ROOM, "handle": "Observer"})
    others = [await connect() for _ in range(8)]
    await asyncio.gather(*(c.ok("join", {"room": ROOM, "handle": f"Joiner{n}"})
                           for n, c in enumerate(others)))
    await server.server.app[ROOMS].core.presence.flush(ROOM)
    batch = await observer.wait_for("presence_batch")
    assert sorted(m["handle"] for m in batch["joined"]) == [f"Joiner{n}" for n in range(8)]
    assert batch["left"] == [] and batch["count"] == 9 and batch["room"] == ROOM
    assert [p.get("joined", {}).get("handle") for p in observer.seen("presence")] == [
        "Observer"]
