"""Open connections counted by a key (a device, a client address)."""

from __future__ import annotations

from collections import Counter


class OpenCounts(Counter[str]):
    """A `Counter` whose keys leave with their last connection, so it holds no more
    keys than there are open connections."""

    def release(self, key: str) -> None:
        left = self[key] - 1
        if left > 0:
            self[key] = left
        else:
            self.pop(key, None)
