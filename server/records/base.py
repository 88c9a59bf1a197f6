"""The `Records` protocol: what must outlive every restart (DESIGN §2, §4).

Rooms, formats, facilitators, the resources list, bans and the audit log. Rooms,
formats and resources are kept as the documents the config file and the admin API
speak (a `[[rooms]]` table as a mapping), so what an operator wrote is what comes
back; the domain validates them before they are stored and turns them into its own
values when it loads them. One contract suite (tests/server/records/) runs against
SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from moderation.audit import AuditEntry
from server.models.live import Ban

Source = Literal["config", "console"]
DocumentKind = Literal["rooms", "formats", "resources"]
RESOURCES_KEY = "all"  # the one resources document


class RecordConflict(Exception):
    """A write refused: `exists`, `stale` (edited since) or `provisioned` (config)."""

    def __init__(self, code: Literal["exists", "stale", "provisioned"]) -> None:
        super().__init__(code)
        self.code = code


class RecordMissing(Exception):
    """No record by that key."""


class RecordInUse(Exception):
    """A delete refused: the room records `rooms` use this one (`in_use`)."""

    def __init__(self, rooms: Sequence[str]) -> None:
        super().__init__(", ".join(rooms))
        self.rooms = list(rooms)


@dataclass(frozen=True)
class Document:
    """A room, a format or the resources list, as declared."""

    kind: DocumentKind
    key: str
    data: Mapping[str, Any]
    source: Source
    updated_at: float  # epoch seconds, whole milliseconds, strictly rising per record
    revision: int = 0  # 0 when made, +1 per edit


@dataclass(frozen=True)
class FacilitatorRecord:
    name: str
    admin: bool
    source: Source
    passphrase_hash: str | None  # None until an invited person sets a passphrase
    # Session tokens issued before this are refused (revocation; re-creation).
    not_before: float
    updated_at: float
    invite_expires_at: float | None = None  # an unused invite's end


@dataclass(frozen=True)
class Declared:
    """What the config file provisions: each becomes a `source = "config"` record."""

    rooms: Sequence[tuple[str, Mapping[str, Any]]] = ()
    formats: Sequence[tuple[str, Mapping[str, Any]]] = ()
    resources: Sequence[Mapping[str, Any]] | None = None  # None: the file names none
    facilitators: Sequence[tuple[str, str, bool]] = ()  # (name, passphrase hash, admin)


@dataclass(frozen=True)
class Snapshot:
    """Every catalog record at one moment, with the change counter it was read at."""

    version: int
    rooms: Mapping[str, Document]
    formats: Mapping[str, Document]
    resources: Document | None
    facilitators: Mapping[str, FacilitatorRecord]


class Records(Protocol):
    # Bring the schema up to date (migrations); called once before anything else.
    async def open(self) -> None: ...
    async def close(self) -> None: ...

    # Rises with every committed change; processes poll it to reload within a second.
    async def version(self) -> int: ...
    async def snapshot(self) -> Snapshot: ...

    # One transaction: config records are written as declared, config records no
    # longer declared are removed, console records are left alone (a declared key
    # takes over a console record of the same key).
    # Answers the keys changed, per kind; `entry` (if given) is written to the site audit
    # with them as its detail when anything changed.
    async def provision(self, declared: Declared, now: float,
                        entry: AuditEntry | None = None) -> dict[str, list[str]]: ...

    # Writes land with a site audit entry in the same transaction. `expected`: the
    # `updated_at` an edit was made from (None: don't check). `people`: facilitators
    # the record names (a room's hosts); each must still be one as it is written, or
    # `RecordConflict("stale")` (a facilitator deleted meanwhile on another process).
    async def create_document(self, kind: DocumentKind, key: str, data: Mapping[str, Any],
                              entry: AuditEntry, *,
                              people: Sequence[str] = ()) -> Document: ...
    async def replace_document(self, kind: DocumentKind, key: str, data: Mapping[str, Any],
                               expected: float | None, entry: AuditEntry,
                               *, upsert: bool = False,
                               people: Sequence[str] = ()) -> Document: ...
    # `used_by`: checked against every room record (config and console) in the same
    # transaction; the rooms it is true for refuse the delete (`RecordInUse`).
    async def delete_document(
        self, kind: DocumentKind, key: str, entry: AuditEntry,
        used_by: Callable[[Mapping[str, Any]], bool] | None = None,
    ) -> Document: ...

    async def invite_facilitator(self, name: str, admin: bool, invite_hash: str,
                                 expires_at: float, entry: AuditEntry) -> FacilitatorRecord: ...
    # The invite's person sets their passphrase: once, before it expires.
    async def accept_invite(self, invite_hash: str, passphrase_hash: str,
                            now: float) -> FacilitatorRecord | None: ...
    async def invite_of(self, invite_hash: str, now: float) -> FacilitatorRecord | None: ...
    # In the same transaction, every console room record is passed to `rooms_without`:
    # the table it returns replaces the record (None: unchanged). The keys of the
    # rooms changed are returned and go in the entry's detail as `rooms`.
    async def delete_facilitator(
        self, name: str, entry: AuditEntry,
        rooms_without: Callable[[Mapping[str, Any]], Mapping[str, Any] | None],
    ) -> list[str]: ...
    # Every session token issued until `now` stops working.
    async def revoke_sessions(self, name: str, now: float) -> None: ...

    async def add_ban(self, ban: Ban, now: float) -> None: ...
    async def remove_ban(self, ban_id: str) -> Ban | None: ...
    # Bans in force for the room: its own and the site-wide ones.
    async def bans(self, room_id: str, now: float) -> list[Ban]: ...

    # `room_id` None: the site's entries (changes to records).
    async def add_audit(self, room_id: str | None, entry: AuditEntry) -> None: ...
    async def audit(self, room_id: str | None, now: float, limit: int = 500
                    ) -> list[AuditEntry]: ...
    # Drop audit entries older than the retention, and bans that ended.
    async def prune(self, now: float) -> int: ...
