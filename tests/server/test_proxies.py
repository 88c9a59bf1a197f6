"""Behind a trusted proxy the forwarded scheme, host and address are the request's own;
from anyone else the same headers change nothing."""

from __future__ import annotations

import aiohttp
import pytest

from tests.helpers import FACILITATOR, PASSPHRASE, Served, ServeFn

SITE = "https://meet.example.org"
FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "meet.example.org",
             "X-Forwarded-For": "203.0.113.7"}


async def login_form(url: str, headers: dict[str, str]) -> aiohttp.ClientResponse:
    async with aiohttp.ClientSession() as http, http.post(
            url + "/login", allow_redirects=False, headers=headers,
            data={"name": FACILITATOR, "passphrase": PASSPHRASE, "next": "/"}) as response:
        await response.read()
        return response


async def feed_text(url: str, path: str, headers: dict[str, str]) -> str:
    async with aiohttp.ClientSession() as http, http.get(url + path, headers=headers) as r:
        assert r.status == 200
        return await r.text()


async def test_behind_a_trusted_proxy_tls_is_the_requests_own(server: Served) -> None:
    # The test server is reached from 127.0.0.1, a trusted proxy by default.
    response = await login_form(server.url, {**FORWARDED, "Origin": SITE})
    assert response.status in (302, 303), response.status
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie
    ics = await feed_text(server.url, "/api/meetings.ics", FORWARDED)
    assert f"{SITE}/rooms/tuesday-night" in ics.replace("\r\n ", "")
    assert "http://" not in ics.replace("\r\n ", "")
    guide = await feed_text(server.url, "/api/meetings.json", FORWARDED)
    assert f"{SITE}/rooms/tuesday-night" in guide and "http://" not in guide


@pytest.fixture
async def untrusted(serve: ServeFn) -> Served:
    return await serve(trusted_proxies=["10.255.255.1"])


async def test_from_an_untrusted_peer_forwarded_headers_change_nothing(
        untrusted: Served) -> None:
    # The browser's https Origin does not match the http request it really is.
    assert (await login_form(untrusted.url, {**FORWARDED, "Origin": SITE})).status == 403
    response = await login_form(untrusted.url, {**FORWARDED, "Origin": untrusted.url})
    assert response.status in (302, 303)
    assert "Secure" not in response.headers["Set-Cookie"]
    ics = await feed_text(untrusted.url, "/api/meetings.ics", FORWARDED)
    assert "meet.example.org" not in ics and f"{untrusted.url}/rooms/" in ics.replace("\r\n ", "")


async def socket_origin_status(url: str, origin: str, headers: dict[str, str]) -> int:
    async with aiohttp.ClientSession() as http, http.get(
            url + "/socket.io/?EIO=4&transport=polling",
            headers={**headers, "Origin": origin}) as response:
        return response.status


async def test_the_socket_origin_check_follows_the_proxy(server: Served,
                                                         untrusted: Served) -> None:
    assert await socket_origin_status(server.url, SITE, FORWARDED) == 200
    assert await socket_origin_status(server.url, "https://evil.example", FORWARDED) == 400
    # Spoofed headers from an untrusted peer do not make a foreign origin ours.
    assert await socket_origin_status(untrusted.url, SITE, FORWARDED) == 400
    assert await socket_origin_status(untrusted.url, untrusted.url, FORWARDED) == 200


async def _login_statuses(url: str, forwarded_for: list[str]) -> list[int]:
    statuses = []
    async with aiohttp.ClientSession() as http:
        for i, address in enumerate(forwarded_for):
            async with http.post(url + "/api/login", headers={"X-Forwarded-For": address},
                                 json={"name": f"nobody-{i}", "passphrase": "guess"}) as r:
                statuses.append(r.status)
    return statuses


async def test_login_limits_count_the_address_a_trusted_proxy_forwarded(
        server: Served, untrusted: Served) -> None:
    # 10 wrong tries (the address bucket's burst) from one client behind the proxy use
    # up that client's tries only; another client behind the same proxy is still heard.
    behind = ["203.0.113.7"] * 11 + ["203.0.113.8"]
    assert await _login_statuses(server.url, behind) == [401] * 10 + [429, 401]
    # From a peer that is not a trusted proxy the header is ignored: one address.
    assert (await _login_statuses(untrusted.url, behind))[10:] == [429, 429]
