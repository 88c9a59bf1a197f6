"""The wheel an operator installs: built from this checkout, installed with pip into
a fresh virtualenv, it serves a room page and the socket.io client bundle."""

from __future__ import annotations

import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import ROOT, base_config, start_process, stop_process, toml_config


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh virtualenv with the freshly built wheel installed; its bin/ directory."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(work / "dist"),
                    str(ROOT)], check=True, capture_output=True)
    wheels = list((work / "dist").glob("peer_rooms-*.whl"))
    assert len(wheels) == 1, wheels
    subprocess.run([sys.executable, "-m", "venv", str(work / "venv")], check=True)
    bin_dir = work / "venv" / "bin"
    subprocess.run([str(bin_dir / "pip"), "install", "-q", str(wheels[0])], check=True,
                   capture_output=True)
    shutil.rmtree(ROOT / "build", ignore_errors=True)  # setuptools' scratch directory
    yield bin_dir


def fetch(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.headers.get("Content-Type", ""), response.read()


def test_the_installed_wheel_serves_a_room_page_and_the_bundle(
        installed: Path, tmp_path: Path) -> None:
    # Run from an empty directory, so nothing can come from the checkout.
    server = start_process(base_config(), tmp_path, command=[str(installed / "peer-rooms")],
                           cwd=tmp_path)
    try:
        status, kind, body = fetch(f"{server.url}/rooms/open-circle")
        assert status == 200 and kind.startswith("text/html")
        assert b"/static/vendor/socket.io.min.js" in body and b"Open Circle" in body
        status, kind, body = fetch(f"{server.url}/static/vendor/socket.io.min.js")
        assert status == 200 and b"socket.io" in body.lower() and len(body) > 10_000
        status, _, body = fetch(f"{server.url}/static/room.js")
        assert status == 200 and b"import" in body
    finally:
        stop_process(server)
    site = next((installed.parent / "lib").glob("python3*/site-packages"))
    assert (site / "server" / "_web" / "vendor" / "socket.io.min.js").is_file()
    assert not (site / "web").exists()  # no top-level package named "web" in site-packages
    assert (site / "moderation" / "phrases" / "crisis_en.txt").is_file()
    assert (site / "moderation" / "phrases" / "crisis_es.txt").is_file()


def test_a_missing_bundle_is_one_clear_line(installed: Path, tmp_path: Path) -> None:
    site = next((installed.parent / "lib").glob("python3*/site-packages"))
    bundle = site / "server" / "_web" / "vendor" / "socket.io.min.js"
    kept = tmp_path / "kept.js"
    shutil.move(bundle, kept)
    try:
        config = tmp_path / "peer-rooms.toml"
        config.write_text(toml_config(base_config()))
        done = subprocess.run([str(installed / "peer-rooms"), "serve", "--config", str(config),
                               "--port", "1"], cwd=tmp_path, capture_output=True, text=True,
                              timeout=60)
    finally:
        shutil.move(kept, bundle)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr + done.stdout
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "client bundle is missing" in errors[0], done.stderr
