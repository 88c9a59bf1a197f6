"""`python -m bench.send_instructions [--redis] [--sends 200] [--root DIR]`: where one
`send` costs,
in the server's own instructions (valgrind's callgrind, user space only: the same count
whatever else the machine does, where CPU seconds on this shared VM move by a third).

One server under callgrind with instrumentation off until the measured window: four
members in a room, each sending in turn, one send at a time (closed loop, a raw
websocket client outside valgrind), after a warm-up. Then the same with parts of the
send path replaced by a constant, so each row's difference from the first is what that
part costs (an ablation: the replaced part's callers stay). The first rows are an
unknown event (the receive path, the answer) and a send; the others remove:
screening, the fan-out loop, delivery from the bus, the store's post, and everything
`Posting.send` does. Each variant starts a server of its own (~20 s each).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import aiohttp

import bench.processes as processes
from bench.processes import ROOT, ProcessGroup, free_port, write_config
from tests.raw_socket import RawSocket  # the tests' hand-spoken engine.io client

MEMBERS = 4
WARM = 50

# Code run in the server before it starts: each replaces one part with a constant.
ABLATIONS = {
    "send": "",
    "send, screening replaced by a constant verdict": """
import moderation.filters as f, server.rooms.posting as p
_allow = f.screen("hello", (), check_pii=True, present=frozenset(), crisis_phrases=())
p.screen = lambda *a, **k: _allow
""",
    "send, no fan-out (broadcast does nothing)": """
import server.transport.fanout as fo
async def _broadcast(self, payload, namespace, room): return None
fo.FanoutManager.broadcast = _broadcast
""",
    "send, no delivery from the bus": """
import server.transport.namespace as n
async def _deliver(self, envelope): return None
n.RoomsNamespace.deliver = _deliver
""",
    "send, no store post (a constant answer)": """
import server.store.memory as m, server.store.redis_sends as r
from server.store.base import Posted
_seq = [0]
async def _post(self, room_id, message, key, now, takes=(), snapshot=None):
    _seq[0] += 1
    return Posted(message.id, _seq[0], True)
m.MemoryStore.post_message = _post
r.RedisSends.post_message = _post
""",
    "send, Posting.send a constant answer": """
import server.rooms.posting as p
async def _send(self, payload, member_id): return {"message": {"id": "x", "seq": 1}}
p.Posting.send = _send
""",
}


async def _call(raw: RawSocket, ack: int, event: str, payload: dict[str, Any]) -> Any:
    await raw.ws.send_str(f"42{ack}" + json.dumps([event, payload]))
    head = f"43{ack}["
    answer = await raw.until(lambda frame: frame.startswith(head))
    assert answer is not None, "the connection closed"
    return json.loads(answer[len(head) - 1:])[0]


def _payload(event: str, number: int) -> dict[str, Any]:
    if event == "send":
        return {"room": "b00", "text": f"bench x{number:x} s1k{number} " + "x" * 80,
                "client_id": f"c{number}"}
    return {"room": "b00"}


async def measure(root: Path, patch: str, event: str, sends: int, redis: bool) -> float:
    with tempfile.TemporaryDirectory(prefix="peer-rooms-instructions-") as tmp:
        workdir = Path(tmp)
        config = write_config(workdir, ["b00"])
        async with ProcessGroup(workdir) as group:
            env = {k: v for k, v in os.environ.items()
                   if k not in ("REDIS_URL", "PORT", "HOST")}
            if redis:
                env["REDIS_URL"] = await group.redis()
            port = free_port()
            out = workdir / "callgrind.out"
            boot = (f"import sys; sys.path.insert(0, {str(root)!r})\n{patch}\n"
                    "from server.cli import main; raise SystemExit(main(sys.argv[1:]))")
            processes.READY_TIMEOUT_S = max(processes.READY_TIMEOUT_S, 300)  # ~50x slower
            started = await group._start(
                "server", ["valgrind", "--tool=callgrind", "--instr-atstart=no",
                           f"--callgrind-out-file={out}", sys.executable, "-c", boot,
                           "serve", "--config", str(config), "--port", str(port)],
                ready=b"Running on", env=env)
            url = f"http://127.0.0.1:{port}"
            async with aiohttp.ClientSession() as http:
                members = [await RawSocket.open(http, url) for _ in range(MEMBERS)]
                for number, ws in enumerate(members):
                    joined = await _call(ws, 1, "join", {"room": "b00",
                                                         "handle": f"Bench{number}"})
                    assert joined.get("ok"), joined
                ack = 2
                for number in range(WARM + sends):
                    if number == WARM:
                        _control(started.pid, "-i", "on")
                    answer = await _call(members[number % MEMBERS], ack, event,
                                         _payload(event, ack))
                    ack += 1
                    if event == "send":
                        assert answer.get("ok"), answer  # a refused send would cost less
                _control(started.pid, "-i", "off")
                _control(started.pid, "-d")
            return _totals(workdir) / sends


def _totals(workdir: Path) -> int:
    """The instructions counted in the dumps callgrind wrote (one per `-d`)."""
    return sum(int(found.group(1)) for path in workdir.glob("callgrind.out*")
               if (found := re.search(r"^totals: (\d+)", path.read_text(errors="replace"),
                                      re.M)))


def _control(pid: int, *args: str) -> None:
    subprocess.run(["callgrind_control", *args, str(pid)], check=True, capture_output=True)


async def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.send_instructions")
    parser.add_argument("--redis", action="store_true", help="the server on a Redis of its own")
    parser.add_argument("--sends", type=int, default=200)
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout whose server runs")
    args = parser.parse_args()
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("valgrind is not installed: nothing measured")
        return
    store = "Redis" if args.redis else "memory"
    print(f"server instructions per call, {MEMBERS} members, one call at a time, "
          f"{args.sends} calls, {store} store, {args.root}")
    print(f"{'what':<52} | instructions | difference")
    print(f"{'-' * 52}-+--------------+-----------")
    rows = [("an unknown event (receive, answer)", "", "ping"),
            *((label, patch, "send") for label, patch in ABLATIONS.items())]
    full = None
    for label, patch, event in rows:
        count = await measure(args.root.resolve(), patch, event, args.sends, args.redis)
        if label == "send":
            full = count
        difference = "" if full is None or label == "send" else f"{full - count:>10,.0f}"
        print(f"{label:<52} | {count:>12,.0f} | {difference}")


if __name__ == "__main__":
    asyncio.run(main())
