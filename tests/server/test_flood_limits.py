"""What one member can do over and over, each reaching the whole room or every staff
console, meets a limit: hands, reports, refused messages, joins from a socket already
in, and leave-and-resume."""

from __future__ import annotations

import asyncio
from typing import Any

from server.rooms.joining import REMADE_RESUMES
from tests.helpers import Client, ClientFactory, ServeFn, base_config, login

ROOM = "open-circle"


def limits(**overrides: Any) -> dict[str, Any]:
    return {**base_config()["limits"], **overrides}


def refused_for_rate(answer: dict[str, Any]) -> bool:
    error = answer.get("error") or {}
    return error.get("code") == "rate_limited" and error.get("retry_after", 0) > 0


async def staff_and_river(connect: ClientFactory, url: str) -> tuple[Client, Client, str]:
    """A facilitator in the room, then River: (staff, River's client, River's id)."""
    staff = await connect(url, token=await login(url))
    await staff.ok("join", {"room": ROOM})
    river = await connect(url)
    river_id = (await river.ok("join", {"room": ROOM, "handle": "River"}))["member"]["id"]
    return staff, river, river_id


async def test_hands_raised_and_lowered_meet_a_limit(serve: ServeFn,
                                                     connect: ClientFactory) -> None:
    served = await serve(limits=limits(actions_burst=4, actions_interval_s=2.0))
    a, b = await connect(served.url), await connect(served.url)
    await a.ok("join", {"room": ROOM, "handle": "River"})
    lake = (await b.ok("join", {"room": ROOM, "handle": "Lake"}))["member"]["id"]
    for raised in (True, False, True, False):
        await a.ok("hand", {"room": ROOM, "raised": raised})
    assert refused_for_rate(await a.call("hand", {"room": ROOM, "raised": True}))
    # Everyone else has an allowance of their own; River's refused raise changed nothing.
    assert (await b.ok("hand", {"room": ROOM, "raised": True}))["queue"] == [lake]


async def test_the_hand_limit_refills_with_the_clock(serve: ServeFn, connect: ClientFactory,
                                                     clock: Any) -> None:
    served = await serve(limits=limits(actions_burst=1, actions_interval_s=2.0))
    a = await connect(served.url)
    await a.ok("join", {"room": ROOM, "handle": "River"})
    await a.ok("hand", {"room": ROOM, "raised": True})
    assert refused_for_rate(await a.call("hand", {"room": ROOM, "raised": False}))
    clock.advance(2.1)
    assert (await a.ok("hand", {"room": ROOM, "raised": False}))["queue"] == []


async def test_reports_meet_a_limit_before_they_reach_staff(serve: ServeFn,
                                                            connect: ClientFactory) -> None:
    served = await serve(limits=limits(actions_burst=2, actions_interval_s=2.0))
    staff, a, _ = await staff_and_river(connect, served.url)
    sent = await staff.ok("send", {"room": ROOM, "text": "welcome", "client_id": "w"})
    report = {"room": ROOM, "message_id": sent["message"]["id"], "reason": "spam"}
    await a.ok("report", report)
    await a.ok("report", report)
    assert refused_for_rate(await a.call("report", report))
    await staff.ok("send", {"room": ROOM, "text": "marker", "client_id": "m"})
    await staff.wait_for("message", lambda m: m["text"] == "marker")
    assert len([x for x in staff.seen("alert") if x["kind"] == "report"]) == 2


async def test_refused_messages_meet_an_allowance_of_their_own(
        serve: ServeFn, connect: ClientFactory) -> None:
    served = await serve(limits=limits(message_burst=2, message_interval_s=2.0,
                                       actions_burst=3, actions_interval_s=2.0))
    staff, a, _ = await staff_and_river(connect, served.url)
    for i in range(3):  # a phone number each: blocked, an alert to staff each
        assert await a.error("send", {"room": ROOM, "text": f"call me 555 010 12{i}4",
                                      "client_id": str(i)}) == "blocked"
    answer = await a.call("send", {"room": ROOM, "text": "call me 555 010 1299",
                                   "client_id": "x"})
    assert refused_for_rate(answer)
    # Chat's own allowance is untouched: someone told "blocked" may rephrase at once.
    await a.ok("send", {"room": ROOM, "text": "sorry, no numbers", "client_id": "y"})
    await staff.wait_for("message", lambda m: m["text"] == "sorry, no numbers")
    assert len([x for x in staff.seen("alert") if x["kind"] == "pii"]) == 3


async def test_joining_again_from_a_socket_already_in_takes_join_tokens(
        serve: ServeFn, connect: ClientFactory) -> None:
    served = await serve(limits=limits(joins_per_minute=3))
    a = await connect(served.url)
    first = await a.ok("join", {"room": ROOM, "handle": "River"})
    for _ in range(2):
        again = await a.ok("join", {"room": ROOM, "handle": "River"})
        assert again["member"] == first["member"]
    assert refused_for_rate(await a.call("join", {"room": ROOM, "handle": "River"}))
    await a.ok("send", {"room": ROOM, "text": "still in", "client_id": "1"})


async def _cycle(client: Client, token: str) -> dict[str, Any]:
    await client.ok("leave", {"room": ROOM})
    return await client.call("join", {"room": ROOM, "handle": "River",
                                      "resume": {"member_token": token, "last_seq": 0}})


async def test_leave_and_resume_in_a_loop_meets_a_limit(serve: ServeFn,
                                                        connect: ClientFactory) -> None:
    served = await serve(limits=limits(joins_per_minute=1))
    a = await connect(served.url)
    joined = await a.ok("join", {"room": ROOM, "handle": "River"})
    token = joined["member_token"]
    for _ in range(REMADE_RESUMES.burst):  # far more than a bad line needs in a minute
        answer = await _cycle(a, token)
        assert answer["ok"], answer
        assert answer["member"]["id"] == joined["member"]["id"]
        token = answer["member_token"]
    assert refused_for_rate(await _cycle(a, token))


async def test_a_resume_into_a_membership_still_open_takes_no_token(
        serve: ServeFn, connect: ClientFactory) -> None:
    served = await serve(limits=limits(joins_per_minute=1))
    a = await connect(served.url)
    device = (await a.wait_for("welcome"))["device"]
    joined = await a.ok("join", {"room": ROOM, "handle": "River"})
    for _ in range(3):  # another tab of the same device, while the first is still in
        tab = await connect(served.url, device=device)
        answer = await tab.ok("join", {"room": ROOM, "handle": "River", "resume": {
            "member_token": joined["member_token"], "last_seq": 0}})
        assert answer["member"]["id"] == joined["member"]["id"]


async def test_fresh_joins_from_one_address_meet_a_limit_whatever_the_device(
        serve: ServeFn, connect: ClientFactory) -> None:
    served = await serve(limits=limits(joins_per_address_per_minute=3))
    for i in range(3):  # a new device each time: one connect away
        client = await connect(served.url)
        await client.ok("join", {"room": ROOM, "handle": f"Member {i}"})
    late = await connect(served.url)
    assert refused_for_rate(await late.call("join", {"room": ROOM, "handle": "Member 9"}))
    staff = await connect(served.url, token=await login(served.url))
    await staff.ok("join", {"room": ROOM})  # staff signed in are not held by the address


async def test_joins_at_once_from_one_address_spend_one_token_each(
        serve: ServeFn, connect: ClientFactory) -> None:
    # Sent together from eight connections: each join reads the address's bucket
    # before any has stored its take, so only a take that checks the bucket did not
    # move since keeps the limit (on Redis, each read and write is a round trip).
    served = await serve(limits=limits(joins_per_address_per_minute=3))
    clients = [await connect(served.url) for _ in range(8)]
    answers = await asyncio.gather(*(client.call("join", {"room": ROOM, "handle": f"M {i}"})
                                     for i, client in enumerate(clients)))
    assert sum(1 for answer in answers if answer.get("ok") is True) == 3
    assert sum(1 for answer in answers if refused_for_rate(answer)) == 5


async def test_a_cry_for_help_is_answered_even_past_the_refused_allowance(
        serve: ServeFn, connect: ClientFactory) -> None:
    served = await serve(limits=limits(actions_burst=2, actions_interval_s=60.0))
    staff, a, _ = await staff_and_river(connect, served.url)
    for i in range(2):
        assert await a.error("send", {"room": ROOM, "text": f"call me 555 010 12{i}4",
                                      "client_id": str(i)}) == "blocked"
    answer = await a.call("send", {"room": ROOM, "client_id": "c",
                                   "text": "i want to kill myself, call me 555 010 1234"})
    assert refused_for_rate(answer)
    await a.wait_for("support")  # the resources reach them all the same
    alert = await staff.wait_for("alert", lambda x: x["kind"] == "crisis")
    assert alert["text"].startswith("i want to kill myself")


async def test_a_muted_member_past_the_hand_allowance_is_told_muted(
        serve: ServeFn, connect: ClientFactory) -> None:
    served = await serve(limits=limits(actions_burst=1, actions_interval_s=60.0))
    staff, a, river = await staff_and_river(connect, served.url)
    await a.ok("hand", {"room": ROOM, "raised": True})
    await staff.ok("mod", {"room": ROOM, "action": "mute", "member_id": river})
    assert await a.error("hand", {"room": ROOM, "raised": True}) == "muted"


async def _rejoined(client: Client, before: str) -> None:
    """Leave and join afresh (no resume): a new membership, with a new member id."""
    await client.ok("leave", {"room": ROOM})
    again = await client.ok("join", {"room": ROOM, "handle": "River"})
    assert again["member"]["id"] != before


async def test_slow_mode_outlasts_leaving_and_joining_again(serve: ServeFn,
                                                            connect: ClientFactory) -> None:
    served = await serve()
    staff, a, river = await staff_and_river(connect, served.url)
    await staff.ok("mod", {"room": ROOM, "action": "slow_mode", "seconds": 300})
    await a.ok("send", {"room": ROOM, "text": "one", "client_id": "1"})
    await _rejoined(a, river)
    answer = await a.call("send", {"room": ROOM, "text": "two", "client_id": "2"})
    assert answer["error"]["code"] == "slow_mode", answer
    assert 0 < answer["error"]["retry_after"] <= 300
    # Nor from another tab of the same device; another device has its own gap.
    tab = await connect(served.url, device=a.device)
    await tab.ok("join", {"room": ROOM, "handle": "Brook"})
    assert await tab.error("send", {"room": ROOM, "text": "three", "client_id": "3"}) == \
        "slow_mode"
    lake = await connect(served.url)
    await lake.ok("join", {"room": ROOM, "handle": "Lake"})
    await lake.ok("send", {"room": ROOM, "text": "hello", "client_id": "1"})


async def test_the_message_limit_outlasts_leaving_and_joining_again(
        serve: ServeFn, connect: ClientFactory) -> None:
    served = await serve(limits=limits(message_burst=2, message_interval_s=60.0))
    staff, a, river = await staff_and_river(connect, served.url)
    for i in range(2):
        await a.ok("send", {"room": ROOM, "text": f"m{i}", "client_id": str(i)})
    await _rejoined(a, river)
    assert refused_for_rate(await a.call("send", {"room": ROOM, "text": "m2",
                                                  "client_id": "2"}))
    tab = await connect(served.url, device=a.device)
    await tab.ok("join", {"room": ROOM, "handle": "Brook"})
    assert refused_for_rate(await tab.call("send", {"room": ROOM, "text": "m3",
                                                    "client_id": "3"}))
    # Staff are not held by it, and another device has an allowance of its own.
    await staff.ok("send", {"room": ROOM, "text": "welcome", "client_id": "s"})
    lake = await connect(served.url)
    await lake.ok("join", {"room": ROOM, "handle": "Lake"})
    await lake.ok("send", {"room": ROOM, "text": "hello", "client_id": "1"})


async def test_the_hand_and_report_allowances_outlast_leaving_and_joining_again(
        serve: ServeFn, connect: ClientFactory) -> None:
    served = await serve(limits=limits(actions_burst=2, actions_interval_s=60.0))
    staff, a, river = await staff_and_river(connect, served.url)
    for raised in (True, False):
        await a.ok("hand", {"room": ROOM, "raised": raised})
    await _rejoined(a, river)
    assert refused_for_rate(await a.call("hand", {"room": ROOM, "raised": True}))
    sent = await staff.ok("send", {"room": ROOM, "text": "welcome", "client_id": "s"})
    report = {"room": ROOM, "message_id": sent["message"]["id"], "reason": "test"}
    for _ in range(2):
        await a.ok("report", report)
    await _rejoined(a, river)
    assert refused_for_rate(await a.call("report", report))
    # Another device has an allowance of its own.
    lake = await connect(served.url)
    await lake.ok("join", {"room": ROOM, "handle": "Lake"})
    await lake.ok("hand", {"room": ROOM, "raised": True})
