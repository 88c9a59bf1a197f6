"""`python -m bench.round_trip_cost`: the client side of Redis round trips, in
instructions (valgrind's callgrind: the same count whatever else the machine does).

Three tables, each loop against a redis-server of its own:
- one small `EVALSHA`: redis-py as it comes (its 2 s socket timeout: a `wait_for` per
  write, a timeout scope per read), redis-py with no timeout at all, and the store's
  client (`server.store.redis_client`: one timer for every command in flight);
- the post script's `EVALSHA` (its real number and sizes of keys and arguments): the
  store's client as it was before stop 23 (redis-py's packing, its pool, its Python
  parser), and as it is (`resp_pack`, `StorePool`, hiredis when installed), through
  redis-py's script object and through `run_script` (how the post runs it now);
- one pub/sub message received: `get_message(timeout=1.0)` (the bus before stop 23) with
  redis-py's Python parser and with hiredis, `get_message(timeout=None)` (the bus on
  stop 23: `server/bus/silence.py` notices a silence instead), and the bus's own read
  since stop 24 (`read_reply`); a publisher outside valgrind sends them.
Each is run twice, for `SHORT` and `LONG` calls, and the difference divided by
`LONG - SHORT`, so start-up and imports cancel out. Without valgrind it says so and stops.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import redis

from bench.processes import ROOT, ProcessGroup

SHORT, LONG = 200, 1200

_LOOP = """
import asyncio, sys
sys.path.insert(0, sys.argv[3])
import redis.asyncio as aioredis
from redis._parsers import _AsyncRESP3Parser
from redis.asyncio.connection import BlockingConnectionPool, Connection
from server.bus.redis import is_published, new_subscription, read_reply
from server.store.deadlines import Deadlines
from server.store.redis_client import SOCKET_TIMEOUT_S, StoreConnection, redis_client, run_script

# The post script's shape (server/store/redis_sends.py): 9 keys, 26 arguments.
STORED = ('{"id":"abcdefghijkl","room":"f00","seq":"__SEQ__","author":{"id":"ke3Gvp4704JF",'
          '"handle":"Sender","role":"member"},"text":"' + "x" * 120 + '","ts":1796695789.9}')
POST_KEYS = [f"pr:room:f00:{k}" for k in ("seq", "buffer", "messages", "ages", "posted",
                                          "posted_at", "bucket:msg:x", "member", "runtime")]
POST_ARGS = [STORED, STORED.encode(), "pr:room:f00", "abcdefghijkl", 1796695789.928521, 100,
             300, 86400, 1234, "ke3Gvp4704JF:c123", 10000, 1, b"[999.0,1796695789.9]",
             "[998.0,1796695789.93]", 60000, 3, "member", b"xxxx", "runtime", b"", "mute", b""]

class PlainConnection(StoreConnection):
    # Before stop 23: redis-py's own packing.
    def pack_command(self, *args):
        return Connection.pack_command(self, *args)

def client_for(kind, url):
    if kind == "store":
        return redis_client(url)
    if kind == "store-before":
        return aioredis.Redis.from_pool(BlockingConnectionPool.from_url(
            url, max_connections=50, timeout=2.0, health_check_interval=5,
            connection_class=PlainConnection, parser_class=_AsyncRESP3Parser,
            deadlines=Deadlines(SOCKET_TIMEOUT_S, 0.25), socket_timeout=None))
    if kind == "python-parser":
        return aioredis.Redis.from_pool(BlockingConnectionPool.from_url(
            url, max_connections=50, timeout=2.0, health_check_interval=5,
            parser_class=_AsyncRESP3Parser))
    return aioredis.Redis.from_pool(BlockingConnectionPool.from_url(
        url, max_connections=50, timeout=2.0, health_check_interval=5,
        socket_timeout=2.0 if kind == "redis-py" else None))

async def main(what, kind, url, calls):
    # "-wait": the bus's way since stop 23, no timeout (and no timer) per message.
    timeout = None if kind.endswith("-wait") else 1.0
    client = client_for(kind.removesuffix("-wait").removesuffix("-run").removesuffix("-bus"),
                        url)
    if what == "small":
        script = client.register_script("return redis.call('GET', KEYS[1])")
        for _ in range(calls):
            await script(keys=["x"], args=[1, 2, 3])
    elif what == "post":
        script = client.register_script("return {1, 'abc:12'}")
        for _ in range(calls):
            if kind.endswith("-run"):
                await run_script(client, script, POST_KEYS, POST_ARGS)
            else:
                await script(keys=POST_KEYS, args=POST_ARGS)
    elif kind.endswith("-bus"):
        pubsub = new_subscription(client)
        await pubsub.subscribe("bench-channel")
        received = 0
        while received < calls:
            reply = await read_reply(pubsub)
            if is_published(reply):
                received += 1
            else:
                await pubsub.handle_message(reply)
        await pubsub.aclose()
    else:
        pubsub = client.pubsub()
        await pubsub.subscribe("bench-channel")
        received = 0
        while received < calls:
            message = await pubsub.get_message(timeout=timeout)
            if message is not None and message["type"] == "message":
                received += 1
        await pubsub.aclose()
    await client.aclose()

asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[4], int(sys.argv[5])))
"""

TABLES = {
    "small": ("client instructions per small EVALSHA round trip", {
        "redis-py, 2 s socket timeout": "redis-py",
        "redis-py, no timeout": "no-timeout",
        "peer-rooms' client (deadlines, its pool and packing)": "store",
    }),
    "post": ("client instructions per post-script EVALSHA (9 keys, 22 arguments)", {
        "peer-rooms' client before stop 23": "store-before",
        "peer-rooms' client, redis-py's script object": "store",
        "peer-rooms' client, run_script (the post's way)": "store-run",
    }),
    "message": ("client instructions per pub/sub message received", {
        "redis-py, its Python parser, timeout=1.0": "python-parser",
        "peer-rooms' client (hiredis), timeout=1.0": "store",
        "peer-rooms' client, no timeout (the bus on stop 23)": "store-wait",
        "the bus's read_reply (stop 24)": "store-bus",
    }),
}
# What the bus receives: an envelope header and its packet (server/models/wire.py).
_MESSAGE = (b'{"r":"f00","e":"message","o":"p1","s":12}\n42["message",{"room":"f00",'
            b'"id":"abcdefghijkl","seq":12,"member":{"id":"ke3Gvp4704JF","handle":"Sender",'
            b'"role":"member"},"text":"' + b"x" * 120 + b'","ts":"2026-12-07T14:09:49.929Z"}]')


def _publish_when_subscribed(url: str, calls: int) -> None:
    client = redis.Redis.from_url(url)
    try:
        # Until the loop under valgrind has subscribed (seconds: it runs ~50x slower).
        while client.pubsub_numsub("bench-channel")[0][1] < 1:
            time.sleep(0.05)
        for _ in range(calls):
            client.publish("bench-channel", _MESSAGE)
    finally:
        client.close()


def _instructions(what: str, kind: str, url: str, calls: int, out: Path) -> int:
    publisher = None
    if what == "message":
        publisher = threading.Thread(target=_publish_when_subscribed, args=(url, calls))
        publisher.start()
    try:
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable,
             "-c", _LOOP, what, kind, str(ROOT), url, str(calls)],
            capture_output=True, text=True, check=True)
    finally:
        if publisher is not None:
            publisher.join()
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
            for what, (title, kinds) in TABLES.items():
                print(f"{title} ({LONG - SHORT} calls)")
                print(f"{'client':<52} | instructions")
                print(f"{'-' * 52}-+-------------")
                for label, kind in kinds.items():
                    counts = [await asyncio.to_thread(
                        _instructions, what, kind, url, calls,
                        Path(directory) / f"{what}.{kind}.{calls}")
                        for calls in (SHORT, LONG)]
                    print(f"{label:<52} | {(counts[1] - counts[0]) / (LONG - SHORT):>12,.0f}")
                print()


if __name__ == "__main__":
    asyncio.run(main())
