"""The scheduled meetings as feeds other software reads: iCalendar and Meeting Guide.

Pure: settings, the site's base URL, the records' edit time and `now` in; bytes or
JSON-ready data out. One entry per (meeting room, weekly time) in both feeds,
because both formats describe one weekly slot per entry (an RRULE with one BYDAY;
a Meeting Guide item with one `day`). Drop-in rooms are not listed: they have no
schedule.

Both feeds are the same bytes until a record changes, so subscribers and finders
can poll with ETag / If-Modified-Since and keep what they imported:

- A series' DTSTART is its first occurrence on or after the room's `since`, else
  `[feeds] since`, else `SERIES_EPOCH`: a fixed day, because room records carry no
  creation date yet. It never moves, so a calendar keeps past instances.
- `edited` (the config file's mtime until room records carry their own edit
  times) is LAST-MODIFIED, DTSTAMP and Meeting Guide's `updated`; never the time
  of the request. SEQUENCE stays 0: counting edits needs the records layer.
- VTIMEZONEs are yearly rules derived from zoneinfo (`vtimezone.py`); `now` only
  sets how far ahead their transitions are checked.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from icalendar import Calendar, Event, vDuration

from server.config.settings import RoomConfig, Settings, WeeklyTime, parse_until
from server.rooms.schedule import series_start, until_utc
from server.rooms.vtimezone import vtimezone

# WeeklyTime.weekday is 0 = Monday in every table here.
_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ICAL_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

# The default first day of every series: when DTSTART stopped moving (this feed's
# format), and before any meeting a subscriber of the old feed could have seen.
SERIES_EPOCH = date(2026, 1, 1)

# How often subscribers should re-fetch (RFC 7986 REFRESH-INTERVAL and the
# X-PUBLISHED-TTL Outlook and Apple read): schedules change rarely.
_REFRESH = timedelta(hours=12)

# VTIMEZONE transitions are checked this many years past `now`; beyond the last
# one every zone with DST follows its open-ended yearly rule.
_ZONE_YEARS_AHEAD = 10

# Meeting Guide (code4recovery spec README, "Required Fields"): slugs should be
# 64 characters max, names 255.
_SLUG_MAX = 64
_NAME_MAX = 255

_CONFERENCE_NOTES = ("A text-only meeting in your web browser: no account, no camera, "
                     "no phone number. Choose any first name or nickname when you join.")


@dataclass(frozen=True)
class Edit:
    """A room record's last edit (epoch seconds) and its revision count."""

    at: float
    revision: int


@dataclass(frozen=True)
class Series:
    room: RoomConfig
    weekly: WeeklyTime
    first: datetime  # the first start, aware in the room's zone: the DTSTART


def meetings_ics(settings: Settings, base_url: str, now: float, edited: float | None = None,
                 *, rooms: Sequence[RoomConfig] | None = None,
                 edits: Mapping[str, Edit] | None = None) -> bytes:
    """An RFC 5545 calendar of every weekly meeting slot, with VTIMEZONEs."""
    series = list(_series(settings, rooms))
    calendar = Calendar()
    calendar.add("prodid", "-//peer-rooms//meetings//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", settings.site_title)
    zone = settings.feeds.timezone or _main_zone(series)
    if zone:
        calendar.add("x-wr-timezone", zone)
    calendar.add("refresh-interval", _REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(_REFRESH))  # unknown to icalendar: typed here
    # RFC 5545 §3.6.5: one VTIMEZONE per TZID used, correct from the first DTSTART on.
    last_year = datetime.fromtimestamp(now, UTC).year + _ZONE_YEARS_AHEAD
    first_years: dict[str, int] = {}
    for one in series:
        tzid = str(one.room.timezone)
        first_years[tzid] = min(first_years.get(tzid, one.first.year), one.first.year)
    for tzid, year in sorted(first_years.items()):
        if tzid != "UTC":  # written as "...Z", with no TZID
            # A year early, so no parser has to guess the offset before the first rule.
            calendar.add_component(vtimezone(tzid, year - 1, max(last_year, year)))
    # DTSTAMP must be stable for the ETag to be: with METHOD it is when this object
    # was created, and its content was fixed at the last edit.
    stamp = _utc(edited) if edited is not None else datetime.combine(SERIES_EPOCH, time(),
                                                                      UTC)
    for one in series:
        edit = (edits or {}).get(one.room.id)
        if edit is None:
            calendar.add_component(_event(one, _room_url(base_url, one.room), stamp,
                                          _utc(edited) if edited is not None else None))
        else:
            # The room's own record: its last edit, and how many there have been.
            calendar.add_component(_event(one, _room_url(base_url, one.room),
                                          _utc(edit.at), _utc(edit.at), edit.revision))
    ical: bytes = calendar.to_ical()
    return ical


def meeting_guide_json(settings: Settings, base_url: str, now: float,
                       edited: float | None = None, *,
                       rooms: Sequence[RoomConfig] | None = None,
                       edits: Mapping[str, Edit] | None = None) -> list[dict[str, object]]:
    """The meetings in the code4recovery Meeting Guide format, one item per slot.

    Slots whose `until` has passed at `now` are left out: a meeting finder lists
    meetings that still happen. Every item carries geographic information when the
    room or `[feeds]` has a `formatted_address`; Meeting Guide imports no item without it.
    """
    items: list[dict[str, object]] = []
    for one in _series(settings, rooms):
        room, weekly = one.room, one.weekly
        last = until_utc(room)
        if last is not None and last.timestamp() < now:
            continue
        url = _room_url(base_url, room)
        start = weekly.hour * 60 + weekly.minute
        end = start + _minutes(room.duration_s)
        item: dict[str, object] = {
            "name": room.title[:_NAME_MAX],
            "slug": _slug(room, weekly),
            "day": (weekly.weekday + 1) % 7,  # Meeting Guide: 0 = Sunday
            "time": _hhmm(start),
        }
        notes = [room.description] if room.description else []
        if end < 24 * 60:
            item["end_time"] = _hhmm(end)
        else:
            # Clients build the end on the start's weekday (TSML UI does), so "01:00"
            # after "23:30" reads as 22.5 hours earlier. Without end_time they use
            # one hour, as the spec says; the notes give the real end.
            notes.append(f"Ends at {_hhmm(end)} the next day.")
        item["timezone"] = room.timezone
        # The spec's online signal is conference_url; it has no "online" type
        # code (TSML UI drops "ONL").
        item["types"] = list(room.types)
        if notes:
            item["notes"] = "\n\n".join(notes)
        item["conference_url"] = url
        item["conference_url_notes"] = _CONFERENCE_NOTES
        # The room page is the meeting's page here: what it is, when, and the way in.
        item["url"] = url
        edit = (edits or {}).get(room.id)
        changed = edit.at if edit is not None else edited
        if changed is not None:
            item["updated"] = f"{_utc(changed):%Y-%m-%d %H:%M:%S}"
        address = room.formatted_address or settings.feeds.formatted_address
        if address:
            item["formatted_address"] = address
            # A place of origin or affinity, not a door to knock on.
            item["approximate"] = "yes"
        items.append(item)
    return items


def _series(settings: Settings, rooms: Sequence[RoomConfig] | None) -> Iterator[Series]:
    """Each weekly slot of `rooms` (the catalog's; by default the settings' own)."""
    """Every weekly slot of every meeting room that has at least one occurrence."""
    for room in settings.rooms if rooms is None else rooms:
        if room.kind != "meeting" or not room.timezone:
            continue
        since = parse_until(room.since or settings.feeds.since or "") or SERIES_EPOCH
        for weekly in dict.fromkeys(room.weekly):  # a time listed twice is one slot
            first = series_start(room, weekly, since)
            if first is not None:
                yield Series(room, weekly, first)


def _main_zone(series: list[Series]) -> str | None:
    counts = Counter(str(one.room.timezone) for one in series)
    return counts.most_common(1)[0][0] if counts else None  # ties: the first configured


def _event(one: Series, url: str, stamp: datetime, modified: datetime | None,
           sequence: int = 0) -> Event:
    room, weekly = one.room, one.weekly
    event = Event()
    event.add("uid", f"{room.id}-{_DAY_NAMES[weekly.weekday]}-{weekly.hour:02d}"
                     f"{weekly.minute:02d}@peer-rooms")
    event.add("dtstamp", stamp)
    if modified is not None:
        event.add("last-modified", modified)
    event.add("sequence", sequence)
    event.add("summary", room.title)
    # A zoneinfo datetime is written as local time with TZID: the wall time
    # stays fixed across DST, as the meeting's does.
    event.add("dtstart", one.first)
    event.add("duration", timedelta(seconds=room.duration_s))
    rule: dict[str, object] = {"FREQ": "WEEKLY", "BYDAY": _ICAL_DAYS[weekly.weekday]}
    last = until_utc(room)
    if last is not None:
        # With a TZID'd DTSTART, RFC 5545 §3.3.10 wants UNTIL in UTC.
        rule["UNTIL"] = last
    event.add("rrule", rule)
    event.add("url", url)
    event.add("location", url)
    text = (f"An anonymous online meeting. Join at {url} with any name you choose; "
            "no account needed.")
    event.add("description", f"{room.description}\n\n{text}" if room.description else text)
    return event


def _slug(room: RoomConfig, weekly: WeeklyTime) -> str:
    suffix = f"-{_DAY_NAMES[weekly.weekday]}-{weekly.hour:02d}{weekly.minute:02d}"
    if len(room.id) + len(suffix) <= _SLUG_MAX:
        return room.id + suffix
    # Room ids may be 64 characters; cut and add a digest of the whole id so
    # two long ids with the same start still get different slugs.
    digest = hashlib.sha256(room.id.encode()).hexdigest()[:8]
    keep = _SLUG_MAX - len(suffix) - len(digest) - 1
    return f"{room.id[:keep].rstrip('-')}-{digest}{suffix}"


def _room_url(base_url: str, room: RoomConfig) -> str:
    return f"{base_url.rstrip('/')}/rooms/{room.id}"


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(int(epoch), UTC)


def _minutes(seconds: int) -> int:
    # Round up: a listing should not say a meeting ends before its room closes.
    return -(-seconds // 60)


def _hhmm(minutes: int) -> str:
    # Wall-clock arithmetic wraps past midnight ("23:30" + 90 min = "01:00").
    hours, mins = divmod(minutes % (24 * 60), 60)
    return f"{hours:02d}:{mins:02d}"
