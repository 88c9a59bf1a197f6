"""Test helpers with real parts: the app on a real port, real Socket.IO clients, real
server processes, and (in tests/e2e) a real headless Chromium.

Nothing here sleeps to synchronise: waits are for an event, with a timeout.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import socketio
from aiohttp.test_utils import TestServer

from server.config.settings import Settings
from server.models.passphrase import hash_passphrase

ROOT = Path(__file__).resolve().parent.parent
FACILITATOR = "Sam"
PASSPHRASE = "correct horse battery staple"
CO_FACILITATOR = "Alex"
CO_PASSPHRASE = "another long passphrase"
WAIT = 5.0


@cache
def _hash(passphrase: str) -> str:
    return hash_passphrase(passphrase)


def base_config(**overrides: Any) -> dict[str, Any]:
    """A config mapping with two facilitators, a drop-in room and a meeting."""
    config: dict[str, Any] = {
        "secret_key": "test-secret-key-0123456789",
        "facilitators": [
            {"name": FACILITATOR, "passphrase_hash": _hash(PASSPHRASE)},
            {"name": CO_FACILITATOR, "passphrase_hash": _hash(CO_PASSPHRASE)},
        ],
        "rooms": [
            {"id": "open-circle", "title": "Open Circle", "kind": "drop-in"},
            {"id": "tuesday-night", "title": "Tuesday Night Recovery", "kind": "meeting",
             "timezone": "America/Chicago", "weekly": ["tue 19:00"], "hosts": [FACILITATOR]},
        ],
        # Generous limits so protocol tests only meet the limit they are testing.
        "limits": {"message_burst": 1000, "message_interval_s": 0.05,
                   "joins_per_minute": 1000, "joins_per_address_per_minute": 100_000,
                   "connections_per_device": 50},
        # Records in memory, one database per app; tests of durability give a file.
        "database_url": "sqlite://",
    }
    config.update(overrides)
    return config


# Wednesday noon UTC: no scheduled test meeting is near, whatever day CI runs on.
QUIET_MOMENT = 1795608000.0  # 2026-11-25T12:00:00Z


class Clock:
    """A clock tests move by hand (the app reads time only through it)."""

    def __init__(self) -> None:
        self.now = QUIET_MOMENT

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Served:
    url: str
    settings: Settings
    server: TestServer


ServeFn = Callable[..., Awaitable[Served]]


class Client:
    """A real Socket.IO client that records every event it receives."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: list[tuple[str, Any]] = []
        self._changed = asyncio.Event()
        self.device: str | None = None

        @self.sio.on("*")
        async def record(event: str, *args: Any) -> None:
            self.events.append((event, args[0] if args else None))
            if event == "welcome":
                self.device = args[0]["device"]
            self._changed.set()

        @self.sio.on("disconnect")
        async def gone(*_: Any) -> None:
            self.events.append(("__disconnect__", None))
            self._changed.set()

    async def connect(self, url: str, *, device: str | None = None,
                      token: str | None = None, transports: list[str] | None = None) -> Client:
        auth: dict[str, Any] = {"device": device}
        if token is not None:
            auth["token"] = token
        await self.sio.connect(url, auth=auth, transports=transports or ["websocket"],
                               wait_timeout=WAIT)
        self.device = self.device or device
        return self

    async def call(self, event: str, payload: Any = None) -> dict[str, Any]:
        answer: dict[str, Any] = await self.sio.call(event, payload, timeout=WAIT)
        return answer

    async def ok(self, event: str, payload: Any = None) -> dict[str, Any]:
        answer = await self.call(event, payload)
        assert answer.get("ok") is True, answer
        return answer

    async def error(self, event: str, payload: Any = None) -> str:
        answer = await self.call(event, payload)
        assert answer.get("ok") is False, answer
        code: str = answer["error"]["code"]
        return code

    async def wait_for(self, event: str, where: Callable[[Any], bool] = lambda _: True,
                       timeout: float = WAIT) -> Any:  # noqa: ASYNC109
        """The first recorded `event` whose data satisfies `where` (waits for it)."""
        async def scan() -> Any:
            while True:
                for name, data in self.events:
                    if name == event and where(data):
                        return data
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(scan(), timeout)

    async def wait_for_left(self, member_id: str, timeout: float = WAIT) -> None:  # noqa: ASYNC109
        """Until this client hears that `member_id` left: a `presence`, or a
        `presence_batch` when a storm of changes was coalesced."""
        async def scan() -> None:
            while True:
                for name, data in self.events:
                    if (name == "presence" and data.get("left") == member_id) or (
                            name == "presence_batch" and member_id in data["left"]):
                        return
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(scan(), timeout)

    def seen(self, event: str) -> list[Any]:
        return [data for name, data in self.events if name == event]

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()


ClientFactory = Callable[..., Awaitable[Client]]

# A server's close normally takes well under a second; past this, what it waits on is
# printed (once) while it goes on waiting, so a hang in CI shows its cause.
SLOW_CLOSE_S = 15.0


async def close_server(server: TestServer) -> None:
    closing = asyncio.ensure_future(server.close())
    try:
        await asyncio.wait_for(asyncio.shield(closing), SLOW_CLOSE_S)
    except TimeoutError:
        print(f"server close still waiting after {SLOW_CLOSE_S:g} s; tasks:", file=sys.stderr)
        for task in asyncio.all_tasks():
            task.print_stack(limit=12, file=sys.stderr)
        await closing


async def login(url: str, name: str = FACILITATOR, passphrase: str = PASSPHRASE) -> str:
    import aiohttp

    async with aiohttp.ClientSession() as http, http.post(
            f"{url}/api/login", json={"name": name, "passphrase": passphrase}) as response:
        assert response.status == 200, await response.text()
        token: str = (await response.json())["token"]
        return token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class LiveServer:
    url: str
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path
    reader: threading.Thread
    facilitator_name: str = FACILITATOR
    facilitator_passphrase: str = PASSPHRASE

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def toml_config(config: dict[str, Any]) -> str:
    """The small subset of TOML our test configs need."""
    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{ " + ", ".join(f'"{k}" = {value(x)}' for k, x in v.items()) + " }"
        raise TypeError(v)

    lines: list[str] = []
    tables: list[str] = []
    for key, v in config.items():
        if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            for item in v:
                tables.append(f"[[{key}]]")
                tables.extend(f"{k} = {value(x)}" for k, x in item.items())
        elif isinstance(v, dict):
            tables.append(f"[{key}]")
            tables.extend(f"{k} = {value(x)}" for k, x in v.items())
        else:
            lines.append(f"{key} = {value(v)}")
    return "\n".join(lines + tables) + "\n"


def start_process(config: dict[str, Any], tmp: Path, *, env: dict[str, str] | None = None,
                  port: int | None = None, command: list[str] | None = None,
                  cwd: Path = ROOT) -> LiveServer:
    """A real `peer-rooms serve` process (`command`: another way to run it, e.g. an
    installed wheel's script); returns once /healthz answers."""
    port = port or free_port()
    if config.get("database_url") == "sqlite://":
        # Processes of one test share their records, as processes of one site do.
        config = {**config, "database_url": f"sqlite:///{tmp / 'records.sqlite3'}"}
    path = tmp / f"peer-rooms-{port}.toml"
    path.write_text(toml_config(config))
    log_path = tmp / f"server-{port}.log"
    proc = subprocess.Popen(
        [*(command or [sys.executable, "-m", "server"]), "serve", "--config", str(path),
         "--port", str(port)],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={**os.environ, "LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1",
             # Real-speed time from a quiet moment, so the schedule never surprises a test.
             "PEER_ROOMS_CLOCK": f"{QUIET_MOMENT},1", **(env or {})},
    )
    ready = threading.Event()

    def copy_output() -> None:
        # Tee the process output to a file and notice aiohttp's "Running on" line.
        assert proc.stdout is not None
        with log_path.open("wb") as log:
            for line in proc.stdout:
                log.write(line)
                log.flush()
                if b"Running on" in line:
                    ready.set()
        ready.set()

    reader = threading.Thread(target=copy_output, daemon=True)
    reader.start()
    url = f"http://127.0.0.1:{port}"
    if not ready.wait(20) or proc.poll() is not None:
        proc.kill()
        proc.wait()
        reader.join(10)
        assert proc.stdout is not None
        proc.stdout.close()
        raise RuntimeError(f"server did not start: {log_path.read_text()}")
    with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
        assert response.status == 200
    return LiveServer(url, port, proc, log_path, reader)


StartProcess = Callable[..., LiveServer]  # the `server_process` fixture


def stop_process(server: LiveServer) -> None:
    if server.proc.poll() is None:
        server.proc.terminate()
        try:
            server.proc.wait(10)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait()
    server.reader.join(10)
    if server.proc.stdout is not None:
        server.proc.stdout.close()



async def refusal(url: str, auth: dict[str, Any]) -> str | None:
    """The `connect_error` message a connection with this `auth` gets (None: accepted)."""
    client = socketio.AsyncClient(reconnection=False)
    reasons: list[Any] = []

    @client.on("connect_error")
    async def refused(data: Any) -> None:
        reasons.append(data)

    try:
        await client.connect(url, auth=auth, transports=["websocket"], wait_timeout=WAIT)
    except socketio.exceptions.ConnectionError:
        assert reasons, "refused without a connect_error"
        reason = reasons[0]
        return str(reason.get("message") if isinstance(reason, dict) else reason)
    finally:
        await client.disconnect()
    return None
