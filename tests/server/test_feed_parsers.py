"""The calendar feed as real parsers read it: ical.js, node-ical, icalendar.

Each parser expands every series of `/api/meetings.ics` over 400 days, and every
instance must start at the configured local weekday and time, last the configured
duration, and be one the server itself schedules (`schedule.occurrences`).
ical.js knows no zone but UTC, so it reads only the feed's VTIMEZONEs; node-ical
and icalendar also know IANA names, so the VTIMEZONEs are checked against
zoneinfo separately through icalendar's own VTIMEZONE reader.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest
import recurring_ical_events
from aiohttp.test_utils import TestServer
from icalendar import Calendar, Timezone

from server.app import create_app
from server.config.loader import load_settings
from server.config.settings import RoomConfig, Settings, WeeklyTime
from server.records.rows import stamp
from server.rooms.feeds import meetings_ics
from server.rooms.schedule import occurrences
from tests.helpers import Clock

ROOT = Path(__file__).resolve().parents[2]
EXPAND = ROOT / "tests" / "feeds_js" / "expand.mjs"
DAYS = 400

CONFIG = """\
secret_key = "test-secret-key-0123456789"
database_url = "sqlite://"
site_title = "Recovery Rooms"

[feeds]
formatted_address = "Chicago, IL, USA"

[[rooms]]
id = "chicago"
kind = "meeting"
timezone = "America/Chicago"
weekly = ["sun 09:00", "sat 22:00", "tue 19:00"]
duration = "90m"

[[rooms]]
id = "london"
kind = "meeting"
timezone = "Europe/London"
weekly = ["sun 12:00", "wed 19:00"]
duration = "1h"

[[rooms]]
id = "london-ends"
kind = "meeting"
timezone = "Europe/London"
weekly = ["mon 08:00"]
until = "2027-04-30"

[[rooms]]
id = "sydney"
kind = "meeting"
timezone = "Australia/Sydney"
weekly = ["sun 08:00", "thu 19:30", "sat 23:30"]

[[rooms]]
id = "kolkata"
kind = "meeting"
timezone = "Asia/Kolkata"
weekly = ["wed 20:00"]

[[rooms]]
id = "lord-howe"
kind = "meeting"
timezone = "Australia/Lord_Howe"
weekly = ["sun 19:00", "mon 07:00"]
duration = "45m"
"""


@dataclass(frozen=True)
class Instance:
    uid: str
    start: datetime  # aware UTC
    end: datetime


@pytest.fixture
async def feed(tmp_path: Path) -> AsyncIterator[tuple[bytes, Settings, Clock]]:
    path = tmp_path / "peer-rooms.toml"
    path.write_text(CONFIG)
    settings = load_settings(path, env={})
    clock = Clock()
    server = TestServer(create_app(settings, clock=clock), host="127.0.0.1")
    await server.start_server(access_log=None)
    try:
        async with aiohttp.ClientSession() as http, \
                http.get(str(server.make_url("/api/meetings.ics"))) as response:
            assert response.status == 200
            body = await response.read()
        yield body, settings, clock
    finally:
        await server.close()


def window(clock: Clock) -> tuple[datetime, datetime]:
    start = datetime.fromtimestamp(clock.now, UTC)
    return start, start + timedelta(days=DAYS)


def slots(settings: Settings) -> dict[str, tuple[RoomConfig, WeeklyTime]]:
    """uid → (room, weekly time), as the feed names its series."""
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    return {f"{room.id}-{days[w.weekday]}-{w.hour:02d}{w.minute:02d}@peer-rooms": (room, w)
            for room in settings.rooms for w in room.weekly}


def expected(settings: Settings, start: datetime, end: datetime) -> set[Instance]:
    out: set[Instance] = set()
    for uid, (room, weekly) in slots(settings).items():
        single = replace(room, weekly=(weekly,), doors_open_s=0)
        for o in occurrences(single, start, end):
            if start <= o.starts_at < end:
                out.add(Instance(uid, o.starts_at, o.ends_at))
    return out


def mismatches(found: Iterable[Instance], settings: Settings,
               start: datetime, end: datetime) -> list[str]:
    """What is wrong with one parser's instances: each problem as one line."""
    by_uid = slots(settings)
    inside = {i for i in found if start <= i.start < end}
    problems: list[str] = []
    for instance in sorted(inside, key=lambda i: (i.uid, i.start)):
        room, weekly = by_uid[instance.uid]
        local = instance.start.astimezone(ZoneInfo(str(room.timezone)))
        if (local.weekday(), local.hour, local.minute) != (weekly.weekday, weekly.hour,
                                                           weekly.minute):
            problems.append(f"{instance.uid} starts {local.isoformat()}")
        if instance.end - instance.start != timedelta(seconds=room.duration_s):
            problems.append(f"{instance.uid} on {local.date()} lasts "
                            f"{instance.end - instance.start}")
    want = expected(settings, start, end)
    problems += [f"missing {i.uid} at {i.start.isoformat()}" for i in want - inside]
    problems += [f"extra {i.uid} at {i.start.isoformat()}" for i in inside - want]
    return problems


def node() -> str:
    path = shutil.which("node")
    installed = (ROOT / "tests" / "feeds_js" / "node_modules" / "ical.js").is_dir()
    if path is None or not installed:
        message = ("node or tests/feeds_js/node_modules is missing "
                   "(apt-get install nodejs npm; make setup-test)")
        if os.environ.get("CI") == "true":
            pytest.fail(message)  # under CI a missing dependency fails, never skips
        pytest.skip(message)
    return path


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def expand_in_node(body: bytes, start: datetime, end: datetime, parser: str) -> list[Instance]:
    # A day of slack either side; `mismatches` keeps the instances inside the window.
    bounds = [str(int((t.timestamp() + d) * 1000)) for t, d in ((start, -86400), (end, 86400))]
    result = subprocess.run([node(), str(EXPAND), *bounds], input=body, capture_output=True,
                            check=True, timeout=60)
    return [Instance(i["uid"], from_ms(i["start"]), from_ms(i["end"]))
            for i in json.loads(result.stdout)[parser]]


@pytest.mark.parametrize("parser", ["ical.js", "node-ical"])
async def test_javascript_parsers_expand_every_instance_at_the_configured_time(
        feed: tuple[bytes, Settings, Clock], parser: str) -> None:
    body, settings, clock = feed
    start, end = window(clock)
    found = expand_in_node(body, start, end, parser)
    assert len(found) > 550  # 12 series, 57 weeks (one series ends early)
    assert mismatches(found, settings, start, end) == []


async def test_icalendar_and_recurring_ical_events_expand_every_instance_at_the_configured_time(
        feed: tuple[bytes, Settings, Clock]) -> None:
    body, settings, clock = feed
    start, end = window(clock)
    calendar = Calendar.from_ical(body)
    found = [Instance(str(e["UID"]), e.decoded("DTSTART").astimezone(UTC),
                      e.decoded("DTEND").astimezone(UTC))
             for e in recurring_ical_events.of(calendar).between(start, end)]
    assert len(found) > 550
    assert mismatches(found, settings, start, end) == []


async def test_every_vtimezone_gives_zoneinfo_offsets_hour_by_hour(
        feed: tuple[bytes, Settings, Clock]) -> None:
    body, _settings, clock = feed
    start, _end = window(clock)
    zones = [c for c in Calendar.from_ical(body).walk("VTIMEZONE") if isinstance(c, Timezone)]
    assert {str(z["TZID"]) for z in zones} == {
        "America/Chicago", "Europe/London", "Australia/Sydney", "Asia/Kolkata",
        "Australia/Lord_Howe"}
    for component in zones:
        tzid = str(component["TZID"])
        # Parsed from the VTIMEZONE alone, under a name no library knows.
        renamed = Calendar.from_ical(component.to_ical().replace(
            tzid.encode(), b"Feed/" + tzid.replace("/", "-").encode()))
        ours = renamed.to_tz()
        real = ZoneInfo(tzid)
        wrong = []
        first = int(start.timestamp()) // 3600 * 3600 - 30 * 86400
        for t in range(first, first + (DAYS + 60) * 86400, 1800):
            at = datetime.fromtimestamp(t, UTC)
            if at.astimezone(ours).utcoffset() != at.astimezone(real).utcoffset():
                wrong.append(at.isoformat())
        assert wrong == [], f"{tzid}: {len(wrong)} half-hours off, from {wrong[:1]}"
        for observance in component.subcomponents:
            # Rules, never a bare list of dates (ical.js ignores a DTSTART next to RDATEs).
            assert "RDATE" not in observance
        kinds = sorted(o.name for o in component.subcomponents)
        assert kinds == (["STANDARD"] if tzid == "Asia/Kolkata" else ["DAYLIGHT", "STANDARD"])


async def test_the_calendar_carries_publishing_headers(
        feed: tuple[bytes, Settings, Clock]) -> None:
    body, settings, _clock = feed
    calendar = Calendar.from_ical(body)
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == "Recovery Rooms"
    assert str(calendar["X-WR-TIMEZONE"]) == "America/Chicago"  # the zone most slots use
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT12H" in body
    assert b"X-PUBLISHED-TTL:PT12H" in body
    assert settings.config_mtime is not None
    # The rooms' records were edited when the file was, in whole milliseconds (`stamp`:
    # an mtime of hh:mm:55.9996 is a record edited at hh:mm:56.000).
    edited = datetime.fromtimestamp(int(stamp(settings.config_mtime)), UTC)
    for event in calendar.walk("VEVENT"):
        assert event.decoded("LAST-MODIFIED") == edited
        assert event.decoded("DTSTAMP") == edited
        assert int(event["SEQUENCE"]) == 0


@pytest.mark.xfail(strict=True, reason=(
    "ical.js 2.x resolves a local time in a fall-back's repeated hour to the later "
    "instant (RFC 5545 says the first) and adds DURATION in wall time, so a meeting "
    "that ends in that hour ends an hour late there; no VTIMEZONE can change that"))
async def test_icaljs_end_in_the_repeated_hour(tmp_path: Path) -> None:
    # Saturday 23:30 for 90 minutes in Chicago ends at 01:00 CDT on 2027-11-07,
    # the first of that night's two 01:00s.
    path = tmp_path / "peer-rooms.toml"
    path.write_text(CONFIG.split("[[rooms]]")[0] + """
[[rooms]]
id = "late"
kind = "meeting"
timezone = "America/Chicago"
weekly = ["sat 23:30"]
""")
    settings = load_settings(path, env={})
    start = datetime(2027, 10, 1, tzinfo=UTC)
    end = datetime(2027, 12, 1, tzinfo=UTC)
    body = meetings_ics(settings, "https://meet.example.org", start.timestamp(), None)
    assert mismatches(expand_in_node(body, start, end, "ical.js"), settings, start, end) == []
