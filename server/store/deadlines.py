"""Deadlines for Redis commands in flight, kept by one timer for all of them.

redis-py bounds each write and each read with a timeout scope of its own when a
socket timeout is set (on Python 3.11 `wait_for` makes a task per write, and every
scope schedules and cancels a timer handle): ~100k instructions a round trip, more than
the rest of the client's work (docs/performance.md). Here a command's task is noted
with its deadline on the way in and forgotten on the way out; a timer that runs only
while commands are in flight cancels those past their deadline, which the connection
then reports as redis-py's own timeout. A deadline is kept to within `period_s`.
"""

from __future__ import annotations

import asyncio


class Deadlines:
    def __init__(self, timeout_s: float, period_s: float) -> None:
        self.timeout_s = timeout_s
        self.period_s = period_s
        self._due: dict[asyncio.Task[object], float] = {}  # bounded by commands in flight
        self._expired: set[asyncio.Task[object]] = set()
        self._timer: asyncio.TimerHandle | None = None

    def enter(self) -> asyncio.Task[object] | None:
        """Watch the running task's command; None when it is watched already (a health
        check inside a command) or there is no task to cancel."""
        task = asyncio.current_task()
        if task is None or task in self._due:
            return None
        loop = task.get_loop()
        self._due[task] = loop.time() + self.timeout_s
        if self._timer is None:
            self._timer = loop.call_later(self.period_s, self._check, loop)
        return task

    def leave(self, task: asyncio.Task[object]) -> bool:
        """Stop watching `task`: True when its deadline had passed and it was cancelled
        for it."""
        self._due.pop(task, None)
        if task in self._expired:
            self._expired.discard(task)
            return True
        return False

    def _check(self, loop: asyncio.AbstractEventLoop) -> None:
        now = loop.time()
        for task, due in list(self._due.items()):
            if due <= now:
                del self._due[task]
                self._expired.add(task)
                task.cancel()
        self._timer = loop.call_later(self.period_s, self._check, loop) if self._due else None
