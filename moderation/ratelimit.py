"""Rate limits with the clock passed in: a token bucket and slow mode.

State is a small frozen value the caller stores (in memory or Redis) and
hands back next time; nothing here reads the time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from moderation.decisions import Denial

# Float sums like 0.1 + 0.2 land a hair under a whole token; count that as whole.
EPSILON = 1e-9


@dataclass(frozen=True)
class Bucket:
    """A token bucket's state: ``tokens`` left as of time ``at`` (epoch seconds)."""

    tokens: float
    at: float


@dataclass(frozen=True)
class BucketRule:
    """Up to ``burst`` actions at once, then one more every ``interval_s`` seconds."""

    burst: int
    interval_s: float

    def __post_init__(self) -> None:
        if isinstance(self.burst, bool) or not isinstance(self.burst, int) or self.burst < 1:
            raise ValueError("burst must be a whole number of at least 1")
        if not self.interval_s > 0 or math.isinf(self.interval_s):
            raise ValueError("interval_s must be a positive number of seconds")

    @property
    def keep_s(self) -> float:
        """How long a bucket is worth storing after a take: by then it is full again,
        as good as none (a minute's margin for clocks a little apart)."""
        return self.burst * self.interval_s + 60


def consume(state: Bucket | None, rule: BucketRule, now: float) -> tuple[Bucket, float]:
    """Try to take one token at ``now``.

    Returns ``(new_state, retry_after)``: ``retry_after`` is 0.0 when a token
    was taken, else the seconds until one will be available (the state is then
    only refilled). No state means a full bucket.
    """
    if state is None:
        state = Bucket(tokens=float(rule.burst), at=now)
    # A clock that steps back (NTP, another process's clock) must not mint tokens:
    # count no time as elapsed and keep the later timestamp, so the same interval
    # is not counted twice when the clock catches up.
    elapsed = max(0.0, now - state.at)
    tokens = min(float(rule.burst), state.tokens + elapsed / rule.interval_s)
    at = max(state.at, now)
    if tokens + EPSILON >= 1.0:
        return Bucket(tokens=max(0.0, tokens - 1.0), at=at), 0.0
    return Bucket(tokens=tokens, at=at), (1.0 - tokens) * rule.interval_s


def _round_up_tenth(seconds: float) -> float:
    # round() first so 0.30000000000000004 stays 0.3 instead of becoming 0.4.
    return max(0.1, math.ceil(round(seconds * 10, 6)) / 10)


def rate_denial(retry_after: float) -> Denial:
    """``rate_limited``: too many messages too fast."""
    wait = _round_up_tenth(retry_after)
    return Denial("rate_limited", "You're sending messages very quickly. "
                  f"Please take a breath and try again in {_say(wait)}.", retry_after=wait)


def action_denial(retry_after: float) -> Denial:
    """``rate_limited`` for anything but a message (a hand, a report, a join)."""
    wait = _round_up_tenth(retry_after)
    return Denial("rate_limited", "That's a lot in a short time. "
                  f"Please wait {_say(wait)} and try again.", retry_after=wait)


# The most a message refused because the room's held messages are full is asked to
# wait: staff may approve or reject one at any moment, and the page waits out
# `retry_after` before any send, so the time until the oldest lapses (up to the
# buffer's age) would keep the writer's every other message back too.
HELD_FULL_RETRY_S = 60.0


def held_full_denial(retry_after: float) -> Denial:
    """``rate_limited`` for a message the filters would hold when the room already holds
    as many as it keeps for staff: this one is refused (its writer keeps the words and
    is told), never an earlier member's held message dropped for it."""
    wait = _round_up_tenth(min(retry_after, HELD_FULL_RETRY_S))
    return Denial("rate_limited", "The facilitators have a lot of messages to look at "
                  "right now, so yours wasn't sent. Please try again in "
                  f"{_say(wait)}.", retry_after=wait)


def slow_denial(retry_after: float) -> Denial:
    """``slow_mode``: the room asks everyone to leave a gap between messages."""
    wait = _round_up_tenth(retry_after)
    return Denial("slow_mode", "Slow mode is on so everyone has room to speak. "
                  f"You can send again in {_say(wait)}.", retry_after=wait)


def _say(seconds: float) -> str:
    whole = math.ceil(seconds)
    return "1 second" if whole == 1 else f"{whole} seconds"


def give_back(state: Bucket, rule: BucketRule) -> Bucket:
    """One token back, never above ``burst``: for an action charged before it was known
    whether it should count (a login is charged before its passphrase is checked)."""
    return Bucket(tokens=min(float(rule.burst), state.tokens + 1.0), at=state.at)


def token_wait(state: Bucket | None, rule: BucketRule, now: float) -> float:
    """Seconds until ``consume`` would take a token (0.0: it would now); changes nothing."""
    return consume(state, rule, now)[1]


@dataclass(frozen=True)
class Backoff:
    """Failed attempts in a row, and the earliest time the next attempt is heard."""

    failures: int
    not_until: float
    last_failure: float


@dataclass(frozen=True)
class BackoffRule:
    """The first ``free`` failures cost nothing; then each waits twice as long as the last,
    from ``base_s`` up to ``max_s``. A quiet ``forget_s`` after the last failure resets it.

    The wait is capped and attempts during it are not heard (so they cannot stretch it):
    a stranger can slow an account down but never lock its owner out.
    """

    free: int = 3
    base_s: float = 1.0
    max_s: float = 60.0
    forget_s: float = 3600.0


def backoff_wait(state: Backoff | None, rule: BackoffRule, now: float) -> float:
    """Seconds before the next attempt will be heard (0.0: now)."""
    if state is None or now - state.last_failure >= rule.forget_s:
        return 0.0
    # Capped so a clock stepping back cannot stretch the wait.
    return min(rule.max_s, max(0.0, state.not_until - now))


def backoff_failed(state: Backoff | None, rule: BackoffRule, now: float) -> Backoff:
    """The state after a failed attempt that was heard at ``now``."""
    if state is None or now - state.last_failure >= rule.forget_s:
        failures = 1
    else:
        failures = state.failures + 1
    over = failures - rule.free
    wait = 0.0 if over <= 0 else min(rule.max_s, rule.base_s * 2.0 ** min(over - 1, 64))
    return Backoff(failures=failures, not_until=now + wait, last_failure=now)
