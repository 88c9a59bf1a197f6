"""Who someone is in a room."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    MEMBER = "member"
    FACILITATOR = "facilitator"
    HOST = "host"  # a facilitator who owns the meeting


def is_staff(role: Role) -> bool:
    """True for the people who keep the room safe (facilitators and hosts)."""
    return role in (Role.FACILITATOR, Role.HOST)
