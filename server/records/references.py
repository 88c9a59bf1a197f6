"""Records that name other records: a room names facilitators (its hosts, who may
facilitate) and a format. Checked and rewritten inside the transaction that changes
either side, so no room is stored naming a record that is gone."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.records import tables as t
from server.records.base import RecordConflict
from server.records.rows import stamp


async def still_facilitators(conn: AsyncConnection, people: Sequence[str]) -> None:
    """Refuse a write naming someone who is no longer a facilitator (deleted since the
    writer's catalog was read). FOR SHARE on PostgreSQL: a delete of one of them waits
    for this write, whose room it then rewrites; SQLite runs one writer at a time."""
    wanted = set(people)
    if not wanted:
        return
    found = set((await conn.execute(
        select(t.facilitators.c.name).where(t.facilitators.c.name.in_(sorted(wanted)))
        .with_for_update(read=True))).scalars())
    if found != wanted:
        raise RecordConflict("stale")


async def rooms_using(conn: AsyncConnection,
                      used_by: Callable[[Mapping[str, Any]], bool]) -> list[str]:
    """The keys of the room records (config and console) `used_by` is true for, locked."""
    rooms = t.DOCUMENTS["rooms"]
    return [room.key for room in (await conn.execute(
        select(rooms).order_by(rooms.c.key).with_for_update())).all() if used_by(room.data)]


async def rewrite_console_rooms(
        conn: AsyncConnection,
        rewrite: Callable[[Mapping[str, Any]], Mapping[str, Any] | None],
        at: float) -> list[str]:
    """Each console room `rewrite` returns a new table for, rewritten at `at`: their keys.

    Config rooms can only name config facilitators and formats, which the console never
    deletes."""
    rooms = t.DOCUMENTS["rooms"]
    changed: list[str] = []
    for room in (await conn.execute(select(rooms).where(rooms.c.source == "console")
                                    .order_by(rooms.c.key).with_for_update())).all():
        table = rewrite(room.data)
        if table is None:
            continue
        await conn.execute(update(rooms).where(rooms.c.key == room.key).values(
            data=dict(table), updated_at=stamp(at, room.updated_at), revision=room.revision + 1))
        changed.append(room.key)
    return changed
