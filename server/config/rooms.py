"""The `[[rooms]]` and `[formats.NAME]` tables: slugs, weekly times, durations, zones,
hosts, blocked terms and the feeds' fields, each error naming its key."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from moderation.filters import BlockedTerm
from server.config.blocked_terms import TermError, parse_terms
from server.config.meeting_types import IN_PERSON_TYPES, MEETING_GUIDE_TYPES
from server.config.reader import ConfigError, Reader
from server.config.settings import Format, Phase, RoomConfig, WeeklyTime, parse_until

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


_WEEKLY = re.compile(r"^\s*([a-zA-Z]{3})[a-zA-Z]*\s+([01]?\d|2[0-3]):([0-5]\d)\s*$")


_DURATION = re.compile(r"^\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?\s*$")


_DEFAULT_PHASES = (
    Phase("opening", True, "Welcome. This is a safe, anonymous space."),
    Phase("readings", False),
    Phase("shares", False),
    Phase("discussion", True),
    Phase("closing", True),
)


def parse_duration(text: str) -> int | None:
    """ "90m", "1h30m", "45s" → seconds; None if it is not a duration."""
    m = _DURATION.match(text)
    if not m or not any(m.groups()):
        return None
    h, mi, s = (int(g) if g else 0 for g in m.groups())
    return h * 3600 + mi * 60 + s


def parse_weekly(text: str) -> WeeklyTime | None:
    """ "tue 19:00" → WeeklyTime(1, 19, 0); None if it is not one."""
    m = _WEEKLY.match(text)
    if not m or m[1].lower() not in _DAYS:
        return None
    return WeeklyTime(_DAYS.index(m[1].lower()), int(m[2]), int(m[3]))


_KNOWN_ROOM = {"id", "title", "kind", "timezone", "weekly", "duration", "doors_open", "until",
               "format", "hosts", "facilitators", "capacity", "admit_by_hand", "blocked_terms",
               "description", "types", "formatted_address", "since"}


_DESCRIPTION_MAX = 2000


_ADDRESS_MAX = 255


def check_zone(r: Reader, tz: str, key: str) -> None:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise r.fail(key, f"unknown IANA time zone {tz!r}") from None


def optional_date(r: Reader, table: Mapping[str, Any], name: str, key: str) -> str | None:
    text = r.get(table, name, key, str)
    if text is not None and parse_until(text) is None:
        raise r.fail(key, 'must be a date like "2026-01-05"')
    return text  # type: ignore[no-any-return]


def optional_address(r: Reader, table: Mapping[str, Any], key: str) -> str | None:
    text = r.get(table, "formatted_address", key, str)
    if text is None:
        return None
    text = text.strip()
    if not text or len(text) > _ADDRESS_MAX or "\n" in text:
        raise r.fail(key, f"must be one line of at most {_ADDRESS_MAX} characters, "
                          'like "Chicago, IL, USA"')
    return text  # type: ignore[no-any-return]


def _types(r: Reader, item: Mapping[str, Any], key: str) -> tuple[str, ...]:
    codes: list[str] = []
    for j, code in enumerate(r.get(item, "types", key, list, [])):
        if not isinstance(code, str) or code not in MEETING_GUIDE_TYPES:
            raise r.fail(f"{key}[{j}]", f"{code!r} is not a Meeting Guide type code "
                                         '(the code4recovery spec\'s table: "O", "D", "BE", ...)')
        if code in IN_PERSON_TYPES:
            raise r.fail(f"{key}[{j}]", f"{code!r} describes a building; rooms here are online")
        if code not in codes:
            codes.append(code)
    return tuple(codes)


def parse_formats(r: Reader, data: Mapping[str, Any]) -> dict[str, Format]:
    out: dict[str, Format] = {"default": Format("default", _DEFAULT_PHASES)}
    for name, table in r.get(data, "formats", "formats", dict, {}).items():
        key = f"formats.{name}"
        if not isinstance(table, dict):
            raise r.fail(key, "must be a table")
        phases: list[Phase] = []
        for j, p in enumerate(r.get(table, "phases", f"{key}.phases", list, required=True)):
            pkey = f"{key}.phases[{j}]"
            if not isinstance(p, dict):
                raise r.fail(pkey, "must be a table like { name = \"opening\", chat = true }")
            phases.append(Phase(
                r.get(p, "name", f"{pkey}.name", str, required=True),
                r.get(p, "chat", f"{pkey}.chat", bool, True),
                r.get(p, "pin", f"{pkey}.pin", str),
            ))
        if not phases:
            raise r.fail(f"{key}.phases", "must name at least one phase")
        share = r.get(table, "share_minutes", f"{key}.share_minutes", (int, float), 3)
        if not 0.25 <= share <= 60:
            raise r.fail(f"{key}.share_minutes", "must be between 0.25 and 60")
        out[name] = Format(
            name, tuple(phases), float(share),
            r.get(table, "hold_chat_during_share", f"{key}.hold_chat_during_share", bool, True),
            r.get(table, "first_time_first", f"{key}.first_time_first", bool, False),
        )
    return out


def parse_rooms(r: Reader, data: Mapping[str, Any], facilitator_names: set[str],
           formats: Mapping[str, Format]) -> tuple[RoomConfig, ...]:
    out: list[RoomConfig] = []
    for i, item in enumerate(r.get(data, "rooms", "rooms", list, [])):
        key = f"rooms[{i}]"
        if not isinstance(item, dict):
            raise r.fail(key, "must be a [[rooms]] table")
        for k in item:
            if k not in _KNOWN_ROOM:
                raise r.fail(f"{key}.{k}", "unknown room key")
        room_id = r.get(item, "id", f"{key}.id", str, required=True)
        if not _SLUG.match(room_id):
            raise r.fail(f"{key}.id", "must be a slug: lowercase letters, digits and '-'")
        if any(room.id == room_id for room in out):
            raise r.fail(f"{key}.id", f"duplicate room id {room_id!r}")
        kind = r.get(item, "kind", f"{key}.kind", str, required=True)
        if kind not in ("drop-in", "meeting"):
            raise r.fail(f"{key}.kind", 'must be "drop-in" or "meeting"')
        tz = r.get(item, "timezone", f"{key}.timezone", str)
        if tz is not None:
            check_zone(r, tz, f"{key}.timezone")
        weekly: list[WeeklyTime] = []
        for j, text in enumerate(r.get(item, "weekly", f"{key}.weekly", list, [])):
            parsed = parse_weekly(text) if isinstance(text, str) else None
            if parsed is None:
                raise r.fail(f"{key}.weekly[{j}]", 'must look like "tue 19:00"')
            weekly.append(parsed)
        if weekly and tz is None:
            raise r.fail(f"{key}.timezone", "is required when weekly times are given")
        durations = {}
        for name, default in (("duration", "90m"), ("doors_open", "15m")):
            text = r.get(item, name, f"{key}.{name}", str, default)
            seconds = parse_duration(text)
            if seconds is None or seconds > 24 * 3600:
                raise r.fail(f"{key}.{name}", 'must be a duration like "90m" or "1h30m"')
            durations[name] = seconds
        until = r.get(item, "until", f"{key}.until", str)
        if until is not None and parse_until(until) is None:
            raise r.fail(f"{key}.until", 'must be a date like "2026-12-31"')
        fmt = r.get(item, "format", f"{key}.format", str)
        if fmt is not None and fmt not in formats:
            raise r.fail(f"{key}.format", f"no [formats.{fmt}] section")
        people: dict[str, tuple[str, ...] | None] = {}
        for name in ("hosts", "facilitators"):
            listed = r.get(item, name, f"{key}.{name}", list)
            if listed is None:
                people[name] = None
                continue
            for j, person in enumerate(listed):
                if person not in facilitator_names:
                    raise r.fail(f"{key}.{name}[{j}]", f"no facilitator named {person!r}")
            people[name] = tuple(listed)
        capacity = r.get(item, "capacity", f"{key}.capacity", int)
        if capacity is not None and capacity < 1:
            raise r.fail(f"{key}.capacity", "must be at least 1")
        try:
            terms: tuple[BlockedTerm, ...] = parse_terms(
                item.get("blocked_terms", []), f"{key}.blocked_terms")
        except TermError as exc:
            raise r.fail(exc.key, exc.problem) from None
        description = r.get(item, "description", f"{key}.description", str)
        if description is not None and len(description) > _DESCRIPTION_MAX:
            raise r.fail(f"{key}.description", f"must be at most {_DESCRIPTION_MAX} characters")
        out.append(RoomConfig(
            id=room_id,
            title=r.get(item, "title", f"{key}.title", str, room_id),
            kind=kind,
            timezone=tz,
            weekly=tuple(weekly),
            duration_s=durations["duration"],
            doors_open_s=durations["doors_open"],
            until=until,
            format=fmt,
            hosts=people["hosts"] or (),
            facilitators=people["facilitators"],
            capacity=capacity,
            admit_by_hand=r.get(item, "admit_by_hand", f"{key}.admit_by_hand", bool, False),
            blocked_terms=terms,
            description=(description or "").strip() or None,
            types=_types(r, item, f"{key}.types"),
            formatted_address=optional_address(r, item, f"{key}.formatted_address"),
            since=optional_date(r, item, "since", f"{key}.since"),
        ))
    return tuple(out)


def duration_text(seconds: int) -> str:
    """3600 → "1h", 5400 → "1h30m", 45 → "45s": what `parse_duration` reads back."""
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    text = (f"{h}h" if h else "") + (f"{m}m" if m else "") + (f"{s}s" if s else "")
    return text or "0m"


def weekly_text(time: WeeklyTime) -> str:
    return f"{_DAYS[time.weekday]} {time.hour:02d}:{time.minute:02d}"


def room_table(room: RoomConfig) -> dict[str, Any]:
    """A room as its `[[rooms]]` table, every key spelled out: the record's form."""
    return {
        "id": room.id, "title": room.title, "kind": room.kind, "timezone": room.timezone,
        "weekly": [weekly_text(w) for w in room.weekly],
        "duration": duration_text(room.duration_s),
        "doors_open": duration_text(room.doors_open_s),
        "until": room.until, "format": room.format, "hosts": list(room.hosts),
        "facilitators": list(room.facilitators) if room.facilitators is not None else None,
        "capacity": room.capacity, "admit_by_hand": room.admit_by_hand,
        "blocked_terms": [{"term": t.term, "action": t.action} for t in room.blocked_terms],
        "description": room.description, "types": list(room.types),
        "formatted_address": room.formatted_address, "since": room.since,
    }


def without_person(table: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    """A room table with `name` off its hosts and facilitators, or None if it has neither.

    A `facilitators` list that loses its last name stays an empty list ("only its
    hosts"), never None ("anyone"): a removal must not open a room to more people.
    """
    hosts, allowed = table.get("hosts") or [], table.get("facilitators")
    if name not in hosts and (allowed is None or name not in allowed):
        return None
    return {**table, "hosts": [h for h in hosts if h != name],
            "facilitators": None if allowed is None else [f for f in allowed if f != name]}


def format_table(fmt: Format) -> dict[str, Any]:
    return {
        "share_minutes": fmt.share_minutes,
        "hold_chat_during_share": fmt.hold_chat_during_share,
        "first_time_first": fmt.first_time_first,
        "phases": [{"name": p.name, "chat": p.chat, **({"pin": p.pin} if p.pin else {})}
                   for p in fmt.phases],
    }


def _relative(exc: ConfigError, prefix: str) -> ConfigError:
    # A record is checked alone: its errors name the field ("weekly[1]"), not a
    # position in a config file that does not exist.
    key = exc.key[len(prefix):] if exc.key.startswith(prefix) else exc.key
    return ConfigError(key or prefix.rstrip("."), exc.problem)


def room_from_table(table: Mapping[str, Any], facilitator_names: set[str],
                    formats: Mapping[str, Format]) -> RoomConfig:
    """One room record checked as a `[[rooms]]` table; ConfigError names the field.
    Keys given as null count as not given (the record form spells every key out)."""
    if not isinstance(table, Mapping):
        raise ConfigError("room", "must be an object")
    given = {k: v for k, v in table.items() if v is not None}
    try:
        return parse_rooms(Reader(""), {"rooms": [given]}, facilitator_names, formats)[0]
    except ConfigError as exc:
        raise _relative(exc, "rooms[0].") from None


def format_from_table(name: str, table: Mapping[str, Any]) -> Format:
    if not _SLUG.match(name):
        raise ConfigError("name", "must be a slug: lowercase letters, digits and '-'")
    if not isinstance(table, Mapping):
        raise ConfigError("format", "must be an object")
    given = {k: v for k, v in table.items() if v is not None and k != "name"}
    unknown = sorted(set(given) - {"share_minutes", "hold_chat_during_share",
                                   "first_time_first", "phases"})
    if unknown:
        raise ConfigError(unknown[0], "unknown format key")
    try:
        return parse_formats(Reader(""), {"formats": {name: given}})[name]
    except ConfigError as exc:
        raise _relative(exc, f"formats.{name}.") from None
