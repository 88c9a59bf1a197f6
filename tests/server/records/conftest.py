"""The records contract runs on SQLite (a file) and on the machine's PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import delete, insert

from server.records import tables
from server.records.database import make_engine, sqlite_url
from server.records.sql import SqlRecords
from tests.postgres import PostgresDatabase


@pytest.fixture(params=["sqlite", "postgresql"])
def records_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    database: PostgresDatabase = request.getfixturevalue("postgres_session")
    return database.url


@pytest.fixture
async def records(records_url: str) -> AsyncIterator[SqlRecords]:
    store = SqlRecords(make_engine(records_url))
    await store.open()
    # The session's PostgreSQL database is shared by the tests: start each empty.
    async with store.engine.begin() as conn:
        for table in reversed(tables.metadata.sorted_tables):
            await conn.execute(delete(table))
        await conn.execute(insert(tables.meta).values(name="version", value=1))
    yield store
    await store.close()
