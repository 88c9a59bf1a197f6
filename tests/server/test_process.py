"""The real `peer-rooms` process: CLI commands, privacy of its log, SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from server.models.passphrase import verify_passphrase
from tests.helpers import (
    ROOT,
    Client,
    LiveServer,
    StartProcess,
    base_config,
    login,
    stop_process,
    toml_config,
)


def run_cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server", *args], cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=60)


def test_hash_passphrase_reads_stdin_and_prints_a_usable_hash() -> None:
    result = run_cli("hash-passphrase", stdin="a long passphrase\n")
    assert result.returncode == 0, result.stderr
    assert verify_passphrase("a long passphrase", result.stdout.strip())
    short = run_cli("hash-passphrase", stdin="short\n")
    assert short.returncode == 2 and "8 characters" in short.stderr


def test_check_config(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(toml_config(base_config()))
    result = run_cli("check-config", str(good))
    assert result.returncode == 0 and "2 rooms" in result.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text(toml_config(base_config(rooms=[{"id": "x1", "kind": "party"}])))
    result = run_cli("check-config", str(bad))
    assert result.returncode == 2
    assert "rooms[0].kind" in result.stderr and "line" in result.stderr


@pytest.fixture
def process(server_process: StartProcess) -> LiveServer:
    return server_process(base_config())


async def test_sigterm_tells_clients_and_exits(process: LiveServer) -> None:
    client = Client()
    client.sio.reconnection = False
    await client.connect(process.url)
    await client.ok("join", {"room": "open-circle", "handle": "River"})
    process.proc.send_signal(signal.SIGTERM)
    await client.wait_for("__disconnect__", timeout=10)
    exit_code = await asyncio.to_thread(process.proc.wait, 10)
    assert exit_code == 0


async def test_process_log_holds_no_text_handle_token_or_address(process: LiveServer) -> None:
    token = await login(process.url)
    staff = Client()
    await staff.connect(process.url, token=token)
    await staff.ok("join", {"room": "open-circle"})
    member = Client()
    await member.connect(process.url)
    joined = await member.ok("join", {"room": "open-circle", "handle": "Quiet Willow"})
    await member.ok("send", {"room": "open-circle", "text": "words only for this room",
                             "client_id": "1"})
    await member.call("send", {"room": "open-circle", "text": "y" * 5000, "client_id": "2"})
    await staff.ok("mod", {"room": "open-circle", "action": "remove",
                           "member_id": joined["member"]["id"]})
    await member.wait_for("__disconnect__")
    await staff.close()
    stop_process(process)
    log = process.log()
    assert "Running on" in log  # the log was captured
    for secret in ("words only for this room", "Quiet Willow", token, joined["member_token"],
                   "127.0.0.1 ["):
        assert secret not in log


# What aiohttp's parser refuses: a header with no colon, an HTTP version that does not
# exist, a control byte in a header (on a second request), a request line over 8190 bytes.
MALFORMED = [b"GET / HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n",
             b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
             b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nX: \x01\r\n\r\n",
             b"GET /" + b"a" * 10000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"]


def test_malformed_http_requests_log_one_line_without_address_or_bytes(
        process: LiveServer) -> None:
    for request in MALFORMED:
        with socket.create_connection(("127.0.0.1", process.port), timeout=10) as raw:
            raw.sendall(request)
            answer = b""
            while chunk := raw.recv(4096):  # aiohttp closes the connection after a 400
                answer += chunk
            assert b"HTTP/1.0 400 Bad Request" in answer, answer[:200]
    with urllib.request.urlopen(f"{process.url}/healthz", timeout=10) as response:
        assert response.status == 200  # the server goes on serving
    stop_process(process)  # the whole log is in the file once the process has ended
    log = process.log()
    assert "Running on" in log  # the log was captured
    assert log.count("an HTTP request could not be parsed (") == 1, log  # one a minute
    served = f"http://127.0.0.1:{process.port}"
    assert "127.0.0.1" not in log.replace(served, ""), log
    for quoted in ("Traceback", "Bad Header Line", "HTTP/9.9", "aaaaaaaa", "\\x01"):
        assert quoted not in log, log


def test_demo_prints_the_one_time_passphrase_once(tmp_path: Path) -> None:
    from tests.helpers import free_port

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "server", "serve", "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if "Running on" in line:
                break
        output = "".join(lines)
        assert output.count("one-time passphrase") == 1
        assert f"http://127.0.0.1:{port}" in output
    finally:
        proc.terminate()
        proc.wait(10)
        assert proc.stdout is not None
        proc.stdout.close()
