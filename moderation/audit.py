"""The moderation audit log's entries (DESIGN §5).

Who acted (the facilitator's handle), what they did, to whom (a
``member_id``), when, and why. Never message text: no parameter carries any.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from moderation.timefmt import iso_utc

RETENTION_S = 30 * 24 * 3600
MAX_REASON_LEN = 200


@dataclass(frozen=True)
class AuditEntry:
    """One moderation action as recorded; ``at`` is epoch seconds."""

    id: str
    at: float
    actor: str
    action: str
    target: str | None
    reason: str | None

    def to_wire(self) -> dict[str, str | None]:
        """The form sent in an ``audit`` answer, with ``at`` as ISO 8601 UTC."""
        return {
            "id": self.id,
            "at": iso_utc(self.at),
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "reason": self.reason,
        }


def new_entry(
    *,
    entry_id: str,
    now: float,
    actor: str,
    action: str,
    target: str | None = None,
    reason: str | None = None,
) -> AuditEntry:
    """Record ``actor`` doing ``action`` to ``target`` at ``now``.

    The reason is trimmed and cut to 200 characters; a blank reason is None.
    """
    if reason is not None:
        reason = reason.strip()[:MAX_REASON_LEN].strip() or None
    return AuditEntry(id=entry_id, at=now, actor=actor, action=action, target=target,
                      reason=reason)


def retained(entries: Iterable[AuditEntry], now: float) -> list[AuditEntry]:
    """The entries younger than the 30-day retention, in their given order."""
    cutoff = now - RETENTION_S
    return [entry for entry in entries if entry.at >= cutoff]
