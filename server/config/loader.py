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

from moderation.crisis import check_extra_phrase
from moderation.handles import account_name
from server.config.blocked_terms import TermError, parse_terms
from server.config.reader import ConfigError, Reader
from server.config.rooms import (
    check_zone,
    optional_address,
    optional_date,
    parse_formats,
    parse_rooms,
)
from server.config.settings import (
    DEFAULT_RESOURCES,
    Facilitator,
    Feeds,
    Limits,
    Resource,
    Settings,
)
from server.models.passphrase import is_valid_hash

_KNOWN_TOP = {"secret_key", "allowed_origins", "trusted_proxies", "facilitators", "rooms",
              "formats", "limits",
              "moderation", "resources", "site_title", "host", "port", "redis_url",
              "meeting_guide_location", "feeds", "database_url", "data_dir"}
_KNOWN_FEEDS = {"formatted_address", "timezone", "since"}
# A BCP 47 tag as people write one in a config: "en", "es", "pt-BR".
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{1,8})*")


def settings_from_mapping(data: Mapping[str, Any], *, source: str = "",
                          env: Mapping[str, str] | None = None) -> Settings:
    """Validate a parsed config (plus env overrides) into `Settings`."""
    r = Reader(source)
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
    formats = parse_formats(r, data)
    rooms = parse_rooms(r, data, names, formats)
    limits = _limits(r, data)
    moderation = r.get(data, "moderation", "moderation", dict, {})
    try:
        terms = parse_terms(moderation.get("blocked_terms", []), "moderation.blocked_terms")
    except TermError as exc:
        raise r.fail(exc.key, exc.problem) from None
    crisis_phrases = _crisis_phrases(r, moderation)
    resources = _resources(r, data)

    database_url = env.get("DATABASE_URL") or r.get(data, "database_url", "database_url", str)
    if database_url is not None and not database_url.startswith(
            ("postgresql://", "postgres://", "postgresql+asyncpg://", "sqlite://",
             "sqlite+aiosqlite://")):
        raise r.fail("database_url", 'must be "postgresql://user@host/db" or "sqlite:///file"')

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
        database_url=database_url,
        data_dir=env.get("PEER_ROOMS_DATA") or r.get(data, "data_dir", "data_dir", str, "var"),
    )


def _feeds(r: Reader, data: Mapping[str, Any]) -> Feeds:
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
    address = optional_address(r, table, "feeds.formatted_address")
    tz = r.get(table, "timezone", "feeds.timezone", str)
    if tz is not None:
        check_zone(r, tz, "feeds.timezone")
    return Feeds(formatted_address=address if address is not None else legacy,
                 timezone=tz, since=optional_date(r, table, "since", "feeds.since"))


def _facilitators(r: Reader, data: Mapping[str, Any]) -> tuple[Facilitator, ...]:
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
        out.append(Facilitator(name, digest,
                               r.get(item, "admin", f"{key}.admin", bool, False)))
    return tuple(out)


def _limits(r: Reader, data: Mapping[str, Any]) -> Limits:
    table = r.get(data, "limits", "limits", dict, {})
    base = Limits()
    values: dict[str, Any] = {}
    bounds: dict[str, tuple[type | tuple[type, ...], float, float]] = {
        "message_burst": (int, 1, 1000),
        "message_interval_s": ((int, float), 0.05, 3600),
        "connections_per_device": (int, 1, 1000),
        "connections_per_address": (int, 1, 1_000_000),
        "joins_per_minute": (int, 1, 1000),
        "joins_per_address_per_minute": (int, 1, 100_000),
        "actions_burst": (int, 1, 1000),
        "actions_interval_s": ((int, float), 0.05, 3600),
        "buffer_messages": (int, 10, 100_000),
        "buffer_seconds": (int, 60, 24 * 3600),
        "token_ttl_s": (int, 300, 30 * 24 * 3600),
        "idempotency_keys": (int, 10, 1_000_000),
        "live_entries": (int, 1000, 10_000_000),
        "redis_connections": (int, 4, 10_000),
        "header_timeout_s": ((int, float), 1, 300),
        "body_timeout_s": ((int, float), 1, 300),
        "connect_timeout_s": ((int, float), 1, 300),
        "ping_interval_s": ((int, float), 1, 300),
        "ping_timeout_s": ((int, float), 1, 300),
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


def _resources(r: Reader, data: Mapping[str, Any]) -> tuple[Resource, ...]:
    items = r.get(data, "resources", "resources", list)
    if items is None:
        return DEFAULT_RESOURCES
    return parse_resources(r, items)


def resources_from_list(items: object) -> tuple[Resource, ...]:
    """The resources record (the `[[resources]]` list as JSON); ConfigError names the
    item's field ("resources[1].url")."""
    if not isinstance(items, list):
        raise ConfigError("resources", "must be a list")
    given = [{k: v for k, v in item.items() if v is not None} if isinstance(item, dict)
             else item for item in items]
    return parse_resources(Reader(""), given)


def parse_resources(r: Reader, items: list[Any]) -> tuple[Resource, ...]:
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
    return replace(settings, config_mtime=mtime, config_path=str(file))


def _crisis_phrases(r: Reader, moderation: dict[str, Any]) -> tuple[str, ...]:
    """`[moderation] crisis_phrases`: extra phrases beside the built-in lists, as a list
    or, as DESIGN §6 writes it, a table of lists by language (`{ en = [...], es = [...] }`).
    Every message is read in every language, so the lists are one tuple in the end; each
    phrase is compiled now so a bad one stops the start, naming its place."""
    raw = moderation.get("crisis_phrases", [])
    if isinstance(raw, dict):
        lists = []
        for language, phrases in raw.items():
            key = f"moderation.crisis_phrases.{language}"
            if not _LANGUAGE.fullmatch(language):
                raise r.fail(key, "must be a language code, like en or es")
            if not isinstance(phrases, list):
                raise r.fail(key, "must be a list of phrases")
            lists.append((key, phrases))
    elif isinstance(raw, list):
        lists = [("moderation.crisis_phrases", raw)]
    else:
        raise r.fail("moderation.crisis_phrases",
                     "must be a list of phrases, or a table of lists by language")
    found: list[str] = []
    for key, phrases in lists:
        for i, phrase in enumerate(phrases):
            place = f"{key}[{i}]"
            if not isinstance(phrase, str) or not phrase.strip() or len(phrase) > 200:
                raise r.fail(place, "must be a phrase of 1 to 200 characters")
            try:
                check_extra_phrase(phrase)
            except ValueError as exc:
                raise r.fail(place, str(exc)) from None
            found.append(phrase.strip())
    return tuple(found)
