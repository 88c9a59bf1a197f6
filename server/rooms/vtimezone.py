"""VTIMEZONE blocks as calendar software exports them, from zoneinfo's transitions.

Each observance is a yearly RRULE ("2nd Sunday of March at 02:00"), the form every
common parser reads: ical.js skips a transition that lives only in a DTSTART next
to RDATEs, and some parsers read RDATE-only zones wrongly. A zone without DST is a
single STANDARD.

The rules are derived, not looked up: the zone's real transitions over the years
asked for are grouped by (kind, offsets, name, month, local time), and each run of
consecutive years that one pattern fits (nth weekday, last weekday, weekday on or
after a day, fixed date) becomes one observance, with UNTIL when a later run takes
over. The run that reaches the last year stays open-ended: past zoneinfo's explicit
table the zone follows its POSIX rule, which is exactly that pattern. A transition
no pattern repeats (a one-off change) is a DTSTART-only observance with no RDATE,
which ical.js reads too.

Pure: the output depends only on the zone, the years and the tz database.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

_ICAL_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# No two transitions of a zone are this close, so sampling at this step finds them all.
_STEP = 6 * 3600

# A pattern a transition date fits: ("nth", n, weekday), ("last", weekday),
# ("after", first_day, weekday) or ("date", day).
Pattern = tuple[object, ...]


@dataclass(frozen=True)
class Transition:
    at: int  # epoch seconds (UTC) of the change
    local: datetime  # naive wall time just before it, in the offset it leaves
    offset_from: timedelta
    offset_to: timedelta
    daylight: bool
    name: str


def vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    """The VTIMEZONE for `tzid`, right for every instant from `first_year` on."""
    zone = ZoneInfo(tzid)
    component = Timezone()
    component.add("tzid", tzid)
    found = transitions(tzid, first_year, last_year)
    if not found:
        instant = datetime(first_year, 1, 1, tzinfo=UTC).astimezone(zone)
        offset = instant.utcoffset() or timedelta(0)
        standard = TimezoneStandard()
        standard.add("dtstart", datetime(1970, 1, 1))
        standard.add("tzoffsetfrom", offset)
        standard.add("tzoffsetto", offset)
        standard.add("tzname", instant.tzname() or tzid)
        component.add_component(standard)
        return component
    for run, pattern, open_ended in _runs(found, last_year):
        component.add_component(_observance(run, pattern, open_ended))
    return component


@lru_cache(maxsize=64)
def transitions(tzid: str, first_year: int, last_year: int) -> tuple[Transition, ...]:
    """Every change of UTC offset or of zone name from `first_year` to `last_year`."""
    zone = ZoneInfo(tzid)
    start = int(datetime(first_year, 1, 1, tzinfo=UTC).timestamp())
    end = int(datetime(last_year + 1, 1, 1, tzinfo=UTC).timestamp())
    out: list[Transition] = []
    before = _state(zone, start)
    for t in range(start + _STEP, end + 1, _STEP):
        after = _state(zone, t)
        if after != before:
            at = _bisect(zone, t - _STEP, t, before)
            offset_from, offset_to = before[0], after[0]
            local = datetime.fromtimestamp(at, UTC).replace(tzinfo=None) + offset_from
            out.append(Transition(at, local, offset_from, offset_to, after[1], after[2]))
        before = after
    return tuple(out)


def _state(zone: ZoneInfo, t: int) -> tuple[timedelta, bool, str]:
    moment = datetime.fromtimestamp(t, zone)
    return (moment.utcoffset() or timedelta(0), bool(moment.dst()), moment.tzname() or "")


def _bisect(zone: ZoneInfo, low: int, high: int, before: tuple[timedelta, bool, str]) -> int:
    """The first second in (low, high] whose state differs from `before`."""
    while high - low > 1:
        mid = (low + high) // 2
        if _state(zone, mid) == before:
            low = mid
        else:
            high = mid
    return high


def _runs(found: tuple[Transition, ...],
          last_year: int) -> list[tuple[list[Transition], Pattern | None, bool]]:
    """(transitions, pattern they share, open-ended) per observance, in time order."""
    groups: dict[tuple[object, ...], list[Transition]] = {}
    for tr in found:
        key = (tr.daylight, tr.offset_from, tr.offset_to, tr.name, tr.local.month,
               tr.local.time())
        groups.setdefault(key, []).append(tr)
    out: list[tuple[list[Transition], Pattern | None, bool]] = []
    for members in groups.values():
        run: list[Transition] = []
        shared: set[Pattern] = set()
        for tr in members:
            fits = shared & _patterns(tr.local)
            if run and tr.local.year == run[-1].local.year + 1 and fits:
                run.append(tr)
                shared = fits
                continue
            if run:
                out.append(_finish(run, shared, last_year))
            run, shared = [tr], _patterns(tr.local)
        out.append(_finish(run, shared, last_year))
    out.sort(key=lambda item: item[0][0].at)
    return out


def _finish(run: list[Transition], shared: set[Pattern],
            last_year: int) -> tuple[list[Transition], Pattern | None, bool]:
    if len(run) == 1 and run[0].local.year < last_year:
        return run, None, False
    return run, min(shared, key=_preference), run[-1].local.year == last_year


def _patterns(local: datetime) -> set[Pattern]:
    day, weekday = local.day, local.weekday()
    length = calendar.monthrange(local.year, local.month)[1]
    found: set[Pattern] = {("date", day), ("nth", (day - 1) // 7 + 1, weekday)}
    if day + 7 > length:
        found.add(("last", weekday))
    for first in range(max(1, day - 6), day + 1):
        if first + 6 <= length:
            found.add(("after", first, weekday))
    return found


def _preference(pattern: Pattern) -> tuple[int, str]:
    # The spellings calendar software writes first: "2nd Sunday", "last Sunday".
    kind = pattern[0]
    if kind == "nth" and pattern[1] != 5:
        rank = 0
    elif kind == "last":
        rank = 1
    elif kind == "date":
        rank = 2
    else:
        rank = 3
    return rank, repr(pattern)


def _observance(run: list[Transition], pattern: Pattern | None,
                open_ended: bool) -> TimezoneStandard | TimezoneDaylight:
    first = run[0]
    observance = TimezoneDaylight() if first.daylight else TimezoneStandard()
    observance.add("dtstart", first.local)
    observance.add("tzoffsetfrom", first.offset_from)
    observance.add("tzoffsetto", first.offset_to)
    if first.name:
        observance.add("tzname", first.name)
    if pattern is not None:
        rule: dict[str, object] = {"FREQ": "YEARLY", "BYMONTH": first.local.month}
        rule.update(_by_rule(pattern))
        if not open_ended:
            # RFC 5545 §3.3.10: in a VTIMEZONE, UNTIL is UTC.
            rule["UNTIL"] = datetime.fromtimestamp(run[-1].at, UTC)
        observance.add("rrule", rule)
    return observance


def _by_rule(pattern: Pattern) -> dict[str, object]:
    kind = pattern[0]
    if kind == "nth":
        return {"BYDAY": f"{pattern[1]}{_ICAL_DAYS[int(str(pattern[2]))]}"}
    if kind == "last":
        return {"BYDAY": f"-1{_ICAL_DAYS[int(str(pattern[1]))]}"}
    if kind == "date":
        return {"BYMONTHDAY": pattern[1]}
    first = int(str(pattern[1]))
    return {"BYMONTHDAY": list(range(first, first + 7)), "BYDAY": _ICAL_DAYS[int(str(pattern[2]))]}
