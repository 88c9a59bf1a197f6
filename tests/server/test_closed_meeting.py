"""What a closed meeting leaves behind is nothing (issue 12, item 11), on both stores.

After a meeting that used every feature closes, the store holds only the documented
leftovers (docs/reliability.md): `seq`, a bare closed `runtime`, the `audit` log and
`revoked:*` markers (random member ids that expire with their resume tokens).
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis

from server.keys import ROOMS
from server.models.live import RoomRuntime
from server.store.memory import MemoryStore
from tests.helpers import ClientFactory, Clock, Served, ServeFn, base_config, login
from tests.server.test_meetings import OPENS, ROOM

LEFTOVERS = {"seq", "runtime", "audit"}


async def room_parts(served: Served, backend: str) -> set[str]:
    """The per-room keys (Redis) or non-empty per-room structures (memory) of ROOM."""
    store = served.server.app[ROOMS].core.store
    if isinstance(store, MemoryStore):
        return set(store.footprint(ROOM))
    client = aioredis.from_url(backend)
    try:
        keys = [k.decode() async for k in client.scan_iter(match=f"pr:room:{{{ROOM}}}:*")]
        # Nothing of the room may hide outside its own prefix either (buckets, say).
        strays = [k.decode() async for k in client.scan_iter(match=f"*{ROOM}*")
                  if not k.decode().startswith(("pr:room:", "pr:claim:"))]
    finally:
        await client.aclose()
    assert strays == []
    return {k.split("}:", 1)[1] for k in keys}


def mod(action: str, **fields: Any) -> dict[str, Any]:
    return {"room": ROOM, "action": action, **fields}


async def test_a_closed_meeting_leaves_only_the_documented_leftovers(
        clock: Clock, serve: ServeFn, connect: ClientFactory, backend: str) -> None:
    rooms = base_config()["rooms"]
    rooms[1] = {**rooms[1], "admit_by_hand": True,
                "blocked_terms": [{"term": "casino", "action": "hold"}]}
    clock.now = OPENS + 60
    served = await serve(rooms=rooms)
    staff = await connect(served.url, token=await login(served.url))
    answer = await staff.ok("join", {"room": ROOM})
    if answer["room"]["status"] != "open":
        await staff.wait_for("room_state", lambda s: s["status"] == "open")

    river, lake, hill = [await connect(served.url) for _ in range(3)]
    for client, handle in ((river, "River"), (lake, "Lake"), (hill, "Hill")):
        assert await client.error("join", {"room": ROOM, "handle": handle}) == "waiting"
    lobby = await staff.wait_for("lobby", lambda x: len(x["waiting"]) == 3)
    waiting = {w["handle"]: w["id"] for w in lobby["waiting"]}
    for handle in ("River", "Lake"):
        await staff.ok("mod", mod("admit", member_id=waiting[handle]))
    member = (await river.wait_for("joined"))["member"]
    other = (await lake.wait_for("joined"))["member"]
    # Hill stays in the lobby.

    await river.ok("send", {"room": ROOM, "text": "hello all", "client_id": "1"})
    assert await river.error("send", {"room": ROOM, "text": "casino night",
                                      "client_id": "2"}) == "held"
    await river.ok("hand", {"room": ROOM, "raised": True})
    welcome = await staff.ok("send", {"room": ROOM, "text": "welcome", "client_id": "s1"})
    await staff.ok("mod", mod("pin", text="Tonight's reading is on page 5."))
    await staff.ok("mod", mod("slow_mode", seconds=5))
    await staff.ok("mod", mod("mute", member_id=member["id"], minutes=30))
    await lake.ok("report", {"room": ROOM, "message_id": welcome["message"]["id"],
                             "reason": "test"})
    await staff.wait_for("alert", lambda a: a["kind"] == "report")
    await staff.ok("mod", mod("remove", member_id=other["id"]))
    before = await room_parts(served, backend)
    # A member's message buckets are kept by device (a rejoin does not refill them).
    device = served.server.app[ROOMS].core.local_members[member["id"]].device_hash
    traces = ({"buffer", "held", "alerts", "mutes", "buckets", "posted", "waiting"}
              if not backend
              else {"messages", "held", "alerts", f"mute:{member['id']}",
                    f"bucket:msg:{device}", "posted", "waiting"})
    assert traces <= before, before  # the meeting did leave traces while it ran

    await staff.ok("mod", mod("close"))
    await river.wait_for("room_state", lambda s: s["status"] == "closed")

    parts = await room_parts(served, backend)
    assert {p for p in parts if not p.startswith("revoked")} <= LEFTOVERS, parts
    store = served.server.app[ROOMS].core.store
    assert await store.get_runtime(ROOM) == RoomRuntime(status="closed")  # no pin, no queue
    # seq is kept so numbering continues; a later join is told the meeting is closed.
    assert await store.latest_seq(ROOM) >= 2
    late = await connect(served.url)
    assert await late.error("join", {"room": ROOM, "handle": "Late"}) == "closed"
