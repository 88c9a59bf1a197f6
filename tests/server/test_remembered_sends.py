"""A member who keeps talking is posted on the snapshot their last post left, and the
post script checks that snapshot: what staff do on another process holds at the very
next send (real server processes on one real redis-server)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.helpers import Client, LiveServer, StartProcess, base_config, login
from tests.redis_server import RedisServer

ROOM = "open-circle"
PHONE = "call me 555-123-4567"  # refused from a member (PII), allowed from staff


async def _talking_member_on_b_staff_on_a(
        server_process: StartProcess, fresh_redis: RedisServer,
        clients: Callable[..., Awaitable[Client]]) -> tuple[Client, Client, dict[str, Any]]:
    config = base_config(redis_url=fresh_redis.url)
    a: LiveServer = server_process(config)
    b: LiveServer = server_process(config)
    staff = await clients(a.url, token=await login(a.url))
    await staff.ok("join", {"room": ROOM})
    member = await clients(b.url)
    joined = (await member.ok("join", {"room": ROOM, "handle": "River"}))["member"]
    for number in range(3):  # B now remembers River's snapshot
        await member.ok("send", {"room": ROOM, "text": f"talking {number}",
                                 "client_id": f"t{number}"})
    return staff, member, joined


@pytest.mark.parametrize(("action", "code"), [
    ({"action": "mute", "minutes": 5}, "muted"),
    ({"action": "pause", "paused": True}, "paused"),
])
async def test_what_staff_do_on_one_process_refuses_the_next_send_on_another(
        server_process: StartProcess, fresh_redis: RedisServer,
        clients: Callable[..., Awaitable[Client]], action: dict[str, Any], code: str) -> None:
    staff, member, joined = await _talking_member_on_b_staff_on_a(server_process, fresh_redis,
                                                                  clients)
    target = {} if action["action"] == "pause" else {"member_id": joined["id"]}
    await staff.ok("mod", {"room": ROOM, **target, **action})
    # At once: not after B has heard of it (the bus), the moment the action is stored.
    assert await member.error("send", {"room": ROOM, "text": "one more",
                                       "client_id": "late"}) == code
    await staff.ok("send", {"room": ROOM, "text": "staff after", "client_id": "s"})
    await staff.wait_for("message", lambda m: m["text"] == "staff after")
    assert "one more" not in [m["text"] for m in staff.seen("message")]


async def test_a_member_promoted_on_another_process_speaks_as_staff_at_their_next_send(
        server_process: StartProcess, fresh_redis: RedisServer,
        clients: Callable[..., Awaitable[Client]]) -> None:
    """The remembered snapshot says "member", whom screening would refuse (and alert
    staff about): a refusal is never decided on a remembered snapshot."""
    staff, member, joined = await _talking_member_on_b_staff_on_a(server_process, fresh_redis,
                                                                  clients)
    await staff.ok("mod", {"room": ROOM, "action": "promote", "member_id": joined["id"]})
    await member.ok("send", {"room": ROOM, "text": PHONE, "client_id": "after"})
    await staff.wait_for("message", lambda m: m["text"] == PHONE)
    assert [a for a in staff.seen("alert") if a.get("kind") == "pii"] == []


async def test_a_lifted_mute_lets_the_next_send_through(
        server_process: StartProcess, fresh_redis: RedisServer,
        clients: Callable[..., Awaitable[Client]]) -> None:
    staff, member, joined = await _talking_member_on_b_staff_on_a(server_process, fresh_redis,
                                                                  clients)
    await staff.ok("mod", {"room": ROOM, "action": "mute", "member_id": joined["id"],
                           "minutes": 5})
    assert await member.error("send", {"room": ROOM, "text": "x", "client_id": "m"}) == "muted"
    await staff.ok("mod", {"room": ROOM, "action": "unmute", "member_id": joined["id"]})
    await member.ok("send", {"room": ROOM, "text": "back", "client_id": "back"})
    await staff.wait_for("message", lambda m: m["text"] == "back")
