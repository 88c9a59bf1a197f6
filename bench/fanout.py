"""Fan-out in one process (in-memory, no Redis): one sender, N members in one room.

What one message costs when it goes to everyone: peer-rooms (screening, the
replay buffer, the bus) beside a bare python-socketio emit to the room.
"""

from __future__ import annotations

from pathlib import Path

from bench.load import RoomSpec, Spec, SwarmProcess
from bench.processes import Kind, ProcessGroup, cpu_seconds, write_config
from bench.stats import caption, table

MESSAGES = 200
DELIVER_TIMEOUT_S = 60.0
HEADERS = ["implementation", "members", "messages sent", "messages/s", "deliveries/s",
           "p50 ms", "p99 ms", "cpu s server / clients"]


async def run(workdir: Path, sizes: tuple[int, ...]) -> str:
    rows: list[list[object]] = []
    notes: list[str] = []
    for members in sizes:
        for kind in ("peer-rooms", "baseline"):
            run_dir = workdir / f"fanout-{kind}-{members}"
            run_dir.mkdir()
            row, note = await _run_one(kind, members, run_dir)
            rows.append(row)
            notes += note
    title = (f"fan-out: 1 process, no Redis, 1 sender x {MESSAGES} messages, each sent when "
             f"the previous was acknowledged, to every member of one room")
    return "\n".join([caption(title), "", table(HEADERS, rows), *notes])


async def _run_one(kind: Kind, members: int, workdir: Path) -> tuple[list[object], list[str]]:
    async with ProcessGroup(workdir) as group:
        config = write_config(workdir, ["bench"])
        (server,) = await group.servers(kind, 1, config=config, redis_url=None)
        spec = Spec(rooms=[RoomSpec(room="bench", urls=[server.url], members=members,
                                    senders=1)],
                    messages=MESSAGES, deliver_timeout_s=DELIVER_TIMEOUT_S)
        async with SwarmProcess(spec, workdir) as swarm:
            await swarm.step("join", timeout_s=120)
            cpu = cpu_seconds(server.pid)
            result = await swarm.step("send", timeout_s=DELIVER_TIMEOUT_S + 60)
            cpu = cpu_seconds(server.pid) - cpu
    wall = result["wall_s"]
    latency = result["latency_ms"]
    row: list[object] = [kind, members, result["sent"], result["sent"] / wall,
                         result["deliveries"] / wall, latency["p50"], latency["p99"],
                         f"{cpu:.1f} / {result['client_cpu_s']:.1f}"]
    notes = []
    if result["errors"] or result["deliveries"] != result["expected"]:
        notes.append(f"  ! {kind} {members}: {result['deliveries']:,} of "
                     f"{result['expected']:,} deliveries, errors {result['errors']}")
    return row, notes
