"""A seat a facilitator's login gave comes back only to that login, still facilitating
the room: a resume token outlives a logout, and a page resumes on its own."""

from __future__ import annotations

import aiohttp

from tests.helpers import ClientFactory, Served, login

ROOM = "open-circle"


async def _logout(url: str, token: str) -> None:
    async with aiohttp.ClientSession() as http, http.post(
            f"{url}/logout", headers={"Authorization": f"Bearer {token}"}) as response:
        assert response.status < 400


async def test_a_resume_after_logout_is_not_staff(server: Served,
                                                  connect: ClientFactory) -> None:
    token = await login(server.url)
    staff = await connect(token=token)
    joined = await staff.ok("join", {"room": ROOM})
    assert joined["member"]["role"] in ("facilitator", "host")
    member = await connect()
    target = (await member.ok("join", {"room": ROOM, "handle": "River"}))["member"]["id"]
    await _logout(server.url, token)
    await staff.wait_for("__disconnect__")

    # The same browser, no login now: the page resumes with the token it kept.
    again = await connect(device=staff.device)
    answer = await again.call("join", {"room": ROOM, "resume": {
        "member_token": joined["member_token"], "last_seq": 0}})
    assert not answer.get("ok") or answer["member"]["role"] == "member", answer
    refused = await again.call("mod", {"room": ROOM, "action": "ban", "member_id": target})
    assert refused["ok"] is False
    assert refused["error"]["code"] in ("forbidden", "not_member")
    assert (await member.ok("send", {"room": ROOM, "text": "still here", "client_id": "1"}))


async def test_a_resume_with_the_login_still_good_is_staff(server: Served,
                                                           connect: ClientFactory) -> None:
    token = await login(server.url)
    staff = await connect(token=token)
    joined = await staff.ok("join", {"room": ROOM})
    await staff.close()
    back = await connect(device=staff.device, token=token)
    answer = await back.ok("join", {"room": ROOM, "resume": {
        "member_token": joined["member_token"], "last_seq": 0}})
    assert answer["member"]["id"] == joined["member"]["id"]
    assert answer["member"]["role"] == joined["member"]["role"]
    assert "bans" in await back.ok("mod", {"room": ROOM, "action": "bans"})
