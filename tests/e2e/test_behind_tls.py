"""Behind Debian's nginx terminating TLS (a self-signed certificate): a facilitator
signs in, members chat over a secure websocket, and the feeds say https://."""

from __future__ import annotations

import ssl
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from server.ops.nginx import nginx_config
from tests.e2e.pages import assert_clean, join, message, new_page, say, sign_in
from tests.helpers import LiveServer, free_port
from tests.server.test_cluster import require_nginx, wait_for_http

pytestmark = pytest.mark.e2e
ROOM = "open-circle"


@pytest.fixture
def tls_front(tmp_path: Path, live_server: LiveServer) -> Iterator[LiveServer]:
    """nginx with a fresh self-signed certificate in front of the live server."""
    binary = require_nginx()
    run_dir = tmp_path / "nginx-tls"
    run_dir.mkdir()
    run_dir.chmod(0o777)
    cert, key = run_dir / "cert.pem", run_dir / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    port = free_port()
    conf = run_dir / "nginx.conf"
    conf.write_text(nginx_config(f"127.0.0.1:{port}", [f"127.0.0.1:{live_server.port}"],
                                 run_dir, tls=(cert, key)))
    proc = subprocess.Popen([binary, "-c", str(conf), "-p", str(run_dir)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"https://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/healthz", proc, context=_unverified())
        yield replace(live_server, url=url)
    finally:
        proc.terminate()
        proc.wait(10)
        assert proc.stdout is not None
        proc.stdout.close()


def _unverified() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # our own throwaway certificate
    return context


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10, context=_unverified()) as response:
        return str(response.read().decode())


def test_login_chat_and_feeds_behind_tls(browser: Browser, people: list[BrowserContext],
                                         tls_front: LiveServer) -> None:
    facilitator, staff_watch = new_page(browser, people, ignore_https_errors=True)
    sign_in(facilitator, tls_front, f"/rooms/{ROOM}")
    cookies = facilitator.context.cookies()
    assert any(c["name"] == "peer_rooms_session" and c["secure"] for c in cookies), cookies
    join(facilitator)
    expect(facilitator.get_by_role("heading", name="Facilitator tools")).to_be_visible()

    member, member_watch = new_page(browser, people, ignore_https_errors=True)
    member.goto(f"{tls_front.url}/rooms/{ROOM}")
    join(member, "River")
    say(member, "hello over tls")
    expect(message(facilitator, "hello over tls")).to_have_count(1)
    assert any(s.startswith("wss://") for s in member_watch.sockets), member_watch.sockets
    assert_clean(member, member_watch)
    assert_clean(facilitator, staff_watch)

    ics = fetch(f"{tls_front.url}/api/meetings.ics").replace("\r\n ", "")
    guide = fetch(f"{tls_front.url}/api/meetings.json")
    assert f"{tls_front.url}/rooms/tuesday-night" in ics and "http://" not in ics
    assert f"{tls_front.url}/rooms/tuesday-night" in guide and "http://" not in guide
