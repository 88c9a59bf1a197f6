"""`peer-rooms init` and `peer-rooms migrate`, run as an operator would."""

from __future__ import annotations

import asyncio
import re
import stat
import subprocess
import sys
from pathlib import Path

from server.config.loader import load_settings
from server.records.database import make_engine, records_url
from server.records.sql import SqlRecords
from server.rooms.admin import invite_hash
from tests.helpers import ROOT


def peer_rooms(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=60, check=False)


async def invited(path: Path, token: str) -> tuple[str, bool] | None:
    settings = load_settings(path, env={})
    records = SqlRecords(make_engine(records_url(settings.database_url, settings.data_dir)))
    try:
        person = await records.invite_of(invite_hash(token), 0.0)
        return (person.name, person.admin) if person else None
    finally:
        await records.close()


def test_init_writes_a_private_config_and_a_one_time_admin_link(tmp_path: Path) -> None:
    site = tmp_path / "site"
    done = peer_rooms("init", str(site), "--admin", "Jo", "--url", "https://meet.example.org")
    assert done.returncode == 0, done.stderr
    config = site / "peer-rooms.toml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600  # the secret is in there
    settings = load_settings(config, env={})
    assert len(settings.secret_key) >= 32
    assert [r.id for r in settings.rooms] == ["open-circle"]
    link = re.search(r"https://meet\.example\.org/invite/(\S+)", done.stdout)
    assert link is not None, done.stdout
    assert asyncio.run(invited(config, link[1])) == ("Jo", True)
    assert settings.secret_key not in done.stdout  # printed: the link, never the secret

    again = peer_rooms("init", str(site))
    assert again.returncode == 2 and "exists" in again.stderr
    other = tmp_path / "other"
    second = peer_rooms("init", str(other))
    assert load_settings(other / "peer-rooms.toml", env={}).secret_key != settings.secret_key
    assert second.returncode == 0


def test_migrate_brings_the_records_up_to_date(tmp_path: Path) -> None:
    config = tmp_path / "peer-rooms.toml"
    config.write_text(f'secret_key = "test-secret-key-0123456789"\n'
                      f'data_dir = "{tmp_path / "data"}"\n')
    first = peer_rooms("migrate", "--config", str(config))
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "data" / "peer-rooms.sqlite3").exists()
    assert peer_rooms("migrate", "--config", str(config)).returncode == 0
