"""Soak: steady load for N minutes, then everyone leaves (issue 12).

    python -m bench.soak --store memory|redis --minutes N

One peer-rooms process (in-memory, or with its own redis-server), 20 drop-in rooms x
10 members, every member sending 1 message/s on its own schedule (open loop: 200
messages/s, 2,000 deliveries/s). A table row every minute: latency of that minute's
deliveries, messages/s acknowledged, server CPU and RSS. At the end every member
disconnects and RSS is read again once the server shows no members. Verdicts:

- p99 latency in the last minute within 2x the first minute's;
- RSS growth from the first minute to the last under 10 % (the first minute fills
  the replay buffers and the idempotency windows, which then stay at their caps);
- memory returned after the last member leaves: RSS then no higher than after the
  first minute plus the same 10 % (CPython keeps freed memory for reuse, so RSS
  rarely falls below that; what must not happen is growth that stays).

Exit status 0 when all three pass, 1 otherwise. Not part of `make test` or `make bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from bench.load import RoomSpec, Spec, SwarmProcess
from bench.processes import ProcessGroup, Server, cpu_seconds, rss_kib, write_config
from bench.stats import caption, table

WINDOW_S = 60.0
HEADERS = ["minute", "sent", "msgs/s", "deliveries/s", "p50 ms", "p99 ms", "errors",
           "server cpu %", "RSS MiB"]
EMPTY_TIMEOUT_S = 60.0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", choices=["memory", "redis"], default="memory")
    parser.add_argument("--minutes", type=int, default=5)
    parser.add_argument("--rooms", type=int, default=20)
    parser.add_argument("--members", type=int, default=10, help="per room, all send")
    parser.add_argument("--rate", type=float, default=1.0, help="messages/s per member")
    parser.add_argument("--window-s", type=float, default=WINDOW_S,
                        help="length of one table row (a short one for a smoke run)")
    return parser


async def soak(workdir: Path, args: argparse.Namespace) -> bool:
    rooms = [f"soak{i:02d}" for i in range(args.rooms)]
    async with ProcessGroup(workdir) as group:
        redis_url = await group.redis() if args.store == "redis" else None
        config = write_config(workdir, rooms)
        (server,) = await group.servers("peer-rooms", 1, config=config, redis_url=redis_url)
        spec = Spec(rooms=[RoomSpec(room=r, urls=[server.url], members=args.members,
                                    senders=args.members) for r in rooms],
                    messages=0, deliver_timeout_s=120)
        title = (f"soak: 1 process, store {args.store}, {args.rooms} rooms x {args.members} "
                 f"members, each member {args.rate:g} message/s (open loop), "
                 f"{args.minutes} minutes, then everyone leaves")
        print(caption(title), flush=True)
        rows: list[list[object]] = []
        async with SwarmProcess(spec, workdir) as swarm:
            joined = await swarm.step("join", timeout_s=300)
            rss_joined = rss_kib(server.pid)
            print(f"joined {joined['members']} members in {joined['join_s']:.1f} s; "
                  f"RSS {rss_joined / 1024:.1f} MiB\n", flush=True)
            print(table(HEADERS, []).splitlines()[0], flush=True)
            for minute in range(1, args.minutes + 1):
                cpu = cpu_seconds(server.pid)
                result = await swarm.step(f"soak {args.window_s} {args.rate}",
                                          timeout_s=args.window_s + 120)
                cpu = cpu_seconds(server.pid) - cpu
                wall = result["wall_s"]
                latency = result["latency_ms"]
                errors = sum(result["errors"].values())
                rows.append([minute, result["acked"], result["acked"] / wall,
                             result["deliveries"] / wall, latency["p50"], latency["p99"],
                             errors, 100 * cpu / wall, rss_kib(server.pid) / 1024])
                print(table(HEADERS, rows).splitlines()[-1], flush=True)
                if errors:
                    print(f"  errors: {result['errors']}", flush=True)
            await swarm.step("leave", timeout_s=120)
            await _wait_until_empty(server)
            rss_after = rss_kib(server.pid) / 1024
    print()
    print(table(HEADERS, rows))
    print(f"\nRSS after everyone left: {rss_after:.1f} MiB")
    return _verdicts(rows, rss_after)


def _verdicts(rows: list[list[object]], rss_after: float) -> bool:
    first, last = rows[0], rows[-1]
    p99_first, p99_last = float(str(first[5])), float(str(last[5]))
    rss_first, rss_last = float(str(first[8])), float(str(last[8]))
    checks = [
        (f"p99 last minute {p99_last:.1f} ms within 2x the first ({p99_first:.1f} ms)",
         p99_last <= 2 * p99_first),
        (f"RSS growth first to last minute {100 * (rss_last / rss_first - 1):+.1f} % "
         f"(under 10 %)", rss_last < 1.10 * rss_first),
        (f"memory returned after the last member left: {rss_after:.1f} MiB "
         f"(at most {1.10 * rss_first:.1f} MiB = first minute + 10 %)",
         rss_after <= 1.10 * rss_first),
    ]
    for text, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    return all(ok for _, ok in checks)


async def _wait_until_empty(server: Server) -> None:
    """Until /api/rooms shows no members anywhere: every leave has been processed."""
    deadline = time.monotonic() + EMPTY_TIMEOUT_S
    async with aiohttp.ClientSession() as http:
        while True:
            async with http.get(f"{server.url}/api/rooms") as response:
                listing = await response.json() if response.status == 200 else None
            if listing is None:
                # Not yet answerable (the store was busy with the leaves): say so, ask again.
                print(f"  /api/rooms answered {response.status} while everyone left",
                      flush=True)
            elif all(room["members"] == 0 for room in listing):
                return
            if time.monotonic() > deadline:
                raise RuntimeError("members still listed a minute after everyone left:\n"
                                   f"{server.process.log_tail(40)}")
            await asyncio.sleep(0.5)  # polling an HTTP endpoint: there is no event to wait on


async def _main(args: argparse.Namespace) -> int:
    main_task = asyncio.current_task()
    assert main_task is not None
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, main_task.cancel)
    print(f"peer-rooms soak, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", flush=True)
    with tempfile.TemporaryDirectory(prefix="peer-rooms-soak-") as tmp:
        try:
            passed = await soak(Path(tmp), args)
        except asyncio.CancelledError:
            print("soak interrupted; its processes are stopped", file=sys.stderr)
            return 130
        except Exception as exc:
            print(f"soak failed: {exc}", file=sys.stderr)
            return 1
    print(f"\n{'PASS' if passed else 'FAIL'}")
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(_main(_parser().parse_args())))
