"""`send`: ordering, idempotency, limits, filters, crisis support."""

from __future__ import annotations

import asyncio

import pytest

from tests.helpers import ClientFactory, Served, ServeFn, base_config

ROOM = "open-circle"


async def joined(connect: ClientFactory, handle: str, url: str | None = None) -> tuple:
    client = await connect(url)
    answer = await client.ok("join", {"room": ROOM, "handle": handle})
    return client, answer["member"]


async def test_two_members_see_each_others_messages_in_seq_order(connect: ClientFactory) -> None:
    a, _ = await joined(connect, "River")
    b, _ = await joined(connect, "Lake")
    sends = [client.ok("send", {"room": ROOM, "text": f"{name}{i}", "client_id": f"{name}{i}"})
             for i in range(20) for client, name in ((a, "a"), (b, "b"))]
    answers = await asyncio.gather(*sends)
    assert sorted(x["message"]["seq"] for x in answers) == list(range(1, 41))
    for client in (a, b):
        await client.wait_for("message", lambda m: m["seq"] == 40)
        seqs = [m["seq"] for m in client.seen("message")]
        assert seqs == list(range(1, 41))  # everyone, sender included, in seq order, once
    first = a.seen("message")[0]
    assert set(first) == {"room", "id", "seq", "member", "text", "ts"}
    assert first["ts"].endswith("Z")
    # Each member's own messages keep the order they were sent in.
    texts = [m["text"] for m in b.seen("message") if m["member"]["handle"] == "River"]
    assert texts == [f"a{i}" for i in range(20)]


async def test_resending_a_client_id_returns_the_first_answer(connect: ClientFactory) -> None:
    a, _ = await joined(connect, "River")
    b, _ = await joined(connect, "Lake")
    first = await a.ok("send", {"room": ROOM, "text": "hello", "client_id": "same"})
    again = await a.ok("send", {"room": ROOM, "text": "hello", "client_id": "same"})
    assert again == first
    marker = await a.ok("send", {"room": ROOM, "text": "after", "client_id": "next"})
    await b.wait_for("message", lambda m: m["id"] == marker["message"]["id"])
    assert [m["text"] for m in b.seen("message")] == ["hello", "after"]


async def test_fresh_join_sees_no_history_but_learns_seq(connect: ClientFactory) -> None:
    a, _ = await joined(connect, "River")
    await a.ok("send", {"room": ROOM, "text": "before", "client_id": "1"})
    late = await connect()
    answer = await late.ok("join", {"room": ROOM, "handle": "Late"})
    assert answer["seq"] == 1 and answer["missed"] == []


async def test_send_errors(connect: ClientFactory) -> None:
    a, _ = await joined(connect, "River")
    outsider = await connect()
    assert await a.error("send", {"room": "nowhere", "text": "x", "client_id": "1"}) == "not_found"
    assert await outsider.error("send", {"room": ROOM, "text": "x", "client_id": "1"}) == \
        "not_member"
    assert await a.error("send", {"room": ROOM, "text": "   ", "client_id": "1"}) == "empty"
    assert await a.error("send", {"room": ROOM, "text": "x" * 2001, "client_id": "1"}) == \
        "too_long"
    assert await a.error("send", {"room": ROOM, "text": 5, "client_id": "1"}) == "bad_request"
    assert await a.error("send", {"room": ROOM, "text": "x"}) == "bad_request"
    assert await a.error("send", {"room": ROOM, "text": "x", "client_id": 7}) == "bad_request"
    assert await a.error("send", "not a dict") == "bad_request"
    assert await a.error("send", ["not", "an", "object"]) == "bad_request"
    ok = await a.ok("send", {"room": ROOM, "text": "x" * 2000, "client_id": "2000"})
    assert ok["message"]["seq"] == 1  # nothing refused above took a seq


async def test_rate_limit_answers_retry_after(serve: ServeFn, connect: ClientFactory) -> None:
    served = await serve(limits={**base_config()["limits"], "message_burst": 3,
                                 "message_interval_s": 2.0})
    a, _ = await joined(connect, "River", served.url)
    for i in range(3):
        await a.ok("send", {"room": ROOM, "text": f"m{i}", "client_id": str(i)})
    answer = await a.call("send", {"room": ROOM, "text": "one too many", "client_id": "x"})
    assert answer["error"]["code"] == "rate_limited"
    assert 0 < answer["error"]["retry_after"] <= 2.0


async def test_rate_limit_refills_with_the_clock(serve: ServeFn, connect: ClientFactory,
                                                 clock: object) -> None:
    served = await serve(limits={**base_config()["limits"], "message_burst": 1,
                                 "message_interval_s": 2.0})
    a, _ = await joined(connect, "River", served.url)
    await a.ok("send", {"room": ROOM, "text": "one", "client_id": "1"})
    assert await a.error("send", {"room": ROOM, "text": "two", "client_id": "2"}) == \
        "rate_limited"
    clock.advance(2.1)  # type: ignore[attr-defined]
    await a.ok("send", {"room": ROOM, "text": "two", "client_id": "2"})


async def test_blocked_and_held_terms(serve: ServeFn, connect: ClientFactory) -> None:
    served = await serve(moderation={"blocked_terms": [{"term": "killed", "action": "block"},
                                                       {"term": "pills", "action": "hold"}]})
    from tests.helpers import login

    staff = await connect(served.url, token=await login(served.url))
    await staff.ok("join", {"room": ROOM})
    a, _ = await joined(connect, "River", served.url)
    assert await a.error("send", {"room": ROOM, "text": "they KILLED it", "client_id": "1"}) == \
        "blocked"
    await a.ok("send", {"room": ROOM, "text": "a skilled cook", "client_id": "2"})
    assert await a.error("send", {"room": ROOM, "text": "about pills", "client_id": "3"}) == "held"
    held = await staff.wait_for("held")
    assert held["message"]["text"] == "about pills"
    assert a.seen("held") == []
    approved = await staff.ok("mod", {"room": ROOM, "action": "approve",
                                      "message_id": held["message"]["id"]})
    shown = await a.wait_for("message", lambda m: m["text"] == "about pills")
    assert shown["seq"] == approved["message"]["seq"] == 2
    outcome = await a.wait_for("moderated", lambda n: n["action"] == "approved")
    assert outcome["message_id"] == held["message"]["id"]

    assert await a.error("send", {"room": ROOM, "text": "more pills", "client_id": "4"}) == "held"
    second = await staff.wait_for("held", lambda h: h["message"]["text"] == "more pills")
    await staff.ok("mod", {"room": ROOM, "action": "reject",
                           "message_id": second["message"]["id"]})
    outcome = await a.wait_for("moderated", lambda n: n["action"] == "rejected")
    assert outcome["message_id"] == second["message"]["id"]
    assert [m["text"] for m in a.seen("message")].count("more pills") == 0


async def test_every_facilitators_console_hears_a_held_message_was_settled(
        serve: ServeFn, connect: ClientFactory) -> None:
    served = await serve(moderation={"blocked_terms": [{"term": "pills", "action": "hold"}]})
    from tests.helpers import login

    first = await connect(served.url, token=await login(served.url))
    second = await connect(served.url, token=await login(served.url))
    for staff in (first, second):
        await staff.ok("join", {"room": ROOM})
    a, _ = await joined(connect, "River", served.url)
    for n, (action, outcome) in enumerate((("reject", "rejected"), ("approve", "approved"))):
        assert await a.error("send", {"room": ROOM, "text": f"pills {n}",
                                      "client_id": str(n)}) == "held"
        held = await second.wait_for("held", lambda h, n=n: h["message"]["text"] == f"pills {n}")
        message_id = held["message"]["id"]
        await first.ok("mod", {"room": ROOM, "action": action, "message_id": message_id})
        settled = await second.wait_for("held_resolved",
                                        lambda e, i=message_id: e["message_id"] == i)
        assert settled == {"room": ROOM, "message_id": message_id, "action": outcome}
        # Acting on it again, from the other console, changes nothing.
        assert await second.error("mod", {"room": ROOM, "action": action,
                                          "message_id": message_id}) == "not_found"
    assert a.seen("held_resolved") == []  # a member never hears of staff's queue


async def test_pii_is_blocked_kindly(connect: ClientFactory) -> None:
    a, _ = await joined(connect, "River")
    answer = await a.call("send", {"room": ROOM, "text": "call me 555-123-4567",
                                   "client_id": "1"})
    assert answer["error"]["code"] == "blocked" and answer["error"]["message"]
    assert await a.error("send", {"room": ROOM, "text": "me@example.org", "client_id": "2"}) == \
        "blocked"


async def test_crisis_message_is_sent_and_brings_support(server: Served,
                                                         connect: ClientFactory) -> None:
    from tests.helpers import login

    staff = await connect(token=await login(server.url))
    await staff.ok("join", {"room": ROOM})
    a, member = await joined(connect, "River")
    b, _ = await joined(connect, "Lake")
    answer = await a.ok("send", {"room": ROOM, "text": "I want to kill myself tonight",
                                 "client_id": "1"})
    support = await a.wait_for("support")
    assert any("988" in r["contact"] for r in support["resources"])
    alert = await staff.wait_for("alert", lambda x: x["kind"] == "crisis")
    assert alert["member_id"] == member["id"]
    assert alert["message_id"] == answer["message"]["id"]
    await b.wait_for("message", lambda m: m["id"] == answer["message"]["id"])
    assert b.seen("support") == [] and b.seen("alert") == []


@pytest.mark.parametrize("text", ["quiero morir", "i wanna end it", "have pills saved"])
async def test_spanish_and_slang_bring_support(connect: ClientFactory, text: str) -> None:
    a, _ = await joined(connect, "River")
    await a.ok("send", {"room": ROOM, "text": text, "client_id": "1"})
    support = await a.wait_for("support")
    assert support["resources"]


async def test_configured_crisis_phrases_extend_the_lists(serve: ServeFn,
                                                          connect: ClientFactory) -> None:
    served = await serve(moderation={"crisis_phrases": ["walk into the lake"]})
    a, _ = await joined(connect, "River", served.url)
    await a.ok("send", {"room": ROOM, "text": "I could just walk into the lake",
                        "client_id": "1"})
    assert (await a.wait_for("support"))["resources"]
    await a.ok("send", {"room": ROOM, "text": "we walked by the lake", "client_id": "2"})
    await a.wait_for("message", lambda m: m["text"] == "we walked by the lake")
    assert len(a.seen("support")) == 1


async def test_html_is_just_text(connect: ClientFactory) -> None:
    a, _ = await joined(connect, "River")
    text = "<img src=x onerror=alert(1)>"
    await a.ok("send", {"room": ROOM, "text": text, "client_id": "1"})
    assert (await a.wait_for("message"))["text"] == text


async def test_mentioning_someone_in_the_room_is_not_a_social_handle(
        connect: ClientFactory) -> None:
    a, _ = await joined(connect, "River")
    await joined(connect, "Lake")
    await a.ok("send", {"room": ROOM, "text": "@Lake thank you for that", "client_id": "1"})
    assert await a.error("send", {"room": ROOM, "text": "find me @river_on_insta",
                                  "client_id": "2"}) == "blocked"


async def test_a_mention_is_of_people_here_now(connect: ClientFactory) -> None:
    a, _ = await joined(connect, "River")
    b, _ = await joined(connect, "Lake Jones")
    await a.ok("send", {"room": ROOM, "text": "@Lake thank you", "client_id": "1"})
    await b.ok("leave", {"room": ROOM})
    assert await a.error("send", {"room": ROOM, "text": "@Lake are you there?",
                                  "client_id": "2"}) == "blocked"
    await joined(connect, "Lake")
    await a.ok("send", {"room": ROOM, "text": "@Lake welcome back", "client_id": "3"})


async def test_a_resend_gets_its_first_answer_whatever_the_limits_say_now(
        serve: ServeFn, connect: ClientFactory) -> None:
    served = await serve(limits={**base_config()["limits"], "message_burst": 2,
                                 "message_interval_s": 60.0})
    a, _ = await joined(connect, "River", served.url)
    b, _ = await joined(connect, "Lake", served.url)
    first = await a.ok("send", {"room": ROOM, "text": "one", "client_id": "1"})
    await a.ok("send", {"room": ROOM, "text": "two", "client_id": "2"})
    assert await a.error("send", {"room": ROOM, "text": "three", "client_id": "3"}) == \
        "rate_limited"
    for _ in range(3):  # the ack was lost: the client sends it again, and again
        again = await a.ok("send", {"room": ROOM, "text": "one", "client_id": "1"})
        assert again["message"] == first["message"]
    await b.wait_for("message", lambda m: m["text"] == "two")
    assert [m["text"] for m in b.seen("message")] == ["one", "two"]  # nothing twice


async def test_a_resend_that_goes_through_takes_no_token(serve: ServeFn,
                                                       connect: ClientFactory) -> None:
    served = await serve(limits={**base_config()["limits"], "message_burst": 2,
                                 "message_interval_s": 60.0})
    a, _ = await joined(connect, "River", served.url)
    first = await a.ok("send", {"room": ROOM, "text": "one", "client_id": "1"})
    for _ in range(3):
        assert (await a.ok("send", {"room": ROOM, "text": "one", "client_id": "1"}))[
            "message"] == first["message"]
    await a.ok("send", {"room": ROOM, "text": "two", "client_id": "2"})  # still allowed


async def test_a_resend_gets_its_first_answer_after_the_room_changed(
        connect: ClientFactory) -> None:
    a, _ = await joined(connect, "River")
    b, _ = await joined(connect, "Lake")
    first = await a.ok("send", {"room": ROOM, "text": "@Lake thanks", "client_id": "1"})
    await b.ok("leave", {"room": ROOM})
    again = await a.ok("send", {"room": ROOM, "text": "@Lake thanks", "client_id": "1"})
    assert again["message"] == first["message"]  # not "blocked": it was posted
