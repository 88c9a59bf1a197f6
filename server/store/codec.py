"""JSON forms of the store's values, for stores that keep them outside the process."""

from __future__ import annotations

from typing import Any

import orjson

from moderation.ratelimit import Backoff, Bucket
from moderation.roles import Role
from server.models.live import (
    Alert,
    HeldMessage,
    Member,
    Message,
    Mute,
    RoomRuntime,
    Share,
    Waiting,
)


def dumps(value: Any) -> str:
    # orjson writes a dataclass as its fields in order (an enum as its value, a tuple
    # as a list, a nested dataclass as an object): `dataclasses.asdict`'s JSON at a
    # fraction of its cost, which deep-copies every field first (a tenth of a post
    # over Redis). tests/server/store/test_codec.py holds the two equal.
    return orjson.dumps(value).decode()


def _loads(text: str | bytes) -> Any:
    # Only values this module wrote: no integers beyond 64 bits, no NaN.
    return orjson.loads(text)


def member_to_json(member: Member) -> str:
    return dumps(member)


def member_from_json(text: str | bytes) -> Member:
    data = _loads(text)
    data["role"] = Role(data["role"])
    data["addressed_as"] = tuple(data.get("addressed_as", ()))
    return Member(**data)


def message_to_json(message: Message) -> str:
    return dumps(message)


def message_from_json(text: str | bytes) -> Message:
    return Message(**_loads(text))


def held_to_json(held: HeldMessage) -> str:
    return dumps(held)


def held_from_json(text: str | bytes) -> HeldMessage:
    return HeldMessage(**_loads(text))


def alert_to_json(alert: Alert) -> str:
    return dumps(alert)


def alert_from_json(text: str | bytes) -> Alert:
    return Alert(**_loads(text))


def waiting_to_json(waiting: Waiting) -> str:
    return dumps(waiting)


def waiting_from_json(text: str | bytes) -> Waiting:
    return Waiting(**_loads(text))


def mute_to_json(mute: Mute) -> str:
    return dumps(mute)


def mute_from_json(text: str | bytes) -> Mute:
    return Mute(**_loads(text))


def bucket_to_json(bucket: Bucket) -> str:
    return dumps([bucket.tokens, bucket.at])


def bucket_from_json(text: str | bytes) -> Bucket:
    tokens, at = _loads(text)
    return Bucket(float(tokens), float(at))


def backoff_to_json(backoff: Backoff) -> str:
    return dumps([backoff.failures, backoff.not_until, backoff.last_failure])


def backoff_from_json(text: str | bytes) -> Backoff:
    failures, not_until, last_failure = _loads(text)
    return Backoff(int(failures), float(not_until), float(last_failure))


def runtime_to_json(runtime: RoomRuntime) -> str:
    return dumps(runtime)


def runtime_from_json(text: str | bytes) -> RoomRuntime:
    data = _loads(text)
    data["queue"] = tuple(data["queue"])
    data["shared"] = tuple(data.get("shared", ()))
    data["away"] = tuple((member_id, float(at)) for member_id, at in data.get("away", ()))
    data["share"] = Share(**data["share"]) if data.get("share") else None
    return RoomRuntime(**data)
