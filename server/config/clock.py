"""The server's clock: real time, or — for tests and demos of the schedule — a clock
that starts at a chosen moment and runs faster (`PEER_ROOMS_CLOCK="start,speed"`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping


def clock_from_env(env: Mapping[str, str]) -> Callable[[], float]:
    spec = env.get("PEER_ROOMS_CLOCK")
    if not spec:
        return time.time
    start_text, _, speed_text = spec.partition(",")
    start, speed = float(start_text), float(speed_text or "1")
    origin = time.monotonic()

    def accelerated() -> float:
        return start + (time.monotonic() - origin) * speed

    return accelerated
