"""Start and stop the processes a benchmark needs: redis-server, peer-rooms, the baseline.

Every process is started by a `ProcessGroup` and stopped when the group closes
(terminate, then kill), so a failing benchmark leaves nothing running. Readiness
is read from each process's own output, never guessed with a sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Literal

import aiohttp

Kind = Literal["peer-rooms", "baseline", "node", "peer-rooms-uvloop"]
NODE_DIR = Path(__file__).resolve().parent / "node"
ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0

# Limits raised as far as the config allows so the rate limiters never throttle
# the load (message_burst tops out at 1000; a sender posts fewer than that).
CONFIG_TEMPLATE = """\
secret_key = "benchmark-secret-key-not-for-production"

[limits]
message_burst = 1000
message_interval_s = 0.05
joins_per_minute = 1000
joins_per_address_per_minute = 100000
connections_per_device = 1000
# Every simulated member comes from 127.0.0.1.
connections_per_address = 1000000
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def write_config(directory: Path, rooms: list[str]) -> Path:
    """A peer-rooms config with one drop-in room per id (drop-in rooms are always open)."""
    text = CONFIG_TEMPLATE + "".join(
        f'\n[[rooms]]\nid = "{room}"\ntitle = "Bench {room}"\nkind = "drop-in"\n'
        for room in rooms)
    path = directory / "bench.toml"
    path.write_text(text)
    return path


def rss_kib(pid: int) -> int:
    """Resident set size of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used, from /proc (Linux)."""
    # Fields after the parenthesised command name; utime and stime are 14th and 15th.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Started:
    name: str
    proc: asyncio.subprocess.Process
    log_path: Path
    drain: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Server:
    kind: Kind
    url: str
    process: Started

    @property
    def pid(self) -> int:
        return self.process.pid

    async def bus_received(self, http: aiohttp.ClientSession) -> int:
        """Pub/sub messages this process has received from Redis so far."""
        if self.kind == "baseline":
            async with http.get(f"{self.url}/stats") as resp:
                received: int = (await resp.json())["received"]
                return received
        async with http.get(f"{self.url}/metrics") as resp:
            text = await resp.text()
        for line in text.splitlines():
            if line.startswith("peer_rooms_bus_received_total "):
                return int(float(line.split()[1]))
        return 0  # the counter appears only once a Redis bus is configured


class ProcessGroup:
    """The processes of one benchmark; `async with` stops all of them on the way out."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._started: list[Started] = []
        self._redis: Started | None = None

    async def __aenter__(self) -> ProcessGroup:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.close()

    async def redis(self) -> str:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        port = free_port()
        # Our own Redis on a free port, no persistence: never the machine's 6379.
        self._redis = await self._start(
            "redis", [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                      "--appendonly", "no", "--dir", str(self.workdir)],
            ready=b"Ready to accept connections", env=None)
        return f"redis://127.0.0.1:{port}/0"

    async def servers(self, kind: Kind, count: int, *, config: Path,
                      redis_url: str | None) -> list[Server]:
        """`count` servers of one kind, started side by side (A, B, ...)."""
        results = await asyncio.gather(*(
            self.server(kind, config=config, redis_url=redis_url, name=f"{kind}-{chr(65 + i)}")
            for i in range(count)), return_exceptions=True)
        # Every start has finished (or failed) before we raise: nothing left half-started.
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return [r for r in results if isinstance(r, Server)]

    async def server(self, kind: Kind, *, config: Path, redis_url: str | None,
                     name: str) -> Server:
        port = free_port()
        # Our choices of port, host and Redis, whatever the calling shell has set.
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "PORT", "HOST")}
        if kind in ("peer-rooms", "peer-rooms-uvloop"):
            module = "server" if kind == "peer-rooms" else "bench.uvloop_server"
            args = ["-m", module, "serve", "--config", str(config), "--port", str(port)]
            if redis_url:
                env["REDIS_URL"] = redis_url
        elif kind == "node":
            args = [str(NODE_DIR / "server.js"), "--port", str(port)]
            if redis_url:
                args += ["--redis", redis_url]
        else:
            args = ["-m", "bench.baseline", "--port", str(port)]
            if redis_url:
                args += ["--redis", redis_url]
        program = (shutil.which("node") or "node") if kind == "node" else sys.executable
        started = await self._start(name, [program, *args], ready=b"Running on", env=env)
        return Server(kind, f"http://127.0.0.1:{port}", started)

    async def _start(self, name: str, argv: list[str], *, ready: bytes,
                     env: dict[str, str] | None) -> Started:
        log_path = self.workdir / f"{name}.log"
        log: IO[bytes] = log_path.open("ab")
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv, cwd=ROOT, env=env, stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE, stderr=log)
        finally:
            log.close()  # the child holds its own copy of the descriptor
        started = Started(name, proc, log_path)
        self._started.append(started)
        assert proc.stdout is not None
        try:
            await asyncio.wait_for(_wait_for_line(proc.stdout, ready, log_path),
                                   READY_TIMEOUT_S)
        except (TimeoutError, EOFError) as exc:
            raise RuntimeError(f"{name} did not start:\n{started.log_tail()}") from exc
        # Keep reading stdout so a chatty child never blocks on a full pipe.
        started.drain = asyncio.create_task(_copy_rest(proc.stdout, log_path))
        return started

    async def close(self) -> None:
        # Servers first, all at once (each takes a moment to shut down), Redis last.
        servers = [s for s in self._started if s is not self._redis]
        await asyncio.gather(*(_stop(s) for s in servers))
        if self._redis is not None:
            await _stop(self._redis)
        self._started.clear()
        self._redis = None


async def _wait_for_line(stream: asyncio.StreamReader, marker: bytes, log_path: Path) -> None:
    with log_path.open("ab") as log:
        while True:
            line = await stream.readline()
            if not line:
                raise EOFError("exited before it was ready")
            log.write(line)
            if marker in line:
                return


async def _copy_rest(stream: asyncio.StreamReader, log_path: Path) -> None:
    with log_path.open("ab") as log:
        while line := await stream.readline():
            log.write(line)


async def _stop(started: Started) -> None:
    await stop_process(started.proc)
    if started.drain is not None:
        started.drain.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await started.drain


async def stop_process(proc: asyncio.subprocess.Process) -> None:
    """Terminate, give it STOP_TIMEOUT_S to exit cleanly, then kill."""
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), STOP_TIMEOUT_S)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
