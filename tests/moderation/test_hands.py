"""Which places in the hand queue are kept for people who are not there."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from moderation.hands import dropped, kept_places

NOW = 1_000_000.0
KEEP = 3600.0


def test_a_place_lasts_for_keep_s_after_the_drop_and_not_a_moment_more() -> None:
    queue, away = ("a", "b", "c"), (("a", NOW - KEEP), ("c", NOW - KEEP + 1))
    assert kept_places(queue, away, NOW, keep_s=KEEP, most=10) == (queue, away)
    assert kept_places(queue, away, NOW + 1, keep_s=KEEP, most=10) == (
        ("b", "c"), (("c", NOW - KEEP + 1),))
    # b has no drop time: taken to be present, however much time passes.
    assert kept_places(queue, away, NOW + 2 * KEEP, keep_s=KEEP, most=10) == (("b",), ())


def test_past_the_most_kept_the_longest_gone_lose_their_places_first() -> None:
    queue = ("here", "g1", "g2", "g3", "g4")
    away = (("g1", NOW - 4), ("g2", NOW - 3), ("g3", NOW - 2), ("g4", NOW - 1))
    assert kept_places(queue, away, NOW, keep_s=KEEP, most=2) == (
        ("here", "g3", "g4"), (("g3", NOW - 2), ("g4", NOW - 1)))


def test_with_the_members_read_a_place_nobody_saw_dropped_is_timed_from_now() -> None:
    # "b": a hand raised as its member left, never noted; "a": back (resumed).
    queue, away = ("a", "b", "c"), (("a", NOW - 10),)
    assert kept_places(queue, away, NOW, keep_s=KEEP, most=10, present={"a", "c"}) == (
        queue, (("b", NOW),))
    assert kept_places(queue, (("b", NOW),), NOW + KEEP + 1, keep_s=KEEP, most=10,
                       present={"a", "c"}) == (("a", "c"), ())


def test_a_drop_is_noted_only_for_a_place_and_from_the_latest_drop() -> None:
    assert dropped(("a",), (), "b", NOW) == ()
    assert dropped(("a", "b"), (("a", NOW - 5),), "a", NOW) == (("a", NOW),)
    assert dropped(("a", "b"), (("a", NOW - 5),), "b", NOW) == (("a", NOW - 5), ("b", NOW))


ids = st.sampled_from([f"m{n}" for n in range(12)])


@given(queue=st.lists(ids, unique=True).map(tuple),
       drops=st.lists(st.tuples(ids, st.floats(NOW - 2 * KEEP, NOW))),
       present=st.none() | st.sets(ids), most=st.integers(0, 5))
def test_the_queue_never_holds_more_than_the_present_and_the_most_kept(
        queue: tuple[str, ...], drops: list[tuple[str, float]], present: set[str] | None,
        most: int) -> None:
    away: tuple[tuple[str, float], ...] = ()
    for member_id, at in sorted(drops, key=lambda d: d[1]):
        away = dropped(queue, away, member_id, at)
    kept, kept_away = kept_places(queue, away, NOW, keep_s=KEEP, most=most, present=present)
    absent = {m for m, _ in kept_away}
    assert len(kept_away) <= most and absent <= set(kept)
    assert all(at + KEEP >= NOW for _, at in kept_away)
    assert [m for m in queue if m in kept] == list(kept)  # the order holds
    here = set(queue) - {m for m, _ in away} if present is None else present
    assert {m for m in queue if m in here} <= set(kept)  # nobody present loses a place
    assert kept_places(kept, kept_away, NOW, keep_s=KEEP, most=most,
                       present=present) == (kept, kept_away)
