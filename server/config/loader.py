"""`peer-rooms.toml` → `Settings`, validated at start.

Every error names the key (``rooms[1].timezone``) and, when it can be found, the
line, because the person reading it is an operator at a terminal, not a developer.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from moderation.crisis import check_extra_phrase
from moderation.filters import BlockedTerm
from moderation.handles import account_name
from server.config.blocked_terms import parse_terms
from server.config.meeting_types import IN_PERSON_TYPES, MEETING_GUIDE_TYPES
from server.config.settings import (
    DEFAULT_RESOURCES,
    Facilitator,
    Feeds,
    Format,
    Limits,
    Phase,
    Resource,
    RoomConfig,
    Settings,
    WeeklyTime,
    parse_until,
)
from server.models.passphrase import is_valid_hash

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


class ConfigError(ValueError):
    """A config problem, with the key (and line) that caused it."""

    def __init__(self, key: str, problem: str, line: int | None = None) -> None:
        where = f"{key} (line {line})" if line else key
        super().__init__(f"config error at {where}: {problem}")
        self.key = key
        self.line = line


class _Reader:
    """Typed access to the parsed TOML that raises `ConfigError` naming the key."""

    def __init__(self, source: str) -> None:
        self._lines = source.splitlines()

    def line_of(self, key: str) -> int | None:
        # tomllib keeps no positions, so find the key's line from its path: the n-th
        # [[table]] header, then the first line that assigns the last name.
        parts = re.findall(r"[A-Za-z0-9_-]+(?:\[\d+\])?", key)
        start = 0
        for part in parts[:-1]:
            m = re.fullmatch(r"([A-Za-z0-9_-]+)\[(\d+)\]", part)
            if m:
                header = re.compile(rf"^\s*\[\[\s*{re.escape(m[1])}\s*\]\]")
                seen = -1
                for i in range(start, len(self._lines)):
                    if header.match(self._lines[i]):
                        seen += 1
                        if seen == int(m[2]):
                            start = i
                            break
            else:
                header = re.compile(rf"^\s*\[\s*(?:[\w.-]+\.)?{re.escape(part)}\s*\]")
                for i in range(start, len(self._lines)):
                    if header.match(self._lines[i]):
                        start = i
                        break
        name = re.sub(r"\[\d+\]$", "", parts[-1]) if parts else ""
        assign = re.compile(rf"^\s*{re.escape(name)}\s*=")
        for i in range(start, len(self._lines)):
            if assign.match(self._lines[i]):
                return i + 1
        return start + 1 if start else None

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(key, problem, self.line_of(key))

    def get(self, table: Mapping[str, Any], name: str, key: str, kind: type | tuple[type, ...],
            default: Any = None, *, required: bool = False) -> Any:
        if name not in table:
            if required:
                raise self.fail(key, "is required")
            return default
        value = table[name]
        # bool is an int in Python; a config that says `capacity = true` is a mistake.
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            raise self.fail(key, f"must be {_kind_name(kind)}, not a boolean")
        if not isinstance(value, kind):
            raise self.fail(key, f"must be {_kind_name(kind)}")
        return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
             list: "a list", dict: "a table"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


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


_KNOWN_TOP = {"secret_key", "allowed_origins", "trusted_proxies", "facilitators", "rooms",
              "formats", "limits",
              "moderation", "resources", "site_title", "host", "port", "redis_url",
              "meeting_guide_location", "feeds"}
_KNOWN_ROOM = {"id", "title", "kind", "timezone", "weekly", "duration", "doors_open", "until",
               "format", "hosts", "facilitators", "capacity", "admit_by_hand", "blocked_terms",
               "description", "types", "formatted_address", "since"}
_KNOWN_FEEDS = {"formatted_address", "timezone", "since"}
_DESCRIPTION_MAX = 2000
_ADDRESS_MAX = 255


def settings_from_mapping(data: Mapping[str, Any], *, source: str = "",
                          env: Mapping[str, str] | None = None) -> Settings:
    """Validate a parsed config (plus env overrides) into `Settings`."""
    r = _Reader(source)
    env = env or {}
    for key in data:
        if key not in _KNOWN_TOP:
            raise r.fail(key, f"unknown key (known: {', '.join(sorted(_KNOWN_TOP))})")

    secret = env.get("SECRET_KEY") or r.get(data, "secret_key", "secret_key", str)
    if not secret:
        raise r.fail("secret_key", "is required (or set SECRET_KEY); it signs tokens")
    if len(secret) < 16:
        raise r.fail("secret_key", "must be at least 16 characters")

    origins = r.get(data, "allowed_origins", "allowed_origins", list)
    if origins is not None:
        for i, origin in enumerate(origins):
            if not isinstance(origin, str) or not re.match(r"^https?://[^/\s*]+$", origin):
                raise r.fail(f"allowed_origins[{i}]",
                             "must be an origin like https://meet.example.org (no wildcard)")

    proxies = r.get(data, "trusted_proxies", "trusted_proxies", list, ["127.0.0.1", "::1"])
    for i, proxy in enumerate(proxies):
        try:
            ipaddress.ip_network(proxy, strict=False)
        except (TypeError, ValueError):
            raise r.fail(f"trusted_proxies[{i}]",
                         "must be an IP address or network like 10.0.0.0/8") from None

    facilitators = _facilitators(r, data)
    names = {f.name for f in facilitators}
    formats = _formats(r, data)
    rooms = _rooms(r, data, names, formats)
    limits = _limits(r, data)
    moderation = r.get(data, "moderation", "moderation", dict, {})
    try:
        terms = parse_terms(moderation.get("blocked_terms", []), "moderation.blocked_terms")
    except ValueError as exc:
        raise r.fail("moderation.blocked_terms", str(exc)) from None
    crisis_phrases = _crisis_phrases(r, moderation)
    resources = _resources(r, data)

    port_text = env.get("PORT")
    port = r.get(data, "port", "port", int, 8080)
    if port_text is not None:
        if not port_text.isdigit():
            raise ConfigError("PORT", "must be a port number")
        port = int(port_text)
    if not 0 <= port <= 65535:
        raise r.fail("port", "must be between 0 and 65535")
    return Settings(
        secret_key=secret,
        host=env.get("HOST") or r.get(data, "host", "host", str, "127.0.0.1"),
        port=port,
        redis_url=env.get("REDIS_URL") or r.get(data, "redis_url", "redis_url", str),
        allowed_origins=tuple(origins) if origins is not None else None,
        trusted_proxies=tuple(proxies),
        facilitators=facilitators,
        rooms=rooms,
        formats=formats,
        limits=limits,
        blocked_terms=terms,
        crisis_phrases=crisis_phrases,
        resources=resources,
        site_title=r.get(data, "site_title", "site_title", str, "peer-rooms"),
        feeds=_feeds(r, data),
    )


def _feeds(r: _Reader, data: Mapping[str, Any]) -> Feeds:
    table = r.get(data, "feeds", "feeds", dict, {})
    for name in table:
        if name not in _KNOWN_FEEDS:
            raise r.fail(f"feeds.{name}",
                         f"unknown key (known: {', '.join(sorted(_KNOWN_FEEDS))})")
    # `meeting_guide_location` is the older spelling of feeds.formatted_address.
    legacy = r.get(data, "meeting_guide_location", "meeting_guide_location", str)
    if legacy is not None and "formatted_address" in table:
        raise r.fail("meeting_guide_location",
                     "is the old name of feeds.formatted_address: keep only that one")
    address = _address(r, table, "feeds.formatted_address")
    tz = r.get(table, "timezone", "feeds.timezone", str)
    if tz is not None:
        _check_zone(r, tz, "feeds.timezone")
    return Feeds(formatted_address=address if address is not None else legacy,
                 timezone=tz, since=_date(r, table, "since", "feeds.since"))


def _check_zone(r: _Reader, tz: str, key: str) -> None:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise r.fail(key, f"unknown IANA time zone {tz!r}") from None


def _date(r: _Reader, table: Mapping[str, Any], name: str, key: str) -> str | None:
    text = r.get(table, name, key, str)
    if text is not None and parse_until(text) is None:
        raise r.fail(key, 'must be a date like "2026-01-05"')
    return text  # type: ignore[no-any-return]


def _address(r: _Reader, table: Mapping[str, Any], key: str) -> str | None:
    text = r.get(table, "formatted_address", key, str)
    if text is None:
        return None
    text = text.strip()
    if not text or len(text) > _ADDRESS_MAX or "\n" in text:
        raise r.fail(key, f"must be one line of at most {_ADDRESS_MAX} characters, "
                          'like "Chicago, IL, USA"')
    return text  # type: ignore[no-any-return]


def _types(r: _Reader, item: Mapping[str, Any], key: str) -> tuple[str, ...]:
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


def _facilitators(r: _Reader, data: Mapping[str, Any]) -> tuple[Facilitator, ...]:
    out: list[Facilitator] = []
    for i, item in enumerate(r.get(data, "facilitators", "facilitators", list, [])):
        key = f"facilitators[{i}]"
        if not isinstance(item, dict):
            raise r.fail(key, "must be a [[facilitators]] table")
        # The form logins look names up by, so a configured name can always log in.
        name = account_name(r.get(item, "name", f"{key}.name", str, required=True))
        if not 2 <= len(name) <= 32:
            raise r.fail(f"{key}.name", "must be 2 to 32 characters")
        digest = r.get(item, "passphrase_hash", f"{key}.passphrase_hash", str, required=True)
        if not is_valid_hash(digest):
            raise r.fail(f"{key}.passphrase_hash",
                         "is not a hash from `peer-rooms hash-passphrase` (scrypt$...)")
        if any(f.name == name for f in out):
            raise r.fail(f"{key}.name", f"duplicate facilitator name {name!r}")
        out.append(Facilitator(name, digest))
    return tuple(out)


def _formats(r: _Reader, data: Mapping[str, Any]) -> dict[str, Format]:
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


def _rooms(r: _Reader, data: Mapping[str, Any], facilitator_names: set[str],
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
            _check_zone(r, tz, f"{key}.timezone")
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
        except ValueError as exc:
            raise r.fail(f"{key}.blocked_terms", str(exc)) from None
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
            formatted_address=_address(r, item, f"{key}.formatted_address"),
            since=_date(r, item, "since", f"{key}.since"),
        ))
    return tuple(out)


def _limits(r: _Reader, data: Mapping[str, Any]) -> Limits:
    table = r.get(data, "limits", "limits", dict, {})
    base = Limits()
    values: dict[str, Any] = {}
    bounds: dict[str, tuple[type | tuple[type, ...], float, float]] = {
        "message_burst": (int, 1, 1000),
        "message_interval_s": ((int, float), 0.05, 3600),
        "connections_per_device": (int, 1, 1000),
        "joins_per_minute": (int, 1, 1000),
        "buffer_messages": (int, 10, 100_000),
        "buffer_seconds": (int, 60, 24 * 3600),
        "token_ttl_s": (int, 300, 30 * 24 * 3600),
        "idempotency_keys": (int, 10, 1_000_000),
        "live_entries": (int, 1000, 10_000_000),
        "header_timeout_s": ((int, float), 1, 300),
        "body_timeout_s": ((int, float), 1, 300),
    }
    for name in table:
        if name not in bounds:
            raise r.fail(f"limits.{name}", "unknown limit")
    for name, (kind, low, high) in bounds.items():
        value = r.get(table, name, f"limits.{name}", kind, getattr(base, name))
        if not low <= value <= high:
            raise r.fail(f"limits.{name}", f"must be between {low:g} and {high:g}")
        values[name] = value
    return replace(base, **values)


def _resources(r: _Reader, data: Mapping[str, Any]) -> tuple[Resource, ...]:
    items = r.get(data, "resources", "resources", list)
    if items is None:
        return DEFAULT_RESOURCES
    out: list[Resource] = []
    for i, item in enumerate(items):
        key = f"resources[{i}]"
        if not isinstance(item, dict):
            raise r.fail(key, "must be a [[resources]] table")
        url = r.get(item, "url", f"{key}.url", str)
        if url is not None and not url.startswith(("https://", "http://", "tel:", "sms:")):
            raise r.fail(f"{key}.url", "must start with https://, http://, tel: or sms:")
        out.append(Resource(
            r.get(item, "name", f"{key}.name", str, required=True),
            r.get(item, "contact", f"{key}.contact", str, required=True),
            url,
            r.get(item, "hours", f"{key}.hours", str),
            r.get(item, "crisis", f"{key}.crisis", bool, False),
        ))
    return tuple(out)


def load_settings(path: str | Path, env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate a config file; `env` defaults to the process environment."""
    file = Path(path)
    # The time before the text: an edit landing between the two then shows as newer.
    mtime = file.stat().st_mtime
    text = file.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), f"not valid TOML: {exc}") from None
    settings = settings_from_mapping(data, source=text, env=os.environ if env is None else env)
    return replace(settings, config_mtime=mtime)



def _crisis_phrases(r: _Reader, moderation: dict[str, Any]) -> tuple[str, ...]:
    """`[moderation] crisis_phrases`: extra phrases (any language) beside the built-in
    lists; each one is compiled now so a bad one stops the start, naming its index."""
    raw = moderation.get("crisis_phrases", [])
    if not isinstance(raw, list):
        raise r.fail("moderation.crisis_phrases", "must be a list of phrases")
    for i, phrase in enumerate(raw):
        key = f"moderation.crisis_phrases[{i}]"
        if not isinstance(phrase, str) or not phrase.strip() or len(phrase) > 200:
            raise r.fail(key, "must be a phrase of 1 to 200 characters")
        try:
            check_extra_phrase(phrase)
        except ValueError as exc:
            raise r.fail(key, str(exc)) from None
    return tuple(p.strip() for p in raw)
