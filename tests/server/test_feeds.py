"""The meetings feeds: iCalendar that parses back, Meeting Guide JSON to the spec."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from icalendar import Calendar, Component, vRecur

from server.config.loader import parse_weekly
from server.config.settings import RoomConfig, Settings, WeeklyTime
from server.rooms.feeds import meeting_guide_json, meetings_ics
from server.rooms.schedule import occurrences

BASE = "https://meet.example.org"
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC).timestamp()  # a Sunday, before US DST
LONG_ID = "a" * 30 + "-" + "b" * 33  # 64 characters, the longest id config allows


def weekly(*texts: str) -> tuple[WeeklyTime, ...]:
    parsed = tuple(parse_weekly(t) for t in texts)
    assert all(p is not None for p in parsed)
    return tuple(p for p in parsed if p is not None)


def room(room_id: str, tz: str, *times: str, **extra: Any) -> RoomConfig:
    return RoomConfig(id=room_id, title=room_id.title(), kind="meeting", timezone=tz,
                      weekly=weekly(*times), **extra)


ROOMS = (
    RoomConfig(id="open-circle", title="Open Circle", kind="drop-in"),
    room("tuesday-night", "America/Chicago", "tue 19:00", "thu 19:00"),
    room("late-night", "America/New_York", "sat 23:30", "sun 19:00", "mon 07:00"),
    room("london", "Europe/London", "sun 19:00", until="2026-06-30"),
    room("finished", "Europe/London", "sun 19:00", until="2026-01-31"),
    room(LONG_ID, "Asia/Kolkata", "wed 20:00", "wed 21:00"),
    room("twice", "UTC", "fri 12:00", "fri 12:00"),
)
SETTINGS = Settings(secret_key="k" * 32, rooms=ROOMS, formats={}, site_title="Recovery Rooms")
# (room id, weekday, hour, minute) of every slot that should be listed.
SLOTS = {(r.id, w.weekday, w.hour, w.minute) for r in ROOMS[1:4] + ROOMS[5:] for w in r.weekly}


def parsed_calendar() -> Calendar:
    return Calendar.from_ical(meetings_ics(SETTINGS, BASE, NOW))


def recur(event: Component) -> vRecur:
    rule = event["RRULE"]
    assert isinstance(rule, vRecur)
    return rule


# --- iCalendar -------------------------------------------------------------------

def test_ics_calendar_header() -> None:
    calendar = parsed_calendar()
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"])
    assert str(calendar["X-WR-CALNAME"]) == "Recovery Rooms"


def test_ics_one_event_per_weekly_slot_with_unique_uids() -> None:
    events = parsed_calendar().walk("VEVENT")
    assert len(events) == len(SLOTS)
    uids = [str(e["UID"]) for e in events]
    assert len(set(uids)) == len(uids)
    assert "tuesday-night-tue-1900@peer-rooms" in uids
    # Drop-in rooms and series whose `until` has passed are not in the feed.
    assert not any(uid.startswith(("open-circle", "finished")) for uid in uids)


def test_ics_events_recur_weekly_on_the_configured_local_day_and_time() -> None:
    by_room = {r.id: r for r in ROOMS}
    ical_days = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
    seen = set()
    for event in parsed_calendar().walk("VEVENT"):
        room_id = str(event["URL"]).rsplit("/", 1)[1]
        config = by_room[room_id]
        start = event.decoded("DTSTART")
        assert start.tzinfo is not None and str(start.tzinfo) == config.timezone
        if config.timezone == "UTC":
            # RFC 5545 writes UTC as "...Z", with no TZID (and needs no VTIMEZONE).
            assert "TZID" not in event["DTSTART"].params
        else:
            assert event["DTSTART"].params["TZID"] == config.timezone
        rule = recur(event)
        assert rule["FREQ"] == ["WEEKLY"]
        assert rule["BYDAY"] == [ical_days[start.weekday()]]
        assert event.decoded("DURATION") == timedelta(seconds=config.duration_s)
        assert str(event["SUMMARY"]) == config.title
        assert str(event["URL"]) == f"{BASE}/rooms/{room_id}"
        assert f"{BASE}/rooms/{room_id}" in str(event["DESCRIPTION"])
        assert "anonymous" in str(event["DESCRIPTION"]).lower()
        assert event.decoded("DTSTAMP") == datetime.fromtimestamp(NOW, UTC)
        # The first occurrence that has not ended at NOW.
        now = datetime.fromtimestamp(NOW, UTC)
        assert start + timedelta(seconds=config.duration_s) > now
        assert start - now < timedelta(days=7)
        seen.add((room_id, start.weekday(), start.hour, start.minute))
    assert seen == SLOTS


def test_ics_has_a_vtimezone_for_every_tzid() -> None:
    calendar = parsed_calendar()
    tzids = {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
    used = {str(e["DTSTART"].params["TZID"]) for e in calendar.walk("VEVENT")
            if "TZID" in e["DTSTART"].params}
    assert used <= tzids
    assert used == {"America/Chicago", "America/New_York", "Europe/London", "Asia/Kolkata"}


def test_ics_until_is_the_end_of_the_local_day_in_utc() -> None:
    (event,) = [e for e in parsed_calendar().walk("VEVENT")
                if str(e["UID"]).startswith("london-")]
    (until,) = recur(event)["UNTIL"]
    assert isinstance(until, datetime)
    assert until == datetime(2026, 6, 30, 23, 59, 59, tzinfo=ZoneInfo("Europe/London"))
    assert until.utcoffset() == timedelta(0)
    others = [e for e in parsed_calendar().walk("VEVENT") if "UNTIL" not in recur(e)]
    assert len(others) == len(SLOTS) - 1


def test_ics_recurrence_gives_the_same_instants_as_the_server_across_dst() -> None:
    # What a calendar client expands must be when the room actually opens.
    config = next(r for r in ROOMS if r.id == "late-night")
    horizon = datetime(2026, 4, 30, tzinfo=UTC)
    expected = sorted(o.starts_at for o in occurrences(
        config, datetime.fromtimestamp(NOW, UTC), horizon))
    expanded: list[datetime] = []
    for event in parsed_calendar().walk("VEVENT"):
        if str(event["UID"]).startswith("late-night-"):
            rule = rrulestr(recur(event).to_ical().decode(), dtstart=event.decoded("DTSTART"))
            expanded += [d.astimezone(UTC) for d in rule.between(
                datetime.fromtimestamp(NOW, UTC) - timedelta(hours=2), horizon, inc=True)]
    assert sorted(expanded) == expected
    sundays = [i for i in expected if i.astimezone(ZoneInfo("America/New_York")).weekday() == 6]
    assert {i.hour for i in sundays} == {0, 23}  # Sunday 19:00 local: EST, then EDT


def test_ics_in_progress_meeting_starts_the_series_today() -> None:
    during = datetime(2026, 3, 3, 19, 30, tzinfo=ZoneInfo("America/Chicago")).timestamp()
    calendar = Calendar.from_ical(meetings_ics(SETTINGS, BASE, during))
    (event,) = [e for e in calendar.walk("VEVENT")
                if str(e["UID"]) == "tuesday-night-tue-1900@peer-rooms"]
    assert event.decoded("DTSTART") == datetime(2026, 3, 3, 19,
                                                tzinfo=ZoneInfo("America/Chicago"))


def test_ics_is_deterministic_for_a_given_now() -> None:
    assert meetings_ics(SETTINGS, BASE, NOW) == meetings_ics(SETTINGS, BASE + "/", NOW)


# --- Meeting Guide JSON ----------------------------------------------------------

HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
URL_SAFE = re.compile(r"^[a-z0-9-]+$")


def test_json_items_carry_the_spec_fields_with_the_right_types() -> None:
    items = meeting_guide_json(SETTINGS, BASE, NOW)
    assert len(items) == len(SLOTS)
    for item in items:
        # Required by the spec: name and slug; day and time for weekly meetings.
        assert isinstance(item["name"], str) and 0 < len(item["name"]) <= 255
        assert isinstance(item["slug"], str) and URL_SAFE.match(item["slug"])
        assert len(item["slug"]) <= 64
        assert isinstance(item["day"], int) and 0 <= item["day"] <= 6
        assert isinstance(item["time"], str) and HHMM.match(item["time"])
        assert isinstance(item["end_time"], str) and HHMM.match(item["end_time"])
        assert isinstance(item["timezone"], str) and ZoneInfo(item["timezone"])
        types = item["types"]
        assert isinstance(types, list) and all(isinstance(t, str) for t in types)
        # Online meetings are recognised by conference_url; "ONL" is not a spec type.
        assert "ONL" not in types
        assert isinstance(item["conference_url"], str)
        assert item["conference_url"].startswith(f"{BASE}/rooms/")
        assert isinstance(item["conference_url_notes"], str)
        assert item["url"] == item["conference_url"]
        assert item["updated"] == "2026-03-01 12:00:00"
        assert "formatted_address" not in item


def test_json_slugs_are_unique_even_for_long_room_ids() -> None:
    slugs = [str(i["slug"]) for i in meeting_guide_json(SETTINGS, BASE, NOW)]
    assert len(set(slugs)) == len(slugs)
    assert "tuesday-night-thu-1900" in slugs
    long_ones = [s for s in slugs if s.endswith(("-wed-2000", "-wed-2100"))]
    assert len(long_ones) == 2
    assert all(len(s) <= 64 and s.startswith("a" * 30) for s in long_ones)


def test_json_day_counts_from_sunday() -> None:
    items = {str(i["slug"]): i for i in meeting_guide_json(SETTINGS, BASE, NOW)}
    assert items["late-night-sun-1900"]["day"] == 0
    assert items["late-night-mon-0700"]["day"] == 1
    assert items["tuesday-night-tue-1900"]["day"] == 2
    assert items["twice-fri-1200"]["day"] == 5
    assert items["late-night-sat-2330"]["day"] == 6


def test_json_times_are_local_and_end_time_wraps_past_midnight() -> None:
    items = {str(i["slug"]): i for i in meeting_guide_json(SETTINGS, BASE, NOW)}
    late = items["late-night-sat-2330"]
    assert (late["time"], late["end_time"], late["timezone"]) == (
        "23:30", "01:00", "America/New_York")
    assert (items["tuesday-night-tue-1900"]["time"],
            items["tuesday-night-tue-1900"]["end_time"]) == ("19:00", "20:30")


def test_json_leaves_out_drop_in_and_finished_rooms_and_repeated_times() -> None:
    slugs = [str(i["slug"]) for i in meeting_guide_json(SETTINGS, BASE, NOW)]
    assert not any(s.startswith(("open-circle", "finished")) for s in slugs)
    assert slugs.count("twice-fri-1200") == 1


def test_json_approximate_address_when_given() -> None:
    items = meeting_guide_json(SETTINGS, BASE, NOW, formatted_address="Chicago, IL, USA")
    assert all(i["formatted_address"] == "Chicago, IL, USA" and i["approximate"] == "yes"
               for i in items)


def test_json_end_time_rounds_a_partial_minute_up() -> None:
    odd = Settings(secret_key="k" * 32, formats={}, rooms=(
        room("odd", "UTC", "mon 10:00", duration_s=30 * 60 + 1),))
    (item,) = meeting_guide_json(odd, BASE, NOW)
    assert item["end_time"] == "10:31"
