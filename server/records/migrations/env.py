"""Alembic's environment for the records. peer-rooms runs it in-process (at start and
from `peer-rooms migrate`) on a connection it opened: see server/records/database.py."""

from __future__ import annotations

from alembic import context

from server.records.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `peer-rooms migrate`, which opens the database")
context.configure(connection=connection, target_metadata=metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
