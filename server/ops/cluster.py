"""`peer-rooms cluster`: N server processes, one Redis, nginx in front — on one machine.

For trying scale-out locally and for the tests; in production run the processes
under your service manager and put your own nginx (see `server/ops/nginx.py`) in front.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from server.ops.nginx import nginx_config


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def run_cluster(*, processes: int, port: int, redis_url: str | None,
                config: str | None) -> int:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        print("error: nginx is not installed (apt-get install nginx-light)", file=sys.stderr)
        return 2
    run_dir = Path(tempfile.mkdtemp(prefix="peer-rooms-cluster-"))
    run_dir.chmod(0o755)
    children: list[subprocess.Popen[bytes]] = []
    try:
        if redis_url is None:
            redis_port = _free_port()
            children.append(subprocess.Popen(
                ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                 "--save", "", "--appendonly", "no", "--dir", str(run_dir)],
                stdout=subprocess.DEVNULL))
            redis_url = f"redis://127.0.0.1:{redis_port}/0"
            print(f"started redis-server on {redis_url} (no persistence)")
        backends = []
        for _ in range(processes):
            backend_port = _free_port()
            args = [sys.executable, "-m", "server", "serve", "--port", str(backend_port),
                    "--redis", redis_url]
            if config:
                args += ["--config", config]
            children.append(subprocess.Popen(args))
            backends.append(f"127.0.0.1:{backend_port}")
        conf = run_dir / "nginx.conf"
        conf.write_text(nginx_config(f"127.0.0.1:{port}", backends, run_dir))
        children.append(subprocess.Popen([nginx, "-c", str(conf), "-p", str(run_dir)]))
        print(f"peer-rooms cluster: http://127.0.0.1:{port} → {', '.join(backends)}")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        stop.wait()
        return 0
    finally:
        for child in reversed(children):
            child.terminate()
        for child in children:
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()
        shutil.rmtree(run_dir, ignore_errors=True)
