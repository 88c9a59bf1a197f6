"""What the config file declares, written into the records: its rooms, formats,
resources and facilitators become `source: "config"` records, changed only where the
file changed, and removed when the file no longer declares them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.records import tables as t
from server.records.base import DocumentKind
from server.records.rows import stamp


def _same(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


async def provision_documents(conn: AsyncConnection, kind: DocumentKind,
                              items: list[tuple[str, Mapping[str, Any]]], now: float) -> list[str]:
    table = t.DOCUMENTS[kind]
    existing = {row.key: row for row in (await conn.execute(select(table))).all()}
    declared = {key: dict(data) for key, data in items}
    changed: list[str] = []
    for key, data in declared.items():
        row = existing.get(key)
        if row is None:
            at = stamp(now)
            await conn.execute(insert(table).values(key=key, data=data, source="config",
                                                    created_at=at, updated_at=at, revision=0))
            changed.append(key)
        elif row.source != "config" or not _same(row.data, data):
            await conn.execute(update(table).where(table.c.key == key).values(
                data=data, source="config", updated_at=stamp(now, row.updated_at),
                revision=row.revision + 1))
            changed.append(key)
    for key, row in existing.items():
        if row.source == "config" and key not in declared:
            await conn.execute(delete(table).where(table.c.key == key))
            changed.append(key)
    return changed


async def provision_facilitators(conn: AsyncConnection,
                                 declared: Any, now: float) -> list[str]:
    existing = {row.name: row for row in (await conn.execute(select(t.facilitators))).all()}
    names = set()
    changed: list[str] = []
    for name, passphrase_hash, admin in declared:
        names.add(name)
        row = existing.get(name)
        if row is None:
            at = stamp(now)
            await conn.execute(insert(t.facilitators).values(
                name=name, admin=admin, source="config", passphrase_hash=passphrase_hash,
                not_before=0.0, created_at=at, updated_at=at))
            changed.append(name)
        elif (row.source, row.passphrase_hash, row.admin) != ("config", passphrase_hash, admin):
            await conn.execute(update(t.facilitators).where(t.facilitators.c.name == name)
                               .values(source="config", passphrase_hash=passphrase_hash,
                                       admin=admin, invite_hash=None, invite_expires_at=None,
                                       updated_at=stamp(now, row.updated_at)))
            changed.append(name)
    for name, row in existing.items():
        if row.source == "config" and name not in names:
            await conn.execute(delete(t.facilitators).where(t.facilitators.c.name == name))
            changed.append(name)
    return changed
