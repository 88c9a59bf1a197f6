"""A PostgreSQL database of the test session's own on the machine's server
(127.0.0.1:5432, trust auth, user postgres): created at the start, dropped at the end."""

from __future__ import annotations

import asyncio
import os
import secrets

import asyncpg
import pytest

ADMIN_DSN = os.environ.get("PEER_ROOMS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_DSN, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


class PostgresDatabase:
    def __init__(self) -> None:
        self.name = f"peer_rooms_test_{secrets.token_hex(4)}"

    @property
    def url(self) -> str:
        base = ADMIN_DSN.rsplit("/", 1)[0]
        return f"{base}/{self.name}"

    def create(self) -> None:
        try:
            asyncio.run(_admin(f'CREATE DATABASE "{self.name}"'))
        except (OSError, asyncpg.PostgresError) as exc:
            message = f"PostgreSQL at {ADMIN_DSN} is not reachable: {exc}"
            if os.environ.get("CI") == "true":
                pytest.fail(message)  # under CI a missing dependency fails, never skips
            pytest.skip(message)

    def drop(self) -> None:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
