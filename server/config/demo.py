"""The demo a newcomer gets from `make run` with no config file.

One drop-in room, one meeting opened at start, and one facilitator whose one-time
passphrase is printed once to the terminal (never logged, never stored in clear).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import replace

from server.config.loader import settings_from_mapping
from server.config.settings import Settings
from server.models.passphrase import hash_passphrase

DEMO_FACILITATOR = "Sam"


def demo_settings(env: Mapping[str, str]) -> tuple[Settings, str]:
    """Settings for the demo and the facilitator's one-time passphrase."""
    passphrase = "-".join(secrets.token_urlsafe(4) for _ in range(3))
    data = {
        # A fresh secret each start: demo tokens and bans end with the process.
        "secret_key": env.get("SECRET_KEY") or secrets.token_urlsafe(32),
        "facilitators": [
            {"name": DEMO_FACILITATOR, "passphrase_hash": hash_passphrase(passphrase),
             "admin": True},
        ],
        "rooms": [
            {"id": "open-circle", "title": "Open Circle", "kind": "drop-in"},
            {"id": "tuesday-night", "title": "Tuesday Night Recovery", "kind": "meeting",
             "timezone": "America/Chicago", "weekly": ["tue 19:00", "thu 19:00"],
             "duration": "90m", "hosts": [DEMO_FACILITATOR]},
        ],
    }
    if not env.get("DATABASE_URL") and not env.get("PEER_ROOMS_DATA"):
        # Records in memory: with a fresh secret each start, stored bans could never
        # match again anyway. `peer-rooms init` makes a config that keeps them.
        data["database_url"] = "sqlite://"
    settings = settings_from_mapping(data, env=env)
    rooms = tuple(
        replace(room, open_at_start=True) if room.kind == "meeting" else room
        for room in settings.rooms
    )
    return replace(settings, rooms=rooms, demo=True), passphrase
