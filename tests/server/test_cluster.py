"""Many processes, one room: real server processes sharing a real redis-server."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from server.rooms.logins import ACCOUNT_RULE
from tests.helpers import FACILITATOR, Client, LiveServer, StartProcess, base_config, login
from tests.redis_server import RedisServer

ROOM = "open-circle"
Processes = Callable[[int], list[LiveServer]]


@pytest.fixture
def processes(server_process: StartProcess, fresh_redis: RedisServer) -> Processes:
    def start(count: int) -> list[LiveServer]:
        config = base_config(redis_url=fresh_redis.url)
        return [server_process(config) for _ in range(count)]

    return start


async def once_settled(client: Client, event: str, payload: dict[str, Any]) -> dict[str, Any]:
    """`event`'s answer once the processes have put back an emptied Redis: until then
    sends and joins answer `unavailable` (the client retries, as this does)."""
    async def retry() -> dict[str, Any]:
        # Other processes' repair: there is no event here to wait on, only the answer.
        while True:
            answer = await client.call(event, payload)
            if answer.get("ok") or answer["error"]["code"] != "unavailable":
                return answer
            await asyncio.sleep(0.1)

    answer = await asyncio.wait_for(retry(), 30)
    assert answer.get("ok") is True, answer
    return answer


def texts(client: Client) -> list[str]:
    return [m["text"] for m in client.seen("message")]


async def test_members_spread_over_three_processes_get_every_message_once_in_order(
        processes: Processes, clients: Callable[..., Awaitable[Client]]) -> None:
    servers = processes(3)
    members = []
    for i in range(6):
        client = await clients(servers[i % 3].url)
        await client.ok("join", {"room": ROOM, "handle": f"Member {i}"})
        members.append(client)
    senders = members[:4]

    async def send_many(client: Client, name: str) -> list[int]:
        seqs = []
        for n in range(130):
            answer = await client.ok("send", {"room": ROOM, "text": f"{name}-{n}",
                                              "client_id": f"{name}-{n}"})
            seqs.append(answer["message"]["seq"])
        return seqs

    acked = await asyncio.gather(*(send_many(c, f"s{i}") for i, c in enumerate(senders)))
    total = sum(len(s) for s in acked)
    assert total == 520
    top = max(max(s) for s in acked)
    for client in members:
        await client.wait_for("message", lambda m, top=top: m["seq"] == top, timeout=30)
        seqs = [m["seq"] for m in client.seen("message")]
        assert seqs == sorted(seqs) and len(seqs) == len(set(seqs)) == total
        for i in range(4):  # each sender's messages in the order they were sent
            mine = [t for t in texts(client) if t.startswith(f"s{i}-")]
            assert mine == [f"s{i}-{n}" for n in range(130)]


async def test_a_process_gets_no_traffic_for_rooms_it_does_not_host(
        processes: Processes, clients: Callable[..., Awaitable[Client]]) -> None:
    a, b = processes(2)
    talker = await clients(a.url)
    await talker.ok("join", {"room": ROOM, "handle": "River"})
    before = await bus_received(b)
    for n in range(20):
        await talker.ok("send", {"room": ROOM, "text": f"m{n}", "client_id": str(n)})
    await talker.wait_for("message", lambda m: m["text"] == "m19")
    # b hosts nobody in the room: it received none of those 20 messages.
    assert await bus_received(b) - before == 0
    listener = await clients(b.url)
    await listener.ok("join", {"room": ROOM, "handle": "Lake"})
    await talker.ok("send", {"room": ROOM, "text": "now", "client_id": "now"})
    await listener.wait_for("message", lambda m: m["text"] == "now")
    assert await bus_received(b) - before >= 1


async def bus_received(server: LiveServer) -> float:
    async with aiohttp.ClientSession() as http, http.get(server.url + "/metrics") as response:
        for line in (await response.text()).splitlines():
            if line.startswith("peer_rooms_bus_received_total "):
                return float(line.split()[1])
    return 0.0


async def _staff_on_a_and_member_on_b(
        processes: Processes, clients: Callable[..., Awaitable[Client]]
) -> tuple[LiveServer, LiveServer, Client, Client, str, dict[str, Any]]:
    """Two processes: a logged-in facilitator in the room on A, a member ("River") on B."""
    a, b = processes(2)
    staff = await clients(a.url, token=await login(a.url))
    await staff.ok("join", {"room": ROOM})
    target = await clients(b.url)
    device = (await target.wait_for("welcome"))["device"]
    joined = await target.ok("join", {"room": ROOM, "handle": "River"})
    return a, b, staff, target, device, joined


async def test_mod_action_on_process_a_lands_on_member_of_process_b(
        processes: Processes, clients: Callable[..., Awaitable[Client]]) -> None:
    a, b, staff, target, device, joined = await _staff_on_a_and_member_on_b(processes, clients)
    bystander = await clients(b.url)
    await bystander.ok("join", {"room": ROOM, "handle": "Lake"})

    await staff.ok("mod", {"room": ROOM, "action": "mute", "member_id": joined["member"]["id"],
                           "minutes": 5})
    await target.wait_for("moderated", lambda n: n["action"] == "muted", timeout=15)
    assert await target.error("send", {"room": ROOM, "text": "x", "client_id": "1"}) == "muted"
    await staff.ok("mod", {"room": ROOM, "action": "ban", "member_id": joined["member"]["id"]})
    await target.wait_for("moderated", lambda n: n["action"] == "banned", timeout=15)
    await target.wait_for("__disconnect__", timeout=15)
    await bystander.wait_for("presence", lambda p: p.get("left") == joined["member"]["id"])
    again = await clients(a.url, device=device)
    assert await again.error("join", {"room": ROOM, "handle": "Another"}) == "banned"


async def test_a_ban_made_on_process_a_refuses_a_join_on_process_b_at_once(
        processes: Processes, clients: Callable[..., Awaitable[Client]]) -> None:
    """Each process keeps a copy of the bans; the copy on B was read before the ban."""
    _, b, staff, _, device, joined = await _staff_on_a_and_member_on_b(processes, clients)
    await staff.ok("mod", {"room": ROOM, "action": "ban", "member_id": joined["member"]["id"]})
    again = await clients(b.url, device=device)
    assert await again.error("join", {"room": ROOM, "handle": "Another"}) == "banned"
    bans = (await staff.ok("mod", {"room": ROOM, "action": "bans"}))["bans"]
    await staff.ok("mod", {"room": ROOM, "action": "unban", "ban_id": bans[0]["ban_id"]})
    await again.ok("join", {"room": ROOM, "handle": "Another"})


async def test_sigkill_a_process_members_resume_elsewhere_and_presence_is_cleaned(
        processes: Processes, clients: Callable[..., Awaitable[Client]]) -> None:
    a, b = processes(2)
    doomed = await clients(a.url)
    device = (await doomed.wait_for("welcome"))["device"]
    joined = await doomed.ok("join", {"room": ROOM, "handle": "River"})
    ghost = await clients(a.url)
    ghost_member = (await ghost.ok("join", {"room": ROOM, "handle": "Ghost"}))["member"]
    survivor = await clients(b.url)
    await survivor.ok("join", {"room": ROOM, "handle": "Lake"})
    acked = [await survivor.ok("send", {"room": ROOM, "text": f"before-{n}",
                                        "client_id": f"b{n}"}) for n in range(5)]
    await doomed.wait_for("message", lambda m: m["text"] == "before-4")
    last_seen = doomed.seen("message")[-3]["seq"]  # pretend the last two never arrived

    a.proc.send_signal(signal.SIGKILL)
    a.proc.wait(10)
    await doomed.wait_for("__disconnect__")
    after = [await survivor.ok("send", {"room": ROOM, "text": f"after-{n}",
                                        "client_id": f"a{n}"}) for n in range(5)]

    back = await clients(b.url, device=device)
    resumed = await back.ok("join", {"room": ROOM, "handle": "River", "resume": {
        "member_token": joined["member_token"], "last_seq": last_seen}})
    assert resumed["member"] == joined["member"]
    missed = [m["text"] for m in resumed["missed"]]
    assert missed == ["before-3", "before-4"] + [f"after-{n}" for n in range(5)]
    assert [m["seq"] for m in resumed["missed"]] == sorted(
        x["message"]["seq"] for x in acked[3:] + after)

    # The ghost's process is gone: it leaves presence within ~15 s, everyone is told.
    left = await survivor.wait_for("presence", lambda p: p.get("left") == ghost_member["id"],
                                   timeout=20)
    assert left["count"] == 2  # the survivor and the resumed member
    assert all(t.startswith(("before", "after")) for t in texts(survivor))
    assert len(survivor.seen("message")) == 10


async def test_a_process_stalled_past_its_beat_lets_its_members_resume(
        processes: Processes, clients: Callable[..., Awaitable[Client]]) -> None:
    # A process that stops for longer than its liveness lasts (a long pause) is reaped by
    # the others; when it runs again it holds sockets the room no longer has: it
    # disconnects them, so each page resumes rather than sitting unheard.
    a, b = processes(2)
    stayer = await clients(a.url)
    joined = await stayer.ok("join", {"room": ROOM, "handle": "Stayer"})
    talker = await clients(b.url)
    await talker.ok("join", {"room": ROOM, "handle": "Talker"})
    a.proc.send_signal(signal.SIGSTOP)
    try:
        await talker.wait_for("presence", lambda p: p.get("left") == joined["member"]["id"],
                              timeout=20)
    finally:
        a.proc.send_signal(signal.SIGCONT)
    await stayer.wait_for("__disconnect__", timeout=20)
    back = await clients(a.url, device=stayer.device)
    resumed = await back.ok("join", {"room": ROOM, "resume": {
        "member_token": joined["member_token"], "last_seq": 0}})
    assert resumed["member"]["id"] == joined["member"]["id"]
    await talker.ok("send", {"room": ROOM, "text": "welcome back", "client_id": "1"})
    await back.wait_for("message", lambda m: m["text"] == "welcome back")


async def test_redis_restart_mid_meeting_loses_nothing_acknowledged(
        processes: Processes, fresh_redis: RedisServer,
        clients: Callable[..., Awaitable[Client]]) -> None:
    a, b = processes(2)
    one = await clients(a.url)
    await one.ok("join", {"room": ROOM, "handle": "River"})
    two = await clients(b.url)
    await two.ok("join", {"room": ROOM, "handle": "Lake"})
    before = [await one.ok("send", {"room": ROOM, "text": f"pre-{n}", "client_id": f"p{n}"})
              for n in range(3)]
    await two.wait_for("message", lambda m: m["text"] == "pre-2")
    highest = max(x["message"]["seq"] for x in before)

    fresh_redis.stop()
    answer = await one.call("send", {"room": ROOM, "text": "during", "client_id": "d"})
    assert answer["ok"] is False and answer["error"]["code"] == "unavailable"
    async with aiohttp.ClientSession() as http, http.get(a.url + "/readyz") as response:
        assert response.status == 503
    async with aiohttp.ClientSession() as http, http.get(a.url + "/api/rooms") as response:
        assert response.status == 503 and "Retry-After" in response.headers
        assert (await response.json())["error"]["code"] == "unavailable"
    assert one.sio.connected and two.sio.connected  # the server stayed up

    fresh_redis.start()  # back, and empty
    # Each process re-registers on its own and tells its rooms (a room_state).
    for client in (one, two):
        client.events.clear()
    await one.wait_for("room_state", timeout=30)
    await two.wait_for("room_state", timeout=30)
    retry = await once_settled(one, "send", {"room": ROOM, "text": "during", "client_id": "d"})
    assert retry["message"]["seq"] > highest  # seq continues above everything delivered
    await two.wait_for("message", lambda m: m["text"] == "during")
    three = await clients(b.url)
    state = await once_settled(three, "join", {"room": ROOM, "handle": "Hill"})
    assert {m["handle"] for m in state["members"]} == {"River", "Lake", "Hill"}
    async with aiohttp.ClientSession() as http, http.get(a.url + "/readyz") as response:
        assert response.status == 200


async def test_after_redis_restarts_empty_a_process_that_hosted_nothing_reuses_no_seq(
        processes: Processes, fresh_redis: RedisServer,
        clients: Callable[..., Awaitable[Client]]) -> None:
    # B hosts nothing of the room when Redis comes back empty; A, which does, is slow
    # to notice (stopped here a moment, as if its beat had not come yet). B's first
    # member must not post seq 1 again: A would drop it as already delivered.
    a, b = processes(2)
    reader = await clients(a.url)
    await reader.ok("join", {"room": ROOM, "handle": "Reader"})
    sent = [await reader.ok("send", {"room": ROOM, "text": f"before-{n}", "client_id": str(n)})
            for n in range(5)]
    highest = max(x["message"]["seq"] for x in sent)
    a.proc.send_signal(signal.SIGSTOP)
    try:
        fresh_redis.stop()
        fresh_redis.start()  # back, and empty
        newcomer = await clients(b.url)
        answer = await newcomer.call("join", {"room": ROOM, "handle": "Newcomer"})
        assert answer["ok"] is False and answer["error"]["code"] == "unavailable", answer
    finally:
        a.proc.send_signal(signal.SIGCONT)
    await once_settled(newcomer, "join", {"room": ROOM, "handle": "Newcomer"})
    posted = await once_settled(newcomer, "send", {"room": ROOM, "text": "hello from B",
                                                    "client_id": "b1"})
    assert posted["message"]["seq"] > highest
    heard = await reader.wait_for("message", lambda m: m["text"] == "hello from B")
    assert heard["seq"] == posted["message"]["seq"]


def require_nginx() -> str:
    import os
    import shutil

    path = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists()
                                     else None)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("nginx is not installed (apt-get install nginx-light)")
        pytest.skip("nginx is not installed")
    return path


@pytest.fixture
def nginx_front(tmp_path: Path, processes: Processes) -> Iterator[str]:
    """Debian's nginx on a free port, with the config `peer-rooms cluster` uses."""
    import subprocess

    from server.ops.nginx import nginx_config
    from tests.helpers import free_port

    binary = require_nginx()
    servers = processes(2)
    port = free_port()
    run_dir = tmp_path / "nginx"
    run_dir.mkdir()
    run_dir.chmod(0o777)  # nginx workers may run as an unprivileged user
    conf = run_dir / "nginx.conf"
    conf.write_text(nginx_config(f"127.0.0.1:{port}", [f"127.0.0.1:{s.port}" for s in servers],
                                 run_dir))
    proc = subprocess.Popen([binary, "-c", str(conf), "-p", str(run_dir)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/healthz", proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
        assert proc.stdout is not None
        proc.stdout.close()


def wait_for_http(url: str, proc: Any, context: Any = None) -> None:
    import urllib.request

    deadline = time.monotonic() + 10
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1, context=context) as response:
                if response.status == 200:
                    return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("nginx did not come up") from None
            # nginx has no readiness signal to wait on; a connect retry is the check.
            time.sleep(0.05)


async def test_polling_only_client_through_nginx(
        nginx_front: str, clients: Callable[..., Awaitable[Client]]) -> None:
    polling = Client()
    await polling.connect(nginx_front, transports=["polling"])
    try:
        assert polling.sio.transport() == "polling"
        await polling.ok("join", {"room": ROOM, "handle": "River"})
        websocket = await clients(nginx_front)
        await websocket.ok("join", {"room": ROOM, "handle": "Lake"})
        for n in range(10):
            await websocket.ok("send", {"room": ROOM, "text": f"m{n}", "client_id": str(n)})
        await polling.ok("send", {"room": ROOM, "text": "from polling", "client_id": "p"})
        await polling.wait_for("message", lambda m: m["text"] == "from polling")
        await websocket.wait_for("message", lambda m: m["text"] == "from polling")
        assert [m["text"] for m in polling.seen("message")] == \
            [f"m{n}" for n in range(10)] + ["from polling"]
    finally:
        await polling.sio.eio.disconnect(abort=True)


async def test_scheduled_transitions_happen_once_across_two_processes(
        server_process: StartProcess, fresh_redis: RedisServer,
        clients: Callable[..., Awaitable[Client]]) -> None:
    from datetime import UTC, datetime

    # A clock that starts Tuesday 18:00 in Chicago and runs 240 times faster: doors
    # 18:45 (≈11 s), open 19:00 (≈15 s), closed 19:10 (≈17 s). The time before the
    # doors is for two processes to start and two logins (scrypt) on a loaded machine.
    start = datetime(2026, 11, 25, 0, 0, tzinfo=UTC).timestamp()
    rooms = base_config()["rooms"]
    rooms[1] = {**rooms[1], "duration": "10m"}
    config = base_config(redis_url=fresh_redis.url, rooms=rooms)
    servers = [server_process(config, env={"PEER_ROOMS_CLOCK": f"{start},240"})
               for _ in range(2)]
    hosts = []
    for server in servers:
        staff = await clients(server.url, token=await login(server.url))
        answer = await staff.ok("join", {"room": "tuesday-night"})
        assert answer["room"]["status"] == "closed"
        hosts.append(staff)
    for staff in hosts:
        await staff.wait_for("room_state", lambda s: s["status"] == "open", timeout=20)
    states = [[s["status"] for s in staff.seen("room_state")] for staff in hosts]
    for seen in states:
        assert seen.count("lobby") == 1 and seen.count("open") == 1, seen
    await hosts[0].wait_for("room_state", lambda s: s["status"] == "closed", timeout=20)
    entries = (await hosts[1].ok("mod", {"room": "tuesday-night", "action": "audit"}))[
        "entries"]
    assert [e["action"] for e in entries if e["actor"] == "schedule"] == \
        ["lobby", "open", "closed"]



async def test_a_private_check_in_reaches_staff_and_the_member_on_other_processes(
        processes: Processes, clients: Callable[..., Awaitable[Client]]) -> None:
    a, b = processes(2)
    sam = await clients(a.url, token=await login(a.url))
    await sam.ok("join", {"room": ROOM})
    alex = await clients(b.url, token=await login(b.url, "Alex", "another long passphrase"))
    await alex.ok("join", {"room": ROOM})
    river_client = await clients(b.url)
    river = (await river_client.ok("join", {"room": ROOM, "handle": "River"}))["member"]
    opened = await sam.ok("mod", {"room": ROOM, "action": "private", "member_id": river["id"],
                                  "text": "How are you doing?"})
    for client in (sam, alex, river_client):
        await client.wait_for("private", lambda p: p["id"] == opened["message"]["id"])
    answer = await river_client.ok("send", {"room": ROOM, "text": "better now",
                                            "client_id": "1", "to": "staff"})
    for client in (sam, alex):
        await client.wait_for("private", lambda p: p["id"] == answer["message"]["id"])
    # The line ends with the membership, whichever process holds it.
    await river_client.ok("leave", {"room": ROOM})
    await river_client.ok("join", {"room": ROOM, "handle": "River"})
    assert await river_client.error("send", {"room": ROOM, "text": "hello?", "client_id": "2",
                                             "to": "staff"}) == "forbidden"


async def test_passphrase_guesses_spread_over_processes_are_limited_as_one(
        server_process: StartProcess, fresh_redis: RedisServer) -> None:
    # The login limits live in Redis: a guesser whose requests a balancer spreads over
    # both processes gets no more tries than one process would give. Both on the real
    # clock: the tests' made-up clock starts with each process, so two started seconds
    # apart would disagree by that much about when a backoff ends.
    config = base_config(redis_url=fresh_redis.url)
    servers = [server_process(config, env={"PEER_ROOMS_CLOCK": ""}) for _ in range(2)]
    statuses = []
    async with aiohttp.ClientSession() as http:
        for i in range(ACCOUNT_RULE.free + 2):
            async with http.post(f"{servers[i % 2].url}/api/login",
                                 json={"name": FACILITATOR, "passphrase": "guess"}) as response:
                statuses.append(response.status)
                if response.status == 429:
                    assert int(response.headers["Retry-After"]) >= 1
                    assert (await response.json())["error"]["code"] == "rate_limited"
    assert statuses == [401] * (ACCOUNT_RULE.free + 1) + [429]


async def test_a_mention_finds_a_member_held_by_another_process(
        processes: Processes, clients: Callable[..., Awaitable[Client]]) -> None:
    a_server, b_server = processes(2)
    a = await clients(a_server.url)
    await a.ok("join", {"room": ROOM, "handle": "River"})
    b = await clients(b_server.url)
    await b.ok("join", {"room": ROOM, "handle": "Lake Jones"})
    await a.ok("send", {"room": ROOM, "text": "@Lake thank you", "client_id": "1"})
    assert (await b.wait_for("message", lambda m: m["text"] == "@Lake thank you"))
    await b.ok("leave", {"room": ROOM})
    assert await a.error("send", {"room": ROOM, "text": "@Lake are you there?",
                                  "client_id": "2"}) == "blocked"
