from __future__ import annotations

import pytest

from moderation.ratelimit import (
    Backoff,
    BackoffRule,
    Bucket,
    BucketRule,
    backoff_failed,
    backoff_wait,
    consume,
    give_back,
    held_full_denial,
    rate_denial,
    slow_denial,
    token_wait,
)

RULE = BucketRule(burst=5, interval_s=2.0)


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def drain(state: Bucket | None, clock: FakeClock, n: int) -> tuple[Bucket | None, list[float]]:
    waits = []
    for _ in range(n):
        state, wait = consume(state, RULE, clock.now)
        waits.append(wait)
    return state, waits


def test_burst_then_denied() -> None:
    clock = FakeClock()
    state, waits = drain(None, clock, 5)
    assert waits == [0.0] * 5
    assert state is not None
    denied, wait = consume(state, RULE, clock.now)
    assert wait == pytest.approx(2.0)
    assert denied.tokens == pytest.approx(0.0)


def test_refill_one_token_per_interval() -> None:
    clock = FakeClock()
    state, _ = drain(None, clock, 5)
    assert state is not None
    clock.advance(1.0)
    state, wait = consume(state, RULE, clock.now)
    assert wait == pytest.approx(1.0)
    clock.advance(1.0)
    state, wait = consume(state, RULE, clock.now)
    assert wait == 0.0
    _, wait = consume(state, RULE, clock.now)
    assert wait == pytest.approx(2.0)


def test_refill_caps_at_burst() -> None:
    clock = FakeClock()
    state, _ = drain(None, clock, 5)
    clock.advance(3600)
    state, waits = drain(state, clock, 6)
    assert waits[:5] == [0.0] * 5
    assert waits[5] == pytest.approx(2.0)


def test_float_drift_still_counts_a_whole_token() -> None:
    # (0.3 - 0.1) / 0.2 is 0.9999999999999999 in floating point.
    state = Bucket(tokens=0.0, at=0.1)
    new, wait = consume(state, BucketRule(burst=1, interval_s=0.2), 0.3)
    assert wait == 0.0
    assert new.tokens == 0.0


def test_clock_backwards_grants_nothing() -> None:
    clock = FakeClock()
    state, _ = drain(None, clock, 5)
    assert state is not None
    at = state.at
    clock.advance(-3600)
    state, wait = consume(state, RULE, clock.now)
    assert wait > 0
    assert state.at == at  # the later time is kept, so no interval is counted twice
    clock.advance(3600 + 2.0)
    state, wait = consume(state, RULE, clock.now)
    assert wait == 0.0
    _, wait = consume(state, RULE, clock.now)
    assert wait > 0


def test_clock_backwards_with_fresh_bucket() -> None:
    state, wait = consume(None, RULE, 50.0)
    assert wait == 0.0
    state, wait = consume(state, RULE, 10.0)
    assert wait == 0.0 and state.tokens == pytest.approx(3.0)


@pytest.mark.parametrize(("burst", "interval"), [(0, 1.0), (1, 0.0), (1, -1.0),
                                                 (1, float("nan")), (1, float("inf"))])
def test_rule_rejects_nonsense(burst: int, interval: float) -> None:
    with pytest.raises(ValueError):
        BucketRule(burst=burst, interval_s=interval)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(2.0, 2.0), (1.91, 2.0), (0.30000000000000004, 0.3), (0.0, 0.1), (0.01, 0.1), (12.34, 12.4)],
)
def test_denials_round_up_to_tenth(raw: float, expected: float) -> None:
    rate = rate_denial(raw)
    slow = slow_denial(raw)
    assert rate.code == "rate_limited" and slow.code == "slow_mode"
    assert rate.retry_after == pytest.approx(expected)
    assert slow.retry_after == pytest.approx(expected)
    assert rate.message and slow.message


@pytest.mark.parametrize(("raw", "expected"), [(12.34, 12.4), (0.0, 0.1), (899.0, 60.0)])
def test_a_full_held_list_asks_for_a_short_wait(raw: float, expected: float) -> None:
    # Staff may settle a held message at any moment, and the page holds back every
    # send for `retry_after`: never the whole time until the oldest lapses.
    denial = held_full_denial(raw)
    assert denial.code == "rate_limited" and denial.retry_after == pytest.approx(expected)
    assert "facilitators" in denial.message


def test_backoff_only_delays_and_is_capped() -> None:
    rule = BackoffRule(free=2, base_s=1.0, max_s=8.0, forget_s=100.0)
    state: Backoff | None = None
    waits = []
    now = 0.0
    for _ in range(8):
        state = backoff_failed(state, rule, now)
        waits.append(backoff_wait(state, rule, now))
        now += waits[-1]
    assert waits == [0.0, 0.0, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert backoff_wait(state, rule, now - 1000) <= rule.max_s  # a clock stepping back
    assert backoff_wait(state, rule, now + rule.forget_s) == 0.0
    assert backoff_failed(state, rule, now + rule.forget_s).failures == 1


def test_token_wait_changes_nothing() -> None:
    rule = BucketRule(burst=1, interval_s=10.0)
    assert token_wait(None, rule, 0.0) == 0.0
    assert token_wait(Bucket(0.0, 0.0), rule, 5.0) == 5.0


def test_give_back_returns_one_token_never_above_the_burst() -> None:
    clock = FakeClock()
    state, waits = drain(None, clock, RULE.burst)
    assert waits == [0.0] * RULE.burst and state is not None
    assert consume(state, RULE, clock.now)[1] > 0  # empty
    back = give_back(state, RULE)
    assert back.at == state.at
    assert consume(back, RULE, clock.now)[1] == 0.0  # the token is there again
    full = Bucket(tokens=float(RULE.burst), at=clock.now)
    assert give_back(full, RULE) == full

