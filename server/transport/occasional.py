"""At most one log line a while for something a client can make happen at will."""

from __future__ import annotations

import time
from collections.abc import Callable

EVERY_S = 60.0  # one line a minute: enough to notice, never a flood


class Occasional:
    """`due()` is true at most once every `every_s` seconds; `left_out` says how many
    calls in between were not (a flood is told apart by the count, not a line each)."""

    def __init__(self, every_s: float = EVERY_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.every_s = every_s
        self._clock = clock
        self._last: float | None = None
        self._skipped = 0
        self.left_out = 0  # calls not due between the last due one and the one before

    def due(self) -> bool:
        now = self._clock()
        if self._last is not None and now - self._last < self.every_s:
            self._skipped += 1
            return False
        self._last, self.left_out, self._skipped = now, self._skipped, 0
        return True
