"""The in-memory store stays bounded by configuration under steady traffic (issue 12).

Work is counted through the structures themselves (what was evicted, whether a map
was rebuilt), never by timing.
"""

from __future__ import annotations

import gc

from moderation.ratelimit import Bucket
from server.models.live import HeldMessage, Message
from server.store.base import BucketTake
from server.store.memory import MemoryStore
from tests.server.store.test_contract import NOW, get_bucket, message, put_bucket


async def post(store: MemoryStore, key: str, now: float = NOW) -> tuple[int, bool]:
    posted = await store.post_message("r", message(f"id-{key}-{now}"), key, now)
    return posted.seq, posted.created


async def test_idempotency_keys_past_the_cap_evict_the_oldest_and_stay_at_the_cap() -> None:
    store = MemoryStore(idempotency_keys=1000)
    for i in range(1000):
        await post(store, f"k{i}")
    window = store._posted["r"]
    assert len(window) == 1000 and window.evicted == 0
    for i in range(1000, 1100):
        await post(store, f"k{i}")
        # The map stays at its cap, in posting order, and is never rebuilt.
        assert len(window) == 1000
    assert store._posted["r"] is window
    # Each post past the cap did one eviction, of the oldest key: no scan, no rebuild.
    assert window.evicted == 100
    assert next(iter(window)) == "k100"
    # Forgotten keys post anew; remembered ones still answer the first post.
    assert await post(store, "k99") == (1101, True)
    assert await post(store, "k1099") == (1100, False)


async def test_lapsed_idempotency_keys_leave_from_the_front() -> None:
    store = MemoryStore(idempotency_keys=1000)
    for i in range(10):
        await post(store, f"old{i}", NOW)
    await post(store, "new", NOW + 16 * 60)  # past the 15-minute window
    assert list(store._posted["r"]) == ["new"]
    assert await post(store, "old0", NOW + 16 * 60) == (12, True)


async def test_rate_buckets_and_revocations_are_capped() -> None:
    store = MemoryStore(live_entries=1000)
    for i in range(1500):
        await put_bucket(store, f"msg:m{i}", 1, room_id="r")
        await store.revoke_member("r", f"m{i}", 60)
    assert len(store._buckets) == 1000 and len(store._revoked) == 1000
    assert await get_bucket(store, "msg:m0", "r") is None
    assert await get_bucket(store, "msg:m1499", "r") == Bucket(1.0, NOW)


async def test_sweep_ages_out_an_idle_room_and_what_lapsed() -> None:
    store = MemoryStore(buffer_messages=500, buffer_seconds=60)
    await post(store, "k1", NOW)
    await store.hold_message(HeldMessage("h1", "r", {"id": "m1"}, "dev", "words", NOW))
    # A bucket that lapses at once (a take stored with no time to live).
    [read] = (await store.send_snapshot("r", "m1", [], ["msg:m1"], NOW)).buckets
    await store.post_message("r", message("b"), "k2", NOW,
                             [BucketTake(read, Bucket(1.0, NOW), 0.0)])
    await store.sweep(NOW + 61)
    # No later post touched the room, yet its text is gone (and its memory with it).
    assert set(store.footprint("r")) == {"seq", "posted"}
    await store.sweep(NOW + 16 * 60)
    assert set(store.footprint("r")) == {"seq"}
    assert len(store._buckets) == 0


async def test_held_messages_per_room_are_capped_by_the_buffer_size() -> None:
    store = MemoryStore(buffer_messages=10, buffer_seconds=60)
    for i in range(15):
        await store.hold_message(HeldMessage(f"h{i}", "r", {"id": "m1"}, "dev", "w", NOW))
    assert store.footprint("r")["held"] == 10
    # Past the cap the new ones are refused: the earliest still wait for staff.
    assert await store.take_held("r", "h14") is None
    assert await store.take_held("r", "h0") is not None


async def test_steady_posting_past_fifty_thousand_keys_never_rebuilds_the_map() -> None:
    """The issue's shape with the default settings: 50,000 young keys used to make every
    further post rebuild the whole idempotency map."""
    store = MemoryStore()
    for i in range(50_001):
        await store.post_message("r", message(f"m{i}"), f"k{i}", NOW)
    posted = store._posted
    await store.post_message("r", message("one-more"), "one-more", NOW)
    assert store._posted is posted  # not rebuilt
    window = posted["r"]
    # 50,002 posts, at most 1,000 remembered: every post past the cap evicted one key.
    assert len(window) == window.max_size == 1000
    assert window.evicted == 50_002 - 1000


async def test_buffered_messages_are_nothing_the_garbage_collector_walks() -> None:
    # A full collection walks every tracked object; a busy room's buffer of Message
    # objects (and their authors' dicts) made it tens of ms longer (docs/performance.md).
    store = MemoryStore(buffer_messages=50)
    for i in range(50):
        await store.post_message("gc-room", message(f"gc-{i}"), f"gc-k{i}", NOW)
    gc.collect()
    walked = [o for o in gc.get_objects()
              if isinstance(o, Message) and o.id.startswith("gc-")]
    assert walked == []
    # What the buffer holds still reads back as the messages posted.
    replayed = await store.messages_after("gc-room", 0, NOW)
    assert [m.id for m in replayed] == [f"gc-{i}" for i in range(50)]
    assert replayed[0] == (await store.get_message("gc-room", "gc-0"))
    assert replayed[0].author == message("gc-0").author and replayed[0].seq == 1
