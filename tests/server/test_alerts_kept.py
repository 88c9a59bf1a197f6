"""A facilitator who reloads, or comes on duty late, still sees the room's open alerts
and held messages: a staff join answer carries them (additive fields, README)."""

from __future__ import annotations

from typing import Any

from tests.helpers import CO_FACILITATOR, CO_PASSPHRASE, ClientFactory, Clock, Served, login

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
