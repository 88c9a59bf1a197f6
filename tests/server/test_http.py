"""HTTP: pages with a strict CSP, login, the JSON API, health and metrics."""

from __future__ import annotations

import re

import aiohttp

from tests.helpers import FACILITATOR, PASSPHRASE, Served

CSP_START = "default-src 'self'"


async def test_pages_are_served_with_a_strict_csp(server: Served) -> None:
    async with aiohttp.ClientSession() as http:
        for path in ("/", "/rooms/open-circle", "/login"):
            async with http.get(server.url + path) as response:
                assert response.status == 200, path
                csp = response.headers["Content-Security-Policy"]
                assert csp.startswith(CSP_START) and "unsafe-inline" not in csp and "*" not in csp
                body = await response.text()
                # Nothing inline, nothing loaded from elsewhere (outbound links are fine).
                assert "<script>" not in body and " style=" not in body and "onclick" not in body
                assert not re.search(r"""src=["']?(https?:)?//""", body), path
                for link in re.findall(r"<link[^>]*>", body):
                    assert "//" not in link, link
        async with http.get(server.url + "/rooms/nowhere") as response:
            assert response.status == 404


async def test_room_page_and_index_show_rooms(server: Served) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(server.url + "/") as response:
            body = await response.text()
            assert "Open Circle" in body and "/rooms/open-circle" in body
        async with http.get(server.url + "/rooms/open-circle") as response:
            body = await response.text()
            assert 'data-room="open-circle"' in body
            assert "/static/vendor/socket.io.min.js" in body


async def test_static_files_and_socketio_client_are_served(server: Served) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(server.url + "/static/vendor/socket.io.min.js") as response:
            assert response.status == 200
            assert "io" in (await response.text())[:5000]
        async with http.get(server.url + "/static/app.css") as response:
            assert response.status == 200


async def test_api_login(server: Served) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(server.url + "/api/login",
                             json={"name": FACILITATOR, "passphrase": PASSPHRASE}) as response:
            body = await response.json()
            assert response.status == 200
            assert body["token"].startswith("f1.") and body["expires_at"].endswith("Z")
        wrong = {"name": FACILITATOR, "passphrase": "nope"}
        unknown = {"name": "Nobody", "passphrase": "nope"}
        answers = []
        for attempt in (wrong, unknown):
            async with http.post(server.url + "/api/login", json=attempt) as response:
                answers.append((response.status, await response.json()))
        # DESIGN §3's error shape; one answer whether or not the name exists.
        assert answers[0] == answers[1]
        assert answers[0][0] == 401 and answers[0][1]["error"]["code"] == "auth_failed"
        assert answers[0][1]["error"]["message"]
        for bad in ("not json", "[1, 2]"):
            async with http.post(server.url + "/api/login", data=bad) as response:
                body = await response.json()
                assert response.status == 400
                assert body["error"]["code"] == "invalid" and body["error"]["field"] == "body"


async def test_login_form_sets_httponly_cookie_and_logout_clears_it(server: Served) -> None:
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        async with http.post(server.url + "/login", allow_redirects=False,
                             headers={"Origin": server.url}, data={
                "name": FACILITATOR, "passphrase": PASSPHRASE,
                "next": "/rooms/open-circle"}) as response:
            assert response.status == 303
            assert response.headers["Location"] == "/rooms/open-circle"
            cookie = response.headers["Set-Cookie"]
            assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        async with http.get(server.url + "/rooms/open-circle") as response:
            assert f'data-facilitator="{FACILITATOR}"' in await response.text()
        async with http.post(server.url + "/logout", allow_redirects=False,
                             headers={"Origin": server.url}) as response:
            assert response.status == 303
        async with http.get(server.url + "/rooms/open-circle") as response:
            assert 'data-facilitator=""' in await response.text()


async def test_login_form_refuses_bad_passphrase_open_redirect_and_cross_site(
        server: Served) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(server.url + "/login", headers={"Origin": server.url}, data={
                "name": FACILITATOR, "passphrase": "wrong"}) as response:
            assert response.status == 401
            assert "match" in await response.text()
        async with http.post(server.url + "/login", allow_redirects=False,
                             headers={"Origin": server.url}, data={
                "name": FACILITATOR, "passphrase": PASSPHRASE,
                "next": "//evil.example"}) as response:
            assert response.headers["Location"] == "/"
        async with http.post(server.url + "/login", headers={"Origin": "https://evil.example"},
                             data={"name": FACILITATOR, "passphrase": PASSPHRASE}) as response:
            assert response.status == 403


async def test_login_is_rate_limited(server: Served) -> None:
    async with aiohttp.ClientSession() as http:
        statuses = []
        for _ in range(7):
            async with http.post(server.url + "/api/login", json={
                    "name": FACILITATOR, "passphrase": "guess"}) as response:
                statuses.append(response.status)
                retry_after = response.headers.get("Retry-After")
        async with http.post(server.url + "/api/login", json={
                "name": FACILITATOR, "passphrase": PASSPHRASE}) as response:
            # Guessing costs time: even the right passphrase waits until the delay is over
            # (tests/server/test_http_hardening.py shows it then gets in).
            assert response.status == 429
            assert response.headers["Retry-After"].isdigit()
            error = (await response.json())["error"]
            assert error["code"] == "rate_limited" and error["retry_after"] > 0
    assert statuses[:4] == [401] * 4 and statuses[-1] == 429 and retry_after is not None


async def test_api_rooms(server: Served) -> None:
    async with aiohttp.ClientSession() as http, http.get(server.url + "/api/rooms") as response:
        rooms = await response.json()
    assert [r["id"] for r in rooms] == ["open-circle", "tuesday-night"]
    assert set(rooms[0]) == {"id", "title", "kind", "status", "members", "next_start",
                             "timezone"}
    assert rooms[0]["status"] == "open" and rooms[1]["status"] == "closed"
    assert rooms[1]["timezone"] == "America/Chicago"


async def test_health_ready_metrics(server: Served) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(server.url + "/healthz") as response:
            assert response.status == 200
        async with http.get(server.url + "/readyz") as response:
            assert response.status == 200
        async with http.get(server.url + "/metrics") as response:
            text = await response.text()
            assert "peer_rooms_connections" in text and "peer_rooms_messages_total" in text


async def test_cross_origin_socket_is_refused(server: Served) -> None:
    async with aiohttp.ClientSession() as http, http.get(
            server.url + "/socket.io/?EIO=4&transport=polling",
            headers={"Origin": "https://evil.example"}) as response:
        assert response.status == 400
    async with aiohttp.ClientSession() as http, http.get(
            server.url + "/socket.io/?EIO=4&transport=polling",
            headers={"Origin": server.url}) as response:
        assert response.status == 200


async def test_meeting_feeds(server: Served) -> None:
    import icalendar

    async with aiohttp.ClientSession() as http:
        async with http.get(server.url + "/api/meetings.ics") as response:
            assert response.status == 200
            assert response.content_type == "text/calendar"
            calendar = icalendar.Calendar.from_ical(await response.read())
        async with http.get(server.url + "/api/meetings.json") as response:
            items = await response.json()
        async with http.get(server.url + "/api/rooms") as response:
            rooms = await response.json()
    events = [e for e in calendar.walk("VEVENT")]
    assert len(events) == 1 and str(events[0]["SUMMARY"]) == "Tuesday Night Recovery"
    assert events[0]["DTSTART"].params["TZID"] == "America/Chicago"
    assert events[0]["RRULE"]["BYDAY"] == ["TU"]
    assert [(i["day"], i["time"], i["timezone"]) for i in items] == \
        [(2, "19:00", "America/Chicago")]
    assert items[0]["conference_url"] == server.url + "/rooms/tuesday-night"
    meeting = next(r for r in rooms if r["id"] == "tuesday-night")
    assert meeting["next_start"].endswith("Z")
