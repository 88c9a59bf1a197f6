"""Rate limits with the clock passed in: a token bucket and slow mode.

State is a small frozen value the caller stores (in memory or Redis) and
hands back next time; nothing here reads the time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from moderation.decisions import Denial

# Float sums like 0.1 + 0.2 land a hair under a whole token; count that as whole.
_EPSILON = 1e-9


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
    if tokens + _EPSILON >= 1.0:
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


def slow_denial(retry_after: float) -> Denial:
    """``slow_mode``: the room asks everyone to leave a gap between messages."""
    wait = _round_up_tenth(retry_after)
    return Denial("slow_mode", "Slow mode is on so everyone has room to speak. "
                  f"You can send again in {_say(wait)}.", retry_after=wait)


def _say(seconds: float) -> str:
    whole = math.ceil(seconds)
    return "1 second" if whole == 1 else f"{whole} seconds"
