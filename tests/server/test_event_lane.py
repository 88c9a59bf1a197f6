"""Client events over websocket take the server's own lane (`GuardedServer.client_event`);
anything it does not take goes python-socketio's way. Both must answer alike."""

from __future__ import annotations

import json

import aiohttp
import pytest

from tests.helpers import ClientFactory, Served
from tests.raw_socket import RawSocket

ROOM = "open-circle"
JOIN = '["join",{"room":"open-circle","handle":"River"}]'


@pytest.mark.parametrize(("frame", "answer_prefix"), [
    ("4277" + JOIN, "4377["),                            # the lane
    ("42/,77" + JOIN, "4377["),                          # "/" named: python-socketio's way
    ("42" + "1" * 16 + JOIN, "43" + "1" * 16 + "["),     # a long ack id: its way too
])
async def test_an_event_is_answered_alike_whichever_way_it_goes(
        server: Served, frame: str, answer_prefix: str) -> None:
    async with aiohttp.ClientSession() as http:
        raw = await RawSocket.open(http, server.url)
        await raw.ws.send_str(frame)
        answer = await raw.until(lambda f: f.startswith(answer_prefix))
        assert answer is not None
        [joined] = json.loads(answer[len(answer_prefix) - 1:])
        assert joined["ok"] and joined["member"]["handle"] == "River"
        await raw.ws.close()


async def test_an_event_without_an_ack_id_runs_and_is_not_answered(
        server: Served, connect: ClientFactory) -> None:
    bystander = await connect()
    await bystander.ok("join", {"room": ROOM, "handle": "Lake"})
    async with aiohttp.ClientSession() as http:
        raw = await RawSocket.open(http, server.url)
        await raw.ws.send_str("421" + JOIN)
        assert await raw.until(lambda f: f.startswith("431[")) is not None
        await raw.ws.send_str('42["send",{"room":"open-circle","text":"no ack",'
                              '"client_id":"n1"}]')
        await bystander.wait_for("message", lambda m: m["text"] == "no ack")
        # The next answer on this socket is the next call's: nothing answered the send.
        await raw.ws.send_str('422["leave",{"room":"open-circle"}]')
        after = await raw.until(lambda f: f.startswith("43"))
        assert after is not None and after.startswith("432[")
        await raw.ws.close()


@pytest.mark.parametrize(("text", "taken"), [
    ('2["send",{}]', True),
    ('277["send",{}]', True),
    ('2' + "7" * 15 + '["send",{}]', True),
    ('2' + "7" * 16 + '["send",{}]', False),  # python-socketio reads up to 100 digits
    ('2/,77["send",{}]', False),             # any namespace, "/" named included
    ('2/admin,77["send",{}]', False),
    ('21-["send",{}]', False),
    ('277["send",', False),                  # refused (and closed) the other way
    ('2' + "[" * 20000 + "]" * 20000, False),
    ('2²["send",{}]', False),                # a digit to str.isdigit, not to the lane
])
async def test_the_lane_takes_only_plain_events_for_the_default_namespace(
        text: str, taken: bool) -> None:
    from server.transport.guarded_server import GuardedServer

    sio = GuardedServer(async_mode="aiohttp", connect_timeout_s=45, unjoined_per_address=10)
    # Nobody connected: a taken event is dropped by python-socketio's connected check.
    assert await sio.client_event("no-such-sid", text) is taken
