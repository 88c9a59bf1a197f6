"""What a room operation is called with (the `Caller`) and how it says no (`Refused`):
shared by every part of the rooms domain and the transport that answers for it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from moderation.decisions import Denial


class Refused(Exception):
    """An operation refused with a documented error code; nothing was changed.

    `extra` fields go beside `error` in the acknowledgement (e.g. the room's state
    for someone told `waiting`).
    """

    def __init__(self, denial: Denial, extra: dict[str, Any] | None = None) -> None:
        super().__init__(denial.code)
        self.denial = denial
        self.extra = extra or {}


def refuse(code: str, message: str) -> Refused:
    return Refused(Denial(code, message))


@dataclass(frozen=True)
class Caller:
    """Who is on the other end of a socket, as far as the domain needs to know."""

    device_hash: str
    facilitator: str | None = None
    # The client address's key (an IPv6 /64) for limits only; None for staff signed in.
    address: str | None = None


def new_id() -> str:
    return secrets.token_urlsafe(9)
