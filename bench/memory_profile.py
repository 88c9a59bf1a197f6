"""`python -m bench.memory_profile [--members 2000] [--root DIR]`: what each idle joined
member holds in the Python heap, by tracemalloc (2,000 members in rooms of 20, joined
by the Node load client). `--root` runs another checkout's server (a before/after)."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
from pathlib import Path

from bench.compare import NodeSwarm, _spec
from bench.processes import ROOT, ProcessGroup, free_port, write_config


async def profile(members: int, root: Path) -> None:
    rooms = [f"j{i:03d}" for i in range(members // 20)]
    with tempfile.TemporaryDirectory(prefix="peer-rooms-tracemalloc-") as tmp:
        workdir = Path(tmp)
        out = workdir / "snap"
        config = write_config(workdir, rooms)
        port = free_port()
        env = {**os.environ, "TRACEMALLOC_OUT": str(out),
               "PYTHONPATH": f"{root}{os.pathsep}{ROOT}"}
        async with ProcessGroup(workdir) as group:
            started = await group._start(
                "server", [sys.executable, str(ROOT / "bench" / "tracemalloc_server.py"),
                           "serve", "--config", str(config), "--port", str(port)],
                ready=b"Running on", env=env)
            url = f"http://127.0.0.1:{port}"
            async with NodeSwarm(_spec(url, rooms[:1], 1, 0), workdir) as warm:
                await warm.step("join", timeout_s=60)  # first-use code is not a member's
            await _snapshot(started.pid, out, 1)
            async with NodeSwarm(_spec(url, rooms, 20, 0), workdir) as swarm:
                await swarm.step("join", timeout_s=600)
                await _snapshot(started.pid, out, 2)
        diff = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.memory_diff", f"{out}.1", f"{out}.2", str(members),
            cwd=ROOT)
        await diff.wait()


async def _snapshot(pid: int, out: Path, number: int) -> None:
    os.kill(pid, signal.SIGUSR1)
    path = Path(f"{out}.{number}")
    # The dump is written by the server; wait for it to appear and stop growing.
    size = -1
    while True:
        await asyncio.sleep(0.5)  # polling for a file another process writes
        current = _size(path)
        if current >= 0 and current == size:
            return
        size = current


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else -1


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.memory_profile")
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout whose server runs")
    args = parser.parse_args()
    asyncio.run(profile(args.members, args.root.resolve()))


if __name__ == "__main__":
    main()
