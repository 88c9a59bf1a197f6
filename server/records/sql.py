"""`SqlRecords`: the records in SQLite or PostgreSQL through SQLAlchemy 2 (async).

Every write is one transaction that also bumps the change counter and, for a change
an admin made, writes its site audit entry: nothing half-saves.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.pool import StaticPool

from moderation.audit import RETENTION_S, AuditEntry
from server.models.errors import StoreUnavailable
from server.models.live import Ban
from server.records import tables as t
from server.records.base import (
    RESOURCES_KEY,
    Declared,
    Document,
    DocumentKind,
    FacilitatorRecord,
    RecordConflict,
    RecordInUse,
    RecordMissing,
    Snapshot,
)
from server.records.database import WRITE_OPTION, migrate
from server.records.provisioning import provision_documents, provision_facilitators
from server.records.references import rewrite_console_rooms, rooms_using, still_facilitators
from server.records.rows import ban_of, document_of, facilitator_of, stamp

CLOCK_MARGIN_S = 120.0  # how far behind another process's clock may run


class SqlRecords:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # An in-memory SQLite database is one connection shared by every task: they
        # take turns, or one task's transaction would run inside another's.
        self._turns: asyncio.Lock | contextlib.nullcontext[None] = (
            asyncio.Lock() if isinstance(engine.pool, StaticPool) else contextlib.nullcontext())

    async def open(self) -> None:
        await migrate(self.engine)

    async def close(self) -> None:
        await self.engine.dispose()

    @contextlib.asynccontextmanager
    async def _read(self) -> AsyncIterator[AsyncConnection]:
        with _unreachable_is_unavailable():
            async with self._turns, self.engine.connect() as conn:
                yield conn

    @contextlib.asynccontextmanager
    async def _tx(self, *, change: bool) -> AsyncIterator[AsyncConnection]:
        """One writing transaction; a `change` to the catalog raises the counter."""
        with _unreachable_is_unavailable():
            async with self._turns, self.engine.connect() as conn:
                await conn.execution_options(**{WRITE_OPTION: True})
                async with conn.begin():
                    yield conn
                    if change:
                        await _bump_version(conn)

    # -- the catalog ---------------------------------------------------------------

    async def version(self) -> int:
        async with self._read() as conn:
            value = await conn.scalar(select(t.meta.c.value).where(t.meta.c.name == "version"))
        return int(value or 0)

    async def snapshot(self) -> Snapshot:
        async with self._read() as conn:
            version = await conn.scalar(select(t.meta.c.value)
                                        .where(t.meta.c.name == "version"))
            docs: dict[str, dict[str, Document]] = {}
            for kind, table in t.DOCUMENTS.items():
                rows = (await conn.execute(select(table).order_by(table.c.created_at,
                                                                  table.c.key))).all()
                docs[kind] = {row.key: document_of(kind, row) for row in rows}  # type: ignore[arg-type]
            people = (await conn.execute(select(t.facilitators)
                                         .order_by(t.facilitators.c.name))).all()
        return Snapshot(version=int(version or 0), rooms=docs["rooms"], formats=docs["formats"],
                        resources=docs["resources"].get(RESOURCES_KEY),
                        facilitators={row.name: facilitator_of(row) for row in people})

    async def provision(self, declared: Declared, now: float,
                        entry: AuditEntry | None = None) -> dict[str, list[str]]:
        changes: dict[str, list[str]] = {}
        async with self._tx(change=False) as conn:
            for kind, items in (("rooms", declared.rooms), ("formats", declared.formats),
                                ("resources", [] if declared.resources is None
                                 else [(RESOURCES_KEY, {"items": list(declared.resources)})])):
                changes[kind] = await provision_documents(conn, kind, items, now)  # type: ignore[arg-type]
            changes["facilitators"] = await provision_facilitators(conn, declared.facilitators,
                                                                    now)
            changes = {kind: keys for kind, keys in changes.items() if keys}
            if changes:
                await _bump_version(conn)
                if entry is not None:
                    # Which records the file changed (their keys: names, never hashes).
                    await _audit(conn, None, replace(entry, detail=changes))
        return changes

    async def create_document(self, kind: DocumentKind, key: str, data: Mapping[str, Any],
                              entry: AuditEntry, *,
                              people: Sequence[str] = ()) -> Document:
        table = t.DOCUMENTS[kind]
        at = stamp(entry.at)
        try:
            async with self._tx(change=True) as conn:
                await still_facilitators(conn, people)
                await conn.execute(insert(table).values(key=key, data=dict(data),
                                                        source="console", created_at=at,
                                                        updated_at=at, revision=0))
                await _audit(conn, None, entry)
        except IntegrityError:
            raise RecordConflict("exists") from None
        return Document(kind, key, dict(data), "console", at)

    async def replace_document(self, kind: DocumentKind, key: str, data: Mapping[str, Any],
                               expected: float | None, entry: AuditEntry,
                               *, upsert: bool = False,
                               people: Sequence[str] = ()) -> Document:
        table = t.DOCUMENTS[kind]
        async with self._tx(change=True) as conn:
            await still_facilitators(conn, people)
            row = (await conn.execute(select(table).where(table.c.key == key)
                                      .with_for_update())).first()
            if row is None and not upsert:
                raise RecordMissing(key)
            if row is not None and row.source == "config":
                raise RecordConflict("provisioned")
            if row is not None and expected is not None and stamp(expected) != row.updated_at:
                raise RecordConflict("stale")
            at = stamp(entry.at, row.updated_at if row is not None else None)
            if row is None:
                await conn.execute(insert(table).values(key=key, data=dict(data),
                                                        source="console", created_at=at,
                                                        updated_at=at, revision=0))
            else:
                await conn.execute(update(table).where(table.c.key == key)
                                   .values(data=dict(data), updated_at=at,
                                           revision=row.revision + 1))
            await _audit(conn, None, entry)
        return Document(kind, key, dict(data), "console", at,
                        row.revision + 1 if row is not None else 0)

    async def delete_document(
        self, kind: DocumentKind, key: str, entry: AuditEntry,
        used_by: Callable[[Mapping[str, Any]], bool] | None = None,
    ) -> Document:
        table = t.DOCUMENTS[kind]
        async with self._tx(change=True) as conn:
            row = (await conn.execute(select(table).where(table.c.key == key))).first()
            if row is None:
                raise RecordMissing(key)
            if row.source == "config":
                raise RecordConflict("provisioned")
            if used_by is not None:
                users = await rooms_using(conn, used_by)
                if users:
                    raise RecordInUse(users)
            await conn.execute(delete(table).where(table.c.key == key))
            await _audit(conn, None, entry)
        return document_of(kind, row)

    # -- facilitators --------------------------------------------------------------

    async def invite_facilitator(self, name: str, admin: bool, invite_hash: str,
                                 expires_at: float, entry: AuditEntry) -> FacilitatorRecord:
        at = stamp(entry.at)
        try:
            async with self._tx(change=True) as conn:
                await conn.execute(insert(t.facilitators).values(
                    name=name, admin=admin, source="console", passphrase_hash=None,
                    invite_hash=invite_hash, invite_expires_at=expires_at,
                    # A name used before gets none of its old sessions back (the shared
                    # store's revocation covers them too); the margin lets a process
                    # whose clock runs a little behind accept the new person's login.
                    not_before=at - CLOCK_MARGIN_S, created_at=at, updated_at=at))
                await _audit(conn, None, entry)
        except IntegrityError:
            raise RecordConflict("exists") from None
        return FacilitatorRecord(name, admin, "console", None, at - CLOCK_MARGIN_S, at,
                                 expires_at)

    async def invite_of(self, invite_hash: str, now: float) -> FacilitatorRecord | None:
        async with self._read() as conn:
            row = (await conn.execute(select(t.facilitators).where(and_(
                t.facilitators.c.invite_hash == invite_hash,
                t.facilitators.c.invite_expires_at > now)))).first()
        return facilitator_of(row) if row is not None else None

    async def accept_invite(self, invite_hash: str, passphrase_hash: str,
                            now: float) -> FacilitatorRecord | None:
        async with self._tx(change=True) as conn:
            row = (await conn.execute(select(t.facilitators).where(and_(
                t.facilitators.c.invite_hash == invite_hash,
                t.facilitators.c.invite_expires_at > now)).with_for_update())).first()
            if row is None:
                return None
            at = stamp(now, row.updated_at)
            # Used once: the hash goes with the first passphrase.
            await conn.execute(update(t.facilitators).where(t.facilitators.c.name == row.name)
                               .values(passphrase_hash=passphrase_hash, invite_hash=None,
                                       invite_expires_at=None, updated_at=at))
        return FacilitatorRecord(row.name, row.admin, row.source, passphrase_hash,
                                 row.not_before, at)

    async def delete_facilitator(
        self, name: str, entry: AuditEntry,
        rooms_without: Callable[[Mapping[str, Any]], Mapping[str, Any] | None],
    ) -> list[str]:
        async with self._tx(change=True) as conn:
            row = (await conn.execute(select(t.facilitators)
                                      .where(t.facilitators.c.name == name))).first()
            if row is None:
                raise RecordMissing(name)
            if row.source == "config":
                raise RecordConflict("provisioned")
            await conn.execute(delete(t.facilitators).where(t.facilitators.c.name == name))
            changed = await rewrite_console_rooms(conn, rooms_without, entry.at)
            await _audit(conn, None, replace(entry, detail={**entry.detail, "rooms": changed})
                         if changed else entry)
        return changed

    async def revoke_sessions(self, name: str, now: float) -> None:
        async with self._tx(change=True) as conn:
            row = (await conn.execute(select(t.facilitators)
                                      .where(t.facilitators.c.name == name))).first()
            if row is None:
                raise RecordMissing(name)
            # Tokens carry their issue time in whole seconds or finer: anything issued
            # up to now is older than this.
            await conn.execute(update(t.facilitators).where(t.facilitators.c.name == name)
                               .values(not_before=max(now, row.not_before),
                                       updated_at=stamp(now, row.updated_at)))

    # -- bans -----------------------------------------------------------------------

    async def add_ban(self, ban: Ban, now: float) -> None:
        async with self._tx(change=False) as conn:
            await conn.execute(insert(t.bans).values(
                ban_id=ban.ban_id, room=ban.room, device_hash=ban.device_hash,
                handle=ban.handle, until=ban.until, reason=ban.reason, by=ban.by,
                created_at=now))

    async def remove_ban(self, ban_id: str) -> Ban | None:
        async with self._tx(change=False) as conn:
            row = (await conn.execute(select(t.bans).where(t.bans.c.ban_id == ban_id))).first()
            if row is None:
                return None
            await conn.execute(delete(t.bans).where(t.bans.c.ban_id == ban_id))
        return ban_of(row)

    async def bans(self, room_id: str, now: float) -> list[Ban]:
        async with self._read() as conn:
            rows = (await conn.execute(select(t.bans).where(
                _in_force(room_id, now)).order_by(t.bans.c.created_at))).all()
        return [ban_of(row) for row in rows]

    # -- audit -----------------------------------------------------------------------

    async def add_audit(self, room_id: str | None, entry: AuditEntry) -> None:
        async with self._tx(change=False) as conn:
            await _audit(conn, room_id, entry)

    async def audit(self, room_id: str | None, now: float, limit: int = 500
                    ) -> list[AuditEntry]:
        room = t.audit.c.room.is_(None) if room_id is None else t.audit.c.room == room_id
        async with self._read() as conn:
            rows = (await conn.execute(
                select(t.audit).where(and_(room, t.audit.c.at >= now - RETENTION_S))
                .order_by(t.audit.c.at.desc(), t.audit.c.n.desc()).limit(limit))).all()
        return [AuditEntry(id=row.id, at=row.at, actor=row.actor, action=row.action,
                           target=row.target, reason=row.reason, detail=dict(row.detail or {}))
                for row in rows]

    async def prune(self, now: float) -> int:
        async with self._tx(change=False) as conn:
            old = await conn.execute(delete(t.audit).where(t.audit.c.at < now - RETENTION_S))
            ended = await conn.execute(delete(t.bans).where(and_(t.bans.c.until.is_not(None),
                                                                 t.bans.c.until <= now)))
        return int(old.rowcount or 0) + int(ended.rowcount or 0)

    async def count(self, kind: DocumentKind) -> int:
        async with self._read() as conn:
            return int(await conn.scalar(select(func.count()).select_from(t.DOCUMENTS[kind]))
                       or 0)


@contextlib.contextmanager
def _unreachable_is_unavailable() -> Iterator[None]:
    """A database that cannot be reached is `StoreUnavailable` (the caller answers
    `unavailable` and retries); any other database error is a bug and stays one."""
    try:
        yield
    except (OperationalError, InterfaceError, OSError) as exc:
        raise StoreUnavailable("records database unreachable") from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise StoreUnavailable("records database unreachable") from exc
        raise


async def _bump_version(conn: AsyncConnection) -> None:
    await conn.execute(update(t.meta).where(t.meta.c.name == "version")
                       .values(value=t.meta.c.value + 1))


def _in_force(room_id: str, now: float) -> Any:
    return and_(or_(t.bans.c.room == room_id, t.bans.c.room.is_(None)),
                or_(t.bans.c.until.is_(None), t.bans.c.until > now))


async def _audit(conn: AsyncConnection, room_id: str | None, entry: AuditEntry) -> None:
    await conn.execute(insert(t.audit).values(
        id=entry.id, room=room_id, at=entry.at, actor=entry.actor, action=entry.action,
        target=entry.target, reason=entry.reason, detail=dict(entry.detail)))


