"""Redis takes rate tokens in a script (one atomic step that many events on one key
can share without retrying each other), so the bucket arithmetic is written twice:
`moderation.ratelimit.consume` and the TAKE script. Here the two are held equal."""

from __future__ import annotations

import asyncio
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from moderation.ratelimit import Bucket, BucketRule, consume
from server.store.redis import RedisStore, redis_client
from tests.redis_server import RedisServer
from tests.server.store.test_contract import NOW

_STEPS = st.lists(st.floats(min_value=-5.0, max_value=120.0, allow_nan=False), min_size=1,
                  max_size=25)
_RULES = st.builds(BucketRule, st.integers(min_value=1, max_value=6),
                   st.floats(min_value=0.01, max_value=90.0, allow_nan=False))


def expected(rule: BucketRule, steps: list[float]) -> tuple[list[float], Bucket | None]:
    """The waits `consume` gives, storing a state only when a token was taken."""
    state, now, waits = None, NOW, []
    for step in steps:
        now += step
        new, wait = consume(state, rule, now)
        if not wait:
            state = new
        waits.append(wait)
    return waits, state


async def taken(url: str, rule: BucketRule, steps: list[float]) -> tuple[list[float],
                                                                        Bucket | None]:
    store = RedisStore(redis_client(url), process_id="p1")
    room = f"r-{uuid.uuid4().hex}"  # a room of its own per example: no flush needed
    try:
        now, waits = NOW, []
        for step in steps:
            now += step
            waits.append(await store.take_tokens([("k", rule)], now, room))
        [read] = (await store.send_snapshot(room, "nobody", [], ["k"], now)).buckets
        return waits, read.bucket
    finally:
        await store.close()


@settings(max_examples=60, deadline=None)
@given(_RULES, _STEPS)
def test_the_script_takes_as_consume_does(redis_server: RedisServer, rule: BucketRule,
                                          steps: list[float]) -> None:
    assert asyncio.run(taken(str(redis_server.url), rule, steps)) == expected(rule, steps)
