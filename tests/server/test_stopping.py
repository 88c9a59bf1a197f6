"""Background tasks stop at shutdown even when one cancellation is swallowed."""

from __future__ import annotations

import asyncio

from server.models.stopping import stop_tasks


async def test_a_task_that_swallows_a_cancellation_is_stopped_anyway() -> None:
    started, swallowed = asyncio.Event(), asyncio.Event()

    async def loop_that_swallows_once() -> None:
        while True:
            try:
                started.set()
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                if swallowed.is_set():
                    raise
                swallowed.set()  # as a lost cancellation looks to the loop

    task = asyncio.create_task(loop_that_swallows_once())
    await started.wait()
    assert await stop_tasks([task]) == 0
    assert swallowed.is_set() and task.cancelled()


async def test_a_task_that_never_stops_is_given_up_on() -> None:
    started, give_up = asyncio.Event(), asyncio.Event()

    async def stubborn() -> None:
        while not give_up.is_set():
            try:
                started.set()
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                continue

    task = asyncio.create_task(stubborn())
    await started.wait()
    assert await stop_tasks([task], within_s=0.3) == 1
    assert not task.done()
    give_up.set()  # leave nothing running behind the test
    task.cancel()
    await task


async def test_failed_and_finished_tasks_are_fine() -> None:
    async def fails() -> None:
        raise RuntimeError("gone")

    failing = asyncio.create_task(fails())
    finished = asyncio.create_task(asyncio.sleep(0))
    await asyncio.wait({failing, finished})
    assert await stop_tasks([failing, finished]) == 0
