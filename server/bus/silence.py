"""Noticing a pub/sub subscription that went silent.

The bus's listener waits on its subscription with no timeout: a timeout scope per
message received was a third of what receiving one cost (docs/performance.md item 22).
Nothing in that wait notices a connection that died without a FIN, or a Redis that
stopped answering, so this does, for the bus to act on: a subscription that has been
quiet for `quiet_s` is pinged (the answer arrives through the listener like any
message), and one still silent `answer_s` after the ping is given up, so the listener
reconnects and fills what it missed from the replay buffers. No clock of its own: the
bus says when it heard something and asks what is due, with `now`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

QUIET_S = 5.0  # redis-py's health_check_interval, which used to ping from the read
ANSWER_S = 2.0  # as long as any Redis command may take (the store's deadline)

Due = Literal["ping", "give up"]


@dataclass
class Silence:
    quiet_s: float = QUIET_S
    answer_s: float = ANSWER_S
    heard_at: float = 0.0
    pinged_at: float | None = None

    def heard(self, now: float) -> None:
        """Something arrived (a message, a confirmation, a ping's answer)."""
        self.heard_at = now
        self.pinged_at = None

    def due(self, now: float) -> Due | None:
        """What the bus should do now: ping a quiet subscription, give up on one that
        did not answer, or nothing."""
        if self.pinged_at is not None:
            return "give up" if now - self.pinged_at >= self.answer_s else None
        if now - self.heard_at >= self.quiet_s:
            self.pinged_at = now
            return "ping"
        return None
