"""`python -m bench.disconnects [--connections 2000 10000]`: CPU to disconnect every
connection of a process, in `FanoutManager` and in python-socketio's own manager (the
baseline), each connection in its own room, the namespace's and one of 100 rooms.

python-socketio finds a sid's rooms by testing every room of the namespace, and every
connection is a room, so a mass disconnect (a network blip, a restart of the proxy)
costs it the square of the connections; `FanoutManager` reads them from an index. No
server, no I/O: the managers' own bookkeeping, which runs on the event loop.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import socketio

from bench.stats import caption, table
from server.transport.fanout import FanoutManager
from server.transport.websockets import WebSockets

ROOMS = 100


def disconnect_all(make: Callable[[], socketio.AsyncManager], connections: int) -> float:
    """Milliseconds of CPU to disconnect `connections` sids, one after another."""
    manager = make()
    for i in range(connections):
        sid, eio_sid = f"s{i}", f"e{i}"
        manager.basic_enter_room(sid, "/", None, eio_sid=eio_sid)
        manager.basic_enter_room(sid, "/", sid, eio_sid=eio_sid)
        manager.basic_enter_room(sid, "/", f"room{i % ROOMS}")
    start = time.process_time()
    for i in range(connections):
        manager.basic_disconnect(f"s{i}", "/")
    return (time.process_time() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.disconnects", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, nargs="+", default=[2000, 10000])
    args = parser.parse_args()
    rows = []
    for count in args.connections:
        ours = disconnect_all(lambda: FanoutManager(WebSockets()), count)
        theirs = disconnect_all(socketio.AsyncManager, count)
        rows.append([count, f"{ours:.1f}", f"{theirs:.1f}", f"{theirs / max(ours, 1e-6):.0f}x"])
    print(caption("every connection of a process disconnected, one after another: ms of "
                  "CPU in the manager's bookkeeping (FanoutManager = peer-rooms; baseline = "
                  "python-socketio's AsyncManager)"))
    print()
    print(table(["connections", "peer-rooms ms", "baseline ms", "ratio"], rows))


if __name__ == "__main__":
    main()
