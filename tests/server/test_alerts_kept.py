"""A facilitator who reloads, or comes on duty late, still sees the room's open alerts
and held messages: a staff join answer carries them (additive fields, README)."""

from __future__ import annotations

from typing import Any

from tests.helpers import (
    CO_FACILITATOR,
    CO_PASSPHRASE,
    ClientFactory,
    Clock,
    Served,
    base_config,
    login,
)

ROOM = "open-circle"
CRISIS = "I want to kill myself tonight"


async def test_a_reloading_facilitator_gets_the_alerts_raised_before(
        serve: Any, connect: ClientFactory, clock: Clock) -> None:
    served: Served = await serve(moderation={"blocked_terms": [
        {"term": "pills", "action": "hold"}]})
    token = await login(served.url)
    staff = await connect(served.url, token=token)
    first = await staff.ok("join", {"room": ROOM})
    assert first["alerts"] == [] and first["held"] == []
    river = await connect(served.url)
    member = (await river.ok("join", {"room": ROOM, "handle": "River"}))["member"]
    sent = await river.ok("send", {"room": ROOM, "text": CRISIS, "client_id": "1"})
    live = await staff.wait_for("alert", lambda a: a["kind"] == "crisis")
    assert live["id"] and live["ts"].endswith("Z")
    assert await river.error("send", {"room": ROOM, "text": "about pills",
                                      "client_id": "2"}) == "held"
    held = (await staff.wait_for("held"))["message"]
    await river.ok("report", {"room": ROOM, "message_id": sent["message"]["id"],
                              "reason": "worried"})
    report = await staff.wait_for("alert", lambda a: a["kind"] == "report")

    # The page reloads: a new connection with the same login.
    await staff.close()
    again = await connect(served.url, token=token)
    answer = await again.ok("join", {"room": ROOM})
    assert answer["alerts"] == [live, report]  # oldest first, exactly as they went out
    assert live["member_id"] == member["id"] and live["text"] == CRISIS
    assert live["message_id"] == sent["message"]["id"]
    assert answer["held"] == [held]

    # A second facilitator coming on duty sees them too; a member never does.
    co = await connect(served.url, token=await login(served.url, CO_FACILITATOR,
                                                     CO_PASSPHRASE))
    assert (await co.ok("join", {"room": ROOM}))["alerts"] == [live, report]
    lake = await connect(served.url)
    seen_by_member = await lake.ok("join", {"room": ROOM, "handle": "Lake"})
    assert "alerts" not in seen_by_member and "held" not in seen_by_member

    # Approved, a held message is no longer waiting.
    await co.ok("mod", {"room": ROOM, "action": "approve", "message_id": held["id"]})
    late = await connect(served.url, token=token)
    assert (await late.ok("join", {"room": ROOM}))["held"] == []

    # Alerts quote what was written, so they last no longer than the replay buffer.
    clock.advance(15 * 60 + 1)
    later = await connect(served.url, token=token)
    assert (await later.ok("join", {"room": ROOM}))["alerts"] == []


async def test_a_crisis_in_a_private_line_is_kept_for_staff(
        server: Served, connect: ClientFactory) -> None:
    token = await login(server.url)
    staff = await connect(token=token)
    await staff.ok("join", {"room": ROOM})
    river = await connect()
    member = (await river.ok("join", {"room": ROOM, "handle": "River"}))["member"]
    await staff.ok("mod", {"room": ROOM, "action": "private", "member_id": member["id"],
                           "text": "How are you doing?"})
    await river.ok("send", {"room": ROOM, "text": CRISIS, "client_id": "p1", "to": "staff"})
    live = await staff.wait_for("alert", lambda a: a["kind"] == "crisis")
    reloaded = await connect(token=token)
    assert (await reloaded.ok("join", {"room": ROOM}))["alerts"] == [live]


async def test_a_flood_of_held_messages_never_pushes_out_someone_elses(
        serve: Any, connect: ClientFactory) -> None:
    """The room keeps `buffer_messages` held messages: past that, the new one is refused
    (`rate_limited`, its writer told), never the oldest dropped unseen and untold."""
    served: Served = await serve(
        moderation={"blocked_terms": [{"term": "pills", "action": "hold"}]},
        limits={**base_config()["limits"], "buffer_messages": 10})
    token = await login(served.url)
    staff = await connect(served.url, token=token)
    await staff.ok("join", {"room": ROOM})
    river = await connect(served.url)
    await river.ok("join", {"room": ROOM, "handle": "River"})
    assert await river.error("send", {"room": ROOM, "text": "about my pills",
                                      "client_id": "r1"}) == "held"
    rivers = (await staff.wait_for("held"))["message"]
    troll = await connect(served.url)
    await troll.ok("join", {"room": ROOM, "handle": "Troll"})
    for i in range(9):
        assert await troll.error("send", {"room": ROOM, "text": f"pills {i}",
                                          "client_id": str(i)}) == "held"
    answer = await troll.call("send", {"room": ROOM, "text": "pills 9", "client_id": "9"})
    assert answer["error"]["code"] == "rate_limited", answer
    assert 0 < answer["error"]["retry_after"] <= 60
    assert "facilitators" in answer["error"]["message"]

    # River's message still waits for staff, for a facilitator coming on duty too.
    late = await connect(served.url, token=token)
    waiting = (await late.ok("join", {"room": ROOM}))["held"]
    assert len(waiting) == 10 and rivers in waiting
    await staff.ok("send", {"room": ROOM, "text": "marker", "client_id": "m"})
    await staff.wait_for("message", lambda m: m["text"] == "marker")
    assert len(staff.seen("held")) == 10  # the refused one never reached staff

    # Staff settling one makes room for the next.
    await staff.ok("mod", {"room": ROOM, "action": "approve", "message_id": rivers["id"]})
    assert await troll.error("send", {"room": ROOM, "text": "pills 9",
                                      "client_id": "9"}) == "held"
