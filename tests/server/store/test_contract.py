"""One contract, two stores: MemoryStore and RedisStore must behave the same."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import pytest

from moderation.pii import addressed_as
from moderation.ratelimit import Backoff, Bucket, BucketRule
from moderation.roles import Role
from server.models.live import Alert, HeldMessage, Member, Message, Mute, RoomRuntime, Share
from server.store.base import (
    BucketRead,
    BucketTake,
    LoginLimits,
    SendSnapshot,
    SnapshotMoved,
    Store,
)
from server.store.memory import MemoryStore
from server.store.redis import RedisStore, redis_client
from tests.redis_server import RedisServer

NOW = time.time()


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    if request.param == "memory":
        yield MemoryStore(buffer_messages=5, buffer_seconds=60, idempotency_keys=3)
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    server.flush()
    redis_store = RedisStore(redis_client(server.url), process_id="p1", buffer_messages=5,
                             buffer_seconds=60, idempotency_keys=3)
    yield redis_store
    await redis_store.close()


def member(member_id: str = "m1", room: str = "r", joined_at: float = NOW) -> Member:
    return Member(member_id, room, f"handle-{member_id}", Role.MEMBER, "dev-" + member_id,
                  "p1", joined_at)


def message(message_id: str, ts: float = NOW) -> Message:
    return Message(message_id, "r", 0, {"id": "m1", "handle": "River", "role": "member"},
                   f"text {message_id}", ts)


async def test_runtime_round_trip(store: Store) -> None:
    assert await store.get_runtime("r") is None
    runtime = RoomRuntime(status="lobby", locked=True, paused=True, slow_mode=30,
                          phase="shares", queue=("a", "b"), share=Share("a", NOW + 180),
                          pinned="Welcome", opened_at=NOW, away=(("b", NOW - 5),))
    await store.put_runtime("r", runtime)
    assert await store.get_runtime("r") == runtime


async def test_members(store: Store) -> None:
    await store.put_member(member("m2", joined_at=NOW + 1))
    await store.put_member(member("m1"))
    assert [m.id for m in await store.members("r")] == ["m1", "m2"]
    assert await store.member_count("r") == 2
    assert await store.get_member("r", "m1") == member("m1")
    assert await store.get_member("other", "m1") is None
    assert await store.remove_member("r", "m1") == member("m1")
    assert await store.remove_member("r", "m1") is None
    assert await store.member_count("r") == 1
    await store.revoke_member("r", "m2", 60)
    assert await store.is_revoked("r", "m2") and not await store.is_revoked("r", "m1")


async def test_a_membership_is_stored_only_while_nobody_ended_it(store: Store) -> None:
    assert await store.put_member(member("m1"))
    assert not await store.put_member(member("m3"), only_if_present=True)  # never there
    promoted = replace(member("m1"), role=Role.FACILITATOR)
    assert await store.put_member(promoted, only_if_present=True)
    assert await store.get_member("r", "m1") == promoted
    moved = replace(promoted, process="p2")  # resumed through another process
    assert not await store.put_member(moved, only_if_present=True)
    assert await store.get_member("r", "m1") == promoted
    await store.remove_member("r", "m1")
    assert not await store.put_member(promoted, only_if_present=True)  # removed meanwhile
    await store.revoke_member("r", "m1", 60)
    assert not await store.put_member(member("m1"))  # staff ended it: not even a fresh put
    assert await store.members("r") == [] and await store.member_count("r") == 0


async def test_a_membership_held_by_another_process_is_not_removed_for_this_one(
        store: Store) -> None:
    await store.put_member(member("m1"))  # held by "p1"
    assert await store.remove_member("r", "m1", process="p2") is None
    assert await store.get_member("r", "m1") == member("m1")
    assert await store.remove_member("r", "m1", process="p1") == member("m1")


def named(member_id: str, handle: str) -> Member:
    return Member(member_id, "r", handle, Role.MEMBER, "dev-" + member_id, "p1", NOW,
                  addressed_as=addressed_as(handle))


async def present(store: Store, *keys: str) -> frozenset[str]:
    snapshot = await store.send_snapshot("r", "m1", ["m1"], [], NOW, keys)
    return snapshot.present


async def test_the_snapshot_says_which_names_members_go_by(store: Store) -> None:
    sam, sam_r = addressed_as("Sam Jones"), addressed_as("Sam R")
    assert sam[1] == sam_r[1] == "sam"  # "@Sam" may mean either
    await store.put_member(named("m1", "Sam Jones"))
    await store.put_member(named("m2", "Sam R"))
    await store.put_member(named("m2", "Sam R"))  # put again: counted once
    assert await present(store, "sam", sam[0], sam_r[0], "lake") == {"sam", *sam, *sam_r}
    assert await present(store) == frozenset()
    await store.remove_member("r", "m2")
    assert await present(store, "sam", sam_r[0]) == {"sam"}  # Sam Jones is still here
    assert await store.remove_member("r", "m2") is None
    await store.remove_member("r", "m1")
    assert await present(store, "sam", sam[0]) == frozenset()
    # A record kept before members carried their keys is read, and names nobody.
    await store.put_member(member("m3"))
    assert (await store.get_member("r", "m3")) == member("m3")
    assert await present(store, "handlem3") == frozenset()


async def test_a_room_emptied_forgets_counts_an_older_process_left_behind(
        redis_server: RedisServer) -> None:
    """A process of a version before the counts removes members with a plain HDEL;
    the counts it leaves behind end when the room's last member goes."""
    redis_server.flush()
    store = RedisStore(redis_client(redis_server.url), process_id="p1")
    try:
        await store.put_member(named("m1", "Sam Jones"))
        await store.put_member(named("m2", "Lake"))
        await store.redis.hdel("pr:room:{r}:members", "m1")  # the older process's way
        assert "sam" in await present(store, "sam")  # drifted: Sam is gone
        await store.remove_member("r", "m2")
        assert await present(store, "sam") == frozenset()
        assert not await store.redis.exists("pr:room:{r}:addressed")
    finally:
        await store.close()


async def test_a_resent_idempotency_key_is_known_within_its_window(store: Store) -> None:
    posted = await store.post_message("r", message("a"), "m1:c1", NOW)
    assert await store.posted("r", "m1:c1", NOW + 1) == (posted.id, posted.seq)
    assert await store.posted("r", "m1:c2", NOW + 1) is None
    assert await store.posted("r", "m1:c1", NOW + 16 * 60) is None  # past the 15 minutes
    # A resend is answered before any token is taken: a bucket read long ago, moved
    # since, does not refuse it.
    stale = BucketTake(BucketRead("msg:m1", None, version=None), Bucket(0.0, NOW), 60)
    await put_bucket(store, "msg:m1", 3, room_id="r")
    again = await store.post_message("r", message("b"), "m1:c1", NOW + 2, [stale])
    assert (again.id, again.seq, again.created) == (posted.id, posted.seq, False)
    assert await get_bucket(store, "msg:m1", "r") == Bucket(3.0, NOW)


async def test_a_claim_is_made_once_and_can_be_looked_at(store: Store) -> None:
    assert not await store.claimed("private:r:x")
    assert await store.claim("private:r:x", 60)
    assert not await store.claim("private:r:x", 60)
    assert await store.claimed("private:r:x") and not await store.claimed("private:r:y")


async def test_mutes(store: Store) -> None:
    await store.set_mute("r", ["m1", "dev"], Mute(NOW + 60), NOW)
    assert await store.get_mute("r", ["dev"], NOW) == Mute(NOW + 60)
    assert await store.get_mute("r", ["m1"], NOW + 61) is None
    assert await store.get_mute("other", ["m1"], NOW) is None
    await store.set_mute("r", ["m2"], Mute(None), NOW)
    assert await store.get_mute("r", ["x", "m2"], NOW + 10**6) == Mute(None)
    await store.clear_mute("r", ["m1", "dev", "m2"])
    assert await store.get_mute("r", ["m1", "dev", "m2"], NOW) is None


async def put_bucket(store: Store, key: str, tokens_left: int,
                     room_id: str | None = None) -> None:
    """Leave `key` holding `tokens_left` tokens as of NOW: one take from a bucket of one more."""
    assert await store.take_tokens([(key, BucketRule(tokens_left + 1, 60.0))], NOW,
                                   room_id) == 0.0


async def get_bucket(store: Store, key: str, room_id: str) -> Bucket | None:
    """A room's bucket as a send's snapshot reads it."""
    [read] = (await store.send_snapshot(room_id, "nobody", [], [key], NOW)).buckets
    return read.bucket


async def test_tokens_are_taken_all_or_none(store: Store) -> None:
    one, two = BucketRule(1, 60.0), BucketRule(2, 60.0)
    assert await store.take_tokens([("k", two)], NOW) == 0.0
    assert await store.take_tokens([("k", two), ("j", one)], NOW) == 0.0
    # "k" is empty, half refilled: the wait is k's, and the fresh "i" keeps its token.
    assert await store.take_tokens([("i", one), ("k", two)], NOW + 30) == 30.0
    assert await store.take_tokens([("i", one)], NOW + 30) == 0.0
    assert await store.take_tokens([("k", two)], NOW + 60) == 0.0
    assert await store.take_tokens([("j", one)], NOW + 1) == 59.0
    # A room's "k" is another bucket than the site's.
    assert await store.take_tokens([("k", one)], NOW + 60, "r") == 0.0
    assert await get_bucket(store, "k", "r") == Bucket(0.0, NOW + 60)


async def test_tokens_taken_at_once_are_each_one_token(store: Store) -> None:
    # Twelve events on one key at the same moment (an address, many processes):
    # exactly the burst gets through, and none has to retry another.
    rule = BucketRule(3, 60.0)
    waits = await asyncio.gather(*(store.take_tokens([("join-address:a", rule)], NOW)
                                   for _ in range(12)))
    assert sorted(waits) == [0.0] * 3 + [60.0] * 9


async def test_revoked_tokens_until_they_would_have_expired(store: Store) -> None:
    epoch = await store.session_epoch()
    assert not await store.token_revoked("t1", "Sam", NOW - 10, NOW, epoch=epoch)
    await store.revoke_token("t1", NOW + 60, NOW)
    assert await store.token_revoked("t1", "Sam", NOW - 10, NOW + 30, epoch=epoch)
    assert not await store.token_revoked("t2", "Sam", NOW - 10, NOW + 30, epoch=epoch)
    # Past the token's own expiry the entry is gone: nothing grows without bound.
    assert not await store.token_revoked("t1", "Sam", NOW - 10, NOW + 61, epoch=epoch)


async def test_revoking_a_facilitator_ends_tokens_issued_until_then(store: Store) -> None:
    epoch = await store.session_epoch()
    await store.revoke_tokens_before("Sam", NOW, NOW + 60, NOW)
    assert await store.token_revoked("t1", "Sam", NOW - 100, NOW + 1, epoch=epoch)
    assert await store.token_revoked("t2", "Sam", NOW, NOW + 1, epoch=epoch)
    assert not await store.token_revoked("t3", "Sam", NOW + 1, NOW + 1, epoch=epoch)
    assert not await store.token_revoked("t1", "Alex", NOW - 100, NOW + 1, epoch=epoch)
    # An earlier cut-off never moves the later one back.
    await store.revoke_tokens_before("Sam", NOW - 50, NOW + 10, NOW)
    assert await store.token_revoked("t4", "Sam", NOW - 10, NOW + 30, epoch=epoch)
    assert not await store.token_revoked("t1", "Sam", NOW - 100, NOW + 61, epoch=epoch)


async def test_sessions_from_another_epoch_are_refused(store: Store) -> None:
    epoch = await store.session_epoch()
    assert epoch and await store.session_epoch() == epoch  # stable while the store lives
    assert not await store.token_revoked("t1", "Sam", NOW, NOW, epoch=epoch)
    assert await store.token_revoked("t1", "Sam", NOW, NOW, epoch="another")
    assert await store.token_revoked("t1", "Sam", NOW, NOW, epoch=None)  # from before epochs
    if isinstance(store, RedisStore):
        await store.redis.flushall()  # Redis lost everything: the logouts too
        assert await store.token_revoked("t1", "Sam", NOW, NOW, epoch=epoch)
        assert await store.session_epoch() != epoch
    else:
        assert await MemoryStore().session_epoch() != epoch  # a new process


async def test_post_assigns_seq_is_idempotent_and_caps_the_buffer(store: Store) -> None:
    first = await store.post_message("r", message("a"), "m1:c1", NOW)
    assert (first.id, first.seq, first.created) == ("a", 1, True)
    again = await store.post_message("r", message("a2"), "m1:c1", NOW)
    assert (again.id, again.seq, again.created) == ("a", 1, False)
    for i in range(7):
        await store.post_message("r", message(f"m{i}"), f"m1:k{i}", NOW)
    assert await store.latest_seq("r") == 8
    buffered = await store.messages_after("r", 0, NOW)
    assert [m.seq for m in buffered] == [4, 5, 6, 7, 8]  # capped at 5
    assert [m.seq for m in await store.messages_after("r", 6, NOW)] == [7, 8]
    assert buffered[0].text == "text m2"
    assert await store.latest_seq("other") == 0


async def test_idempotency_keys_are_capped_per_room_oldest_first(store: Store) -> None:
    for i in range(5):
        await store.post_message("r", message(f"a{i}"), f"k{i}", NOW)
    for i in (2, 3, 4):  # the newest three are remembered
        again = await store.post_message("r", message(f"b{i}"), f"k{i}", NOW)
        assert (again.id, again.seq, again.created) == (f"a{i}", i + 1, False)
    forgotten = await store.post_message("r", message("c0"), "k0", NOW)
    assert (forgotten.seq, forgotten.created) == (6, True)
    # A key outlives neither its 15 minutes nor the cap.
    late = await store.post_message("r", message("c4"), "k4", NOW + 16 * 60)
    assert late.created
    if isinstance(store, RedisStore):
        assert await store.redis.hlen("pr:room:{r}:posted") <= 3
        assert await store.redis.zcard("pr:room:{r}:posted_at") <= 3


async def test_the_bans_marker_holds_until_bans_change(store: Store) -> None:
    first = await store.bans_marker()
    assert first and await store.bans_marker() == first
    await store.bans_changed()
    second = await store.bans_marker()
    assert second and second != first and await store.bans_marker() == second


async def test_forget_room_keeps_only_seq_runtime_and_revocations(store: Store) -> None:
    await store.put_runtime("r", RoomRuntime(status="closed"))
    await store.post_message("r", message("a"), "k1", NOW)
    await store.hold_message(HeldMessage("h1", "r", {"id": "m1"}, "dev", "words", NOW))
    await store.set_mute("r", ["m1"], Mute(None), NOW)
    await put_bucket(store, "msg:m1", 1, room_id="r")
    await put_bucket(store, "join:dev", 0)
    await store.revoke_member("r", "m1", 60)
    await store.open_private("r", "m1", NOW)
    await store.keep_alert(Alert("a1", "r", "pii", "m1", NOW))
    await store.forget_room("r")
    assert not await store.private_open("r", "m1")
    assert await store.messages_after("r", 0, NOW) == []
    assert await store.take_held("r", "h1") is None
    assert await store.get_mute("r", ["m1"], NOW) is None
    assert await get_bucket(store, "msg:m1", "r") is None
    # Not the room's: "join:dev" is still empty.
    assert await store.take_tokens([("join:dev", BucketRule(1, 60.0))], NOW) > 0
    assert await store.is_revoked("r", "m1")
    assert await store.latest_seq("r") == 1
    assert await store.get_runtime("r") == RoomRuntime(status="closed")
    if isinstance(store, MemoryStore):
        assert set(store.footprint("r")) == {"seq", "runtime", "revoked"}
    else:
        parts = {k.decode().split("}:", 1)[1]
                 async for k in store.redis.scan_iter(match="pr:room:{r}:*")}
        assert parts == {"seq", "runtime", "revoked:m1"}


async def test_buffer_ages_out(store: Store) -> None:
    await store.post_message("r", message("old", NOW - 120), "k1", NOW - 120)
    await store.post_message("r", message("new"), "k2", NOW)
    assert [m.id for m in await store.messages_after("r", 0, NOW)] == ["new"]


async def test_delete_and_clear(store: Store) -> None:
    await store.post_message("r", message("a"), "k1", NOW)
    await store.post_message("r", message("b"), "k2", NOW)
    deleted = await store.delete_message("r", "a")
    assert deleted is not None and deleted.text == "text a" and deleted.seq == 1
    assert await store.get_message("r", "a") is None
    assert [m.id for m in await store.messages_after("r", 0, NOW)] == ["b"]
    await store.clear_messages("r")
    assert await store.messages_after("r", 0, NOW) == []
    # seq keeps counting after a clear: an old last_seq never matches anew.
    posted = await store.post_message("r", message("c"), "k3", NOW)
    assert posted.seq == 3


async def test_held_messages(store: Store) -> None:
    held = HeldMessage("h1", "r", {"id": "m1"}, "dev", "words", NOW)
    await store.hold_message(held)
    assert await store.held_messages("r", NOW) == [held]
    assert await store.take_held("r", "h1") == held
    assert await store.take_held("r", "h1") is None
    assert await store.held_messages("r", NOW) == []


def held(held_id: str, ts: float, room: str = "r") -> HeldMessage:
    return HeldMessage(held_id, room, {"id": "m1"}, "dev", "x", ts)


async def test_held_messages_are_listed_oldest_first_within_the_buffer(store: Store) -> None:
    # buffer_messages=5, buffer_seconds=60 (the fixture)
    assert await store.hold_message(held("old", NOW - 120)) == 0.0
    for i in range(5):  # "old" has lapsed: it makes room, nothing waiting does
        assert await store.hold_message(held(f"h{i}", NOW + i)) == 0.0
    listed = await store.held_messages("r", NOW + 5)
    assert [h.id for h in listed] == ["h0", "h1", "h2", "h3", "h4"]
    assert await store.held_messages("r", NOW + 63.5) == listed[-1:]  # the rest aged out
    assert await store.held_messages("other", NOW) == []


async def test_a_full_room_refuses_the_next_held_message_and_keeps_every_earlier_one(
        store: Store) -> None:
    for i in range(5):
        assert await store.hold_message(held(f"h{i}", NOW + i)) == 0.0
    # Full: the new one is refused, with the wait until the oldest (h0) lapses.
    assert await store.hold_message(held("h5", NOW + 5)) == pytest.approx(55)
    assert [h.id for h in await store.held_messages("r", NOW + 5)] == \
        ["h0", "h1", "h2", "h3", "h4"]
    assert await store.hold_message(held("elsewhere", NOW + 5, room="r2")) == 0.0
    # Staff settling one makes room for one.
    assert await store.take_held("r", "h2") is not None
    assert await store.hold_message(held("h5", NOW + 6)) == 0.0
    assert await store.hold_message(held("h6", NOW + 7)) == pytest.approx(53)
    # So does the oldest lapsing (staff no longer see it anyway).
    assert await store.hold_message(held("h7", NOW + 60.5)) == 0.0
    assert [h.id for h in await store.held_messages("r", NOW + 60.5)] == \
        ["h1", "h3", "h4", "h5", "h7"]


async def test_holds_at_once_never_take_more_places_than_the_room_has(store: Store) -> None:
    await store.hold_message(held("first", NOW))
    waits = await asyncio.gather(*(store.hold_message(held(f"h{i}", NOW + 1))
                                   for i in range(10)))
    assert sorted(waits)[:4] == [0.0] * 4 and all(w > 0 for w in sorted(waits)[4:])
    ids = [h.id for h in await store.held_messages("r", NOW + 1)]
    assert len(ids) == 5 and ids[0] == "first"


def alert(alert_id: str, ts: float = NOW, room: str = "r") -> Alert:
    return Alert(alert_id, room, "crisis", "m1", ts, message_id="msg", text="the words")


async def test_alerts_are_kept_oldest_first_capped_and_age_out(store: Store) -> None:
    await store.keep_alert(Alert("report", "r", "report", "m2", NOW, message_id="msg",
                                 reporter_id="m3", reason="rude"))
    assert await store.alerts("r", NOW) == [Alert("report", "r", "report", "m2", NOW,
                                                  message_id="msg", reporter_id="m3",
                                                  reason="rude")]
    for i in range(6):
        await store.keep_alert(alert(f"a{i}", NOW + i))
    assert [a.id for a in await store.alerts("r", NOW + 6)] == ["a1", "a2", "a3", "a4", "a5"]
    assert [a.id for a in await store.alerts("r", NOW + 62.5)] == ["a3", "a4", "a5"]
    assert await store.alerts("other", NOW) == []


async def test_a_flood_of_reports_never_pushes_out_a_crisis_alert(store: Store) -> None:
    await store.keep_alert(alert("crisis", NOW))
    for i in range(20):  # the cap is 5 here
        await store.keep_alert(Alert(f"r{i}", "r", "report", "m2", NOW + 1 + i,
                                     message_id="msg", reporter_id=f"m{i}", reason="spam"))
    kept = [a.id for a in await store.alerts("r", NOW + 30)]
    assert kept == ["crisis", "r15", "r16", "r17", "r18", "r19"]  # oldest first


async def test_a_closed_meeting_leaves_no_alerts(store: Store) -> None:
    report = Alert("p1", "r", "report", "m2", NOW, message_id="msg", reporter_id="m3")
    await store.keep_alert(alert("a1"))
    await store.keep_alert(report)
    await store.forget_room("r")
    assert await store.alerts("r", NOW) == []
    await store.keep_alert(alert("a2"))
    await store.keep_alert(report)
    await store.clear_messages("r")
    assert await store.alerts("r", NOW) == []


async def test_room_lock_serialises(store: Store) -> None:
    order: list[str] = []
    b_waiting = asyncio.Event()

    async def a() -> None:
        async with store.room_lock("r"):
            order.append("a in")
            b_task = asyncio.create_task(b())
            await asyncio.wait_for(b_waiting.wait(), 5)
            # A round trip while holding the lock: a lock that let b in would show now.
            await store.get_runtime("r")
            order.append("a out")
        await asyncio.wait_for(b_task, 15)

    async def b() -> None:
        order.append("b waiting")
        b_waiting.set()
        async with store.room_lock("r"):
            order.append("b in")

    await a()
    assert order == ["a in", "b waiting", "a out", "b in"]


async def test_other_rooms_locks_do_not_contend(store: Store) -> None:
    async with store.room_lock("r"), store.room_lock("other"):
        entered = True
    assert entered


async def test_private_lines_open_once_close_and_stay_per_room(store: Store) -> None:
    assert not await store.private_open("r", "m1")
    assert await store.open_private("r", "m1", NOW)
    assert not await store.open_private("r", "m1", NOW + 1)  # already open: continued
    assert await store.open_private("r", "m2", NOW)
    assert await store.private_open("r", "m1")
    assert not await store.private_open("other", "m1")
    assert sorted(await store.private_lines("r")) == ["m1", "m2"]
    await store.close_private("r", ["m1", "nobody"])
    await store.close_private("r", [])
    assert not await store.private_open("r", "m1")
    assert await store.private_lines("r") == ["m2"]
    await store.close_private("r", ["m2"])
    assert await store.private_lines("r") == []
    if isinstance(store, MemoryStore):
        assert "private" not in store.footprint("r")


async def test_send_snapshot_reads_member_runtime_mute_and_buckets(store: Store) -> None:
    empty = await store.send_snapshot("r", "m1", ["m1", "dev-m1"], ["msg:m1", "slow:m1"], NOW)
    assert empty.member is None and empty.runtime is None and empty.mute is None
    assert [(b.key, b.bucket) for b in empty.buckets] == [("msg:m1", None), ("slow:m1", None)]
    await store.put_member(member("m1"))
    await store.put_runtime("r", RoomRuntime(slow_mode=30))
    await store.set_mute("r", ["dev-m1"], Mute(NOW + 60), NOW)
    await put_bucket(store, "msg:m1", 2, room_id="r")
    full = await store.send_snapshot("r", "m1", ["m1", "dev-m1"], ["msg:m1", "slow:m1"], NOW)
    assert full.member == member("m1") and full.runtime == RoomRuntime(slow_mode=30)
    assert full.mute == Mute(NOW + 60)
    assert [b.bucket for b in full.buckets] == [Bucket(2.0, NOW), None]
    later = await store.send_snapshot("r", "m1", ["m1", "dev-m1"], [], NOW + 61)
    assert later.mute is None and later.buckets == ()


async def test_a_post_takes_tokens_only_from_buckets_that_did_not_move(store: Store) -> None:
    read = (await store.send_snapshot("r", "m1", ["m1"], ["msg:m1"], NOW)).buckets[0]
    posted = await store.post_message("r", message("a"), "k1", NOW,
                                      [BucketTake(read, Bucket(4.0, NOW), 60)])
    assert posted.created and posted.seq == 1
    assert await get_bucket(store, "msg:m1", "r") == Bucket(4.0, NOW)
    # The same read again: the bucket has moved since, so nothing is stored.
    with pytest.raises(SnapshotMoved):
        await store.post_message("r", message("b"), "k2", NOW,
                                 [BucketTake(read, Bucket(4.0, NOW), 60)])
    assert await store.latest_seq("r") == 1
    assert await get_bucket(store, "msg:m1", "r") == Bucket(4.0, NOW)
    fresh = (await store.send_snapshot("r", "m1", ["m1"], ["msg:m1"], NOW)).buckets[0]
    posted = await store.post_message("r", message("b"), "k2", NOW,
                                      [BucketTake(fresh, Bucket(3.0, NOW), 60)])
    assert posted.seq == 2 and await get_bucket(store, "msg:m1", "r") == Bucket(3.0, NOW)


async def _snapshot_of_a_talking_member(store: Store) -> SendSnapshot:
    await store.put_member(member("m1"))
    await store.put_runtime("r", RoomRuntime())
    return await store.send_snapshot("r", "m1", ["m1", "dev-m1"], ["msg:m1"], NOW, fresh=True)


SNAPSHOT_CHANGES: dict[str, Callable[[Store], Awaitable[object]]] = {
    "a mute": lambda s: s.set_mute("r", ["dev-m1"], Mute(NOW + 60), NOW),
    "a pause": lambda s: s.put_runtime("r", RoomRuntime(paused=True)),
    "a removal": lambda s: s.remove_member("r", "m1"),
    "a promotion": lambda s: s.put_member(replace(member("m1"), role=Role.FACILITATOR)),
}


@pytest.mark.parametrize("change", SNAPSHOT_CHANGES)
async def test_a_post_stores_nothing_when_what_its_snapshot_read_changed(
        store: Store, change: str) -> None:
    snapshot = await _snapshot_of_a_talking_member(store)
    await SNAPSHOT_CHANGES[change](store)
    with pytest.raises(SnapshotMoved):
        await store.post_message("r", message("a"), "k1", NOW, [], snapshot)
    assert await store.latest_seq("r") == 0
    assert await store.posted("r", "k1", NOW) is None


async def test_a_post_on_an_unchanged_snapshot_is_stored_and_a_resend_keeps_its_answer(
        store: Store) -> None:
    snapshot = await _snapshot_of_a_talking_member(store)
    posted = await store.post_message("r", message("a"), "k1", NOW, [], snapshot)
    assert posted.created and posted.seq == 1
    # Muted after it was posted: a resend is still answered as the first time.
    await store.set_mute("r", ["m1"], Mute(NOW + 60), NOW)
    again = await store.post_message("r", message("a"), "k1", NOW, [], snapshot)
    assert (again.id, again.seq, again.created) == (posted.id, 1, False)


async def test_login_limits_swap_only_what_was_read(store: Store) -> None:
    empty = await store.login_limits("192.0.2.1", "account", "sam")
    assert (empty.address, empty.account) == (None, None)
    charged = LoginLimits(Bucket(9.0, NOW), Backoff(1, NOW, NOW))
    ttl = {"address_ttl_s": 60, "account_ttl_s": 60}
    assert await store.swap_login_limits("192.0.2.1", "account", "sam", empty, charged, **ttl)
    seen = await store.login_limits("192.0.2.1", "account", "sam")
    assert (seen.address, seen.account) == (charged.address, charged.account)
    # A second swap from the same (now stale) read stores nothing: another attempt,
    # here or on another process, charged these limits first.
    again = LoginLimits(Bucket(8.0, NOW), Backoff(2, NOW, NOW))
    assert not await store.swap_login_limits("192.0.2.1", "account", "sam", empty, again,
                                             **ttl)
    assert (await store.login_limits("192.0.2.1", "account", "sam")).account == Backoff(1, NOW, NOW)
    # Each kind of account and each address is its own limit.
    assert (await store.login_limits("192.0.2.1", "stranger", "sam")).account is None
    assert (await store.login_limits("192.0.2.2", "account", "sam")).address is None
    # Without an address only the account is read and written; None forgets it.
    alone = await store.login_limits(None, "account", "sam")
    assert (alone.address, alone.account) == (None, Backoff(1, NOW, NOW))
    assert await store.swap_login_limits(None, "account", "sam", alone,
                                         LoginLimits(None, None), **ttl)
    after = await store.login_limits("192.0.2.1", "account", "sam")
    assert (after.address, after.account) == (Bucket(9.0, NOW), None)


async def test_login_limits_lapse(store: Store) -> None:
    seen = await store.login_limits("192.0.2.1", "known", "proof")
    assert await store.swap_login_limits(
        "192.0.2.1", "known", "proof", seen, LoginLimits(Bucket(1.0, NOW), Backoff(5, NOW, NOW)),
        address_ttl_s=0.05, account_ttl_s=0.05)
    deadline = time.monotonic() + 5
    while (await store.login_limits("192.0.2.1", "known", "proof")).account is not None:
        assert time.monotonic() < deadline, "the login limits never lapsed"
        await asyncio.sleep(0.01)  # polling a TTL: no event says it lapsed
    assert (await store.login_limits("192.0.2.1", "known", "proof")).address is None
