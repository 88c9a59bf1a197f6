from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moderation.actions import ModRequest, parse_mod
from moderation.audit import RETENTION_S, AuditEntry, action_detail, new_entry, retained
from moderation.timefmt import iso_utc


@pytest.mark.parametrize(
    ("ts", "expected"),
    [
        (0.0, "1970-01-01T00:00:00.000Z"),
        (1.001, "1970-01-01T00:00:01.001Z"),
        (1.9996, "1970-01-01T00:00:02.000Z"),
        (1795546800.123, "2026-11-24T19:00:00.123Z"),
    ],
)
def test_iso_utc(ts: float, expected: str) -> None:
    assert iso_utc(ts) == expected


@given(st.floats(min_value=-2e9, max_value=2.5e11, allow_nan=False))
def test_iso_utc_matches_datetime(ts: float) -> None:
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=round(ts * 1000))
    expected = f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"
    assert iso_utc(ts) == expected
    assert iso_utc(ts) == expected  # the second's text, remembered, is the same


def test_new_entry_and_wire() -> None:
    entry = new_entry(entry_id="a1", now=1795546800.5, actor="Sam", action="mute",
                      target="m7", reason="  spamming  ")
    assert entry == AuditEntry("a1", 1795546800.5, "Sam", "mute", "m7", "spamming")
    assert entry.to_wire() == {
        "id": "a1", "at": "2026-11-24T19:00:00.500Z", "actor": "Sam",
        "action": "mute", "target": "m7", "reason": "spamming", "detail": {},
    }


@pytest.mark.parametrize(("payload", "detail"), [
    ({"action": "lock", "locked": True}, {"locked": True}),
    ({"action": "pause", "paused": False}, {"paused": False}),
    ({"action": "slow_mode", "seconds": 30}, {"seconds": 30}),
    ({"action": "mute", "member_id": "m1", "minutes": 10}, {"minutes": 10}),
    ({"action": "ban", "member_id": "m1", "days": 7, "scope": "all"},
     {"days": 7, "scope": "all"}),
    ({"action": "pin", "text": "Welcome, everyone"}, {"cleared": False}),
    ({"action": "delete", "message_id": "x"}, {}),
])
def test_action_detail_holds_values_never_text(payload: dict[str, object],
                                               detail: dict[str, object]) -> None:
    request = parse_mod({"room": "r", **payload})
    assert isinstance(request, ModRequest)
    assert action_detail(request) == detail
    assert "Welcome" not in repr(action_detail(request))


def test_entry_is_frozen() -> None:
    entry = new_entry(entry_id="a", now=0.0, actor="Sam", action="lock")
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.actor = "Eve"  # type: ignore[misc]


def test_defaults_and_blank_reason() -> None:
    entry = new_entry(entry_id="a", now=0.0, actor="Sam", action="lock", reason="   ")
    assert entry.target is None and entry.reason is None


def test_reason_truncated_to_200() -> None:
    entry = new_entry(entry_id="a", now=0.0, actor="Sam", action="ban", reason="x" * 500)
    assert entry.reason == "x" * 200


def test_retained_keeps_last_30_days_in_order() -> None:
    now = 100 * 86400.0
    entries = [
        new_entry(entry_id="old", now=now - RETENTION_S - 1, actor="S", action="mute"),
        new_entry(entry_id="edge", now=now - RETENTION_S, actor="S", action="mute"),
        new_entry(entry_id="new", now=now - 5, actor="S", action="mute"),
        new_entry(entry_id="later", now=now - 1, actor="S", action="ban"),
    ]
    assert RETENTION_S == 30 * 24 * 3600
    assert [e.id for e in retained(entries, now)] == ["edge", "new", "later"]
    assert retained([], now) == []
