"""`python -m bench.round_trip_cost`: the client side of one Redis round trip, in
instructions (valgrind's callgrind: the same count whatever else the machine does).

One `EVALSHA` in a loop against a redis-server of its own, for redis-py as it comes
(its 2 s socket timeout: a `wait_for` per write, a timeout scope per read), for
redis-py with no timeout at all (the floor), and for the store's client
(`server.store.redis_client`: one timer for every command in flight). Each is run
twice, for `SHORT` and `LONG` calls, and the difference divided by `LONG - SHORT`,
so start-up and imports cancel out. Without valgrind it says so and stops.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.processes import ROOT, ProcessGroup

SHORT, LONG = 200, 1200

_LOOP = """
import asyncio, sys
sys.path.insert(0, sys.argv[3])
import redis.asyncio as aioredis
from redis.asyncio.connection import BlockingConnectionPool
from server.store.redis_client import redis_client

async def main(kind, url, calls):
    if kind == "store":
        client = redis_client(url)
    else:
        client = aioredis.Redis.from_pool(BlockingConnectionPool.from_url(
            url, max_connections=50, timeout=2.0, health_check_interval=5,
            socket_timeout=2.0 if kind == "redis-py" else None))
    script = client.register_script("return redis.call('GET', KEYS[1])")
    for _ in range(calls):
        await script(keys=["x"], args=[1, 2, 3])
    await client.aclose()

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[4])))
"""

KINDS = {
    "redis-py, 2 s socket timeout": "redis-py",
    "redis-py, no timeout (floor)": "no-timeout",
    "peer-rooms' client (deadlines)": "store",
}


def _instructions(kind: str, url: str, calls: int, out: Path) -> int:
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable,
         "-c", _LOOP, kind, url, str(ROOT), str(calls)],
        capture_output=True, text=True, check=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise RuntimeError(done.stderr[-2000:])
    return int(found.group(1))


async def main() -> None:
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: nothing measured")
        return
    with tempfile.TemporaryDirectory() as directory:
        async with ProcessGroup(Path(directory)) as group:
            url = await group.redis()
            print(f"client instructions per EVALSHA round trip ({LONG - SHORT} calls)")
            print(f"{'client':<34} | instructions")
            print(f"{'-' * 34}-+-------------")
            for label, kind in KINDS.items():
                counts = [_instructions(kind, url, calls, Path(directory) / f"{kind}.{calls}")
                          for calls in (SHORT, LONG)]
                print(f"{label:<34} | {(counts[1] - counts[0]) / (LONG - SHORT):>12,.0f}")


if __name__ == "__main__":
    asyncio.run(main())
