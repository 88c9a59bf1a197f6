"""The meetings feeds: iCalendar that parses back, Meeting Guide JSON to the spec, 304s."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from dateutil.rrule import rrulestr
from icalendar import Calendar, Component, vRecur

from server.app import create_app
from server.config.loader import load_settings
from server.config.meeting_types import MEETING_GUIDE_TYPES
from server.config.rooms import parse_weekly
from server.config.settings import Feeds, RoomConfig, Settings, WeeklyTime
from server.rooms.feeds import SERIES_EPOCH, meeting_guide_json, meetings_ics
from server.rooms.schedule import occurrences
from tests.helpers import Clock

BASE = "https://meet.example.org"
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC).timestamp()  # a Sunday, before US DST
EDITED = datetime(2026, 2, 20, 9, 15, 30, tzinfo=UTC).timestamp()  # the records' last edit
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
    room("never", "Europe/London", "sun 19:00", until="2025-12-31"),  # ends before it starts
    room(LONG_ID, "Asia/Kolkata", "wed 20:00", "wed 21:00"),
    room("twice", "UTC", "fri 12:00", "fri 12:00"),
)
SETTINGS = Settings(secret_key="k" * 32, rooms=ROOMS, formats={}, site_title="Recovery Rooms")
# (room id, weekday, hour, minute) of every slot the calendar lists: a finished series
# stays, so subscribers keep its past instances.
SLOTS = {(r.id, w.weekday, w.hour, w.minute) for r in ROOMS[1:5] + ROOMS[6:] for w in r.weekly}
# What Meeting Guide lists: meetings that still happen at NOW.
CURRENT = {s for s in SLOTS if s[0] != "finished"}


def parsed_calendar(now: float = NOW) -> Calendar:
    return Calendar.from_ical(meetings_ics(SETTINGS, BASE, now, EDITED))


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
    # Drop-in rooms and series that end before they start are not in the feed.
    assert not any(uid.startswith(("open-circle", "never")) for uid in uids)
    assert "finished-sun-1900@peer-rooms" in uids


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
        # The records' edit time, never the time of the request.
        assert event.decoded("DTSTAMP") == datetime.fromtimestamp(int(EDITED), UTC)
        assert event.decoded("LAST-MODIFIED") == datetime.fromtimestamp(int(EDITED), UTC)
        assert int(event["SEQUENCE"]) == 0
        # The series starts with the slot's first day on or after the epoch.
        assert SERIES_EPOCH <= start.date() < SERIES_EPOCH + timedelta(days=7)
        seen.add((room_id, start.weekday(), start.hour, start.minute))
    assert seen == SLOTS


def test_ics_has_a_vtimezone_for_every_tzid() -> None:
    calendar = parsed_calendar()
    tzids = {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
    used = {str(e["DTSTART"].params["TZID"]) for e in calendar.walk("VEVENT")
            if "TZID" in e["DTSTART"].params}
    assert used == tzids
    assert used == {"America/Chicago", "America/New_York", "Europe/London", "Asia/Kolkata"}


def test_ics_until_is_the_end_of_the_local_day_in_utc() -> None:
    (event,) = [e for e in parsed_calendar().walk("VEVENT")
                if str(e["UID"]).startswith("london-")]
    (until,) = recur(event)["UNTIL"]
    assert isinstance(until, datetime)
    assert until == datetime(2026, 6, 30, 23, 59, 59, tzinfo=ZoneInfo("Europe/London"))
    assert until.utcoffset() == timedelta(0)
    others = [e for e in parsed_calendar().walk("VEVENT") if "UNTIL" not in recur(e)]
    assert len(others) == len(SLOTS) - 2  # london and finished


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


def test_ics_is_the_same_from_day_to_day_until_an_edit() -> None:
    # DTSTART, VTIMEZONEs and DTSTAMP do not follow the clock, so neither does the ETag.
    first = meetings_ics(SETTINGS, BASE, NOW, EDITED)
    for days in (1, 7, 45, 200, 400):  # 400: into the next year too
        assert meetings_ics(SETTINGS, BASE, NOW + days * 86400, EDITED) == first
    assert meetings_ics(SETTINGS, BASE, NOW, EDITED + 60) != first


def test_ics_series_start_follows_since() -> None:
    since = Settings(secret_key="k" * 32, formats={}, feeds=Feeds(since="2026-02-10"), rooms=(
        room("site", "America/Chicago", "tue 19:00"),
        room("own", "America/Chicago", "tue 19:00", since="2026-03-03"),))
    calendar = Calendar.from_ical(meetings_ics(since, BASE, NOW))
    starts = {str(e["UID"]): e.decoded("DTSTART") for e in calendar.walk("VEVENT")}
    chicago = ZoneInfo("America/Chicago")
    assert starts == {"site-tue-1900@peer-rooms": datetime(2026, 2, 10, 19, tzinfo=chicago),
                      "own-tue-1900@peer-rooms": datetime(2026, 3, 3, 19, tzinfo=chicago)}
    # No edit time known: DTSTAMP is the epoch, and there is no LAST-MODIFIED.
    event = calendar.walk("VEVENT")[0]
    assert event.decoded("DTSTAMP").date() == SERIES_EPOCH and "LAST-MODIFIED" not in event


def test_ics_publishing_headers() -> None:
    calendar = parsed_calendar()
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-TIMEZONE"]) == "America/New_York"  # most slots are there
    assert calendar.decoded("REFRESH-INTERVAL") == timedelta(hours=12)
    assert calendar["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert "X-PUBLISHED-TTL:PT12H" in calendar.to_ical().decode()
    fixed = replace(SETTINGS, feeds=Feeds(timezone="Europe/London"))
    assert str(Calendar.from_ical(meetings_ics(fixed, BASE, NOW))["X-WR-TIMEZONE"]) == \
        "Europe/London"


def test_ics_description_carries_the_room_description() -> None:
    described = Settings(secret_key="k" * 32, formats={}, rooms=(
        room("d", "UTC", "mon 10:00", description="Open discussion; newcomers welcome."),))
    (event,) = Calendar.from_ical(meetings_ics(described, BASE, NOW)).walk("VEVENT")
    assert str(event["DESCRIPTION"]).startswith("Open discussion; newcomers welcome.")


# --- Meeting Guide JSON ----------------------------------------------------------

HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
URL_SAFE = re.compile(r"^[a-z0-9-]+$")


def test_json_items_carry_the_spec_fields_with_the_right_types() -> None:
    items = meeting_guide_json(SETTINGS, BASE, NOW, EDITED)
    assert len(items) == len(CURRENT)
    for item in items:
        # Required by the spec: name and slug; day and time for weekly meetings.
        assert isinstance(item["name"], str) and 0 < len(item["name"]) <= 255
        assert isinstance(item["slug"], str) and URL_SAFE.match(item["slug"])
        assert len(item["slug"]) <= 64
        assert isinstance(item["day"], int) and 0 <= item["day"] <= 6
        assert isinstance(item["time"], str) and HHMM.match(item["time"])
        assert "end_time" not in item or HHMM.match(str(item["end_time"]))
        assert isinstance(item["timezone"], str) and ZoneInfo(item["timezone"])
        types = item["types"]
        assert isinstance(types, list) and all(isinstance(t, str) for t in types)
        # Online meetings are recognised by conference_url; "ONL" is not a spec type.
        assert "ONL" not in types
        assert isinstance(item["conference_url"], str)
        assert item["conference_url"].startswith(f"{BASE}/rooms/")
        assert isinstance(item["conference_url_notes"], str)
        # The room page is the meeting's page here, and where it is held.
        assert item["url"] == item["conference_url"]
        assert item["updated"] == "2026-02-20 09:15:30"  # the edit, in UTC
        assert "formatted_address" not in item  # none configured


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


def client_minutes(item: dict[str, object]) -> int:
    """The meeting's length as TSML UI computes it: the end on the start's weekday,
    or one hour when there is no end_time (the spec's default)."""
    start_h, start_m = (int(x) for x in str(item["time"]).split(":"))
    if "end_time" not in item:
        return 60
    end_h, end_m = (int(x) for x in str(item["end_time"]).split(":"))
    return (end_h * 60 + end_m) - (start_h * 60 + start_m)


def test_json_a_meeting_past_midnight_has_no_negative_length() -> None:
    items = {str(i["slug"]): i for i in meeting_guide_json(SETTINGS, BASE, NOW)}
    late = items["late-night-sat-2330"]  # 23:30 for 90 minutes
    assert (late["time"], late["timezone"]) == ("23:30", "America/New_York")
    assert "end_time" not in late
    assert late["notes"] == "Ends at 01:00 the next day."
    assert client_minutes(late) > 0
    assert (items["tuesday-night-tue-1900"]["time"],
            items["tuesday-night-tue-1900"]["end_time"]) == ("19:00", "20:30")
    assert all(client_minutes(i) > 0 for i in items.values())


def test_json_types_and_notes_come_from_the_room() -> None:
    described = Settings(secret_key="k" * 32, formats={}, rooms=(
        room("d", "UTC", "mon 10:00", types=("O", "D"), description="Newcomers welcome."),
        room("late", "UTC", "mon 23:00", duration_s=7200, description="Quiet."),))
    first, second = meeting_guide_json(described, BASE, NOW)
    assert (first["types"], first["notes"]) == (["O", "D"], "Newcomers welcome.")
    assert second["notes"] == "Quiet.\n\nEnds at 01:00 the next day."


def test_json_meets_what_meeting_guide_needs_to_import_with_an_address() -> None:
    located = replace(SETTINGS, feeds=Feeds(formatted_address="Chicago, IL, USA"), rooms=(
        *SETTINGS.rooms, room("london-own", "Europe/London", "mon 19:00", types=("O", "BE"),
                              formatted_address="London, UK")))
    items = meeting_guide_json(located, BASE, NOW, EDITED)
    for item in items:
        # Required: name and slug; day and time for weekly meetings; geographic
        # information; an online meeting needs conference_url to be active.
        assert item["name"] and item["slug"]
        assert item["day"] in range(7) and HHMM.match(str(item["time"]))
        assert isinstance(item["formatted_address"], str) and item["approximate"] == "yes"
        assert str(item["conference_url"]).startswith("https://")
        types = item["types"]
        assert isinstance(types, list) and all(t in MEETING_GUIDE_TYPES for t in types)
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", str(item["updated"]))
    by_slug = {str(i["slug"]): i for i in items}
    assert by_slug["london-own-mon-1900"]["formatted_address"] == "London, UK"
    assert by_slug["tuesday-night-tue-1900"]["formatted_address"] == "Chicago, IL, USA"


def test_json_updated_is_the_edit_time_not_the_request_time() -> None:
    assert meeting_guide_json(SETTINGS, BASE, NOW, EDITED) == \
        meeting_guide_json(SETTINGS, BASE, NOW + 3600, EDITED)
    assert all("updated" not in i for i in meeting_guide_json(SETTINGS, BASE, NOW))


def test_json_end_time_rounds_a_partial_minute_up() -> None:
    odd = Settings(secret_key="k" * 32, formats={}, rooms=(
        room("odd", "UTC", "mon 10:00", duration_s=30 * 60 + 1),))
    (item,) = meeting_guide_json(odd, BASE, NOW)
    assert item["end_time"] == "10:31"


# --- Over HTTP: conditional requests ---------------------------------------------

FEED_CONFIG = """\
secret_key = "test-secret-key-0123456789"
database_url = "sqlite://"

[feeds]
formatted_address = "Chicago, IL, USA"

[[rooms]]
id = "tuesday-night"
title = "Tuesday Night Recovery"
kind = "meeting"
timezone = "America/Chicago"
weekly = ["tue 19:00", "sat 23:30"]
description = "Open discussion; newcomers welcome."
types = ["O", "D"]
"""


class Site:
    def __init__(self, path: Path, clock: Clock) -> None:
        self.path, self.clock = path, clock
        self.servers: list[TestServer] = []

    async def start(self) -> str:
        """Serve the config file as it is now (a restart, as after an edit)."""
        server = TestServer(create_app(load_settings(self.path, env={}), clock=self.clock),
                            host="127.0.0.1")
        await server.start_server(access_log=None)
        self.servers.append(server)
        return str(server.make_url(""))


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    path = tmp_path / "peer-rooms.toml"
    path.write_text(FEED_CONFIG)
    os.utime(path, (EDITED, EDITED))
    made = Site(path, Clock())
    yield made
    for server in made.servers:
        await server.close()


@pytest.mark.parametrize("feed", ["/api/meetings.ics", "/api/meetings.json"])
async def test_feeds_answer_etag_and_last_modified_and_304(site: Site, feed: str) -> None:
    url = await site.start() + feed
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as response:
            assert response.status == 200
            body = await response.read()
            etag = response.headers["ETag"]
            modified = response.headers["Last-Modified"]
        assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
        assert modified == "Fri, 20 Feb 2026 09:15:30 GMT"  # the file's mtime, not the request
        site.clock.advance(3 * 86400)  # days later, nothing edited: the same feed
        async with http.get(url) as response:
            assert (await response.read(), response.headers["ETag"]) == (body, etag)
        for headers in ({"If-None-Match": etag}, {"If-None-Match": f'"other", W/{etag}'},
                        {"If-None-Match": "*"}, {"If-Modified-Since": modified},
                        {"If-Modified-Since": "Sat, 21 Feb 2026 00:00:00 GMT"}):
            async with http.get(url, headers=headers) as response:
                assert response.status == 304, headers
                assert await response.read() == b""
                assert response.headers["ETag"] == etag
        for headers in ({"If-None-Match": '"other"'},
                        {"If-Modified-Since": "Thu, 19 Feb 2026 00:00:00 GMT"},
                        # If-None-Match decides when both are sent (RFC 9110 §13.2.2).
                        {"If-None-Match": '"other"', "If-Modified-Since": modified}):
            async with http.get(url, headers=headers) as response:
                assert response.status == 200, headers
                assert await response.read() == body


async def test_an_edit_changes_the_etag_and_updated(site: Site) -> None:
    first = await site.start()
    async with aiohttp.ClientSession() as http:
        async with http.get(first + "/api/meetings.json") as response:
            before, etag = await response.json(), response.headers["ETag"]
        site.clock.advance(3600)
        async with http.get(first + "/api/meetings.json") as response:
            assert await response.json() == before  # `updated` did not move
        assert {i["updated"] for i in before} == {"2026-02-20 09:15:30"}
        site.path.write_text(FEED_CONFIG.replace('"O", "D"', '"C", "D"'))
        os.utime(site.path, (EDITED + 86400, EDITED + 86400))
        second = await site.start()
        async with http.get(second + "/api/meetings.json",
                            headers={"If-None-Match": etag}) as response:
            assert response.status == 200
            after = await response.json()
    assert {i["updated"] for i in after} == {"2026-02-21 09:15:30"}
    assert {tuple(i["types"]) for i in after} == {("C", "D")}
