"""The one time format on the wire: ISO 8601 UTC with milliseconds and a ``Z``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def iso_utc(ts: float) -> str:
    """Format epoch seconds as ``2026-11-24T19:00:00.123Z``."""
    # Go through whole milliseconds so 1.001 (really 1.000999...) prints .001,
    # and a value just under a second never rounds its way to ".1000".
    moment = _EPOCH + timedelta(milliseconds=round(ts * 1000))
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"
