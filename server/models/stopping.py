"""Stopping background tasks for good, even when a cancellation gets lost.

A cancellation can be lost below our code — Python 3.11's `asyncio.wait_for` drops
one that lands just as the awaited thing finishes, and library code may turn it into
an error of its own — and a loop that catches errors and goes on then runs for ever,
and whoever awaits it at shutdown waits for ever too (a CI run hung so on the staff
check, in a task whose work goes through redis-py and Socket.IO). A shutdown must
end: cancel again until the task is done, for a bounded time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

STOP_WITHIN_S = 5.0
RECANCEL_EVERY_S = 0.2


async def stop_tasks(tasks: Iterable[asyncio.Future[Any]],
                     within_s: float = STOP_WITHIN_S) -> int:
    """Cancel `tasks` and wait for them to end; how many still ran after `within_s`."""
    pending = {task for task in tasks if not task.done()}
    finished: set[asyncio.Future[Any]] = set()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while pending:
        left = deadline - loop.time()
        if left <= 0:
            break
        for task in pending:
            task.cancel()
        done, pending = await asyncio.wait(pending, timeout=min(RECANCEL_EVERY_S, left))
        finished |= done
    for task in finished:
        if not task.cancelled():
            task.exception()  # retrieved: a task that failed as it stopped is not news
    return len(pending)
