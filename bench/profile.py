"""`python -m bench.profile [--root DIR] [--rate 60] [--seconds 8] [--processes 1]`: where
one peer-rooms process spends its CPU under the compare fan-out load (50 rooms x 10, open
loop; rate 60 msg/s per sender = 30k deliveries/s), sampled by py-spy; prints the functions
with the most samples on top of the stack (self) and anywhere in it (total). With
`--processes 3` it is the compare's cluster load instead: three processes on one Redis,
every room's members spread over all three, and the first process is sampled."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench.compare import NodeSwarm, _spec
from bench.processes import ROOT, ProcessGroup, free_port, write_config


async def profile(root: Path, rate: float, seconds: float, processes: int = 1) -> str:
    rooms = [f"f{i:02d}" for i in range(50)]
    with tempfile.TemporaryDirectory(prefix="peer-rooms-profile-") as tmp:
        workdir = Path(tmp)
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "PORT", "HOST")}
        async with ProcessGroup(workdir) as group:
            if processes > 1:
                env["REDIS_URL"] = await group.redis()
            # The checkout's own server package first, whatever the current directory.
            boot = (f"import sys; sys.path.insert(0, {str(root)!r}); "
                    "from server.cli import main; raise SystemExit(main(sys.argv[1:]))")
            config = write_config(workdir, rooms)
            ports = [free_port() for _ in range(processes)]
            servers = [await group._start(
                f"server-{i}", [sys.executable, "-c", boot, "serve", "--config", str(config),
                                "--port", str(port)], ready=b"Running on", env=env)
                for i, port in enumerate(ports)]
            started = servers[0]  # the one sampled
            spec = _spec("", rooms, 10, 1)
            for room in spec["rooms"]:
                room["urls"] = [f"http://127.0.0.1:{port}" for port in ports]
            async with NodeSwarm(spec, workdir) as swarm:
                await swarm.step("join", timeout_s=120)
                # Warm: what is built on first use (the crisis phrasebook) is not the load.
                await swarm.step("soak 1 5", timeout_s=60)
                raw = Path(os.environ.get("PROFILE_RAW", workdir / "samples.txt"))
                spy = await asyncio.create_subprocess_exec(
                    shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy"),
                    "record", "--pid", str(started.pid), "--duration", str(int(seconds)),
                    "--rate", "250", "--format", "raw", "--output", str(raw), "--nonblocking",
                    stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
                await swarm.step(f"soak {seconds} {rate}", timeout_s=seconds + 60)
                await spy.wait()
                return _summary(_read(raw))


def _read(path: Path) -> str:
    return path.read_text()


def _summary(text: str) -> str:
    own: Counter[str] = Counter()
    anywhere: Counter[str] = Counter()
    total = 0
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        frames = [f.split(" (")[0] + " " + f.split("(")[-1].split(":")[0].split("/")[-1]
                  for f in stack.split(";")]
        n = int(count)
        total += n
        own[frames[-1]] += n
        for frame in set(frames):
            anywhere[frame] += n
    rows = [f"{total} samples; self (on top of the stack):"]
    rows += [f"  {100 * n / total:5.1f} %  {name}" for name, n in own.most_common(15)]
    rows += ["total (anywhere in the stack):"]
    rows += [f"  {100 * n / total:5.1f} %  {name}" for name, n in anywhere.most_common(25)]
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout whose server runs")
    parser.add_argument("--rate", type=float, default=60.0, help="messages/s per sender")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--processes", type=int, default=1,
                        help="servers on one Redis (the first is sampled)")
    args = parser.parse_args()
    print(asyncio.run(profile(args.root.resolve(), args.rate, args.seconds, args.processes)))


if __name__ == "__main__":
    main()
