"""Meetings in a real browser.

1. Schedule → waiting room → opened by the clock → raise a hand → called to share with a
   timer → share ended.
2. A room that admits by hand: the host opens it, admits one person, then everyone, and
   calls someone from the member list.

The first test's server is a real process on an accelerated clock
(`PEER_ROOMS_CLOCK="start,speed"`): it starts at Tuesday 18:50 in Chicago, inside the
doors-open window of "tuesday-night" (weekly "tue 19:00" America/Chicago, doors 15 min
before), and runs 60 times faster, so the meeting opens about ten real seconds in.
Nothing sleeps: every step waits for what the page shows. Both browsers are in
Chicago, so "7:00 PM" is the meeting's local start.

DOM hooks (web/templates/index.html, room.html): `#today-meetings li[data-room-id]`
with `.meeting-badge`; `#lobby-section` (`#lobby-when`, `#lobby-welcome`);
`#status-phase`, `#status-chat`; `#queue li[data-member-id]`; `#lobby li[data-member-id]`
(staff); `#members li[data-member-id]`; `#share-panel` with `#share-who` and the
role=timer `#share-timer`. Controls are found by role and label.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.e2e.pages import assert_clean, join, message, new_page, say, sign_in
from tests.helpers import LiveServer, StartProcess, base_config

pytestmark = pytest.mark.e2e

ROOM = "tuesday-night"
TITLE = "Tuesday Night Recovery"
START = "2026-11-25T00:50:00+00:00"  # Tuesday 18:50 in Chicago: the doors are open
SPEED = 60  # a real second is a meeting minute
ZONE = "America/Chicago"
WELCOME = "Welcome to Tuesday Night. This is a safe, anonymous space."
OPENS = 30_000  # ms: generous, the clock opens the meeting ~10 s after the server starts


@pytest.fixture
def meeting_server(server_process: StartProcess) -> LiveServer:
    config = base_config(formats={"share-round": {
        # 60 meeting minutes are one real minute: the share outlasts the test.
        "share_minutes": 60,
        "phases": [
            {"name": "opening", "chat": True, "pin": WELCOME},
            {"name": "shares", "chat": False},
            {"name": "discussion", "chat": True},
        ],
    }})
    for room in config["rooms"]:
        if room["id"] == ROOM:
            room.update(format="share-round", duration="4h")
    start = datetime.fromisoformat(START).timestamp()
    return server_process(config, env={"PEER_ROOMS_CLOCK": f"{start},{SPEED}"})


def test_a_meeting_from_the_waiting_room_to_a_share(
        browser: Browser, people: list[BrowserContext], meeting_server: LiveServer) -> None:
    server = meeting_server
    local = {"timezone_id": ZONE, "locale": "en-US"}
    member, member_watch = new_page(browser, people, **local)
    facilitator, facilitator_watch = new_page(browser, people, **local)

    # The schedule: tonight's meeting is under "Today", doors open.
    member.goto(server.url)
    card = member.locator("#today-meetings li[data-room-id]", has_text=TITLE).first
    expect(card.locator(".meeting-badge")).to_have_text("Doors open")
    expect(card.locator("time").first).to_have_text("7:00 PM")
    card.get_by_role("link", name=TITLE).click()
    member.wait_for_url(f"{server.url}/rooms/{ROOM}")
    sign_in(facilitator, server, f"/rooms/{ROOM}")

    # River waits in the lobby and reads the pinned welcome.
    member.get_by_label("Your name in this room").fill("River")
    member.get_by_role("button", name="Join", exact=True).click()
    lobby = member.locator("#lobby-section")
    expect(lobby.get_by_role("heading", name="You're in the waiting room")).to_be_visible()
    expect(lobby.locator("#lobby-when")).to_have_text("The meeting opens at 7:00 PM.")
    expect(lobby.locator("#lobby-welcome")).to_contain_text(WELCOME)
    expect(lobby.get_by_role("button", name="Leave the waiting room")).to_be_visible()
    compose = member.get_by_label("Message", exact=True)
    expect(compose).to_be_hidden()

    # The host comes in before the meeting opens and sees River waiting.
    join(facilitator)
    waiting = facilitator.locator("#lobby li[data-member-id]", has_text="River")
    expect(waiting).to_be_visible()
    expect(waiting.get_by_role("button", name="Admit")).to_be_visible()

    # 19:00 in Chicago: the clock opens the meeting and River is let in.
    expect(compose).to_be_visible(timeout=OPENS)
    expect(lobby).to_be_hidden()
    expect(facilitator.locator("#lobby li[data-member-id]")).to_have_count(0)
    expect(member.locator("#status-phase")).to_have_text("Now: Opening")
    expect(member.locator("#status-chat")).to_have_text("Chat is open")
    say(member, "glad to be here")
    expect(message(facilitator, "glad to be here")).to_have_count(1)

    # A hand goes up; the host sees the queue.
    member.get_by_role("button", name="Raise hand to share").click()
    lower = member.get_by_role("button", name="Lower hand")
    expect(lower).to_have_attribute("aria-pressed", "true")
    expect(facilitator.locator("#queue li[data-member-id]", has_text="River")).to_be_visible()

    # The host moves to the shares (member chat pauses) and calls the next share.
    facilitator.get_by_label("Part of the meeting").select_option("shares")
    facilitator.get_by_role("button", name="Change").click()
    expect(member.locator("#status-phase")).to_have_text("Now: Shares")
    expect(member.locator("#status-chat")).to_have_text("Chat is paused for this part")
    facilitator.get_by_role("button", name="Call next").click()

    share = member.locator("#share-panel")
    expect(share.locator("#share-who")).to_have_text("It's your turn to share")
    expect(member.get_by_role("timer")).to_have_text(re.compile(r"^\d+:\d\d left"))
    expect(member.get_by_role("status")).to_contain_text("your turn to share")
    expect(member.get_by_role("button", name="Raise hand to share")).to_be_visible()
    expect(facilitator.locator("#share-who")).to_have_text("Now sharing: River")
    expect(facilitator.get_by_role("timer")).to_have_text(re.compile(r"\d+:\d\d left"))

    facilitator.get_by_role("button", name="End share").click()
    expect(share).to_be_hidden()
    expect(member.get_by_role("timer")).to_have_count(0)
    expect(facilitator.locator("#share-panel")).to_be_hidden()

    assert_clean(member, member_watch)
    assert_clean(facilitator, facilitator_watch)


@pytest.fixture
def by_hand_server(server_process: StartProcess) -> LiveServer:
    """The real clock and a meeting that admits by hand, with no weekly time (so it is
    closed until opened, whatever day the test runs)."""
    config = base_config()
    for room in config["rooms"]:
        if room["id"] == ROOM:
            room["admit_by_hand"] = True
            del room["weekly"], room["timezone"]
    return server_process(config)


def test_the_host_opens_the_meeting_and_admits_people(
        browser: Browser, people: list[BrowserContext], by_hand_server: LiveServer) -> None:
    server = by_hand_server
    host, host_watch = new_page(browser, people)
    sign_in(host, server, f"/rooms/{ROOM}")
    join(host)  # staff may enter a closed meeting, to open it
    expect(host.locator("#status-text")).to_have_text("Meeting · Closed")
    host.get_by_role("button", name="Open meeting").click()
    expect(host.locator("#status-text")).to_have_text("Meeting · Open")

    guests = []
    for handle in ("River", "Morgan", "Jordan"):
        page, watch = new_page(browser, people)
        page.goto(f"{server.url}/rooms/{ROOM}")
        page.get_by_label("Your name in this room").fill(handle)
        page.get_by_role("button", name="Join", exact=True).click()
        expect(page.locator("#lobby-when")).to_have_text(
            "The meeting has started. A facilitator will let you in soon.")
        guests.append((page, watch))

    waiting = host.locator("#lobby li[data-member-id]")
    expect(waiting).to_have_count(3)
    waiting.filter(has_text="River").get_by_role("button", name="Admit").click()
    expect(guests[0][0].get_by_label("Message", exact=True)).to_be_visible()
    expect(waiting).to_have_count(2)
    expect(guests[1][0].locator("#lobby-section")).to_be_visible()

    host.get_by_role("button", name="Admit everyone").click()
    for page, _ in guests[1:]:
        expect(page.get_by_label("Message", exact=True)).to_be_visible()
    expect(waiting).to_have_count(0)
    expect(host.get_by_text("Nobody is waiting.")).to_be_visible()
    expect(host.locator("#members li[data-member-id]")).to_have_count(4)
    # In the member list the host can call anyone to share, hand raised or not.
    host.locator("#members li", has_text="Jordan").get_by_role(
        "button", name="Call this person").click()
    expect(guests[2][0].locator("#share-who")).to_have_text("It's your turn to share")
    expect(guests[0][0].locator("#share-who")).to_have_text("Now sharing: Jordan")

    assert_clean(host, host_watch)
    for page, watch in guests:
        assert_clean(page, watch)
