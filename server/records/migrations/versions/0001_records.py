"""The first records: rooms, formats, resources, facilitators, bans, audit, meta.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _documents(name: str) -> None:
    op.create_table(
        name,
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
    )


def upgrade() -> None:
    for name in ("rooms", "formats", "resources"):
        _documents(name)
    op.create_table(
        "facilitators",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("admin", sa.Boolean, nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("passphrase_hash", sa.Text, nullable=True),
        sa.Column("invite_hash", sa.String(64), nullable=True, unique=True),
        sa.Column("invite_expires_at", sa.Float, nullable=True),
        sa.Column("not_before", sa.Float, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "bans",
        sa.Column("ban_id", sa.String(32), primary_key=True),
        sa.Column("room", sa.String(64), nullable=True),
        sa.Column("device_hash", sa.String(128), nullable=False),
        sa.Column("handle", sa.String(64), nullable=False),
        sa.Column("until", sa.Float, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_bans_device", "bans", ["device_hash"])
    op.create_table(
        "audit",
        sa.Column("n", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(32), nullable=False, unique=True),
        sa.Column("room", sa.String(64), nullable=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.String(128), nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    op.create_index("ix_audit_room_at", "audit", ["room", "at"])
    meta = op.create_table(
        "meta",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.Integer, nullable=False),
    )
    op.bulk_insert(meta, [{"name": "version", "value": 1}])


def downgrade() -> None:
    for name in ("meta", "audit", "bans", "facilitators", "resources", "formats", "rooms"):
        op.drop_table(name)
