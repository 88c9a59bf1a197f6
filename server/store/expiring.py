"""`ExpiringMap`: a bounded map whose entries lapse, for the in-memory store.

Entries are kept in write order (a write moves its key to the back), so the front
is always the least recently written. Each write first drops lapsed entries from
the front, then the oldest while the map is over its cap: every entry is removed at
most once, so a write costs O(1) amortised however full the map is. Nothing ever
scans the whole map except `drop_where`, which is for rare events (a meeting that
closes), never for traffic.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class ExpiringMap(Generic[K, V]):
    def __init__(self, max_size: int) -> None:
        if max_size < 1:
            raise ValueError("max_size must be at least 1")
        self.max_size = max_size
        self._items: OrderedDict[K, tuple[V, float]] = OrderedDict()
        # Entries removed by lapse or cap since creation: what the tests count to
        # show a write does bounded work.
        self.evicted = 0

    def get(self, key: K, now: float) -> V | None:
        found = self._items.get(key)
        if found is None or found[1] <= now:
            return None
        return found[0]

    def put(self, key: K, value: V, until: float, now: float) -> None:
        self._items[key] = (value, until)
        self._items.move_to_end(key)
        self.expire(now)

    def pop(self, key: K) -> V | None:
        found = self._items.pop(key, None)
        return found[0] if found is not None else None

    def expire(self, now: float) -> None:
        """Drop lapsed entries at the front, then the oldest beyond the cap.

        An entry with a longer life at the front can shelter lapsed ones behind it;
        they are unreachable through `get` and go when the front moves on or the cap
        reaches them, so the map never exceeds `max_size` either way.
        """
        items = self._items
        while items:
            _, until = next(iter(items.values()))
            if until > now and len(items) <= self.max_size:
                break
            items.popitem(last=False)
            self.evicted += 1

    def drop_where(self, predicate: Callable[[K], bool]) -> int:
        doomed = [key for key in self._items if predicate(key)]
        for key in doomed:
            del self._items[key]
        return len(doomed)

    def __iter__(self) -> Iterator[K]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)
