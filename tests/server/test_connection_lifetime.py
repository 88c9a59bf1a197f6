"""An engine.io connection lives only while it carries a Socket.IO session.

Each client here speaks engine.io by hand and answers pings, but never closes on its
own: only the server ending the connection can end these tests' waits.
"""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp

from server.keys import SIO
from tests.helpers import WAIT, ClientFactory, Served, ServeFn, login
from tests.raw_socket import RawSocket

ROOM = "open-circle"


def closed(frame: str | None) -> bool:
    """An engine.io close packet, or the websocket closing under it."""
    return frame is None or frame == "1"


async def test_a_connection_that_never_connects_to_socketio_is_closed(serve: ServeFn) -> None:
    server = await serve(limits={"connect_timeout_s": 1})
    async with aiohttp.ClientSession() as http:
        raw = await RawSocket.open(http, server.url, namespace=False)
        assert closed(await raw.until(closed))


async def test_a_refused_connection_that_stays_open_is_closed(serve: ServeFn) -> None:
    server = await serve(limits={"connect_timeout_s": 1})
    async with aiohttp.ClientSession() as http:
        raw = await RawSocket.open(http, server.url, namespace=False)
        await raw.ws.send_str('40{"token":"forged"}')
        refused = await raw.frame()
        assert refused is not None and refused.startswith("44"), refused
        assert closed(await raw.until(closed))


async def test_a_removed_member_that_keeps_its_connection_open_is_closed(
        server: Served, connect: ClientFactory) -> None:
    staff = await connect(token=await login(server.url))
    await staff.ok("join", {"room": ROOM})
    async with aiohttp.ClientSession() as http:
        raw = await RawSocket.open(http, server.url)
        await raw.ws.send_str('421["join",{"room":"open-circle","handle":"Raw"}]')
        answer = await raw.until(lambda f: f.startswith("431["))
        assert answer is not None
        member = json.loads(answer[3:])[0]["member"]
        await staff.ok("mod", {"room": ROOM, "action": "remove", "member_id": member["id"]})
        # The Socket.IO DISCONNECT first, then the connection closes under it.
        assert await raw.until(lambda f: f.startswith("41")) is not None
        assert closed(await raw.until(closed))


async def test_a_member_whose_client_stops_answering_pings_is_closed_and_leaves(
        serve: ServeFn, connect: ClientFactory) -> None:
    server = await serve(limits={"ping_interval_s": 1, "ping_timeout_s": 1})
    staff = await connect(server.url, token=await login(server.url))
    await staff.ok("join", {"room": ROOM})
    async with aiohttp.ClientSession() as http:
        silent = await RawSocket.open(http, server.url, answer_pings=False)
        awake = await RawSocket.open(http, server.url)
        ids = []
        for raw, handle in ((silent, "Frozen"), (awake, "Awake")):
            await raw.ws.send_str(f'421["join",{{"room":"open-circle","handle":"{handle}"}}]')
            answer = await raw.until(lambda f: f.startswith("431["))
            assert answer is not None
            ids.append(json.loads(answer[3:])[0]["member"]["id"])
        # The awake one reads (and so answers pings) all along, as a live client does.
        hand = asyncio.ensure_future(awake.until(lambda f: f.startswith("432[")))
        assert closed(await silent.until(closed))
        assert silent.pings >= 1  # pinged, never answered
        # The room sees the silent one leave; the one that answers is still served.
        await staff.wait_for("presence", lambda p: p.get("left") == ids[0])
        await awake.ws.send_str('422["hand",{"room":"open-circle","raised":true}]')
        answer = await hand
        assert answer is not None and json.loads(answer[3:])[0]["ok"] is True
        assert awake.pings >= 1


async def test_the_silence_sweep_aborts_a_websocket_whose_ping_went_unanswered(
        serve: ServeFn) -> None:
    # engine.io's own check is a ping timeout (300 s) away here: only the sweep acts.
    server = await serve(limits={"ping_interval_s": 300, "ping_timeout_s": 300})
    sio = server.server.app[SIO]
    async with aiohttp.ClientSession() as http:
        silent = await RawSocket.open(http, server.url, answer_pings=False)
        [silent_sid] = list(sio.eio.sockets)
        awake = await RawSocket.open(http, server.url, answer_pings=False)
        [awake_sid] = [sid for sid in sio.eio.sockets if sid != silent_sid]
        sio.eio.sockets[silent_sid].last_ping = time.time() - 301  # unanswered, long ago
        sio.eio.sockets[awake_sid].last_ping = time.time()  # just sent
        await sio.close_silent()
        assert closed(await silent.until(closed))
        # The other is still served: it answers a Socket.IO ping of its own.
        await awake.ws.send_str('421["hand",{"room":"open-circle","raised":true}]')
        answer = await awake.until(lambda f: f.startswith("431["))
        assert answer is not None and sio.websockets.get(awake_sid) is not None


async def test_shutdown_closes_connections_outside_any_session(serve: ServeFn) -> None:
    server = await serve(limits={"connect_timeout_s": 300})
    async with aiohttp.ClientSession() as http:
        raw = await RawSocket.open(http, server.url, namespace=False)
        stopping = asyncio.create_task(server.server.close())
        # Before the grace period is spent: shutdown closes it, it does not wait it out.
        assert closed(await raw.until(closed))
        await stopping


async def test_removing_a_member_who_stopped_long_polling_answers_at_once(
        server: Served, connect: ClientFactory) -> None:
    """Ending a session must not wait for the removed client's next poll: one that
    stopped polling would hold the facilitator's `mod` answer."""
    staff = await connect(token=await login(server.url))
    await staff.ok("join", {"room": ROOM})
    async with aiohttp.ClientSession() as http:
        base = f"{server.url}/socket.io/?EIO=4&transport=polling"
        async with http.get(base) as response:
            sid = json.loads((await response.text())[1:])["sid"]
        url = f"{base}&sid={sid}"

        async def post(body: str) -> None:
            async with http.post(url, data=body.encode(),
                                 headers={"Content-Type": "text/plain"}) as response:
                assert response.status == 200

        async def poll_until(prefix: str) -> str:
            while True:
                async with asyncio.timeout(WAIT), http.get(url) as response:
                    for packet in (await response.text()).split("\x1e"):
                        if packet.startswith(prefix):
                            return packet

        await post("40")
        await poll_until("40")
        await post('421["join",{"room":"open-circle","handle":"Poller"}]')
        member = json.loads((await poll_until("431["))[3:])[0]["member"]
        # From here the client never polls again.
        async with asyncio.timeout(WAIT):
            await staff.ok("mod", {"room": ROOM, "action": "remove",
                                   "member_id": member["id"]})


async def test_connections_not_yet_in_the_namespace_are_held_per_address(
        serve: ServeFn) -> None:
    # The namespace counts members per address; raw engine.io connections that never
    # connect to it would be a way round that, each living until connect_timeout_s.
    server = await serve(limits={"connections_per_address": 3})
    async with aiohttp.ClientSession() as http:
        raws = [await RawSocket.open(http, server.url, namespace=False) for _ in range(3)]
        try:
            await RawSocket.open(http, server.url, namespace=False)
            raise AssertionError("a fourth connection not in the namespace was accepted")
        except aiohttp.WSServerHandshakeError as refused:
            assert refused.status == 401
        # One connects to "/": from then on it is the namespace's to count, not this.
        await raws[0].ws.send_str("40")
        assert await raws[0].until(lambda f: f.startswith("40")) is not None
        fourth = await RawSocket.open(http, server.url, namespace=False)
        for raw in (*raws, fourth):
            await raw.ws.close()
    # Closed, they leave the count (its map keeps no address without a connection).
    sio = server.server.app[SIO]

    async def drained() -> None:
        # The server handles each close after the client has gone: no event reaches here.
        while sio._unjoined_count:  # noqa: ASYNC110
            await asyncio.sleep(0.05)

    await asyncio.wait_for(drained(), WAIT)
    assert sio._unjoined == {}
