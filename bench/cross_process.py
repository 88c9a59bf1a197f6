"""Cross-process delivery: one room split over two processes that share a Redis.

peer-rooms (a Redis channel per room) beside bare python-socketio with
AsyncRedisManager (one channel for everything), same clients, same load. A second
variant adds a room whose members are all on process A: with per-room channels
process B should not receive its traffic at all; with AsyncRedisManager it does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bench.load import RoomSpec, Spec, SwarmProcess
from bench.processes import Kind, ProcessGroup, cpu_seconds, write_config
from bench.stats import caption, table

SIDE_MEMBERS = 10
DELIVER_TIMEOUT_S = 60.0
HEADERS = ["implementation", "members", "messages sent", "deliveries/s", "p50 ms", "p99 ms",
           "redis msgs received A / B", "cpu s A / B / clients"]


@dataclass
class Load:
    members: int = 100
    senders: int = 5
    messages: int = 200  # per sender


async def run(workdir: Path, load: Load) -> str:
    rows: list[list[object]] = []
    notes: list[str] = []
    for side in (False, True):
        for kind in ("peer-rooms", "baseline"):
            run_dir = workdir / f"cross-{kind}-{'side' if side else 'one'}"
            run_dir.mkdir()
            row, note = await _run_one(kind, load, side=side, workdir=run_dir)
            rows.append(row)
            notes += note
    title = (f"cross-process: 2 processes + Redis, room 'bench' split evenly over A and B, "
             f"{load.senders} senders x {load.messages} messages, each sent when the previous "
             f"was acknowledged; 'side' = a second room of {SIDE_MEMBERS} members all on A "
             f"with the same senders/messages")
    return "\n".join([caption(title), "", table(HEADERS, rows), *notes])


async def _run_one(kind: Kind, load: Load, *, side: bool,
                   workdir: Path) -> tuple[list[object], list[str]]:
    async with ProcessGroup(workdir) as group:
        redis_url = await group.redis()
        config = write_config(workdir, ["bench", "side"])
        a, b = await group.servers(kind, 2, config=config, redis_url=redis_url)
        rooms = [RoomSpec(room="bench", urls=[a.url, b.url], members=load.members,
                          senders=load.senders)]
        if side:
            rooms.append(RoomSpec(room="side", urls=[a.url], members=SIDE_MEMBERS,
                                  senders=load.senders))
        spec = Spec(rooms=rooms, messages=load.messages, deliver_timeout_s=DELIVER_TIMEOUT_S)
        async with SwarmProcess(spec, workdir) as swarm, aiohttp.ClientSession() as http:
            await swarm.step("join", timeout_s=120)
            # Counters and CPU around the send step only: joins and presence excluded.
            received = [await s.bus_received(http) for s in (a, b)]
            cpu = [cpu_seconds(s.pid) for s in (a, b)]
            result = await swarm.step("send", timeout_s=DELIVER_TIMEOUT_S + 60)
            received = [await s.bus_received(http) - r for s, r in zip((a, b), received,
                                                                         strict=True)]
            cpu = [cpu_seconds(s.pid) - c for s, c in zip((a, b), cpu, strict=True)]
    return _row(kind, load, side, result, received, cpu), _notes(kind, side, result)


def _row(kind: Kind, load: Load, side: bool, result: dict[str, Any], received: list[int],
         cpu: list[float]) -> list[object]:
    name = f"{kind} + side room on A" if side else kind
    members = f"{load.members} + {SIDE_MEMBERS} on A" if side else str(load.members)
    latency = result["latency_ms"]
    return [name, members, result["sent"], result["deliveries"] / result["wall_s"],
            latency["p50"], latency["p99"], f"{received[0]:,} / {received[1]:,}",
            f"{cpu[0]:.1f} / {cpu[1]:.1f} / {result['client_cpu_s']:.1f}"]


def _notes(kind: Kind, side: bool, result: dict[str, Any]) -> list[str]:
    if not result["errors"] and result["deliveries"] == result["expected"]:
        return []
    return [f"  ! {kind}{' + side' if side else ''}: {result['deliveries']:,} of "
            f"{result['expected']:,} deliveries, errors {result['errors']}"]
