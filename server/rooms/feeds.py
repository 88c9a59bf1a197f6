"""The scheduled meetings as feeds other software reads: iCalendar and Meeting Guide.

Pure: settings, the site's base URL and `now` in; bytes or JSON-ready data out.
One entry per (meeting room, weekly time) in both feeds, because both formats
describe one weekly slot per entry (an RRULE with one BYDAY; a Meeting Guide
item with one `day`). Drop-in rooms are not listed: they have no schedule.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar, Event

from server.config.settings import RoomConfig, Settings, WeeklyTime
from server.rooms.schedule import series_start, until_utc

# WeeklyTime.weekday is 0 = Monday in every table here.
_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ICAL_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

# The VTIMEZONE blocks carry explicit transitions for this many years; clients
# that know the IANA zone by its TZID (most) use their own rules anyway.
_VTIMEZONE_YEARS = 30

# Meeting Guide: slugs "should be 64 characters max", names 255 (spec README,
# "Required Fields"; schema/meeting.schema.json maxLength).
_SLUG_MAX = 64
_NAME_MAX = 255

_CONFERENCE_NOTES = ("A text-only meeting in your web browser: no account, no camera, "
                     "no phone number. Choose any first name or nickname when you join.")


def meetings_ics(settings: Settings, base_url: str, now: float) -> bytes:
    """An RFC 5545 calendar of every weekly meeting slot, with VTIMEZONEs."""
    calendar = Calendar()
    calendar.add("prodid", "-//peer-rooms//meetings//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", settings.site_title)
    stamp = datetime.fromtimestamp(now, UTC).replace(microsecond=0)
    for room, weekly, first in _series(settings, now):
        calendar.add_component(_event(room, weekly, first, _room_url(base_url, room), stamp))
    # RFC 5545 §3.6.5: one VTIMEZONE per TZID used. The range starts a week back
    # because a series may start with a meeting that is still running.
    today = stamp.date()
    calendar.add_missing_timezones(first_date=today - timedelta(days=7),
                                   last_date=date(today.year + _VTIMEZONE_YEARS, 1, 1))
    ical: bytes = calendar.to_ical()
    return ical


def meeting_guide_json(settings: Settings, base_url: str, now: float, *,
                       formatted_address: str | None = None) -> list[dict[str, object]]:
    """The meetings in the code4recovery Meeting Guide format, one item per slot.

    `formatted_address` is an optional approximate place ("Chicago, IL, USA"):
    the Meeting Guide app lists online meetings only when they have one, since
    it shows meetings "near" the user; without it the item has no address.
    """
    updated = f"{datetime.fromtimestamp(now, UTC):%Y-%m-%d %H:%M:%S}"
    items: list[dict[str, object]] = []
    for room, weekly, _first in _series(settings, now):
        url = _room_url(base_url, room)
        item: dict[str, object] = {
            "name": room.title[:_NAME_MAX],
            "slug": _slug(room, weekly),
            "day": (weekly.weekday + 1) % 7,  # Meeting Guide: 0 = Sunday
            "time": _hhmm(weekly.hour * 60 + weekly.minute),
            "end_time": _hhmm(weekly.hour * 60 + weekly.minute + _minutes(room.duration_s)),
            "timezone": room.timezone,
            # The spec's online signal is conference_url; it has no "online" type
            # code (TSML UI drops "ONL"), and open/closed is not in our config.
            "types": [],
            "conference_url": url,
            "conference_url_notes": _CONFERENCE_NOTES,
            "url": url,
            "updated": updated,
        }
        if formatted_address:
            item["formatted_address"] = formatted_address
            item["approximate"] = "yes"
        items.append(item)
    return items


def _series(settings: Settings,
            now: float) -> Iterator[tuple[RoomConfig, WeeklyTime, datetime]]:
    """(room, weekly time, first local start) for every slot that still recurs."""
    for room in settings.rooms:
        if room.kind != "meeting" or not room.timezone:
            continue
        for weekly in dict.fromkeys(room.weekly):  # a time listed twice is one slot
            first = series_start(room, weekly, now)
            if first is not None:
                yield room, weekly, first


def _event(room: RoomConfig, weekly: WeeklyTime, first: datetime, url: str,
           stamp: datetime) -> Event:
    event = Event()
    event.add("uid", f"{room.id}-{_DAY_NAMES[weekly.weekday]}-{weekly.hour:02d}"
                     f"{weekly.minute:02d}@peer-rooms")
    event.add("dtstamp", stamp)
    event.add("summary", room.title)
    # A zoneinfo datetime is written as local time with TZID: the wall time
    # stays fixed across DST, as the meeting's does.
    event.add("dtstart", first)
    event.add("duration", timedelta(seconds=room.duration_s))
    rule: dict[str, object] = {"FREQ": "WEEKLY", "BYDAY": _ICAL_DAYS[weekly.weekday]}
    last = until_utc(room)
    if last is not None:
        # With a TZID'd DTSTART, RFC 5545 §3.3.10 wants UNTIL in UTC.
        rule["UNTIL"] = last
    event.add("rrule", rule)
    event.add("url", url)
    event.add("location", url)
    event.add("description", f"An anonymous online meeting. Join at {url} with any "
                             "name you choose; no account needed.")
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


def _minutes(seconds: int) -> int:
    # Round up: a listing should not say a meeting ends before its room closes.
    return -(-seconds // 60)


def _hhmm(minutes: int) -> str:
    # Wall-clock arithmetic wraps past midnight ("23:30" + 90 min = "01:00").
    hours, mins = divmod(minutes % (24 * 60), 60)
    return f"{hours:02d}:{mins:02d}"
