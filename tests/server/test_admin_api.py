"""The admin API of DESIGN §3, driven over HTTP against a real server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from moderation.audit import new_entry
from server.keys import ROOMS
from tests.helpers import (
    CO_FACILITATOR,
    CO_PASSPHRASE,
    FACILITATOR,
    PASSPHRASE,
    ClientFactory,
    Served,
    ServeFn,
    base_config,
    login,
)
from tests.helpers import _hash as hashed

MEETING = {"id": "thursday-night", "title": "Thursday Night", "kind": "meeting",
           "timezone": "America/New_York", "weekly": ["thu 20:00"], "duration": "60m",
           "hosts": [FACILITATOR], "description": "Open share.", "types": ["O", "D"]}


def admin_config(**overrides: Any) -> dict[str, Any]:
    return base_config(facilitators=[
        {"name": FACILITATOR, "passphrase_hash": hashed(PASSPHRASE), "admin": True},
        {"name": CO_FACILITATOR, "passphrase_hash": hashed(CO_PASSPHRASE)},
    ], **overrides)


class Api:
    def __init__(self, served: Served, http: aiohttp.ClientSession, token: str | None) -> None:
        self.url, self.http, self.token = served.url, http, token

    async def call(self, method: str, path: str, body: Any = None,
                   token: str | None = "default") -> tuple[int, Any]:
        token = self.token if token == "default" else token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.http.request(method, f"{self.url}{path}", json=body,
                                     headers=headers) as response:
            data = await response.json() if response.status != 204 else None
            return response.status, data


@pytest.fixture
def backend() -> str:
    return ""  # the API's records do not depend on the live store: memory is enough


@pytest.fixture
async def api(serve: ServeFn) -> AsyncIterator[Api]:
    served = await serve(**admin_config())
    async with aiohttp.ClientSession() as http:
        yield Api(served, http, await login(served.url))


async def test_room_records_list_provisioned_rooms_read_only(api: Api) -> None:
    status, rooms = await api.call("GET", "/api/admin/rooms")
    assert status == 200
    by_id = {r["id"]: r for r in rooms}
    assert by_id["open-circle"]["source"] == "config"
    assert by_id["tuesday-night"]["weekly"] == ["tue 19:00"]
    assert by_id["tuesday-night"]["updated_at"].endswith("Z")
    status, body = await api.call("PUT", "/api/admin/rooms/open-circle",
                                  {**by_id["open-circle"], "title": "Renamed"})
    assert (status, body["error"]["code"]) == (409, "provisioned")
    status, body = await api.call("DELETE", "/api/admin/rooms/open-circle")
    assert (status, body["error"]["code"]) == (409, "provisioned")


async def test_create_a_meeting_and_it_is_served(api: Api) -> None:
    status, stored = await api.call("POST", "/api/admin/rooms", MEETING)
    assert status == 201, stored
    assert stored["source"] == "console" and stored["weekly"] == ["thu 20:00"]
    assert stored["doors_open"] == "15m"  # defaults spelled out
    status, listing = await api.call("GET", "/api/rooms", token=None)
    assert "thursday-night" in {r["id"] for r in listing}
    async with api.http.get(f"{api.url}/api/meetings.json") as response:
        slugs = {i["slug"] for i in await response.json()}
    assert any(s.startswith("thursday-night") for s in slugs)
    async with api.http.get(f"{api.url}/rooms/thursday-night") as response:
        assert response.status == 200
    status, again = await api.call("POST", "/api/admin/rooms", MEETING)
    assert (status, again["error"]["code"]) == (409, "exists")


@pytest.mark.parametrize(("change", "field"), [
    ({"weekly": ["thu 20:00", "someday"]}, "weekly[1]"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"id": "Not A Slug"}, "id"),
    ({"hosts": ["Nobody"]}, "hosts[0]"),
    ({"format": "missing"}, "format"),
    ({"capacity": 0}, "capacity"),
    ({"kind": "party"}, "kind"),
    ({"types": ["XYZ"]}, "types[0]"),
    ({"surprise": 1}, "surprise"),
    ({"blocked_terms": [{"term": "a"}, {"term": "b", "action": "nope"}]},
     "blocked_terms[1].action"),
])
async def test_an_invalid_room_is_400_naming_the_field_and_nothing_is_stored(
        api: Api, change: dict[str, Any], field: str) -> None:
    status, body = await api.call("POST", "/api/admin/rooms", {**MEETING, **change})
    assert status == 400, body
    assert body["error"]["code"] == "invalid"
    assert body["error"]["field"] == field
    _, rooms = await api.call("GET", "/api/admin/rooms")
    assert len(rooms) == 2
    _, audit = await api.call("GET", "/api/admin/audit")
    assert [e["action"] for e in audit] == ["config.provision"]  # only the start's


async def test_not_json_is_400(api: Api) -> None:
    async with api.http.post(f"{api.url}/api/admin/rooms", data=b"{nope",
                             headers={"Authorization": f"Bearer {api.token}"}) as response:
        assert response.status == 400
        assert (await response.json())["error"]["field"] == "body"


async def test_a_stale_edit_is_409(api: Api) -> None:
    _, created = await api.call("POST", "/api/admin/rooms", MEETING)
    status, first = await api.call("PUT", "/api/admin/rooms/thursday-night",
                                   {**created, "title": "First edit"})
    assert status == 200 and first["title"] == "First edit"
    status, body = await api.call("PUT", "/api/admin/rooms/thursday-night",
                                  {**created, "title": "From the old copy"})
    assert (status, body["error"]["code"]) == (409, "stale")
    status, body = await api.call("PUT", "/api/admin/rooms/thursday-night",
                                  {**first, "id": "other"})
    assert (status, body["error"]["field"]) == (400, "id")


async def test_deleting_a_meeting_in_session_closes_it_first(
        serve: ServeFn, clients: ClientFactory) -> None:
    served = await serve(**admin_config())
    token = await login(served.url)
    async with aiohttp.ClientSession() as http:
        api = Api(served, http, token)
        await api.call("POST", "/api/admin/rooms", MEETING)
        host = await clients(served.url, token=token)
        await host.ok("join", {"room": "thursday-night"})
        await host.ok("mod", {"room": "thursday-night", "action": "open"})
        member = await clients(served.url)
        await member.ok("join", {"room": "thursday-night", "handle": "River"})
        status, _ = await api.call("DELETE", "/api/admin/rooms/thursday-night")
        assert status == 204
        state = await member.wait_for("room_state", lambda s: s["status"] == "closed")
        assert state["room"] == "thursday-night"
        assert await member.error("join", {"room": "thursday-night", "handle": "River"}) \
            == "not_found"
        status, _ = await api.call("GET", "/api/admin/rooms/thursday-night")
        assert status == 404


async def test_auth_401_and_non_admin_403(api: Api) -> None:
    status, body = await api.call("GET", "/api/admin/rooms", token=None)
    assert (status, body["error"]["code"]) == (401, "auth_failed")
    status, body = await api.call("GET", "/api/admin/rooms", token="forged.token.x")
    assert status == 401
    co = await login(api.url, CO_FACILITATOR, CO_PASSPHRASE)
    status, body = await api.call("POST", "/api/admin/rooms", MEETING, token=co)
    assert (status, body["error"]["code"]) == (403, "forbidden")
    _, rooms = await api.call("GET", "/api/admin/rooms")
    assert "thursday-night" not in {r["id"] for r in rooms}


async def test_cookie_writes_need_the_same_origin(api: Api) -> None:
    cookies = {"peer_rooms_session": str(api.token)}
    async with aiohttp.ClientSession(cookies=cookies) as browser:
        async with browser.get(f"{api.url}/api/admin/rooms") as response:
            assert response.status == 200
        async with browser.post(f"{api.url}/api/admin/rooms", json=MEETING,
                                headers={"Origin": "https://evil.example"}) as response:
            assert response.status == 403
        async with browser.post(f"{api.url}/api/admin/rooms", json=MEETING,
                                headers={"Origin": api.url}) as response:
            assert response.status == 201


async def test_invite_sets_a_passphrase_once_and_then_logs_in(api: Api) -> None:
    status, invite = await api.call("POST", "/api/admin/facilitators",
                                    {"name": "Robin", "admin": False})
    assert status == 201, invite
    assert invite["name"] == "Robin" and "/invite/" in invite["invite_url"]
    assert invite["expires_at"].endswith("Z")
    _, people = await api.call("GET", "/api/admin/facilitators")
    robin = next(p for p in people if p["name"] == "Robin")
    assert robin["source"] == "console" and robin["admin"] is False
    assert all("hash" not in key for p in people for key in p)
    status, again = await api.call("POST", "/api/admin/facilitators", {"name": "Robin"})
    assert (status, again["error"]["code"]) == (409, "exists")
    status, bad = await api.call("POST", "/api/admin/facilitators", {"name": "x"})
    assert (status, bad["error"]["field"]) == (400, "name")
    status, _ = await api.call("DELETE", f"/api/admin/facilitators/{FACILITATOR}")
    assert status == 409


async def test_revoking_a_facilitator_ends_their_token_and_socket(
        serve: ServeFn, clients: ClientFactory) -> None:
    served = await serve(**admin_config())
    admin_token = await login(served.url)
    async with aiohttp.ClientSession() as http:
        api = Api(served, http, admin_token)
        _, invite = await api.call("POST", "/api/admin/facilitators", {"name": "Robin"})
        token = invite["invite_url"].rsplit("/", 1)[1]
        # The invite is accepted through the domain here; the page has its own tests.
        rooms = served.server.app
        await rooms[ROOMS].admin.accept_invite(token, "a long enough passphrase")
        robin = await login(served.url, "Robin", "a long enough passphrase")
        staff = await clients(served.url, token=robin)
        await staff.ok("join", {"room": "open-circle"})
        status, _ = await api.call("DELETE", "/api/admin/facilitators/Robin")
        assert status == 204
        await staff.wait_for("__disconnect__")
        status, _ = await api.call("GET", "/api/admin/rooms", token=robin)
        assert status == 401
        async with http.post(f"{served.url}/api/login",
                             json={"name": "Robin",
                                   "passphrase": "a long enough passphrase"}) as response:
            assert response.status == 401


async def test_removing_a_facilitator_keeps_the_rooms_they_hosted(api: Api) -> None:
    # A room record naming someone who is no longer a facilitator would fail its own
    # check and drop out of the schedule; removing them takes them off it instead.
    await api.call("POST", "/api/admin/facilitators", {"name": "Robin"})
    hosted = {**MEETING, "hosts": ["Robin", FACILITATOR], "facilitators": ["Robin"]}
    status, stored = await api.call("POST", "/api/admin/rooms", hosted)
    assert status == 201, stored
    other = {**MEETING, "id": "friday-night", "hosts": [FACILITATOR], "facilitators": None}
    status, untouched = await api.call("POST", "/api/admin/rooms", other)
    assert status == 201, untouched
    status, _ = await api.call("DELETE", "/api/admin/facilitators/Robin")
    assert status == 204
    status, room = await api.call("GET", f"/api/admin/rooms/{MEETING['id']}")
    assert status == 200, room
    # An empty list still means "only its hosts": nobody gains a room by a removal.
    assert (room["hosts"], room["facilitators"]) == ([FACILITATOR], [])
    assert room["updated_at"] != stored["updated_at"]
    _, same = await api.call("GET", "/api/admin/rooms/friday-night")
    assert same["updated_at"] == untouched["updated_at"]
    async with api.http.get(f"{api.url}/api/rooms") as response:
        assert MEETING["id"] in [r["id"] for r in await response.json()]
    _, audit = await api.call("GET", "/api/admin/audit")
    removal = next(e for e in audit if e["action"] == "facilitator.delete")
    assert removal["detail"] == {"rooms": [MEETING["id"]]}


async def test_formats_and_resources(api: Api) -> None:
    status, fmt = await api.call("GET", "/api/admin/formats/default")
    assert status == 200 and fmt["phases"][0]["name"] == "opening"
    assert fmt["source"] == "config"
    # Read-only as it says: a PUT would change every room that names no format.
    status, refused = await api.call("PUT", "/api/admin/formats/default", {
        "share_minutes": 5, "phases": [{"name": "a", "chat": False}]})
    assert (status, refused["error"]["code"]) == (409, "provisioned")
    status, fmt = await api.call("GET", "/api/admin/formats/default")
    assert fmt["phases"][0]["name"] == "opening" and fmt["source"] == "config"
    status, stored = await api.call("PUT", "/api/admin/formats/step-study", {
        "share_minutes": 5, "phases": [{"name": "reading", "chat": False},
                                       {"name": "shares", "chat": False}]})
    assert status == 200, stored
    assert stored["source"] == "console" and stored["share_minutes"] == 5
    status, bad = await api.call("PUT", "/api/admin/formats/step-study",
                                 {"share_minutes": 500, "phases": [{"name": "a"}]})
    assert (status, bad["error"]["field"]) == (400, "share_minutes")
    status, created = await api.call("POST", "/api/admin/rooms",
                                     {**MEETING, "format": "step-study"})
    assert status == 201, created
    # The list itself, as DESIGN §3 has it; where it comes from in headers.
    async with api.http.get(f"{api.url}/api/admin/resources",
                            headers={"Authorization": f"Bearer {api.token}"}) as response:
        res = await response.json()
        assert response.headers["X-Record-Source"] == "default"
        assert "X-Record-Updated-At" not in response.headers
    assert isinstance(res, list) and res[0]["name"].startswith("988")
    status, res = await api.call("PUT", "/api/admin/resources", [
        {"name": "Local line", "contact": "Call 555", "crisis": True}])
    assert status == 200 and [r["name"] for r in res] == ["Local line"]
    async with api.http.get(f"{api.url}/api/admin/resources",
                            headers={"Authorization": f"Bearer {api.token}"}) as response:
        assert response.headers["X-Record-Source"] == "console"
        saved_at = response.headers["X-Record-Updated-At"]
        assert [r["name"] for r in await response.json()] == ["Local line"]
    # The console's form: the list and the time it was edited from, told `stale` after
    # someone else saved.
    status, res = await api.call("PUT", "/api/admin/resources", {"resources": [
        {"name": "Other line", "contact": "Call 556"}], "updated_at": saved_at})
    assert status == 200 and [r["name"] for r in res] == ["Other line"]
    status, stale = await api.call("PUT", "/api/admin/resources", {"resources": [
        {"name": "Third line", "contact": "Call 557"}], "updated_at": saved_at})
    assert (status, stale["error"]["code"]) == (409, "stale")
    status, bad = await api.call("PUT", "/api/admin/resources", {"resources": [
        {"name": "No contact"}]})
    assert (status, bad["error"]["field"]) == (400, "resources[0].contact")


async def test_a_format_no_room_uses_can_be_deleted(serve: ServeFn) -> None:
    config = admin_config(formats={"from-file": {"share_minutes": 4, "phases": [
        {"name": "open", "chat": True}]}})
    served = await serve(**config)
    async with aiohttp.ClientSession() as http:
        api = Api(served, http, await login(served.url))
        shape = {"share_minutes": 3, "hold_chat_during_share": False,
                 "phases": [{"name": "open", "chat": True}]}
        assert (await api.call("PUT", "/api/admin/formats/step-study", shape))[0] == 200
        status, room = await api.call("POST", "/api/admin/rooms",
                                      {**MEETING, "format": "step-study"})
        assert status == 201, room
        # In use: refused, naming the room, and nothing changes.
        status, body = await api.call("DELETE", "/api/admin/formats/step-study")
        assert (status, body["error"]["code"]) == (409, "in_use")
        assert MEETING["id"] in body["error"]["message"]
        assert (await api.call("GET", "/api/admin/formats/step-study"))[0] == 200
        status, _ = await api.call("PUT", f"/api/admin/rooms/{MEETING['id']}",
                                   {**room, "format": None})
        assert status == 200
        assert (await api.call("DELETE", "/api/admin/formats/step-study"))[0] == 204
        status, body = await api.call("GET", "/api/admin/formats/step-study")
        assert (status, body["error"]["code"]) == (404, "not_found")
        _, names = await api.call("GET", "/api/admin/formats")
        assert "step-study" not in [f["name"] for f in names]
        for name, code in (("step-study", (404, "not_found")), ("default", (409, "provisioned")),
                           ("from-file", (409, "provisioned"))):
            status, body = await api.call("DELETE", f"/api/admin/formats/{name}")
            assert (status, body["error"]["code"]) == code, name
        _, entries = await api.call("GET", "/api/admin/audit")
        assert ("format.delete", "step-study") in [(e["action"], e["target"]) for e in entries]


async def test_a_room_naming_a_format_that_is_gone_runs_in_the_default(
        serve: ServeFn) -> None:
    # The API refuses to delete a format in use, but a room saved on another process at
    # that moment (or a config reload) can leave one naming it: it keeps its meeting.
    served = await serve(**admin_config())
    rooms = served.server.app[ROOMS]
    async with aiohttp.ClientSession() as http:
        api = Api(served, http, await login(served.url))
        shape = {"share_minutes": 7, "hold_chat_during_share": False,
                 "phases": [{"name": "open", "chat": True}]}
        await api.call("PUT", "/api/admin/formats/step-study", shape)
        status, _ = await api.call("POST", "/api/admin/rooms",
                                   {**MEETING, "format": "step-study"})
        assert status == 201
        assert rooms.core.format_of(rooms.catalog.room(MEETING["id"])).share_minutes == 7
        await rooms.core.records.delete_document("formats", "step-study", new_entry(
            entry_id="race", now=rooms.core.clock(), actor=FACILITATOR,
            action="format.delete", target="step-study"))
        await rooms.admin._applied()
        room = rooms.catalog.room(MEETING["id"])
        assert room is not None and room.format is None
        assert rooms.core.format_of(room).share_minutes == 3  # the built-in default
        async with http.get(f"{served.url}/api/rooms") as response:
            assert MEETING["id"] in [r["id"] for r in await response.json()]
        # A record whose format is not a name at all (a hand-edited row) is left out
        # alone; the catalog still builds, every other room with it.
        await rooms.core.records.create_document(
            "rooms", "odd", {**MEETING, "id": "odd", "format": ["x"]}, new_entry(
                entry_id="odd", now=rooms.core.clock(), actor=FACILITATOR,
                action="room.create", target="odd"))
        await rooms.admin._applied()
        assert rooms.catalog.room("odd") is None
        assert rooms.catalog.room(MEETING["id"]) is not None


async def test_the_site_audit_says_who_changed_what_newest_first(api: Api) -> None:
    await api.call("POST", "/api/admin/rooms", MEETING)
    _, created = await api.call("GET", "/api/admin/rooms/thursday-night")
    await api.call("PUT", "/api/admin/rooms/thursday-night", {**created, "title": "T"})
    await api.call("DELETE", "/api/admin/rooms/thursday-night")
    status, entries = await api.call("GET", "/api/admin/audit")
    assert status == 200
    assert [(e["actor"], e["action"], e["target"]) for e in entries] == [
        (FACILITATOR, "room.delete", "thursday-night"),
        (FACILITATOR, "room.update", "thursday-night"),
        (FACILITATOR, "room.create", "thursday-night"),
        ("config file", "config.provision", None)]
    # What the file provisioned at start, by key: names, never a hash.
    assert entries[-1]["detail"] == {"rooms": ["open-circle", "tuesday-night"],
                                     "facilitators": [FACILITATOR, CO_FACILITATOR]}


async def test_feeds_follow_each_room_records_edits(api: Api) -> None:
    from datetime import UTC, datetime

    from icalendar import Calendar

    async def feeds() -> tuple[dict[str, Any], dict[str, str]]:
        async with api.http.get(f"{api.url}/api/meetings.ics") as response:
            calendar = Calendar.from_ical(await response.read())
        async with api.http.get(f"{api.url}/api/meetings.json") as response:
            updated = {i["slug"]: i["updated"] for i in await response.json()}
        return {str(e["UID"]).split("-")[0]: e for e in calendar.walk("VEVENT")}, updated

    _, created = await api.call("POST", "/api/admin/rooms", MEETING)
    events, _ = await feeds()
    assert int(events["thursday"]["SEQUENCE"]) == 0
    before_other = events["tuesday"].decoded("LAST-MODIFIED")
    _, edited = await api.call("PUT", "/api/admin/rooms/thursday-night",
                               {**created, "weekly": ["thu 20:30"]})
    events, updated = await feeds()
    thursday = events["thursday"]
    assert int(thursday["SEQUENCE"]) == 1
    at = datetime.fromisoformat(edited["updated_at"].replace("Z", "+00:00"))
    assert thursday.decoded("LAST-MODIFIED") == at.replace(microsecond=0).astimezone(UTC)
    assert events["tuesday"].decoded("LAST-MODIFIED") == before_other  # not edited
    assert updated["thursday-night-thu-2030"] == f"{at:%Y-%m-%d %H:%M:%S}"


async def test_a_facilitator_taken_off_a_room_cannot_act_in_it(
        serve: ServeFn, clients: ClientFactory) -> None:
    served = await serve(**admin_config())
    async with aiohttp.ClientSession() as http:
        api = Api(served, http, await login(served.url))
        room = {"id": "side-room", "title": "Side Room", "kind": "drop-in",
                "facilitators": [CO_FACILITATOR]}
        status, stored = await api.call("POST", "/api/admin/rooms", room)
        assert status == 201, stored
        co = await clients(served.url,
                           token=await login(served.url, CO_FACILITATOR, CO_PASSPHRASE))
        assert (await co.ok("join", {"room": "side-room"}))["member"]["role"] == "facilitator"
        member = await clients(served.url)
        target = (await member.ok("join", {"room": "side-room", "handle": "River"}))
        status, _ = await api.call("PUT", "/api/admin/rooms/side-room", {
            **room, "facilitators": [FACILITATOR], "title": "Side Room, edited",
            "updated_at": stored["updated_at"]})
        assert status == 200
        await co.wait_for("room_state", lambda s: s.get("title") == "Side Room, edited")
        refused = await co.call("mod", {"room": "side-room", "action": "mute",
                                        "member_id": target["member"]["id"]})
        assert (refused["ok"], refused["error"]["code"]) == (False, "forbidden")
