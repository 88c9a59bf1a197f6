"""The client swarm: every benchmark member, as real Socket.IO clients in one process.

The clients run in a process of their own (`python -m bench.load SPEC`) so they never
share an event loop with the orchestrator. `SwarmProcess` drives it one step at a
time over stdin/stdout (one JSON line back per step), so the orchestrator can read
server counters and RSS between steps:

    join  connect + join every member (in batches), then one settling message per
          room that every member must receive: join presence has drained and the
          message path is warm before anything is measured
    send  each sender posts `messages` messages, the next as soon as the ack of the
          previous one arrives (closed loop: the load is as fast as the server lets
          it be); waits until every member has every acknowledged message
    soak SECONDS RATE
          open loop: every member sends RATE messages/s for SECONDS (each send on
          its own schedule, not waiting for the previous ack); answers what was
          acknowledged and delivered in that window and its latencies
    leave disconnect everyone (the swarm keeps running, to be told `quit`)
    quit  disconnect everyone and exit

Every message's text carries its send time (ns since the epoch, in hex, so the PII
filter does not take it for a phone number); receivers turn that into end-to-end
latency. Senders and receivers share this process's clock.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

import socketio
from socketio.exceptions import TimeoutError as AckTimeout

from bench.processes import ROOT, stop_process
from bench.stats import summarize_ms

BATCH = 50  # connections opened at once: faster than one by one, gentle on the accept queue
CALL_TIMEOUT_S = 10.0
MARK = "bench x"
FILLER = "checking in tonight, one day at a time"


class RoomSpec(TypedDict):
    room: str
    urls: list[str]  # members are spread over these servers round-robin
    members: int
    senders: int  # the first `senders` members send


class Spec(TypedDict):
    rooms: list[RoomSpec]
    messages: int  # per sender
    deliver_timeout_s: float


@dataclass
class Member:
    room: str
    handle: str
    url: str
    client: socketio.AsyncClient | None = None
    settled: asyncio.Event = field(default_factory=asyncio.Event)


class Swarm:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.members: list[Member] = []
        self.senders: list[Member] = []
        for room in spec["rooms"]:
            urls = room["urls"]
            group = [Member(room["room"], f"m{i:04d}", urls[i % len(urls)])
                     for i in range(room["members"])]
            self.members += group
            self.senders += group[:room["senders"]]
        self.room_size = Counter(m.room for m in self.members)
        self.latencies_ms: list[float] = []
        self.deliveries = 0
        self.last_delivery = 0.0
        self.target: int | None = None
        self.all_delivered = asyncio.Event()
        self.soak_sent = 0  # client_ids stay unique across soak windows

    # -- receiving ------------------------------------------------------------------
    def _on_message(self, member: Member, data: dict[str, Any]) -> None:
        text = data.get("text", "")
        if not text.startswith(MARK):
            member.settled.set()  # the settling message of the join step
            return
        now = time.time_ns()
        sent = int(text[len(MARK):text.index(" ", len(MARK))], 16)
        self.latencies_ms.append((now - sent) / 1e6)
        self.deliveries += 1
        self.last_delivery = time.perf_counter()
        if self.target is not None and self.deliveries >= self.target:
            self.all_delivered.set()

    # -- steps ----------------------------------------------------------------------
    async def join(self) -> dict[str, Any]:
        started = time.perf_counter()
        await _in_batches([self._connect_and_join(m) for m in self.members])
        joined = time.perf_counter() - started
        # One message per room from its first member; every member must see it.
        firsts = {m.room: m for m in reversed(self.members)}
        await _in_batches([self._call(m, "send", {"room": m.room, "text": "settle",
                                                  "client_id": f"settle-{m.room}"})
                           for m in firsts.values()])
        await asyncio.wait_for(asyncio.gather(*(m.settled.wait() for m in self.members)),
                               self.spec["deliver_timeout_s"])
        return {"members": len(self.members), "join_s": joined}

    async def send(self) -> dict[str, Any]:
        acked: Counter[str] = Counter()
        errors: Counter[str] = Counter()
        cpu_before = _cpu()
        started = time.perf_counter()
        await asyncio.gather(*(self._sender(n, m, acked, errors)
                               for n, m in enumerate(self.senders)))
        acks_done = time.perf_counter()
        self.target = sum(acked[room] * self.room_size[room] for room in acked)
        if self.deliveries >= self.target:
            self.all_delivered.set()
        try:
            await asyncio.wait_for(self.all_delivered.wait(), self.spec["deliver_timeout_s"])
        except TimeoutError:
            errors["undelivered"] += self.target - self.deliveries
        end = max(self.last_delivery, acks_done)
        return {"sent": sum(acked.values()), "deliveries": self.deliveries,
                "expected": self.target, "wall_s": end - started,
                "latency_ms": summarize_ms(self.latencies_ms),
                "client_cpu_s": _cpu() - cpu_before, "errors": dict(errors)}

    async def soak(self, seconds: float, rate: float) -> dict[str, Any]:
        """One window of open-loop load: what it sent, what arrived, how fast."""
        self.latencies_ms = []
        deliveries_before = self.deliveries
        acked: Counter[str] = Counter()
        errors: Counter[str] = Counter()
        interval = 1.0 / rate
        started = time.perf_counter()
        end = started + seconds

        async def pace(member: Member) -> None:
            # Spread members over the interval so a room's sends do not all bunch.
            next_at = started + random.uniform(0, interval)
            pending: set[asyncio.Task[None]] = set()
            while next_at < end:
                # A benchmark's pacing, not a synchronisation: the load is a fixed rate.
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
                self.soak_sent += 1
                task = asyncio.create_task(self._soak_send(member, self.soak_sent, acked,
                                                           errors))
                pending.add(task)
                task.add_done_callback(pending.discard)
                next_at += interval
            if pending:
                await asyncio.gather(*pending)

        cpu_before = _cpu()
        await asyncio.gather(*(pace(m) for m in self.senders))
        wall = time.perf_counter() - started
        return {"acked": sum(acked.values()), "deliveries": self.deliveries - deliveries_before,
                "wall_s": wall, "latency_ms": summarize_ms(self.latencies_ms),
                "client_cpu_s": _cpu() - cpu_before, "errors": dict(errors)}

    async def _soak_send(self, member: Member, number: int, acked: Counter[str],
                         errors: Counter[str]) -> None:
        text = f"{MARK}{time.time_ns():x} k{number} {FILLER}"
        try:
            await self._call(member, "send", {"room": member.room, "text": text,
                                              "client_id": f"soak-{number}"})
        except RuntimeError as exc:
            errors[str(exc)] += 1
        except AckTimeout:
            errors["ack timeout"] += 1
        else:
            acked[member.room] += 1

    async def quit(self) -> None:
        await _in_batches([m.client.disconnect() for m in self.members
                           if m.client is not None and m.client.connected])

    # -- helpers --------------------------------------------------------------------
    async def _connect_and_join(self, member: Member) -> None:
        client = member.client = socketio.AsyncClient(reconnection=False, handle_sigint=False)
        client.on("message", lambda data: self._on_message(member, data))
        # Websocket only: the long-polling upgrade dance would dominate connect time.
        await client.connect(member.url, transports=["websocket"], auth={"device": None},
                             wait_timeout=CALL_TIMEOUT_S)
        await self._call(member, "join", {"room": member.room, "handle": member.handle})

    async def _sender(self, number: int, member: Member, acked: Counter[str],
                      errors: Counter[str]) -> None:
        for i in range(self.spec["messages"]):
            text = f"{MARK}{time.time_ns():x} s{number}n{i} {FILLER}"
            try:
                await self._call(member, "send", {"room": member.room, "text": text,
                                                  "client_id": f"s{number}-{i}"})
            except RuntimeError as exc:
                errors[str(exc)] += 1
            except AckTimeout:
                errors["ack timeout"] += 1
            else:
                acked[member.room] += 1

    @staticmethod
    async def _call(member: Member, event: str, payload: dict[str, Any]) -> dict[str, Any]:
        assert member.client is not None
        answer: dict[str, Any] = await member.client.call(event, payload,
                                                          timeout=CALL_TIMEOUT_S)
        if not answer.get("ok"):
            raise RuntimeError(f"{event}: {answer.get('error', {}).get('code', answer)}")
        return answer


async def _in_batches(coroutines: list[Any]) -> None:
    for start in range(0, len(coroutines), BATCH):
        results = await asyncio.gather(*coroutines[start:start + BATCH], return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            for rest in coroutines[start + BATCH:]:
                rest.close()  # never awaited: close it so Python does not warn
            raise RuntimeError(f"{len(failures)} of a batch failed: {failures[0]!r}")


def _cpu() -> float:
    times = os.times()
    return times.user + times.system


async def _serve(spec: Spec) -> None:
    swarm = Swarm(spec)
    try:
        while word := (await asyncio.to_thread(sys.stdin.readline)).strip():
            if word == "quit":
                break
            try:
                result = await _step(swarm, word)
            except Exception as exc:
                result = {"error": f"{word}: {exc!r}"}
            print(json.dumps(result), flush=True)
    finally:
        await swarm.quit()


async def _step(swarm: Swarm, line: str) -> dict[str, Any]:
    word, *args = line.split()
    if word == "join":
        return await swarm.join()
    if word == "soak":
        return await swarm.soak(float(args[0]), float(args[1]))
    if word == "leave":
        await swarm.quit()
        return {"left": len(swarm.members)}
    return await swarm.send()


class SwarmProcess:
    """The orchestrator's handle on a swarm process; `async with` always stops it."""

    def __init__(self, spec: Spec, workdir: Path) -> None:
        self.spec = spec
        self.log_path = workdir / "swarm.log"
        self.proc: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> SwarmProcess:
        with self.log_path.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.load", json.dumps(self.spec), cwd=ROOT,
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=log)
        return self

    async def step(self, word: str, timeout_s: float) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(f"{word}\n".encode())
        await self.proc.stdin.drain()
        line = await asyncio.wait_for(self.proc.stdout.readline(), timeout_s)
        result: dict[str, Any] = json.loads(line) if line else {"error": "swarm exited"}
        if "error" in result:
            tail = "\n".join(self.log_path.read_text(errors="replace").splitlines()[-10:])
            raise RuntimeError(f"swarm {result['error']}\n{tail}")
        return result

    async def __aexit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        if self.proc is None:
            return
        # A clean quit disconnects every client; after a failure or an interrupt the
        # swarm may be mid-step (not reading stdin), so it is just terminated.
        if exc_type is None and self.proc.returncode is None and self.proc.stdin is not None:
            try:
                self.proc.stdin.write(b"quit\n")
                await self.proc.stdin.drain()
                await asyncio.wait_for(self.proc.wait(), 30)
            except (TimeoutError, ConnectionError):
                pass
        await stop_process(self.proc)  # a no-op when it already exited


if __name__ == "__main__":
    asyncio.run(_serve(json.loads(sys.argv[1])))
