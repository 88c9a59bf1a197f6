"""The values rooms are made of, as the store keeps them and the wire shows them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from moderation.roles import Role
from moderation.timefmt import iso_utc

RoomStatus = Literal["closed", "lobby", "open"]


def in_force(until: float | None, now: float) -> bool:
    """A ban or mute with no end (None) or an end still ahead."""
    return until is None or until > now


@dataclass(frozen=True)
class Member:
    id: str
    room: str
    handle: str
    role: Role
    device_hash: str
    process: str
    joined_at: float
    facilitator: str | None = None  # the configured account behind a staff member
    # The keys an @name may use for this handle (moderation.pii.addressed_as), set
    # when the member is made: the store keeps each room's keys as members come and
    # go, so a message's @names are looked up, not compared with every member.
    addressed_as: tuple[str, ...] = ()

    def to_wire(self) -> dict[str, Any]:
        return {"id": self.id, "handle": self.handle, "role": self.role.value}


@dataclass(frozen=True)
class Message:
    id: str
    room: str
    seq: int
    author: dict[str, Any]  # Member.to_wire() at the time of posting
    text: str
    ts: float

    def to_wire(self) -> dict[str, Any]:
        return {"room": self.room, "id": self.id, "seq": self.seq, "member": self.author,
                "text": self.text, "ts": iso_utc(self.ts)}

    def stored_as(self, seq: int, ts: float) -> Message:
        """This message with the seq and time the store gave it (`dataclasses.replace`
        costs several times more, and this runs for every message)."""
        return Message(self.id, self.room, seq, self.author, self.text, ts)


@dataclass(frozen=True)
class HeldMessage:
    """A message a blocked term sent to facilitators: it has no seq until approved."""

    id: str
    room: str
    author: dict[str, Any]
    author_device: str
    text: str
    ts: float

    def to_wire(self) -> dict[str, Any]:
        return {"room": self.room, "id": self.id, "seq": None, "member": self.author,
                "text": self.text, "ts": iso_utc(self.ts)}


AlertKind = Literal["crisis", "report", "pii"]


@dataclass(frozen=True)
class Alert:
    """What staff of a room must see (DESIGN §3 `alert`). Kept for staff who join or
    reload later, no longer than the replay buffer: a crisis alert quotes the text."""

    id: str
    room: str
    kind: AlertKind
    member_id: str
    ts: float
    message_id: str | None = None
    text: str | None = None  # a crisis alert: what was written
    reporter_id: str | None = None  # a report: who reported
    reason: str | None = None  # a report: why

    def to_wire(self) -> dict[str, Any]:
        data: dict[str, Any] = {"room": self.room, "id": self.id, "kind": self.kind,
                                "member_id": self.member_id, "ts": iso_utc(self.ts)}
        for name in ("message_id", "text", "reporter_id", "reason"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        return data


@dataclass(frozen=True)
class Waiting:
    """Someone in a meeting's lobby: their handle is kept for them until admitted."""

    id: str
    room: str
    handle: str
    device_hash: str
    process: str
    since: float

    def to_wire(self) -> dict[str, Any]:
        return {"id": self.id, "handle": self.handle}


@dataclass(frozen=True)
class Ban:
    ban_id: str
    room: str | None  # None: every room
    device_hash: str
    handle: str
    until: float | None
    reason: str | None
    by: str

    def active(self, now: float) -> bool:
        return in_force(self.until, now)

    def to_wire(self) -> dict[str, Any]:
        return {"ban_id": self.ban_id, "handle": self.handle,
                "scope": "room" if self.room else "all",
                "until": iso_utc(self.until) if self.until is not None else None}


@dataclass(frozen=True)
class Mute:
    until: float | None  # None: until a facilitator unmutes

    def active(self, now: float) -> bool:
        return in_force(self.until, now)


@dataclass(frozen=True)
class Share:
    member_id: str
    ends_at: float


@dataclass(frozen=True)
class RoomRuntime:
    """Everything about a room that changes while it runs (members live apart)."""

    status: RoomStatus = "open"
    locked: bool = False
    paused: bool = False
    slow_mode: int = 0
    phase: str | None = None
    queue: tuple[str, ...] = ()
    share: Share | None = None
    pinned: str | None = None
    opened_at: float | None = None
    shared: tuple[str, ...] = ()  # members who have shared in this meeting
    # The people in `queue` whose connection dropped, and when, oldest drop first: each
    # keeps their place only while a resume could bring them back, and only so many
    # places are kept (`moderation.hands.kept_places`, applied by `RoomCore`).
    away: tuple[tuple[str, float], ...] = ()
