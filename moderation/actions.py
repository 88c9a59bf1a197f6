"""Parsing and bounding ``mod`` payloads (DESIGN §3) into a :class:`ModRequest`.

Only shape and bounds are checked here; whether the sender may act, and
whether the member or message exists, is for :mod:`moderation.permissions`
and the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from moderation.decisions import Denial, bad_request
from moderation.filters import clean_text
from moderation.permissions import MOD_ACTIONS

MAX_ROOM_LEN = 64
MAX_ID_LEN = 128
MAX_MUTE_MINUTES = 28 * 24 * 60
MAX_BAN_DAYS = 3650
MAX_SLOW_MODE_S = 6 * 3600
MAX_PHASE_NAME_LEN = 64
MAX_PIN_LEN = 2000
MAX_REASON_LEN = 1000  # the audit log keeps the first 200
BAN_SCOPES = ("room", "all")


@dataclass(frozen=True)
class ModRequest:
    """A well-formed moderation request; fields an action does not use are None.

    ``flag`` carries ``locked`` for ``lock`` and ``paused`` for ``pause``.
    ``minutes`` None on ``mute`` means until unmuted; ``days`` None on ``ban``
    means for good. ``text`` "" on ``pin`` clears the pinned text.
    """

    room: str
    action: str
    member_id: str | None = None
    waiting_id: str | None = None  # ``admit``: the lobby id (sent as ``member_id``)
    message_id: str | None = None
    ban_id: str | None = None
    minutes: int | None = None
    days: int | None = None
    scope: str = "room"
    reason: str | None = None
    flag: bool | None = None
    seconds: int | None = None
    name: str | None = None
    text: str | None = None


class _Bad(Exception):
    """Raised by the field readers; turned into a ``bad_request`` at the top."""


def parse_mod(payload: object) -> ModRequest | Denial:
    """Read a ``mod`` payload, or return ``bad_request`` naming the wrong field.

    JSON ``null`` counts as absent. Fields the action does not use are ignored.
    """
    if not isinstance(payload, dict):
        return bad_request("The request must be an object like {room, action, ...}.")
    try:
        room = _id(payload, "room", max_len=MAX_ROOM_LEN)
        action = payload.get("action")
        if not isinstance(action, str) or action not in MOD_ACTIONS:
            raise _Bad("action must be one of: " + ", ".join(sorted(MOD_ACTIONS)))
        reason = _optional_text(payload, "reason", MAX_REASON_LEN)
        base = ModRequest(room=room, action=action, reason=reason or None)
        return _PARSERS.get(action, _no_fields)(payload, base)
    except _Bad as exc:
        return bad_request(str(exc))


def _no_fields(payload: Mapping[str, Any], base: ModRequest) -> ModRequest:
    return base


def _member(payload: Mapping[str, Any], base: ModRequest) -> ModRequest:
    return _replace(base, member_id=_id(payload, "member_id"))


def _mute(payload: Mapping[str, Any], base: ModRequest) -> ModRequest:
    return _replace(base, member_id=_id(payload, "member_id"),
                    minutes=_int(payload, "minutes", 1, MAX_MUTE_MINUTES, required=False))


def _ban(payload: Mapping[str, Any], base: ModRequest) -> ModRequest:
    scope = payload.get("scope")
    if scope is None:
        scope = "room"
    if scope not in BAN_SCOPES:
        raise _Bad('scope must be "room" or "all"')
    return _replace(base, member_id=_id(payload, "member_id"),
                    days=_int(payload, "days", 1, MAX_BAN_DAYS, required=False),
                    scope=str(scope))


def _unban(payload: Mapping[str, Any], base: ModRequest) -> ModRequest:
    return _replace(base, ban_id=_id(payload, "ban_id"))


def _message(payload: Mapping[str, Any], base: ModRequest) -> ModRequest:
    return _replace(base, message_id=_id(payload, "message_id"))


def _lock(payload: Mapping[str, Any], base: ModRequest) -> ModRequest:
    return _replace(base, flag=_bool(payload, "locked"))


def _pause(payload: Mapping[str, Any], base: ModRequest) -> ModRequest:
    return _replace(base, flag=_bool(payload, "paused"))


def _slow_mode(payload: Mapping[str, Any], base: ModRequest) -> ModRequest:
    return _replace(base, seconds=_int(payload, "seconds", 0, MAX_SLOW_MODE_S, required=True))


def _phase(payload: Mapping[str, Any], base: ModRequest) -> ModRequest:
    return _replace(base, name=_text(payload, "name", MAX_PHASE_NAME_LEN))


def _next_share(payload: Mapping[str, Any], base: ModRequest) -> ModRequest:
    return _replace(base, member_id=_optional_id(payload, "member_id"))


def _waiting(payload: Mapping[str, Any], base: ModRequest) -> ModRequest:
    return _replace(base, waiting_id=_id(payload, "member_id"))


def _private(payload: Mapping[str, Any], base: ModRequest) -> ModRequest:
    # The text is only type-checked here: the domain cleans it like any message, so an
    # over-long one answers `too_long` and a blank one `empty`, as `send` does.
    text = payload.get("text")
    if not isinstance(text, str):
        raise _Bad("text must be a string")
    return _replace(base, member_id=_id(payload, "member_id"), text=text)


def _pin(payload: Mapping[str, Any], base: ModRequest) -> ModRequest:
    return _replace(base, text=_text(payload, "text", MAX_PIN_LEN, blank_ok=True))


_PARSERS: dict[str, Callable[[Mapping[str, Any], ModRequest], ModRequest]] = {
    "mute": _mute,
    "unmute": _member,
    "remove": _member,
    "promote": _member,
    "admit": _waiting,
    "ban": _ban,
    "unban": _unban,
    "delete": _message,
    "approve": _message,
    "reject": _message,
    "lock": _lock,
    "pause": _pause,
    "slow_mode": _slow_mode,
    "phase": _phase,
    "next_share": _next_share,
    "pin": _pin,
    "private": _private,
    # bans, open, close, end_share, audit take no fields.
}


def _replace(base: ModRequest, **fields: Any) -> ModRequest:
    return replace(base, **fields)


def _id(payload: Mapping[str, Any], field: str, *, max_len: int = MAX_ID_LEN) -> str:
    value = payload.get(field)
    # Ids are compared exactly, so they are checked but never cleaned or trimmed.
    if not isinstance(value, str) or not value or len(value) > max_len:
        raise _Bad(f"{field} must be a non-empty string of at most {max_len} characters")
    return value


def _optional_id(payload: Mapping[str, Any], field: str) -> str | None:
    return None if payload.get(field) is None else _id(payload, field)


def _int(payload: Mapping[str, Any], field: str, lo: int, hi: int, *,
         required: bool) -> int | None:
    value = payload.get(field)
    if value is None and not required:
        return None
    # bool is an int subclass; true is not a number of minutes.
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise _Bad(f"{field} must be a whole number from {lo} to {hi}")
    return value


def _bool(payload: Mapping[str, Any], field: str) -> bool:
    value = payload.get(field)
    if not isinstance(value, bool):
        raise _Bad(f"{field} must be true or false")
    return value


def _optional_text(payload: Mapping[str, Any], field: str, max_len: int) -> str | None:
    if payload.get(field) is None:
        return None
    return _text(payload, field, max_len, blank_ok=True)


def _text(payload: Mapping[str, Any], field: str, max_len: int, *,
          blank_ok: bool = False) -> str:
    value = payload.get(field)
    if not isinstance(value, str):
        raise _Bad(f"{field} must be a string")
    text = clean_text(value)
    if not text and not blank_ok:
        raise _Bad(f"{field} must not be empty")
    if len(text) > max_len:
        raise _Bad(f"{field} must be at most {max_len} characters")
    return text
