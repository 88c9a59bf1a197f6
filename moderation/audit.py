"""The moderation audit log's entries (DESIGN §5).

Who acted (the facilitator's handle), what they did, to whom (a
``member_id``), when, why, and the action's values (``detail``: ``{"locked": true}``,
``{"minutes": 10}``). Never message text: no parameter carries any. Reading the ban
list or the audit log is not an action, so it is not recorded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from moderation.actions import ModRequest
from moderation.timefmt import iso_utc

RETENTION_S = 30 * 24 * 3600
MAX_REASON_LEN = 200
NOT_RECORDED: frozenset[str] = frozenset({"bans", "audit"})  # reads, not actions


@dataclass(frozen=True)
class AuditEntry:
    """One moderation action as recorded; ``at`` is epoch seconds."""

    id: str
    at: float
    actor: str
    action: str
    target: str | None
    reason: str | None
    detail: Mapping[str, Any] = field(default_factory=dict)

    def to_wire(self) -> dict[str, Any]:
        """The form sent in an ``audit`` answer, with ``at`` as ISO 8601 UTC."""
        return {
            "id": self.id,
            "at": iso_utc(self.at),
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "reason": self.reason,
            "detail": dict(self.detail),
        }


def new_entry(
    *,
    entry_id: str,
    now: float,
    actor: str,
    action: str,
    target: str | None = None,
    reason: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Record ``actor`` doing ``action`` to ``target`` at ``now``.

    The reason is trimmed and cut to 200 characters; a blank reason is None.
    """
    if reason is not None:
        reason = reason.strip()[:MAX_REASON_LEN].strip() or None
    return AuditEntry(id=entry_id, at=now, actor=actor, action=action, target=target,
                      reason=reason, detail=dict(detail or {}))


def action_detail(request: ModRequest) -> dict[str, Any]:
    """The values an action was taken with, for the log (never any text it carries)."""
    if request.action in ("lock", "pause"):
        return {"locked" if request.action == "lock" else "paused": request.flag}
    if request.action == "slow_mode":
        return {"seconds": request.seconds}
    if request.action == "mute":
        return {"minutes": request.minutes}
    if request.action == "ban":
        return {"days": request.days, "scope": request.scope}
    if request.action == "phase":
        return {"name": request.name}
    if request.action == "pin":
        return {"cleared": not request.text}
    return {}


def retained(entries: Iterable[AuditEntry], now: float) -> list[AuditEntry]:
    """The entries younger than the 30-day retention, in their given order."""
    cutoff = now - RETENTION_S
    return [entry for entry in entries if entry.at >= cutoff]
