"""Scheduled meetings: local wall-clock recurrence, DST, lobby windows, a fake clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from server.config.rooms import parse_weekly
from server.config.settings import RoomConfig, WeeklyTime, parse_until
from server.rooms.schedule import (
    Occurrence,
    current_or_next,
    next_start_iso,
    occurrences,
    series_start,
    status_at,
)

NEW_YORK = "America/New_York"
LONDON = "Europe/London"
CHICAGO = "America/Chicago"
MINUTE = 60.0


def weekly(text: str) -> WeeklyTime:
    parsed = parse_weekly(text)
    assert parsed is not None, text
    return parsed


def meeting(*times: str, tz: str = NEW_YORK, duration_m: int = 90, doors_m: int = 15,
            until: str | None = None) -> RoomConfig:
    return RoomConfig(id="evening", title="Evening", kind="meeting", timezone=tz,
                      weekly=tuple(weekly(t) for t in times), duration_s=duration_m * 60,
                      doors_open_s=doors_m * 60, until=until)


def local(tz: str, y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> float:
    """Epoch seconds of a local wall time (fold=0), i.e. a fake clock reading."""
    return datetime(y, mo, d, h, mi, s, tzinfo=ZoneInfo(tz)).timestamp()


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


def starts(room: RoomConfig, first: datetime, last: datetime) -> list[datetime]:
    return [o.starts_at for o in occurrences(room, first, last)]


# --- DST: the local time stays, the UTC time moves -------------------------------

@pytest.mark.parametrize(("tz", "before", "after"), [
    # Sunday 19:00 around spring forward and fall back, 2026.
    (NEW_YORK, [utc(2026, 3, 2, 0), utc(2026, 3, 8, 23)],      # EST → EDT on March 8
               [utc(2026, 10, 25, 23), utc(2026, 11, 2, 0)]),  # EDT → EST on November 1
    (LONDON, [utc(2026, 3, 22, 19), utc(2026, 3, 29, 18)],     # GMT → BST on March 29
             [utc(2026, 10, 18, 18), utc(2026, 10, 25, 19)]),  # BST → GMT on October 25
])
def test_sunday_evening_keeps_its_local_time_across_dst(
        tz: str, before: list[datetime], after: list[datetime]) -> None:
    room = meeting("sun 19:00", tz=tz)
    for pair in (before, after):
        found = occurrences(room, pair[0] - timedelta(hours=2), pair[1] + timedelta(hours=1))
        assert [o.starts_at for o in found] == pair
        assert [(o.local_start.weekday(), o.local_start.hour, o.local_start.minute)
                for o in found] == [(6, 19, 0), (6, 19, 0)]
        assert abs((pair[1] - pair[0]) - timedelta(days=7)) == timedelta(hours=1)


def test_utc_start_moves_with_a_fake_clock() -> None:
    room = meeting("sun 19:00")
    assert next_start_iso(room, utc(2026, 3, 1, 12).timestamp()) == "2026-03-02T00:00:00.000Z"
    assert next_start_iso(room, utc(2026, 3, 8, 12).timestamp()) == "2026-03-08T23:00:00.000Z"
    assert next_start_iso(room, utc(2026, 10, 25, 12).timestamp()) == "2026-10-25T23:00:00.000Z"
    assert next_start_iso(room, utc(2026, 11, 1, 12).timestamp()) == "2026-11-02T00:00:00.000Z"
    # 19:00 on the wall is open on both sides of the change.
    assert status_at(room, local(NEW_YORK, 2026, 3, 1, 19)) == "open"
    assert status_at(room, local(NEW_YORK, 2026, 3, 8, 19)) == "open"
    assert status_at(room, local(NEW_YORK, 2026, 3, 8, 18, 44)) == "closed"


def test_ambiguous_fall_back_start_is_the_first_one() -> None:
    # 01:30 happens twice on 2026-11-01 in New York: 05:30Z (EDT) and 06:30Z (EST).
    room = meeting("sun 01:30", duration_m=30, doors_m=0)
    found = occurrences(room, utc(2026, 10, 31), utc(2026, 11, 2))
    assert len(found) == 1
    (only,) = found
    assert only.starts_at == utc(2026, 11, 1, 5, 30)
    assert only.local_start.fold == 0
    assert only.local_start.utcoffset() == timedelta(hours=-4)
    assert (only.local_start.hour, only.local_start.minute) == (1, 30)
    assert status_at(room, utc(2026, 11, 1, 5, 45).timestamp()) == "open"
    # The second 01:30 (standard time) is not a second meeting.
    assert status_at(room, utc(2026, 11, 1, 6, 30).timestamp()) == "closed"
    assert status_at(room, utc(2026, 11, 1, 6).timestamp() - 1) == "open"
    assert status_at(room, utc(2026, 11, 1, 6).timestamp()) == "closed"


def test_nonexistent_spring_forward_start_uses_the_offset_before_the_gap() -> None:
    # 02:30 does not exist in New York on 2026-03-08; fold=0 reads it as EST,
    # 07:30Z, which the wall clock shows as 03:30 EDT.
    room = meeting("sun 02:30")
    found = occurrences(room, utc(2026, 2, 28), utc(2026, 3, 16))
    assert [o.starts_at for o in found] == [
        utc(2026, 3, 1, 7, 30), utc(2026, 3, 8, 7, 30), utc(2026, 3, 15, 6, 30)]
    gap_day = found[1].local_start
    assert (gap_day.date(), gap_day.hour, gap_day.minute) == (date(2026, 3, 8), 3, 30)
    assert [o.local_start.hour for o in (found[0], found[2])] == [2, 2]
    # The calendar feed keeps the configured wall time for the same day.
    first = series_start(room, room.weekly[0], date(2026, 3, 7))
    assert first is not None
    assert (first.hour, first.minute, first.fold) == (2, 30, 0)
    assert first.astimezone(UTC) == utc(2026, 3, 8, 7, 30)


def test_a_gap_cannot_make_two_meetings_at_one_instant() -> None:
    # On 2026-03-08 02:30 (fold=0) and 03:30 EDT are the same instant.
    room = meeting("sun 02:30", "sun 03:30")
    found = occurrences(room, utc(2026, 3, 8), utc(2026, 3, 9))
    assert [o.starts_at for o in found] == [utc(2026, 3, 8, 7, 30)]


# --- windows: doors, start, end, midnight ---------------------------------------

def test_meeting_that_crosses_midnight() -> None:
    room = meeting("sat 23:30", tz=CHICAGO, duration_m=90)
    assert status_at(room, local(CHICAGO, 2026, 6, 14, 0, 30)) == "open"
    assert status_at(room, local(CHICAGO, 2026, 6, 14, 0, 59, 59)) == "open"
    assert status_at(room, local(CHICAGO, 2026, 6, 14, 1, 0)) == "closed"
    assert status_at(room, local(CHICAGO, 2026, 6, 14, 1, 1)) == "closed"
    occurrence = current_or_next(room, local(CHICAGO, 2026, 6, 14, 0, 30))
    assert occurrence is not None
    assert occurrence.local_start == datetime(2026, 6, 13, 23, 30, tzinfo=ZoneInfo(CHICAGO))


def test_status_at_the_exact_edges() -> None:
    room = meeting("tue 19:00", tz=CHICAGO, duration_m=60, doors_m=15)
    doors = local(CHICAGO, 2026, 6, 16, 18, 45)
    start = local(CHICAGO, 2026, 6, 16, 19)
    end = local(CHICAGO, 2026, 6, 16, 20)
    assert status_at(room, doors - 1) == "closed"
    assert status_at(room, doors) == "lobby"
    assert status_at(room, start - 1) == "lobby"
    assert status_at(room, start) == "open"
    assert status_at(room, end - 1) == "open"
    assert status_at(room, end) == "closed"


def test_current_or_next_at_the_exact_edges() -> None:
    room = meeting("tue 19:00", tz=CHICAGO, duration_m=60, doors_m=15)
    doors = local(CHICAGO, 2026, 6, 16, 18, 45)
    start = local(CHICAGO, 2026, 6, 16, 19)
    end = local(CHICAGO, 2026, 6, 16, 20)
    next_week = local(CHICAGO, 2026, 6, 23, 19)
    for now, expected in ((doors - 1, start), (doors, start), (start, start),
                          (end - 1, start), (end, next_week)):
        found = current_or_next(room, now)
        assert found is not None
        assert found.starts_at.timestamp() == expected, now
    assert next_start_iso(room, end) == "2026-06-24T00:00:00.000Z"


def test_status_changes_at_the_exact_edges() -> None:
    room = meeting("tue 19:00", tz=CHICAGO, duration_m=60, doors_m=15)
    doors = local(CHICAGO, 2026, 6, 16, 18, 45)
    start = local(CHICAGO, 2026, 6, 16, 19)
    end = local(CHICAGO, 2026, 6, 16, 20)
    next_doors = local(CHICAGO, 2026, 6, 23, 18, 45)
    assert [status_at(room, t) for t in (doors - MINUTE, doors, start - 1, start, end - 1, end,
                                         next_doors - 1, next_doors)] == [
        "closed", "lobby", "lobby", "open", "open", "closed", "closed", "lobby"]


def test_no_doors_open_goes_straight_to_open() -> None:
    room = meeting("tue 19:00", tz=CHICAGO, duration_m=60, doors_m=0)
    start = local(CHICAGO, 2026, 6, 16, 19)
    assert status_at(room, start - 1) == "closed"
    assert status_at(room, start) == "open"


def test_overlapping_meetings_hand_over_once_the_later_one_starts() -> None:
    # 19:00-20:30 and 20:00-21:30, doors 15 min: the second's lobby opens mid-meeting.
    room = meeting("sun 19:00", "sun 20:00", tz=CHICAGO, duration_m=90, doors_m=15)
    first = local(CHICAGO, 2026, 6, 14, 19)
    second = local(CHICAGO, 2026, 6, 14, 20)
    during_lobby = local(CHICAGO, 2026, 6, 14, 19, 50)
    assert status_at(room, during_lobby) == "open"
    current = current_or_next(room, during_lobby)
    assert current is not None and current.starts_at.timestamp() == first
    current = current_or_next(room, second)
    assert current is not None and current.starts_at.timestamp() == second
    # Open from 19:00 straight through to 21:30: the hand-overs are not changes.
    last_end = local(CHICAGO, 2026, 6, 14, 21, 30)
    assert all(status_at(room, t) == "open" for t in range(int(first), int(last_end), 300))
    assert status_at(room, last_end) == "closed"


# --- until, parse_until, rooms without a schedule -------------------------------

def test_until_stops_occurrences_after_that_local_day() -> None:
    room = meeting("sun 19:00", until="2026-03-15")
    assert starts(room, utc(2026, 3, 1), utc(2026, 4, 30)) == [
        utc(2026, 3, 2, 0), utc(2026, 3, 8, 23), utc(2026, 3, 15, 23)]
    after = local(NEW_YORK, 2026, 3, 15, 20, 30)
    assert status_at(room, after) == "closed"
    assert current_or_next(room, after) is None
    assert next_start_iso(room, after) is None
    assert series_start(room, room.weekly[0], date(2026, 3, 16)) is None
    assert series_start(room, room.weekly[0], date(2026, 3, 9)) is not None


def test_until_includes_a_late_start_on_the_last_day() -> None:
    # 23:30 on the until day is still that day, though it is the 16th in UTC.
    room = meeting("sun 23:30", until="2026-03-15")
    assert starts(room, utc(2026, 3, 14), utc(2026, 3, 30)) == [utc(2026, 3, 16, 3, 30)]


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-12-31", date(2026, 12, 31)),
    ("2028-02-29", date(2028, 2, 29)),
    ("2026-02-30", None),
    ("20261231", None),
    ("2026-1-5", None),
    ("2026-12-31T00:00", None),
    ("", None),
    ("soon", None),
])
def test_parse_until(text: str, expected: date | None) -> None:
    assert parse_until(text) == expected


def test_rooms_without_a_schedule_have_no_occurrences() -> None:
    now = utc(2026, 6, 14).timestamp()
    drop_in = RoomConfig(id="open-circle", title="Open Circle", kind="drop-in")
    no_times = RoomConfig(id="later", title="Later", kind="meeting", timezone=CHICAGO)
    for room in (drop_in, no_times):
        assert occurrences(room, utc(2026, 1, 1), utc(2027, 1, 1)) == []
        assert status_at(room, now) == "closed"
        assert current_or_next(room, now) is None
        assert next_start_iso(room, now) is None


def test_occurrences_refuses_naive_bounds() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        occurrences(meeting("sun 19:00"), datetime(2026, 1, 1), utc(2026, 2, 1))


def test_occurrences_are_timezone_aware_in_the_right_zones() -> None:
    (found,) = occurrences(meeting("wed 12:00", tz=LONDON), utc(2026, 7, 1), utc(2026, 7, 2))
    assert isinstance(found, Occurrence)
    assert found.starts_at.utcoffset() == timedelta(0)
    assert found.doors_at == found.starts_at - timedelta(minutes=15)
    assert found.ends_at == found.starts_at + timedelta(minutes=90)
    assert found.local_start.tzinfo == ZoneInfo(LONDON)


# --- property: weekly, local, in order ------------------------------------------

ZONES = [NEW_YORK, LONDON, "Australia/Lord_Howe", "America/Santiago", "Asia/Kolkata",
         "Pacific/Chatham", "America/St_Johns", "UTC"]


def _exists(wall: datetime, zone: ZoneInfo) -> bool:
    return wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(
        tzinfo=None) == wall


_FROM_2024 = date(2024, 1, 1)


@settings(deadline=None, max_examples=150)
# Always cover a spring-forward gap (New York 02:30) and a midnight one (Santiago 00:30).
@example(tz=NEW_YORK, day=6, hour=2, minute=30, offset=(date(2026, 3, 1) - _FROM_2024).days)
@example(tz="America/Santiago", day=6, hour=0, minute=30,
         offset=(date(2026, 8, 20) - _FROM_2024).days)
@given(tz=st.sampled_from(ZONES), day=st.integers(0, 6), hour=st.integers(0, 23),
       minute=st.integers(0, 59), offset=st.integers(0, 6 * 365))
def test_every_occurrence_is_the_configured_local_weekday_and_time(
        tz: str, day: int, hour: int, minute: int, offset: int) -> None:
    zone = ZoneInfo(tz)
    room = RoomConfig(id="p", title="P", kind="meeting", timezone=tz,
                      weekly=(WeeklyTime(day, hour, minute),))
    first = utc(2024, 1, 1) + timedelta(days=offset)
    found = occurrences(room, first, first + timedelta(days=120))
    assert len(found) >= 16
    for occurrence in found:
        wall = datetime.combine(occurrence.local_start.date(), time(hour, minute))
        assert occurrence.local_start.weekday() == day
        assert occurrence.local_start.tzinfo == zone
        if _exists(wall, zone):
            assert (occurrence.local_start.hour, occurrence.local_start.minute) == (
                hour, minute)
        else:
            # The documented gap case: the configured wall time read with fold=0.
            assert occurrence.starts_at == wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    assert all(a.starts_at < b.starts_at for a, b in pairwise(found))
    assert all(b.local_start.date() - a.local_start.date() == timedelta(days=7)
               for a, b in pairwise(found))
