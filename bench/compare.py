"""`python -m bench.compare`: issue 9's table — peer-rooms, bare python-socketio and Node
socket.io under the same load from the same Node client, one row each.

Columns (each implementation starts fresh processes for each part):
- fan-out: 1 process, no Redis, 50 rooms x 10 members, one sender per room, 120-character
  texts, websocket, open loop at 10k and at 30k deliveries/s offered for `--seconds`:
  server CPU us per delivery, delivered/s, loss (not delivered within 2 s of the last
  send), p50/p99 end-to-end latency;
- joins: 2,000 members connecting and joining rooms of 20 (50 at a time), and the RSS
  they add per member once idle (KB); 500 joining one room;
- redis: 1 process on Redis, 10 rooms x 10, one sender each at 10 msg/s for 5 s:
  Redis round trips per accepted send (peer-rooms counts its own, /metrics; its
  liveness beat adds ~0.01) and, from INFO commandstats, the EVALSHA + PUBLISH calls
  per send (the post script for peer-rooms; the others publish once per emit and send
  nothing else, so that is also their round trips);
- 3 processes on one Redis (peer-rooms' per-room channels, AsyncRedisManager,
  @socket.io/redis-adapter), members of each room spread over the three, 10k
  deliveries/s offered: the three servers' CPU us per delivery, loss, p99.
The load client is bench/node/load.js (socket.io-client), needing `node` and
`npm ci --prefix bench/node`; without node the Python swarm is not a substitute (it
saturates before the servers do), so the command stops and says so.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import aiohttp
import redis.asyncio as aioredis

from bench.load import SwarmProcess
from bench.processes import NODE_DIR, ROOT, Kind, ProcessGroup, cpu_seconds, rss_kib, write_config
from bench.stats import caption, table

KINDS: tuple[Kind, ...] = ("peer-rooms", "baseline", "node")
CHOICES: tuple[Kind, ...] = (*KINDS, "peer-rooms-uvloop")
TEXT_LENGTH = 120


class NodeSwarm(SwarmProcess):
    """bench/node/load.js, driven with the same steps as the Python swarm."""

    async def __aenter__(self) -> NodeSwarm:
        with self.log_path.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                shutil.which("node") or "node", str(NODE_DIR / "load.js"),
                json.dumps(self.spec), cwd=ROOT, stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE, stderr=log)
        return self


def _spec(url: str, rooms: list[str], members: int, senders: int) -> Any:
    return {"rooms": [{"room": r, "urls": [url], "members": members, "senders": senders}
                      for r in rooms], "text_length": TEXT_LENGTH}


async def fanout(kind: Kind, workdir: Path, seconds: float) -> dict[str, Any]:
    rooms = [f"f{i:02d}" for i in range(50)]
    out: dict[str, Any] = {}
    async with ProcessGroup(workdir) as group:
        (server,) = await group.servers(kind, 1, config=write_config(workdir, rooms),
                                        redis_url=None)
        async with NodeSwarm(_spec(server.url, rooms, 10, 1), workdir) as swarm:
            await swarm.step("join", timeout_s=120)
            for offered, rate in ((10_000, 20), (30_000, 60)):
                cpu = cpu_seconds(server.pid)
                result = await swarm.step(f"soak {seconds} {rate}", timeout_s=seconds + 60)
                cpu = cpu_seconds(server.pid) - cpu
                delivered = result["deliveries"]
                expected = result["sent"] * 10
                out[offered] = {
                    "cpu_us": cpu / delivered * 1e6 if delivered else float("nan"),
                    "per_s": delivered / result["wall_s"],
                    "loss": 1 - delivered / expected if expected else float("nan"),
                    "p50": result["latency_ms"]["p50"], "p99": result["latency_ms"]["p99"],
                    "errors": result["errors"]}
    return out


async def cluster(kind: Kind, workdir: Path, seconds: float) -> dict[str, Any]:
    """Three processes on one Redis, every room's members spread over all three."""
    rooms = [f"c{i:02d}" for i in range(50)]
    async with ProcessGroup(workdir) as group:
        url = await group.redis()
        servers = await group.servers(kind, 3, config=write_config(workdir, rooms),
                                      redis_url=url)
        spec = {"rooms": [{"room": r, "urls": [s.url for s in servers], "members": 10,
                           "senders": 1} for r in rooms], "text_length": TEXT_LENGTH}
        async with NodeSwarm(spec, workdir) as swarm:
            await swarm.step("join", timeout_s=120)
            cpu = sum(cpu_seconds(s.pid) for s in servers)
            result = await swarm.step(f"soak {seconds} 20", timeout_s=seconds + 60)
            cpu = sum(cpu_seconds(s.pid) for s in servers) - cpu
    delivered, expected = result["deliveries"], result["sent"] * 10
    return {"cpu_us": cpu / delivered * 1e6 if delivered else float("nan"),
            "loss": 1 - delivered / expected if expected else float("nan"),
            "p99": result["latency_ms"]["p99"]}


async def joins(kind: Kind, workdir: Path) -> dict[str, Any]:
    rooms = [f"j{i:03d}" for i in range(100)]
    async with ProcessGroup(workdir) as group:
        (server,) = await group.servers(kind, 1, config=write_config(workdir, [*rooms, "big"]),
                                        redis_url=None)
        idle = rss_kib(server.pid)
        async with NodeSwarm(_spec(server.url, rooms, 20, 0), workdir) as swarm:
            many = await swarm.step("join", timeout_s=300)
            # Idle: let join traffic finish before reading (no sleep: the swarm's answer
            # came after every join was acknowledged; presence may still be queued).
            loaded = rss_kib(server.pid)
    async with ProcessGroup(workdir) as group:
        (server,) = await group.servers(kind, 1, config=write_config(workdir, ["big"]),
                                        redis_url=None)
        async with NodeSwarm(_spec(server.url, ["big"], 500, 0), workdir) as swarm:
            one = await swarm.step("join", timeout_s=300)
    return {"join_2000_s": many["join_s"], "kb_per_member": (loaded - idle) * 1.024 / 2000,
            "join_500_s": one["join_s"]}


async def redis_costs(kind: Kind, workdir: Path) -> dict[str, Any]:
    rooms = [f"r{i}" for i in range(10)]
    async with ProcessGroup(workdir) as group:
        url = await group.redis()
        (server,) = await group.servers(kind, 1, config=write_config(workdir, rooms),
                                        redis_url=url)
        client = aioredis.from_url(url)
        try:
            async with NodeSwarm(_spec(server.url, rooms, 10, 1), workdir) as swarm:
                await swarm.step("join", timeout_s=120)
                calls, trips = await _commands(client), await _round_trips(server.url)
                result = await swarm.step("soak 5 10", timeout_s=60)
                calls = await _commands(client) - calls
                after = await _round_trips(server.url)
        finally:
            await client.aclose()
    acked = result["acked"]
    per_send = None
    if trips is not None and after is not None and acked:
        per_send = (after - trips) / acked
    return {"round_trips": per_send,
            "commands": calls / acked if acked else float("nan")}


async def _commands(client: aioredis.Redis) -> int:
    # commandstats also counts what scripts run inside Redis, so only the commands a
    # server sends for a message: its post script, or its publish per emit.
    stats = await client.info("commandstats")
    return sum(int(stats.get(k, {}).get("calls", 0))
               for k in ("cmdstat_evalsha", "cmdstat_eval", "cmdstat_publish",
                         "cmdstat_spublish"))


async def _round_trips(url: str) -> float | None:
    """peer-rooms' own count (None for a server that does not keep one)."""
    async with aiohttp.ClientSession() as http, http.get(f"{url}/metrics") as response:
        if response.status != 200:
            return None
        for line in (await response.text()).splitlines():
            if line.startswith("peer_rooms_redis_round_trips_total "):
                return float(line.split()[1])
    return None


HEADERS = ["implementation", "cpu us/delivery 10k", "cpu us/delivery 30k",
           "delivered/s 10k", "delivered/s 30k", "loss 30k", "p50 / p99 ms 10k",
           "p50 / p99 ms 30k", "KB/member (2,000)", "2,000 joins s", "500 joins s",
           "redis round trips / scripts+publishes per send",
           "3 processes: cpu us/delivery, loss, p99 ms (10k)"]


def _row(kind: Kind, fan: dict[Any, Any], join: dict[str, Any],
         costs: dict[str, Any], three: dict[str, Any]) -> list[object]:
    trips = costs["round_trips"]
    return [kind, fan[10_000]["cpu_us"], fan[30_000]["cpu_us"], fan[10_000]["per_s"],
            fan[30_000]["per_s"], f"{fan[30_000]['loss'] * 100:.1f} %",
            f"{fan[10_000]['p50']:.1f} / {fan[10_000]['p99']:.1f}",
            f"{fan[30_000]['p50']:.1f} / {fan[30_000]['p99']:.1f}",
            join["kb_per_member"], join["join_2000_s"], join["join_500_s"],
            f"{'-' if trips is None else f'{trips:.2f}'} / {costs['commands']:.2f}",
            f"{three['cpu_us']:.1f}, {three['loss'] * 100:.1f} %, {three['p99']:.1f}"]


async def run(workdir: Path, seconds: float, kinds: tuple[Kind, ...]) -> str:
    rows: list[list[object]] = []
    notes: list[str] = []
    for kind in kinds:
        part = workdir / kind
        part.mkdir()
        fan = await fanout(kind, _dir(part, "fanout"), seconds)
        join = await joins(kind, _dir(part, "joins"))
        costs = await redis_costs(kind, _dir(part, "redis"))
        three = await cluster(kind, _dir(part, "cluster"), seconds)
        rows.append(_row(kind, fan, join, costs, three))
        for offered in (10_000, 30_000):
            if fan[offered]["errors"]:
                notes.append(f"  ! {kind} at {offered:,}/s: errors {fan[offered]['errors']}")
    title = ("issue 9: one process, 50 rooms x 10 members, one sender per room, "
             f"{TEXT_LENGTH}-character texts, websocket, open loop for {seconds:.0f} s at 10k "
             "and 30k deliveries/s offered, the same Node socket.io-client load for all; "
             "joins and KB/member: 2,000 members in rooms of 20, 500 in one room; redis: one "
             "process on Redis, per acknowledged send; 3 processes: one Redis, the same 50 "
             "rooms with members spread over all three, 10k deliveries/s offered, CPU of "
             "the three servers")
    return "\n".join([caption(title), "", table(HEADERS, rows), *notes])


def _dir(parent: Path, name: str) -> Path:
    path = parent / name
    path.mkdir()
    return path


async def _main(args: argparse.Namespace) -> int:
    if shutil.which("node") is None or not (NODE_DIR / "node_modules").is_dir():
        print("needs node and `npm ci --prefix bench/node` (the load client is Node)",
              file=sys.stderr)
        return 2
    kinds = tuple(args.only or KINDS)
    with tempfile.TemporaryDirectory(prefix="peer-rooms-compare-") as tmp:
        print(await run(Path(tmp), args.seconds, kinds), flush=True)
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each load")
    parser.add_argument("--only", nargs="+", choices=CHOICES,
                        help="some implementations (peer-rooms-uvloop: on uvloop)")
    raise SystemExit(asyncio.run(_main(parser.parse_args())))


if __name__ == "__main__":
    main()
