"""HTTP hardening (issue 12): login limits, redirects, origins, session end, slow clients,
and engine.io's long-polling edges."""

from __future__ import annotations

import asyncio
import contextlib
import json

import aiohttp
import pytest
import redis.asyncio as aioredis

from server.keys import ROOMS
from tests.helpers import (
    FACILITATOR,
    PASSPHRASE,
    ClientFactory,
    Clock,
    Served,
    ServeFn,
    login,
    refusal,
)

# Waits, not speed claims: an answer that never comes fails here instead of hanging.
ANSWER_WITHIN = 10.0
PADDED = ["Sam", "Sam ", " Sam", "\tSam", "Sam\r\n"]


def _origin(server: Served) -> dict[str, str]:
    return {"Origin": server.url}


async def _fail_until_limited(http: aiohttp.ClientSession, server: Served) -> None:
    for _ in range(100):
        async with http.post(server.url + "/api/login", json={
                "name": FACILITATOR, "passphrase": "guess"}) as response:
            if response.status == 429:
                return
            assert response.status == 401
    pytest.fail("100 wrong passphrases and never a 429")


async def test_login_limit_keys_the_name_the_lookup_uses_and_only_delays(
        server: Served, clock: Clock) -> None:
    async with aiohttp.ClientSession() as http:
        await _fail_until_limited(http, server)
        for name in PADDED:
            async with http.post(server.url + "/api/login", json={
                    "name": name, "passphrase": PASSPHRASE}) as response:
                assert response.status == 429, repr(name)
                retry_after = int(response.headers["Retry-After"])
                assert retry_after >= 1
        async with http.post(server.url + "/login", headers=_origin(server), data={
                "name": "Sam ", "passphrase": PASSPHRASE}, allow_redirects=False) as response:
            assert response.status == 429
            assert int(response.headers["Retry-After"]) >= 1
        # A delay, never a lockout: once it has passed, the right passphrase gets in.
        clock.advance(retry_after)
        async with http.post(server.url + "/api/login", json={
                "name": "\tSam", "passphrase": PASSPHRASE}) as response:
            assert response.status == 200


async def test_a_browser_that_logged_in_before_is_not_held_by_a_strangers_guesses(
        server: Served) -> None:
    credentials = {"name": FACILITATOR, "passphrase": PASSPHRASE}
    # unsafe=True: aiohttp's jar keeps no cookies for a bare IP address otherwise.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as owner, \
            aiohttp.ClientSession() as stranger, aiohttp.ClientSession() as new_browser:
        async with owner.post(server.url + "/api/login", json=credentials) as response:
            assert response.status == 200
            proof = response.cookies["peer_rooms_known"]
            assert proof["httponly"] and proof["samesite"] == "Strict"
        await _fail_until_limited(stranger, server)
        async with new_browser.post(server.url + "/api/login", json=credentials) as response:
            assert response.status == 429  # the account is under attack
        async with owner.post(server.url + "/api/login", json=credentials) as response:
            assert response.status == 200, await response.text()
        async with owner.post(server.url + "/login", headers=_origin(server), data={
                **credentials, "name": " Sam"}, allow_redirects=False) as response:
            assert response.status == 303
        async with owner.post(server.url + "/logout", headers=_origin(server),
                              allow_redirects=False) as response:
            assert response.status == 303
        # Logging out ends the session, not the proof that this browser is the owner's.
        assert any(c.key == "peer_rooms_known" for c in owner.cookie_jar)
        async with owner.post(server.url + "/api/login", json=credentials) as response:
            assert response.status == 200


async def test_login_next_only_follows_same_site_paths(server: Served) -> None:
    disguised = ["/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "//evil.example",
                 "/\\evil.example", "\\\\evil.example", "https://evil.example/", "/ /evil",
                 "\t//evil.example", "/\x00/evil.example", "javascript:alert(1)", "evil"]
    async with aiohttp.ClientSession() as http:
        for target in [*disguised, "/rooms/open-circle?x=1#top"]:
            async with http.post(server.url + "/login", allow_redirects=False,
                                 headers=_origin(server), data={
                    "name": FACILITATOR, "passphrase": PASSPHRASE, "next": target}) as response:
                assert response.status == 303, repr(target)
                expected = "/" if target in disguised else target
                assert response.headers["Location"] == expected, repr(target)


async def test_login_and_logout_need_our_origin(server: Served) -> None:
    credentials = {"name": FACILITATOR, "passphrase": PASSPHRASE}
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {"Origin": "null"}, {"Origin": "https://evil.example"},
                        {"Referer": server.url + "/login"}):
            async with http.post(server.url + "/login", headers=headers, data=credentials,
                                 allow_redirects=False) as response:
                assert response.status == 403, headers
            async with http.post(server.url + "/logout", headers=headers,
                                 allow_redirects=False) as response:
                assert response.status == 403, headers
        async with http.post(server.url + "/login", headers=_origin(server), data=credentials,
                             allow_redirects=False) as response:
            assert response.status == 303


async def _session_cookie(server: Served) -> str:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http, \
            http.post(server.url + "/login", headers=_origin(server), allow_redirects=False,
                      data={"name": FACILITATOR, "passphrase": PASSPHRASE}) as response:
        assert response.status == 303
        return response.cookies["peer_rooms_session"].value


async def _page_facilitator(url: str, cookie: str) -> bool:
    async with aiohttp.ClientSession() as http, http.get(
            url + "/rooms/open-circle", headers={"Cookie": f"peer_rooms_session={cookie}"}) as r:
        return f'data-facilitator="{FACILITATOR}"' in await r.text()


async def test_logout_ends_the_session_token_everywhere(serve: ServeFn, backend: str) -> None:
    server = await serve()
    # With Redis, a second process sharing it must refuse the token at once as well.
    others = [await serve()] if backend else []
    cookie = await _session_cookie(server)
    assert await _page_facilitator(server.url, cookie)
    async with aiohttp.ClientSession() as http, http.post(
            server.url + "/logout", headers={**_origin(server),
                                             "Cookie": f"peer_rooms_session={cookie}"},
            allow_redirects=False) as response:
        assert response.status == 303
    for where in [server, *others]:
        assert not await _page_facilitator(where.url, cookie)
        assert await refusal(where.url, {"device": None, "token": cookie}) == "auth_failed"
    fresh = await login(server.url)
    assert await refusal(server.url, {"device": None, "token": fresh}) is None


async def test_a_bearer_logout_ends_that_token_everywhere(serve: ServeFn,
                                                           backend: str) -> None:
    server = await serve()
    others = [await serve()] if backend else []
    ended, kept = await login(server.url), await login(server.url)
    async with aiohttp.ClientSession() as http:
        # No Origin: an API client, not a browser form.
        async with http.post(server.url + "/logout",
                             headers={"Authorization": f"Bearer {ended}"},
                             allow_redirects=False) as response:
            assert response.status == 204
        for where in [server, *others]:
            async with http.get(where.url + "/api/admin/rooms",
                                headers={"Authorization": f"Bearer {ended}"}) as response:
                assert response.status == 401
            assert await refusal(where.url, {"device": None, "token": ended}) == "auth_failed"
    # Only that token: the facilitator's other session goes on.
    assert await refusal(server.url, {"device": None, "token": kept}) is None


async def test_a_logout_is_not_undone_by_losing_the_live_store(serve: ServeFn,
                                                                backend: str) -> None:
    """Logouts live in the live store; when it starts empty (a Redis that lost its data,
    the one process restarted) every session issued before is refused, so a copied
    cookie that was logged out cannot come back."""
    server = await serve()
    cookie = await _session_cookie(server)
    async with aiohttp.ClientSession() as http, http.post(
            server.url + "/logout", headers={**_origin(server),
                                             "Cookie": f"peer_rooms_session={cookie}"},
            allow_redirects=False) as response:
        assert response.status == 303
    kept = await login(server.url)  # not logged out: ends with the store all the same
    if backend:
        redis = aioredis.from_url(backend)
        try:
            await redis.flushall()
        finally:
            await redis.aclose()
        after = server
    else:
        after = await serve()  # the same site, restarted: a new process
    for token in (cookie, kept):
        assert not await _page_facilitator(after.url, token)
        assert await refusal(after.url, {"device": None, "token": token}) == "auth_failed"
    fresh = await login(after.url)
    assert await refusal(after.url, {"device": None, "token": fresh}) is None


async def test_logout_closes_idle_staff_sockets_on_every_process(
        serve: ServeFn, backend: str, clients: ClientFactory) -> None:
    server = await serve()
    others = [await serve()] if backend else []
    cookie = await _session_cookie(server)
    sockets = [await clients(where.url, token=cookie) for where in [server, *others]]
    for socket in sockets:
        await socket.ok("join", {"room": "open-circle"})
    async with aiohttp.ClientSession() as http, http.post(
            server.url + "/logout", headers={**_origin(server),
                                             "Cookie": f"peer_rooms_session={cookie}"},
            allow_redirects=False) as response:
        assert response.status == 303
    for socket in sockets:
        # Idle: no event of its own would have found the ended session.
        await socket.wait_for("__disconnect__")


async def test_revoke_facilitator_ends_all_their_tokens(
        serve: ServeFn, backend: str, clock: Clock) -> None:
    server = await serve()
    others = [await serve()] if backend else []
    tokens = [await login(server.url), await login(server.url), await _session_cookie(server)]
    co_token = await login(server.url, "Alex", "another long passphrase")
    await server.server.app[ROOMS].revoke_facilitator(FACILITATOR)
    for where in [server, *others]:
        for token in tokens:
            assert await refusal(where.url, {"device": None, "token": token}) == "auth_failed"
        assert not await _page_facilitator(where.url, tokens[2])
        assert await refusal(where.url, {"device": None, "token": co_token}) is None
    clock.advance(1)
    assert await refusal(server.url, {"device": None, "token": await login(server.url)}) is None


async def _engineio_sid(http: aiohttp.ClientSession, server: Served) -> str:
    async with http.get(server.url + "/socket.io/?EIO=4&transport=polling") as response:
        assert response.status == 200
        text = await response.text()
    sid: str = json.loads(text[1:])["sid"]
    return sid


async def test_polling_post_over_64_kib_is_refused_at_once(server: Served) -> None:
    async with aiohttp.ClientSession() as http:
        sid = await _engineio_sid(http, server)
        url = f"{server.url}/socket.io/?EIO=4&transport=polling&sid={sid}"
        async with asyncio.timeout(ANSWER_WITHIN), http.post(
                url, data=b"4" + b"x" * (64 * 1024 + 10),
                headers={"Content-Type": "text/plain"}) as response:
            assert response.status == 413
        # The frame closed that connection, as engine.io's own limit does.
        async with asyncio.timeout(ANSWER_WITHIN), http.get(url) as response:
            assert response.status == 400


async def test_concurrent_polls_on_one_session_are_a_protocol_error(server: Served) -> None:
    async with aiohttp.ClientSession() as http:
        sid = await _engineio_sid(http, server)
        url = f"{server.url}/socket.io/?EIO=4&transport=polling&sid={sid}"

        async def poll() -> int:
            async with http.get(url) as response:
                await response.read()
                return response.status

        async with asyncio.timeout(ANSWER_WITHIN):
            statuses = await asyncio.gather(poll(), poll(), poll())
        assert 400 in statuses
        async with asyncio.timeout(ANSWER_WITHIN), http.get(url) as response:
            assert response.status == 400  # the session is closed


async def _raw(server: Served, data: bytes, *, first_line: bool = False) -> bytes:
    """Send `data` and never finish the request: what the server answers (its first
    line, or everything until it closes)."""
    host, port = server.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(data)
        await writer.drain()
        async with asyncio.timeout(ANSWER_WITHIN):
            return await (reader.readline() if first_line else reader.read())
    finally:
        writer.close()


async def test_slow_headers_are_cut_off(serve: ServeFn) -> None:
    server = await serve(limits={"header_timeout_s": 1})
    answer = await _raw(server, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")
    assert answer == b""  # closed without a request ever being handled


async def test_slow_bodies_are_answered_408(serve: ServeFn) -> None:
    server = await serve(limits={"body_timeout_s": 1})
    answer = await _raw(server, b"POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                b"Content-Type: application/json\r\nContent-Length: 100\r\n"
                                b"\r\n{\"name\": ", first_line=True)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:80]
    async with aiohttp.ClientSession() as http:
        sid = await _engineio_sid(http, server)
    answer = await _raw(server, f"POST /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\n"
                                f"Host: 127.0.0.1\r\nContent-Type: text/plain\r\n"
                                f"Content-Length: 100\r\n\r\n4".encode(), first_line=True)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:80]


async def test_a_connected_staff_socket_loses_its_powers_with_its_session(
        server: Served, connect: ClientFactory) -> None:
    staff = await connect(token=await login(server.url))
    await staff.ok("join", {"room": "open-circle"})
    await server.server.app[ROOMS].revoke_facilitator(FACILITATOR)
    answer = await staff.call("mod", {"room": "open-circle", "action": "lock", "locked": True})
    assert answer["error"]["code"] == "auth_failed"
    await staff.wait_for("__disconnect__")


async def test_headers_trickled_a_byte_at_a_time_are_cut_off(serve: ServeFn) -> None:
    """Slowloris proper: a byte every 0.2 s never lets the header timeout (1 s) lapse if
    each byte restarted it; the connection must still end."""
    server = await serve(limits={"header_timeout_s": 1})
    host, port = server.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    closed = asyncio.ensure_future(reader.read())
    try:
        writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        for _ in range(int(ANSWER_WITHIN / 0.2)):
            if closed.done():
                break
            writer.write(b"X")  # one more byte of an endless header
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(closed), 0.2)
        assert closed.done(), "a trickled header kept the connection open"
        assert closed.result() == b""  # closed without a request ever being handled
    finally:
        closed.cancel()
        writer.close()


async def test_an_oversized_or_unsized_polling_post_is_answered_before_its_body(
        server: Served) -> None:
    async with aiohttp.ClientSession() as http:
        sid = await _engineio_sid(http, server)
        second = await _engineio_sid(http, server)
    head = ("POST /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\n"
            "Host: 127.0.0.1\r\nContent-Type: text/plain\r\n")
    # The length alone decides: the answer comes while the body is still unsent.
    answer = await _raw(server, (head.format(sid=sid) + "Content-Length: 1000000\r\n\r\n4")
                        .encode(), first_line=True)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:80]
    answer = await _raw(server, (head.format(sid=second) + "Transfer-Encoding: chunked\r\n\r\n"
                                 "1\r\n4\r\n").encode(), first_line=True)
    assert answer.startswith(b"HTTP/1.1 411"), answer[:80]
