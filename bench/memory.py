"""Memory per member: server RSS with no members and with N connected, joined members.

One process, no Redis. "Idle" is read after one member has joined and left, so
code paths imported or compiled on first use are not charged to the N members.
RSS is what the OS sees: it includes freed memory the allocator keeps for reuse.
"""

from __future__ import annotations

from pathlib import Path

from bench.load import BATCH, RoomSpec, Spec, SwarmProcess
from bench.processes import Kind, ProcessGroup, Server, rss_kib, write_config
from bench.stats import caption, table

HEADERS = ["implementation", "members", "RSS idle MiB", "RSS with members MiB",
           "per member KiB", "join all s"]


async def run(workdir: Path, members: int) -> str:
    rows: list[list[object]] = []
    for kind in ("peer-rooms", "baseline"):
        run_dir = workdir / f"memory-{kind}"
        run_dir.mkdir()
        idle, loaded, join_s = await _measure(kind, members, run_dir)
        rows.append([kind, members, idle / 1024, loaded / 1024, (loaded - idle) / members,
                     join_s])
    title = (f"memory: 1 process, no Redis, RSS (VmRSS) idle and with {members} members "
             f"connected (websocket) and joined to one room; join all s = time for the swarm "
             f"to connect and join them, {BATCH} at a time")
    return "\n".join([caption(title), "", table(HEADERS, rows)])


async def _measure(kind: Kind, members: int, workdir: Path) -> tuple[int, int, float]:
    async with ProcessGroup(workdir) as group:
        config = write_config(workdir, ["bench", "warmup"])
        (server,) = await group.servers(kind, 1, config=config, redis_url=None)
        # The warm-up uses a room of its own so its departed member never shares "bench".
        async with SwarmProcess(_spec(server, "warmup", 1), workdir) as swarm:
            await swarm.step("join", timeout_s=60)
        idle = rss_kib(server.pid)
        async with SwarmProcess(_spec(server, "bench", members), workdir) as swarm:
            joined = await swarm.step("join", timeout_s=180)
            loaded = rss_kib(server.pid)
    return idle, loaded, joined["join_s"]


def _spec(server: Server, room: str, members: int) -> Spec:
    return Spec(rooms=[RoomSpec(room=room, urls=[server.url], members=members, senders=0)],
                messages=0, deliver_timeout_s=60)
