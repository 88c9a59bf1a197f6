"""Typed, frozen settings: what the rest of the server reads.

`config.py` builds these from a TOML file plus the environment; tests build them
from a plain mapping with `settings_from_mapping`, never by touching `os.environ`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from moderation.filters import BlockedTerm

RoomKind = Literal["drop-in", "meeting"]


@dataclass(frozen=True)
class Facilitator:
    name: str
    passphrase_hash: str
    admin: bool = False  # may use the admin console and API


@dataclass(frozen=True)
class Phase:
    name: str
    chat: bool = True
    pin: str | None = None


@dataclass(frozen=True)
class Format:
    name: str
    phases: tuple[Phase, ...]
    share_minutes: float = 3.0
    hold_chat_during_share: bool = True
    first_time_first: bool = False


@dataclass(frozen=True)
class WeeklyTime:
    """One weekly start, in the meeting's own time zone: weekday 0 = Monday."""

    weekday: int
    hour: int
    minute: int


@dataclass(frozen=True)
class RoomConfig:
    id: str
    title: str
    kind: RoomKind
    timezone: str | None = None
    weekly: tuple[WeeklyTime, ...] = ()
    duration_s: int = 90 * 60
    doors_open_s: int = 15 * 60
    until: str | None = None
    format: str | None = None
    hosts: tuple[str, ...] = ()
    facilitators: tuple[str, ...] | None = None  # None: any configured facilitator
    capacity: int | None = None
    admit_by_hand: bool = False
    blocked_terms: tuple[BlockedTerm, ...] = ()
    open_at_start: bool = False  # the demo meeting: opened when the server starts
    description: str | None = None  # plain text: Meeting Guide `notes`, ICS DESCRIPTION
    types: tuple[str, ...] = ()  # Meeting Guide type codes ("O", "D"), validated by config
    formatted_address: str | None = None  # overrides [feeds] formatted_address
    since: str | None = None  # "2026-01-05": the calendar series starts on/after this day

    def may_facilitate(self, name: str) -> bool:
        return self.facilitators is None or name in self.facilitators or name in self.hosts


@dataclass(frozen=True)
class Limits:
    message_burst: int = 5
    message_interval_s: float = 2.0
    connections_per_device: int = 5
    # Open connections from one client address (an IPv6 client counts as its /64) on
    # one process, staff's not counted. Generous: a treatment center's members may all
    # come through one address; it stops one machine opening sockets without end.
    connections_per_address: int = 200
    joins_per_minute: int = 10
    # Fresh joins from one client address (staff not counted): a new device is one
    # connect away, so the per-device limit alone does not hold one machine back.
    # Generous, as a treatment center's members may all come through one address.
    joins_per_address_per_minute: int = 1000
    # Per member: raising or lowering a hand, reporting a message, and messages the
    # filters refuse each reach the whole room or every staff console, so each has a
    # bucket of its own of this size.
    actions_burst: int = 20
    actions_interval_s: float = 1.0
    buffer_messages: int = 500
    buffer_seconds: int = 15 * 60
    token_ttl_s: int = 12 * 3600
    # Send client_ids remembered per room for `send` retries (15 minutes at most);
    # beyond this many the oldest is forgotten first.
    idempotency_keys: int = 1000
    # The most entries any one per-server map of the in-memory store holds (rate
    # buckets, revoked resume tokens, claims); the least recently written go first.
    live_entries: int = 100_000
    # The most connections this process opens to Redis (store, pipelines and the bus's
    # subscription); a command past them waits for one to come back.
    redis_connections: int = 50
    # A connection must finish its request headers this long after it opens (or after
    # its last answer), and a request its body this long after its headers: slow
    # senders would otherwise hold connections open for as long as they like.
    header_timeout_s: float = 10.0
    body_timeout_s: float = 10.0
    # A new connection must connect to the Socket.IO namespace this long after it
    # opens, else it is closed: it would hold a connection no per-device limit counts.
    connect_timeout_s: float = 10.0
    # engine.io's heartbeat (Node's socket.io defaults): the server pings every
    # `ping_interval_s`; a connection that has not answered `ping_timeout_s` later is
    # closed (a phone that lost its network, a client that froze).
    ping_interval_s: float = 25.0
    ping_timeout_s: float = 20.0


@dataclass(frozen=True)
class Feeds:
    """The `[feeds]` section: what the calendar and Meeting Guide feeds say site-wide."""

    # An approximate place ("Chicago, IL, USA") that implies the meetings' time zone:
    # Meeting Guide imports only meetings with some geographic information.
    formatted_address: str | None = None
    timezone: str | None = None  # X-WR-TIMEZONE; default: the zone most meetings use
    since: str | None = None  # default first day of every calendar series (YYYY-MM-DD)


@dataclass(frozen=True)
class Resource:
    name: str
    contact: str
    url: str | None = None
    hours: str | None = None
    crisis: bool = False

    def to_wire(self) -> dict[str, str | None]:
        return {"name": self.name, "contact": self.contact, "url": self.url, "hours": self.hours}


DEFAULT_RESOURCES: tuple[Resource, ...] = (
    Resource("988 Suicide & Crisis Lifeline", "Call or text 988", "https://988lifeline.org",
             "24/7", crisis=True),
    Resource("SAMHSA National Helpline", "Call 1-800-662-4357 (English and Spanish)",
             "https://www.samhsa.gov/find-help/national-helpline", "24/7", crisis=True),
    Resource("Crisis Text Line", "Text HOME to 741741", "https://www.crisistextline.org",
             "24/7", crisis=True),
)


@dataclass(frozen=True)
class Settings:
    secret_key: str
    host: str = "127.0.0.1"
    port: int = 8080
    redis_url: str | None = None
    allowed_origins: tuple[str, ...] | None = None  # None: same origin only
    # Proxies whose X-Forwarded-Proto/-Host/-For are believed (addresses or networks).
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    # The records: SQLite in data_dir unless database_url names another database
    # ("postgresql://..."); "sqlite://" keeps them in memory (the demo, tests).
    database_url: str | None = None
    data_dir: str = "var"
    config_path: str | None = None  # the file SIGHUP re-reads (None: the demo)
    facilitators: tuple[Facilitator, ...] = ()
    rooms: tuple[RoomConfig, ...] = ()
    formats: dict[str, Format] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    blocked_terms: tuple[BlockedTerm, ...] = ()
    crisis_phrases: tuple[str, ...] = ()  # beside the built-in lists (moderation/phrases)
    resources: tuple[Resource, ...] = DEFAULT_RESOURCES
    site_title: str = "peer-rooms"
    feeds: Feeds = field(default_factory=Feeds)
    # When the config file was last written (epoch seconds; None without a file): the
    # feeds' edit time until room records carry their own.
    config_mtime: float | None = None
    demo: bool = False
    shutdown_grace_s: float = 2.0  # in-flight requests are tiny; exit well inside 10 s

    def room(self, room_id: str) -> RoomConfig | None:
        for room in self.rooms:
            if room.id == room_id:
                return room
        return None

    def facilitator(self, name: str) -> Facilitator | None:
        for facilitator in self.facilitators:
            if facilitator.name == name:
                return facilitator
        return None

    @property
    def crisis_resources(self) -> tuple[Resource, ...]:
        return tuple(r for r in self.resources if r.crisis) or self.resources


_UNTIL = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_until(text: str) -> date | None:
    """``"2026-12-31"`` → that date; None unless it is a real ``YYYY-MM-DD`` date."""
    # fromisoformat alone also takes "20261231" and week dates; config wants one spelling.
    if not _UNTIL.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
