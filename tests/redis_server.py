"""A real redis-server on a free port, started and stopped by the tests themselves.

The machine's own Redis (6379) is never touched: these servers are ours to flush,
stop and restart empty.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading

import pytest

from tests.helpers import free_port


def require_redis_server() -> str:
    path = shutil.which("redis-server")
    if path is None:
        message = "redis-server is not installed (apt-get install redis-server)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)  # under CI a missing dependency fails, never skips
        pytest.skip(message)
    return path


class RedisServer:
    def __init__(self) -> None:
        self.binary = require_redis_server()
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        # No persistence: a restart comes back empty, like a failover without AOF.
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--loglevel", "notice"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        ready = threading.Event()
        proc = self.proc

        def watch() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                if b"Ready to accept connections" in line:
                    ready.set()
            ready.set()

        threading.Thread(target=watch, daemon=True).start()
        if not ready.wait(10) or proc.poll() is not None:
            raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def flush(self) -> None:
        import redis

        client = redis.Redis.from_url(self.url)
        try:
            client.flushall()
        finally:
            client.close()
