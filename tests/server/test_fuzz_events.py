"""A property-based fuzz of every client event against a real server.

Any JSON value in every field, plus raw Socket.IO frames (text and binary), from a
member and from a facilitator. Whatever the attacker sends, the well-behaved member in
the same room stays connected and receives every message (its own and every one the
attacker got accepted), no answer is `internal`, and nothing logs a traceback.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import Client, Served, login
from tests.server.test_hostile_frames import RawSocket

ROOM = "open-circle"
EVENTS = ["join", "leave", "send", "hand", "report", "mod", "connect", "disconnect",
          "!detach", "no_such_event"]
FIELDS = ["room", "handle", "resume", "text", "client_id", "to", "raised", "message_id",
          "reason", "action", "member_id", "minutes", "days", "scope", "ban_id", "locked",
          "paused", "seconds", "name", "member_token", "last_seq"]
ACTIONS = ["mute", "unmute", "remove", "ban", "unban", "bans", "delete", "lock", "slow_mode",
           "pause", "admit", "approve", "reject", "open", "close", "phase", "next_share",
           "end_share", "pin", "promote", "audit", "private"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=40) | st.sampled_from([ROOM, "tuesday-night", "", "x" * 3000]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12)
payloads = st.one_of(
    json_values,
    st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6),
    st.builds(lambda base, action: {**base, "room": ROOM, "action": action},
              st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=4),
              st.sampled_from(ACTIONS)),
)
raw_frames = st.one_of(
    st.binary(max_size=60),
    st.text(max_size=60).map(lambda s: "42" + s),
    st.text(max_size=60),
    st.builds(lambda ev, p: "42" + json.dumps([ev, p]), st.sampled_from(EVENTS), json_values),
    st.builds(lambda n, p: f"4{n}" + json.dumps(p), st.integers(0, 10**30), json_values),
)


class Fuzzer:
    """One attacker and one bystander in the room, reused across examples."""

    def __init__(self, served: Served) -> None:
        self.served = served
        self.attacker = Client()
        self.bystander = Client()
        self.sent = 0

    async def start(self, token: str | None = None) -> None:
        self.token = token
        await self.attacker.connect(self.served.url, token=token)
        await self.bystander.connect(self.served.url)
        await self.bystander.ok("join", {"room": ROOM, "handle": "River"})
        if token is not None:
            await self.attacker.ok("join", {"room": ROOM})

    async def reconnect_attacker(self) -> None:
        if self.attacker.sio.connected:
            return
        self.attacker = Client()  # removed or banned earlier: a fresh one
        await self.attacker.connect(self.served.url, token=self.token)
        if self.token is not None:
            await self.attacker.ok("join", {"room": ROOM})

    async def attack(self, event: str, payload: Any) -> None:
        """One event from the attacker: a well-formed answer, never `internal`, and a
        message it got accepted reaches the bystander too."""
        await self.reconnect_attacker()
        answer = await self.attacker.sio.call(event, payload, timeout=10)
        assert isinstance(answer, dict) and isinstance(answer.get("ok"), bool), answer
        if not answer["ok"]:
            assert answer["error"]["code"] != "internal", (event, payload, answer)
        message = answer.get("message") if answer["ok"] and event == "send" else None
        if isinstance(message, dict) and message.get("seq"):
            await self.bystander.wait_for("message", lambda m: m["id"] == message["id"])

    async def check_bystander(self) -> None:
        self.sent += 1
        text = f"still fine {self.sent}"
        await self.bystander.ok("send", {"room": ROOM, "text": text,
                                         "client_id": f"b{self.sent}"})
        await self.bystander.wait_for("message", lambda m: m["text"] == text)
        assert self.bystander.sio.connected


@pytest.fixture
async def fuzzer(server: Served) -> Any:
    fuzz = Fuzzer(server)
    await fuzz.start()
    yield fuzz
    await fuzz.attacker.close()
    await fuzz.bystander.close()


@pytest.fixture
async def staff_fuzzer(server: Served) -> Any:
    fuzz = Fuzzer(server)
    await fuzz.start(token=await login(server.url))
    yield fuzz
    await fuzz.attacker.close()
    await fuzz.bystander.close()


def no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert not tracebacks, [r.getMessage() for r in tracebacks]


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(event=st.sampled_from(EVENTS), payload=payloads)
async def test_any_event_with_any_payload(fuzzer: Fuzzer, caplog: pytest.LogCaptureFixture,
                                          event: str, payload: Any) -> None:
    with caplog.at_level(logging.WARNING):
        await fuzzer.attack(event, payload)
        await fuzzer.check_bystander()
    no_tracebacks(caplog)


# What a facilitator may do to the room as a whole, undone after each example so the
# bystander can keep talking (a facilitator may pause or lock a room; that is no fault).
RESET = [("pause", {"paused": False}), ("lock", {"locked": False}),
         ("slow_mode", {"seconds": 0})]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(event=st.sampled_from(["mod", "mod", "mod", "send", "join", "leave"]),
       payload=payloads)
async def test_any_facilitator_event_with_any_payload(
        staff_fuzzer: Fuzzer, caplog: pytest.LogCaptureFixture, event: str,
        payload: Any) -> None:
    fuzzer = staff_fuzzer
    with caplog.at_level(logging.WARNING):
        await fuzzer.attack(event, payload)
        await fuzzer.attacker.call("join", {"room": ROOM})  # back in, if it left
        for action, fields in RESET:
            assert (await fuzzer.attacker.call("mod", {"room": ROOM, "action": action,
                                                       **fields}))["ok"], action
        await fuzzer.check_bystander()
    no_tracebacks(caplog)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(frame=raw_frames)
async def test_any_raw_frame(fuzzer: Fuzzer, caplog: pytest.LogCaptureFixture,
                            frame: str | bytes) -> None:
    with caplog.at_level(logging.WARNING):
        async with aiohttp.ClientSession() as http:
            raw = await RawSocket.open(http, fuzzer.served.url)
            if isinstance(frame, bytes):
                await raw.ws.send_bytes(frame)
            else:
                await raw.ws.send_str(frame)
            await raw.ws.send_str('4277["leave",{"room":"open-circle"}]')
            answer = await raw.until(lambda f: f.startswith("4377[") or f == "1")
            if answer is not None and answer != "1":
                assert json.loads(answer[4:]) == [{"ok": True}], answer
            await raw.ws.close()
        await fuzzer.check_bystander()
    no_tracebacks(caplog)
