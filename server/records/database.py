"""Opening the records database: the URL, the engine, and migrations at start."""

from __future__ import annotations

import asyncio
import fcntl
import logging
from pathlib import Path
from typing import IO, Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

MIGRATIONS = Path(__file__).with_name("migrations")
WRITE_OPTION = "peer_rooms_write"  # execution option: this transaction will write
SQLITE_FILE = "peer-rooms.sqlite3"
# Any constant both processes agree on: serialises concurrent starts' migrations.
_PG_MIGRATION_LOCK = 0x70656572


def async_url(url: str) -> str:
    """`postgresql://…` → asyncpg, `sqlite:///…` → aiosqlite; explicit drivers kept."""
    for plain, driver in (("postgresql://", "postgresql+asyncpg://"),
                          ("postgres://", "postgresql+asyncpg://"),
                          ("sqlite://", "sqlite+aiosqlite://")):
        if url.startswith(plain):
            return driver + url[len(plain):]
    return url


def sqlite_url(data_dir: str | Path) -> str:
    return f"sqlite+aiosqlite:///{Path(data_dir).resolve() / SQLITE_FILE}"


def records_url(database_url: str | None, data_dir: str | Path) -> str:
    """The configured database, else the SQLite file in `data_dir`."""
    return async_url(database_url) if database_url else sqlite_url(data_dir)


def in_memory(url: str) -> bool:
    return async_url(url) in ("sqlite+aiosqlite://", "sqlite+aiosqlite:///:memory:")


def make_engine(url: str) -> AsyncEngine:
    # aiosqlite logs every call with its parameters at DEBUG: handles and ban reasons
    # must never reach a log, whatever level the operator runs at.
    logging.getLogger("aiosqlite").setLevel(logging.INFO)
    url = async_url(url)
    if in_memory(url):
        # One connection shared by all: each new one would be a new, empty database.
        return create_async_engine(url, poolclass=StaticPool)
    if url.startswith("sqlite"):
        Path(make_url(url).database or ".").parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 10})

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            # The driver's own transaction handling off: SQLAlchemy's BEGIN below rules.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            # WAL: readers never wait for the writer; other processes on this machine
            # may share the file.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _begin(conn: Connection) -> None:
            # A write takes the write lock at BEGIN, so two writers queue (busy_timeout)
            # instead of the second failing when it upgrades a read lock.
            immediate = conn.get_execution_options().get(WRITE_OPTION)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    # pool_pre_ping: a database that restarted gives fresh connections, not errors.
    return create_async_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def _upgrade(connection: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest revision; safe when several processes start."""
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        # SQLite's DDL is not transactional under Alembic: a lock file beside the
        # database makes a second process wait, then find the schema current.
        lock = await asyncio.to_thread(_lock_file, Path(database).with_suffix(".migrate-lock"))
        try:
            await _migrate(engine)
        finally:
            lock.close()
    else:
        await _migrate(engine)


async def _migrate(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": _PG_MIGRATION_LOCK})
        await conn.run_sync(_upgrade)


def _lock_file(path: Path) -> IO[bytes]:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("ab")
    fcntl.flock(handle, fcntl.LOCK_EX)  # released when the handle closes
    return handle
