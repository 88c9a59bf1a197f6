"""The admin console's page (who may see it) and the invite link's page."""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.helpers import (
    CO_FACILITATOR,
    CO_PASSPHRASE,
    FACILITATOR,
    PASSPHRASE,
    Clock,
    ServeFn,
    _hash,
    login,
)

NEW_PASSPHRASE = "a brand new passphrase"


def admin_config() -> dict[str, Any]:
    return {"facilitators": [
        {"name": FACILITATOR, "passphrase_hash": _hash(PASSPHRASE), "admin": True},
        {"name": CO_FACILITATOR, "passphrase_hash": _hash(CO_PASSPHRASE)},
    ]}


async def cookie_session(url: str, name: str, passphrase: str) -> aiohttp.ClientSession:
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with http.post(url + "/login", allow_redirects=False, headers={"Origin": url},
                         data={"name": name, "passphrase": passphrase}) as response:
        assert response.status == 303
    return http


async def invite(url: str, name: str = "Jo") -> str:
    token = await login(url)
    async with aiohttp.ClientSession() as http, http.post(
            url + "/api/admin/facilitators", json={"name": name, "admin": False},
            headers={"Authorization": f"Bearer {token}"}) as response:
        assert response.status == 201, await response.text()
        invite_url: str = (await response.json())["invite_url"]
    return invite_url.removeprefix(url)


async def test_admin_page_needs_an_admin_sign_in(serve: ServeFn) -> None:
    served = await serve(**admin_config())
    async with aiohttp.ClientSession() as http, http.get(
            served.url + "/admin", allow_redirects=False) as response:
        assert response.status == 303
        assert response.headers["Location"] == "/login?next=/admin"
    http = await cookie_session(served.url, CO_FACILITATOR, CO_PASSPHRASE)
    async with http, http.get(served.url + "/admin") as response:
        assert response.status == 403
        assert "is not an admin facilitator" in " ".join((await response.text()).split())
    http = await cookie_session(served.url, FACILITATOR, PASSPHRASE)
    async with http, http.get(served.url + "/admin") as response:
        assert response.status == 200
        page = await response.text()
        assert '<script type="module" src="/static/admin.js">' in page
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert "<style" not in page and "onclick" not in page


async def test_invite_link_sets_a_passphrase_once(serve: ServeFn) -> None:
    served = await serve(**admin_config())
    path = await invite(served.url)
    async with aiohttp.ClientSession() as http:
        async with http.get(served.url + path) as response:
            assert response.status == 200
            assert "Welcome, Jo" in await response.text()
            assert response.headers["Cache-Control"] == "no-store"
        form = {"passphrase": NEW_PASSPHRASE, "passphrase_again": NEW_PASSPHRASE}
        async with http.post(served.url + path, data=form,
                             headers={"Origin": "https://evil.example"}) as response:
            assert response.status == 403
        async with http.post(served.url + path, headers={"Origin": served.url},
                             data={"passphrase": NEW_PASSPHRASE, "passphrase_again": "other"}
                             ) as response:
            assert response.status == 400
            assert "not the same" in await response.text()
        async with http.post(served.url + path, headers={"Origin": served.url},
                             data={"passphrase": "short", "passphrase_again": "short"}
                             ) as response:
            assert response.status == 400
            assert "at least 10 characters" in await response.text()
        async with http.post(served.url + path, data=form, allow_redirects=False,
                             headers={"Origin": served.url}) as response:
            assert response.status == 303
            assert response.headers["Location"] == "/login?invited=1&name=Jo"
        async with http.get(served.url + "/login?invited=1&name=Jo") as response:
            page = await response.text()
            assert "Your passphrase is set" in page and 'value="Jo"' in page
        # Used: the link is gone, and the passphrase it set is the one that works.
        async with http.post(served.url + path, data=form,
                             headers={"Origin": served.url}) as response:
            assert response.status == 410
        async with http.get(served.url + path) as response:
            assert response.status == 410
            assert "no longer works" in await response.text()
    assert await login(served.url, "Jo", NEW_PASSPHRASE)


async def test_invite_link_expires_after_a_day(serve: ServeFn, clock: Clock) -> None:
    served = await serve(**admin_config())
    path = await invite(served.url)
    clock.advance(24 * 3600 + 1)
    async with aiohttp.ClientSession() as http:
        async with http.get(served.url + path) as response:
            assert response.status == 410
        async with http.post(served.url + path, headers={"Origin": served.url}, data={
                "passphrase": NEW_PASSPHRASE, "passphrase_again": NEW_PASSPHRASE}) as response:
            assert response.status == 410
        async with http.get(served.url + "/invite/not-a-token") as response:
            assert response.status == 410
