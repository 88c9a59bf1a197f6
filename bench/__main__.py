"""`python -m bench [cross-process|fanout|memory ...]`: run benchmarks, print tables.

With no names every benchmark runs. Each one starts its own processes (Redis on a
free port, servers, a client swarm) and stops them before the next begins.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import signal
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from bench import cross_process, fanout, memory


def _benchmarks(args: argparse.Namespace) -> dict[str, Callable[[Path], Awaitable[str]]]:
    load = cross_process.Load(args.members, args.senders, args.messages)
    return {
        "cross-process": lambda workdir: cross_process.run(workdir, load),
        "fanout": lambda workdir: fanout.run(workdir, tuple(args.fanout_members)),
        "memory": lambda workdir: memory.run(workdir, args.memory_members),
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", metavar="name",
                        help="cross-process, fanout, memory (default: all)")
    parser.add_argument("--members", type=int, default=100, help="cross-process room size")
    parser.add_argument("--senders", type=int, default=5, help="cross-process senders")
    parser.add_argument("--messages", type=int, default=200,
                        help="cross-process messages per sender")
    parser.add_argument("--fanout-members", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--memory-members", type=int, default=500)
    return parser


async def _main(args: argparse.Namespace) -> int:
    benchmarks = _benchmarks(args)
    names = args.names or list(benchmarks)
    unknown = [n for n in names if n not in benchmarks]
    if unknown:
        print(f"unknown benchmark {', '.join(unknown)} (known: {', '.join(benchmarks)})",
              file=sys.stderr)
        return 2
    # SIGTERM (and Ctrl-C) cancel the run, so every `async with` stops what it started.
    main_task = asyncio.current_task()
    assert main_task is not None
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, main_task.cancel)
    print(f"peer-rooms benchmarks, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
          f"Python {platform.python_version()}, {_cpus()} CPUs", flush=True)
    started = time.perf_counter()
    # Every process logs here; a failure message carries the tail of the relevant log.
    with tempfile.TemporaryDirectory(prefix="peer-rooms-bench-") as tmp:
        for name in names:
            workdir = Path(tmp) / name
            workdir.mkdir()
            try:
                print(f"\n{await benchmarks[name](workdir)}", flush=True)
            except asyncio.CancelledError:
                print(f"\n{name} interrupted; its processes are stopped", file=sys.stderr)
                return 130
            except Exception as exc:
                print(f"\n{name} failed: {exc}", file=sys.stderr, flush=True)
                return 1
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0


def _cpus() -> int:
    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    raise SystemExit(asyncio.run(_main(_parser().parse_args())))
