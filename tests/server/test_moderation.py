"""`mod` actions from a real facilitator client onto real member clients."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import (
    CO_FACILITATOR,
    CO_PASSPHRASE,
    Client,
    ClientFactory,
    Served,
    login,
)

ROOM = "open-circle"


@pytest.fixture
async def staff(server: Served, connect: ClientFactory) -> Client:
    client = await connect(token=await login(server.url))
    await client.ok("join", {"room": ROOM})
    return client


async def member(connect: ClientFactory, handle: str, device: str | None = None
                 ) -> tuple[Client, dict[str, Any]]:
    client = await connect(device=device)
    answer = await client.ok("join", {"room": ROOM, "handle": handle})
    return client, answer["member"]


def mod(action: str, **fields: Any) -> dict[str, Any]:
    return {"room": ROOM, "action": action, **fields}


async def test_members_cannot_moderate(staff: Client, connect: ClientFactory) -> None:
    a, _ = await member(connect, "River")
    b, lake = await member(connect, "Lake")
    target = {"member_id": lake["id"]}
    for action, fields in [("mute", target), ("remove", target), ("lock", {"locked": True}),
                           ("audit", {}), ("bans", {}), ("pause", {"paused": True}),
                           ("slow_mode", {"seconds": 5})]:
        assert await a.error("mod", mod(action, **fields)) == "forbidden"
    outsider = await connect()
    assert await outsider.error("mod", mod("lock", locked=True)) == "forbidden"
    await b.ok("send", {"room": ROOM, "text": "still here", "client_id": "1"})


async def test_mod_bad_input(staff: Client) -> None:
    assert await staff.error("mod", {"room": "nowhere", "action": "lock", "locked": True}) == \
        "not_found"
    assert await staff.error("mod", mod("lock")) == "bad_request"
    assert await staff.error("mod", mod("explode")) == "bad_request"
    assert await staff.error("mod", mod("mute", member_id="nobody")) == "not_found"
    assert await staff.error("mod", mod("mute", member_id=5)) == "bad_request"
    assert await staff.error("mod", mod("slow_mode", seconds=21601)) == "bad_request"
    assert await staff.error("mod", mod("mute", member_id="x", minutes=True)) == "bad_request"
    assert await staff.error("mod", None) == "bad_request"


async def test_mute_and_unmute(staff: Client, connect: ClientFactory) -> None:
    a, river = await member(connect, "River")
    answer = await staff.ok("mod", mod("mute", member_id=river["id"], minutes=5))
    assert answer["until"].endswith("Z")
    note = await a.wait_for("moderated")
    assert note == {"room": ROOM, "action": "muted", "until": answer["until"]}
    assert await a.error("send", {"room": ROOM, "text": "hi", "client_id": "1"}) == "muted"
    assert await a.error("hand", {"room": ROOM, "raised": True}) == "muted"
    # Leaving and coming back as someone new does not lift it (it follows the device).
    await a.ok("leave", {"room": ROOM})
    again = await a.ok("join", {"room": ROOM, "handle": "Rain"})
    assert await a.error("send", {"room": ROOM, "text": "hi", "client_id": "2"}) == "muted"
    await staff.ok("mod", mod("unmute", member_id=again["member"]["id"]))
    await a.wait_for("moderated", lambda n: n["action"] == "unmuted")
    await a.ok("send", {"room": ROOM, "text": "hi", "client_id": "3"})


async def test_mute_until_unmuted(staff: Client, connect: ClientFactory) -> None:
    a, river = await member(connect, "River")
    answer = await staff.ok("mod", mod("mute", member_id=river["id"]))
    assert answer["until"] is None
    assert (await a.wait_for("moderated"))["until"] is None
    assert await a.error("send", {"room": ROOM, "text": "hi", "client_id": "1"}) == "muted"


async def test_remove_disconnects_and_presence_updates(staff: Client,
                                                       connect: ClientFactory) -> None:
    a, river = await member(connect, "River")
    b, _ = await member(connect, "Lake")
    await staff.ok("mod", mod("remove", member_id=river["id"]))
    assert (await a.wait_for("moderated"))["action"] == "removed"
    await a.wait_for("__disconnect__")
    left = await b.wait_for("presence", lambda p: p.get("left") == river["id"])
    assert left["count"] == 2
    await b.ok("send", {"room": ROOM, "text": "after", "client_id": "1"})
    await b.wait_for("message", lambda m: m["text"] == "after")
    assert a.seen("message") == []


async def test_ban_keeps_device_out_and_hides_messages(staff: Client, connect: ClientFactory,
                                                       server: Served) -> None:
    a, river = await member(connect, "River")
    device = await a.wait_for("welcome")
    b, _ = await member(connect, "Lake")
    sent = await a.ok("send", {"room": ROOM, "text": "troll words", "client_id": "1"})
    await b.wait_for("message", lambda m: m["id"] == sent["message"]["id"])
    answer = await staff.ok("mod", mod("ban", member_id=river["id"], days=1, reason="spam"))
    assert isinstance(answer["ban_id"], str)
    note = await a.wait_for("moderated")
    assert note["action"] == "banned" and note["until"].endswith("Z")
    hidden = await b.wait_for("message_deleted")
    assert hidden == {"room": ROOM, "id": sent["message"]["id"], "reason": "hidden"}
    await a.wait_for("__disconnect__")
    back = await connect(device=device["device"])
    assert await back.error("join", {"room": ROOM, "handle": "Someone Else"}) == "banned"
    # A room ban keeps them out of this room only.
    other = await connect(device=device["device"])
    assert await other.error("join", {"room": "tuesday-night", "handle": "X1"}) == "closed"

    bans = await staff.ok("mod", mod("bans"))
    assert bans["bans"] == [{"ban_id": answer["ban_id"], "handle": "River", "scope": "room",
                             "until": bans["bans"][0]["until"]}]
    await staff.ok("mod", mod("unban", ban_id=answer["ban_id"]))
    await back.ok("join", {"room": ROOM, "handle": "River"})
    assert await staff.error("mod", mod("unban", ban_id=answer["ban_id"])) == "not_found"


async def test_delete_removes_message_for_everyone(staff: Client, connect: ClientFactory) -> None:
    a, _ = await member(connect, "River")
    sent = await a.ok("send", {"room": ROOM, "text": "oops", "client_id": "1"})
    await staff.ok("mod", mod("delete", message_id=sent["message"]["id"]))
    gone = await a.wait_for("message_deleted")
    assert gone == {"room": ROOM, "id": sent["message"]["id"], "reason": "deleted"}
    assert await staff.error("mod", mod("delete", message_id=sent["message"]["id"])) == \
        "not_found"
    assert await a.error("report", {"room": ROOM, "message_id": sent["message"]["id"],
                                    "reason": "x"}) == "not_found"


async def test_lock_pause_slow_mode_and_pin(staff: Client, connect: ClientFactory) -> None:
    a, _ = await member(connect, "River")
    await staff.ok("mod", mod("lock", locked=True))
    state = await a.wait_for("room_state", lambda s: s["locked"])
    assert state["room"] == ROOM and state["status"] == "open"
    newcomer = await connect()
    assert await newcomer.error("join", {"room": ROOM, "handle": "New"}) == "locked"
    await staff.ok("mod", mod("lock", locked=False))
    await newcomer.ok("join", {"room": ROOM, "handle": "New"})

    await staff.ok("mod", mod("pause", paused=True))
    await a.wait_for("room_state", lambda s: s["paused"])
    assert await a.error("send", {"room": ROOM, "text": "x", "client_id": "1"}) == "paused"
    assert await a.error("hand", {"room": ROOM, "raised": True}) == "paused"
    late = await connect()
    assert await late.error("join", {"room": ROOM, "handle": "Late"}) == "paused"
    await staff.ok("send", {"room": ROOM, "text": "staff can still speak", "client_id": "s"})
    await staff.ok("mod", mod("pause", paused=False))

    await staff.ok("mod", mod("slow_mode", seconds=30))
    await a.wait_for("room_state", lambda s: s["slow_mode"] == 30)
    await a.ok("send", {"room": ROOM, "text": "one", "client_id": "2"})
    answer = await a.call("send", {"room": ROOM, "text": "two", "client_id": "3"})
    assert answer["error"]["code"] == "slow_mode"
    assert 25 < answer["error"]["retry_after"] <= 30

    await staff.ok("mod", mod("pin", text="Welcome, be kind."))
    assert (await a.wait_for("room_state", lambda s: s["pinned"]))["pinned"] == \
        "Welcome, be kind."


async def test_hand_queue_and_report(staff: Client, connect: ClientFactory) -> None:
    a, river = await member(connect, "River")
    b, lake = await member(connect, "Lake")
    assert (await a.ok("hand", {"room": ROOM, "raised": True}))["queue"] == [river["id"]]
    assert (await b.ok("hand", {"room": ROOM, "raised": True}))["queue"] == [river["id"],
                                                                             lake["id"]]
    await staff.wait_for("room_state", lambda s: s["queue"] == [river["id"], lake["id"]])
    assert (await a.ok("hand", {"room": ROOM, "raised": False}))["queue"] == [lake["id"]]
    assert await a.error("hand", {"room": ROOM, "raised": "yes"}) == "bad_request"
    assert await a.error("hand", {"room": "nowhere", "raised": True}) == "not_found"
    outsider = await connect()
    assert await outsider.error("hand", {"room": ROOM, "raised": True}) == "not_member"

    sent = await b.ok("send", {"room": ROOM, "text": "rude words", "client_id": "1"})
    assert await a.ok("report", {"room": ROOM, "message_id": sent["message"]["id"],
                                 "reason": "rude"}) == {"ok": True}
    alert = await staff.wait_for("alert", lambda x: x["kind"] == "report")
    assert alert["message_id"] == sent["message"]["id"] and alert["member_id"] == lake["id"]
    assert await outsider.error("report", {"room": ROOM, "message_id": "x"}) == "not_member"
    assert await a.error("report", {"room": ROOM}) == "bad_request"


async def test_promote_and_staff_rules(server: Served, staff: Client,
                                       connect: ClientFactory) -> None:
    a, river = await member(connect, "River")
    b, lake = await member(connect, "Lake")
    await staff.ok("mod", mod("promote", member_id=river["id"]))
    promoted = await b.wait_for("presence", lambda p: p.get("joined", {}).get("id") == river["id"]
                                and p["joined"]["role"] == "facilitator")
    assert promoted["joined"]["handle"] == "River"
    # The new co-facilitator can now moderate members...
    await a.ok("mod", mod("mute", member_id=lake["id"], minutes=1))
    # ...but not the facilitator who promoted them, and nobody acts on themselves.
    me = (await staff.ok("join", {"room": ROOM}))["member"]
    assert await a.error("mod", mod("mute", member_id=me["id"])) == "forbidden"
    assert await staff.error("mod", mod("mute", member_id=me["id"])) == "forbidden"
    co = await connect(token=await login(server.url, CO_FACILITATOR, CO_PASSPHRASE))
    await co.ok("join", {"room": ROOM})
    # A facilitator cannot act on another facilitator (only a host can).
    assert await co.error("mod", mod("remove", member_id=me["id"])) == "forbidden"
    assert await co.error("mod", mod("remove", member_id=river["id"])) == "forbidden"
    await co.ok("mod", mod("unmute", member_id=lake["id"]))


async def test_audit_log_has_actions_and_no_text(staff: Client, connect: ClientFactory) -> None:
    a, river = await member(connect, "River")
    sent = await a.ok("send", {"room": ROOM, "text": "secret words", "client_id": "1"})
    await staff.ok("mod", mod("delete", message_id=sent["message"]["id"]))
    await staff.ok("mod", mod("mute", member_id=river["id"], minutes=5))
    await staff.ok("mod", mod("ban", member_id=river["id"], reason="trolling"))
    await staff.ok("mod", mod("bans"))
    await staff.ok("mod", mod("lock", locked=True))
    await staff.ok("mod", mod("lock", locked=False))
    await staff.ok("mod", mod("slow_mode", seconds=30))
    await staff.ok("mod", mod("audit"))
    entries = (await staff.ok("mod", mod("audit")))["entries"]
    actions = [(e["action"], e["target"]) for e in entries]
    # A delete names the message's writer, so the log can say who it was.
    assert ("delete", river["id"]) in actions
    assert ("mute", river["id"]) in actions and ("ban", river["id"]) in actions
    # Reading the ban list or the log is not an action.
    assert not {"bans", "audit"} & {e["action"] for e in entries}
    details = [(e["action"], e["detail"]) for e in entries if e["action"] != "delete"]
    for expected in [("mute", {"minutes": 5}), ("lock", {"locked": True}),
                     ("lock", {"locked": False}), ("slow_mode", {"seconds": 30})]:
        assert expected in details, details
    assert all(set(e) == {"id", "at", "actor", "action", "target", "reason", "detail"}
               for e in entries)
    assert all(e["actor"] == "Sam" for e in entries)
    assert "secret words" not in repr(entries)


async def test_every_mod_action_on_a_member_reaches_all_their_sockets(
        staff: Client, connect: ClientFactory) -> None:
    # One device, two tabs, two memberships: a ban reaches both.
    a, river = await member(connect, "River")
    device = (await a.wait_for("welcome"))["device"]
    tab2 = await connect(device=device)
    second = await tab2.ok("join", {"room": ROOM, "handle": "River Two"})
    await staff.ok("mod", mod("ban", member_id=river["id"]))
    await a.wait_for("moderated")
    note = await tab2.wait_for("moderated")
    assert note["action"] == "banned" and note["until"] is None
    await tab2.wait_for("__disconnect__")
    assert second["member"]["id"] != river["id"]


async def test_a_host_bans_a_promoted_co_facilitator(server: Served,
                                                     connect: ClientFactory) -> None:
    host = await connect(token=await login(server.url))
    await host.ok("join", {"room": "tuesday-night"})
    await host.ok("mod", {"room": "tuesday-night", "action": "open"})
    a = await connect()
    river = (await a.ok("join", {"room": "tuesday-night", "handle": "River"}))["member"]
    await host.ok("mod", {"room": "tuesday-night", "action": "promote", "member_id": river["id"]})
    await host.ok("mod", {"room": "tuesday-night", "action": "ban", "member_id": river["id"]})
    assert (await a.wait_for("moderated"))["action"] == "banned"
    await a.wait_for("__disconnect__")
    await host.wait_for("presence", lambda p: p.get("left") == river["id"])


async def test_every_rooms_bans_are_for_facilitators_with_an_account(
        server: Served, staff: Client, connect: ClientFactory) -> None:
    a, river = await member(connect, "River")
    troll, troll_member = await member(connect, "Troll")
    host_device_member, host_as_member = await member(connect, "Quiet")
    await staff.ok("mod", mod("promote", member_id=river["id"]))
    await staff.wait_for("presence", lambda p: p.get("joined", {}).get("id") == river["id"]
                         and p["joined"]["role"] == "facilitator")
    # A promoted member bans in their room only.
    refused = await a.call("mod", mod("ban", member_id=host_as_member["id"], scope="all"))
    assert (refused["ok"], refused["error"]["code"]) == (False, "forbidden")
    await a.ok("mod", mod("ban", member_id=host_as_member["id"]))
    # A facilitator's ban of every room: the promoted member neither sees nor lifts it.
    ban_id = (await staff.ok("mod", mod("ban", member_id=troll_member["id"],
                                        scope="all")))["ban_id"]
    theirs = (await a.ok("mod", mod("bans")))["bans"]
    assert ban_id not in [b["ban_id"] for b in theirs] and len(theirs) == 1
    refused = await a.call("mod", mod("unban", ban_id=ban_id))
    assert (refused["ok"], refused["error"]["code"]) == (False, "forbidden")
    assert ban_id in [b["ban_id"] for b in (await staff.ok("mod", mod("bans")))["bans"]]
    again = await connect(device=troll.device)
    assert await again.error("join", {"room": ROOM, "handle": "Troll2"}) == "banned"
    # A device ban does not keep out a facilitator's login on that device.
    host = await connect(device=host_device_member.device,
                         token=await login(server.url, CO_FACILITATOR, CO_PASSPHRASE))
    joined = await host.ok("join", {"room": ROOM})
    assert joined["member"]["role"] == "facilitator"
