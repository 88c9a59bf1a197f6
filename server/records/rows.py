"""How the records' rows read as the domain's values, and the edit times they carry."""

from __future__ import annotations

from typing import Any

from server.models.live import Ban
from server.records.base import Document, DocumentKind, FacilitatorRecord, Source


def stamp(now: float, previous: float | None = None) -> float:
    """`now` in whole milliseconds (what the wire shows), after `previous`, so an
    edit time read back from the API always names exactly one version."""
    ms = round(now * 1000)
    if previous is not None:
        ms = max(ms, round(previous * 1000) + 1)
    return ms / 1000


def document_of(kind: DocumentKind, row: Any) -> Document:
    source: Source = row.source
    return Document(kind, row.key, dict(row.data), source, row.updated_at, row.revision)


def facilitator_of(row: Any) -> FacilitatorRecord:
    return FacilitatorRecord(name=row.name, admin=bool(row.admin), source=row.source,
                             passphrase_hash=row.passphrase_hash, not_before=row.not_before,
                             updated_at=row.updated_at, invite_expires_at=row.invite_expires_at)


def ban_of(row: Any) -> Ban:
    return Ban(ban_id=row.ban_id, room=row.room, device_hash=row.device_hash,
               handle=row.handle, until=row.until, reason=row.reason, by=row.by)
