"""Alembic's migrations build exactly the tables the queries are written against."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from server.records.sql import SqlRecords
from server.records.tables import metadata


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection)
    return list(compare_metadata(context, metadata))


async def test_the_migrated_schema_matches_the_tables(records: SqlRecords) -> None:
    async with records.engine.connect() as conn:
        assert await conn.run_sync(_differences) == []


async def test_migrating_again_changes_nothing(records: SqlRecords) -> None:
    version = await records.version()
    await records.open()  # a second start, or a second process
    assert await records.version() == version
