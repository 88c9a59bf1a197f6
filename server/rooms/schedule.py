"""When scheduled meetings happen: weekly local wall-clock times → windows in UTC.

Pure: no I/O and no clock reads; `now` (epoch seconds) or explicit bounds are
always passed in, so a scheduler and its tests share one fake clock.

A meeting is a list of weekly wall-clock starts in an IANA zone ("sun 19:00" in
America/New_York). Recurrence is computed over *local* wall time, so a
daylight-saving change moves the meeting's UTC start, never its local time.
Each local start becomes an instant with the rules below; duration and doors
open are then added in real elapsed time (a 90-minute meeting lasts 90 minutes
even across a clock change).

Daylight-saving edge cases (the same reading as RFC 5545 §3.3.5, so the server
and the ``.ics`` feed agree on the instant):

- A local start that does not exist (spring-forward gap, "sun 02:30" in
  America/New_York on 2026-03-08) uses PEP 495 ``fold=0``: zoneinfo applies the
  offset from *before* the gap, so the meeting starts at 07:30Z, which the wall
  clock shows as 03:30 EDT. ``local_start`` is that real local time (03:30), not
  the configured one. RFC 5545 interprets a nonexistent DATE-TIME the same way.
- A local start that happens twice (fall-back, "sun 01:30" on 2026-11-01) is
  the first of the two (``fold=0``, still daylight time: 05:30Z).
- Two weekly times that land on the same instant (only possible through a gap)
  are one occurrence.

Overlapping occurrences (a long meeting that runs into the doors of the next):
the later one takes over only once it has *started*; while it is merely in its
lobby the earlier one is still the current occurrence, so the room stays
"open" rather than flipping back to "lobby" mid-meeting.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from dateutil.rrule import WEEKLY, rrule, rruleset

from moderation.timefmt import iso_utc
from server.config.settings import RoomConfig, WeeklyTime, parse_until

Status = Literal["closed", "lobby", "open"]

# Weekly meetings recur within 7 days; one more day covers a doors-open or a
# duration of up to 24 hours (config's limit) and a clock change on the way.
LOOKAHEAD = timedelta(days=8)

# Local search bounds are widened by a day so that UTC offsets and DST shifts
# cannot push a candidate start out of the range before it is checked exactly.
_MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class Occurrence:
    """One meeting: UTC instants plus the local start members see."""

    starts_at: datetime  # aware, UTC
    ends_at: datetime  # aware, UTC: starts_at + duration (elapsed time)
    doors_at: datetime  # aware, UTC: starts_at - doors_open; the lobby opens
    local_start: datetime  # aware, in the room's zone: the real local wall time




def occurrences(room: RoomConfig, start: datetime, end: datetime) -> list[Occurrence]:
    """Every occurrence whose [doors_at, ends_at) overlaps [start, end), by start.

    `start` and `end` must be timezone-aware. Drop-in rooms, rooms without weekly
    times and rooms without a time zone have none. An unparseable `until` is
    ignored here (config rejects it at start).
    """
    found: dict[datetime, Occurrence] = {}
    for _wall, occurrence in _candidates(room, start, end):
        found.setdefault(occurrence.starts_at, occurrence)
    return [found[at] for at in sorted(found)]


def current_or_next(room: RoomConfig, now: float) -> Occurrence | None:
    """The occurrence whose doors-to-end window holds `now`, else the next to open.

    Looks at most `LOOKAHEAD` ahead; None when there is nothing in that time
    (a drop-in room, no weekly times, or `until` has passed).
    """
    window = _window(room, now)
    active = _active(window, now)
    if active is not None:
        return active
    return next((o for o in window if _ts(o.doors_at) > now), None)


def status_at(room: RoomConfig, now: float) -> Status:
    """The room's scheduled status: lobby from doors_at, open from starts_at, closed from ends_at.

    Drop-in rooms are not scheduled: this answers "closed" for them, and the
    caller treats drop-in rooms as always open.
    """
    return _status(_window(room, now), now)


def next_start_iso(room: RoomConfig, now: float) -> str | None:
    """`current_or_next`'s start as ISO 8601 UTC (``...Z``), for `/api/rooms`."""
    occurrence = current_or_next(room, now)
    return iso_utc(_ts(occurrence.starts_at)) if occurrence else None


def series_start(room: RoomConfig, weekly: WeeklyTime, since: date) -> datetime | None:
    """Where one weekly series starts for a calendar feed (its DTSTART).

    The configured wall time, aware in the room's zone (``fold=0``), on the first
    day of `weekly` on or after `since`; None when `until` ends the series before
    then. It is the configured time even when that day's start falls in a DST
    gap, because RFC 5545 resolves such a DATE-TIME just as `occurrences` does.
    """
    zone = _zone(room)
    if zone is None:
        return None
    day = since + timedelta(days=(weekly.weekday - since.weekday()) % 7)
    until = parse_until(room.until) if room.until else None
    if until is not None and day > until:
        return None
    return datetime.combine(day, time(weekly.hour, weekly.minute), zone)


def until_utc(room: RoomConfig) -> datetime | None:
    """The last instant a start may fall on (end of the `until` day, local) in UTC."""
    last = _last_wall_start(room)
    zone = _zone(room)
    if last is None or zone is None:
        return None
    return last.replace(tzinfo=zone).astimezone(UTC)


def _candidates(room: RoomConfig, start: datetime,
                end: datetime) -> Iterator[tuple[datetime, Occurrence]]:
    """(configured wall time, occurrence) pairs overlapping [start, end), unsorted."""
    if start.tzinfo is None or end.tzinfo is None:
        # A naive bound would be read in the host's zone: an environment read.
        raise ValueError("occurrences() needs timezone-aware start and end")
    zone = _zone(room)
    if zone is None or end <= start:
        return
    # A window [start - doors, start + duration) overlaps [start, end) only if
    # the meeting starts within (start - duration, end + doors).
    low = (start - timedelta(seconds=room.duration_s) - _MARGIN).astimezone(zone)
    high = (end + timedelta(seconds=room.doors_open_s) + _MARGIN).astimezone(zone)
    for wall in _wall_starts(room, low.replace(tzinfo=None), high.replace(tzinfo=None)):
        occurrence = _occurrence(room, zone, wall)
        if occurrence.doors_at < end and occurrence.ends_at > start:
            yield wall, occurrence


def _wall_starts(room: RoomConfig, low: datetime, high: datetime) -> list[datetime]:
    """Naive local starts in [low, high] from the weekly rules, `until` applied."""
    last = _last_wall_start(room)
    if last is not None:
        high = min(high, last)
    low = datetime.combine(low.date(), time())
    if high < low:
        return []
    rules = rruleset()
    for weekly in room.weekly:
        # dateutil's weekday 0 is Monday, like WeeklyTime's.
        rules.rrule(rrule(WEEKLY, dtstart=low, until=high, byweekday=weekly.weekday,
                          byhour=weekly.hour, byminute=weekly.minute, bysecond=0))
    return list(rules)


def _occurrence(room: RoomConfig, zone: ZoneInfo, wall: datetime) -> Occurrence:
    # fold=0: first of two ambiguous times; offset from before a gap (module doc).
    starts_at = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    return Occurrence(
        starts_at=starts_at,
        ends_at=starts_at + timedelta(seconds=room.duration_s),
        doors_at=starts_at - timedelta(seconds=room.doors_open_s),
        local_start=starts_at.astimezone(zone),
    )


def _zone(room: RoomConfig) -> ZoneInfo | None:
    if room.kind != "meeting" or not room.weekly or not room.timezone:
        return None
    return ZoneInfo(room.timezone)


def _last_wall_start(room: RoomConfig) -> datetime | None:
    until = parse_until(room.until) if room.until else None
    # Starts are whole minutes, so the day's last second bounds them inclusively.
    return datetime.combine(until, time(23, 59, 59)) if until else None


def _window(room: RoomConfig, now: float) -> list[Occurrence]:
    # One second of slack below `now`: float → datetime rounds to microseconds,
    # and the exact comparisons happen in `_active` on epoch floats.
    start = _utc(now) - timedelta(seconds=1)
    return occurrences(room, start, start + LOOKAHEAD)


def _active(window: list[Occurrence], now: float) -> Occurrence | None:
    """The occurrence `now` belongs to: the latest started, else the first in its lobby."""
    holding = [o for o in window if _ts(o.doors_at) <= now < _ts(o.ends_at)]
    started = [o for o in holding if _ts(o.starts_at) <= now]
    if started:
        return started[-1]
    return holding[0] if holding else None


def _status(window: list[Occurrence], now: float) -> Status:
    occurrence = _active(window, now)
    if occurrence is None:
        return "closed"
    return "open" if _ts(occurrence.starts_at) <= now else "lobby"


def _utc(now: float) -> datetime:
    return datetime.fromtimestamp(now, UTC)


def _ts(moment: datetime) -> float:
    return moment.timestamp()
