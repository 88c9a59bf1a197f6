"""The records' tables (SQLAlchemy Core). Alembic's migrations create them; this module
is what the queries are written against, and the migration test checks the two agree."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()


def _documents(name: str) -> Table:
    # The declared form, as JSON: a room record is its [[rooms]] table.
    return Table(
        name, metadata,
        Column("key", String(64), primary_key=True),
        Column("data", JSON, nullable=False),
        Column("source", String(8), nullable=False),
        Column("created_at", Float, nullable=False),
        Column("updated_at", Float, nullable=False),
        # 0 when made, +1 per edit: the calendar's SEQUENCE for a room.
        Column("revision", Integer, nullable=False, default=0),
    )


rooms = _documents("rooms")
formats = _documents("formats")
resources = _documents("resources")
DOCUMENTS = {"rooms": rooms, "formats": formats, "resources": resources}

facilitators = Table(
    "facilitators", metadata,
    Column("name", String(64), primary_key=True),
    Column("admin", Boolean, nullable=False, default=False),
    Column("source", String(8), nullable=False),
    Column("passphrase_hash", Text, nullable=True),
    # sha256 of the one-time invite token (never the token), until it is used.
    Column("invite_hash", String(64), nullable=True, unique=True),
    Column("invite_expires_at", Float, nullable=True),
    Column("not_before", Float, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

bans = Table(
    "bans", metadata,
    Column("ban_id", String(32), primary_key=True),
    Column("room", String(64), nullable=True),  # NULL: every room
    # HMAC of the device token with the server secret: never the token, never an IP.
    Column("device_hash", String(128), nullable=False),
    Column("handle", String(64), nullable=False),
    Column("until", Float, nullable=True),
    Column("reason", Text, nullable=True),
    Column("by", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Index("ix_bans_device", "device_hash"),
)

audit = Table(
    "audit", metadata,
    # Insertion order: entries of the same instant still read back in the order made.
    Column("n", Integer, primary_key=True, autoincrement=True),
    Column("id", String(32), nullable=False, unique=True),
    Column("room", String(64), nullable=True),  # NULL: the site's own entries
    Column("at", Float, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("target", String(128), nullable=True),
    Column("reason", Text, nullable=True),
    Column("detail", JSON, nullable=False),
    Index("ix_audit_room_at", "room", "at"),
)

# One row: the change counter every process polls to notice a change elsewhere.
meta = Table(
    "meta", metadata,
    Column("name", String(32), primary_key=True),
    Column("value", Integer, nullable=False),
)
