"""The config `peer-rooms init` writes: a fresh secret, the data folder, one room to
start from. Everything else is made in the admin console."""

from __future__ import annotations

import secrets
from pathlib import Path

CONFIG_NAME = "peer-rooms.toml"

_TEMPLATE = """\
# peer-rooms config, written by `peer-rooms init`. Keep this file private: the secret
# signs every login and keys the ban list. Rooms, facilitators, formats and resources
# made in the admin console (/admin) live in the database, not here; what this file
# declares shows there as read-only ("from the config file"). After an edit, send the
# server SIGHUP (or restart it) to apply the rooms and facilitators here.

secret_key = "{secret}"
data_dir = "{data_dir}"            # the SQLite records; or set database_url / DATABASE_URL
# database_url = "postgresql://peer@db.internal/peer_rooms"   # for many processes
# redis_url = "redis://127.0.0.1:6379/0"                     # for many processes
# trusted_proxies = ["127.0.0.1", "::1"]                     # your TLS proxy's address
# allowed_origins = ["https://meet.example.org"]

[[rooms]]
id = "open-circle"
title = "Open Circle"
kind = "drop-in"
"""


def initial_config(data_dir: Path) -> str:
    return _TEMPLATE.format(secret=secrets.token_urlsafe(32), data_dir=data_dir)
