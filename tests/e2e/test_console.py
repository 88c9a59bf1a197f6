"""The facilitator's console and what a reload keeps, in a real Chromium.

1. A crisis alert handled through a private check-in at 1280x800, without scrolling:
   every console panel's box is inside the viewport.
2. On a phone the console is one tap away, and notices sit near the message box.
3. Remove and ban ask once, then offer Undo for 10 seconds.
4. A reload mid-share restores the log (each message once, in order) and the share.
5. A muted member who leaves and comes back sees the mute banner and a disabled Send.
6. After a server restart one's earlier messages stay one's own (no Report button).
7. A facilitator who reloads still sees the open alerts and held messages; one they
   dismissed stays dismissed.
8. A held message one facilitator rejects leaves the other facilitator's console too,
   keyboard focus staying in the list.

DOM hooks (web/templates/room.html): `#console` with `#lobby`, `#alerts`, `#held`,
`#lines`; `#queue`; `#act-bar`; `#checkin`; `#mute-banner`; `#notices`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.e2e.pages import Watch, assert_clean, join, message, new_page, say, sign_in
from tests.helpers import LiveServer, StartProcess, base_config, start_process, stop_process

pytestmark = pytest.mark.e2e

ROOM = "open-circle"
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def in_view(page: Page, locator: Locator) -> None:
    """The element's whole box is inside the viewport, and the page is not scrolled."""
    box = locator.bounding_box()
    assert box is not None, locator
    size = page.viewport_size
    assert size is not None
    assert page.evaluate("window.scrollY") == 0
    assert box["x"] >= 0 and box["y"] >= 0, (locator, box)
    assert box["x"] + box["width"] <= size["width"], (locator, box)
    assert box["y"] + box["height"] <= size["height"], (locator, box)


def facilitator_and_river(browser: Browser, people: list[BrowserContext],
                          server: LiveServer) -> tuple[Page, Watch, Page, Watch]:
    """A signed-in facilitator on a desktop and the member River, both in ROOM."""
    facilitator, facilitator_watch = new_page(browser, people, **DESKTOP)
    sign_in(facilitator, server, f"/rooms/{ROOM}")
    join(facilitator)
    member, member_watch = new_page(browser, people)
    member.goto(f"{server.url}/rooms/{ROOM}")
    join(member, "River")
    return facilitator, facilitator_watch, member, member_watch


def test_a_crisis_alert_is_handled_through_a_private_check_in_without_scrolling(
        browser: Browser, people: list[BrowserContext], live_server: LiveServer) -> None:
    facilitator, facilitator_watch, member, member_watch = facilitator_and_river(
        browser, people, live_server)

    say(member, "honestly i want to kill myself tonight")
    alert = facilitator.locator("#alerts li", has_text="River")
    expect(alert).to_be_visible()
    expect(alert.locator("blockquote")).to_have_text("honestly i want to kill myself tonight")
    expect(facilitator.locator("#alert-live")).to_contain_text("Crisis alert: River")
    expect(facilitator.locator("#alert-live")).to_have_attribute("aria-live", "assertive")
    expect(member.locator("#support-panel")).to_be_visible()
    expect(member.locator("#console")).to_be_hidden()  # staff only
    for part in ("#queue-heading", "#lobby-list-heading", "#alerts", "#held-heading",
                 "#lines-heading"):
        in_view(facilitator, facilitator.locator(part))
    in_view(facilitator, alert)

    # One action opens the line; the alert is handled and leaves the list.
    alert.get_by_role("button", name="Check in privately").click()
    line = facilitator.locator("#lines li", has_text="With River")
    expect(line).to_contain_text("I wanted to check in with you privately")
    expect(facilitator.locator("#alerts li")).to_have_count(0)
    checkin = member.locator("#checkin")
    expect(checkin).to_contain_text("I wanted to check in with you privately")
    expect(member.get_by_role("log").locator("[data-message-id]",
                                             has_text="check in")).to_have_count(0)

    member.get_by_label("Reply to the facilitators").fill("thank you, it's really bad today")
    member.get_by_role("button", name="Send privately").click()
    expect(line).to_contain_text("thank you, it's really bad today")
    box = facilitator.get_by_label("Write to River privately")
    expect(box).to_be_focused()
    box.fill("I'm here with you. Would you call 988 with me now?")
    box.press("Enter")
    expect(checkin).to_contain_text("Would you call 988 with me now?")
    in_view(facilitator, line)
    in_view(facilitator, facilitator.locator("#alerts-heading"))
    assert_clean(facilitator, facilitator_watch)
    assert_clean(member, member_watch)


def test_on_a_phone_the_console_is_one_tap_away_and_notices_stay_near_the_message_box(
        browser: Browser, people: list[BrowserContext], live_server: LiveServer) -> None:
    facilitator, watch = new_page(browser, people, **PHONE)
    sign_in(facilitator, live_server, f"/rooms/{ROOM}")
    join(facilitator)
    member, _ = new_page(browser, people)
    member.goto(f"{live_server.url}/rooms/{ROOM}")
    join(member, "River")
    say(member, "i'm going to od tonight")

    jump = facilitator.locator("#console-jump")
    expect(jump).to_contain_text("(1)")
    in_view(facilitator, jump)
    jump.tap()
    expect(facilitator.locator("#console-heading")).to_be_focused()
    expect(facilitator.locator("#alerts li", has_text="River")).to_be_in_viewport()

    # An error shows just above the message box, in view while typing.
    facilitator.get_by_label("Message", exact=True).focus()
    facilitator.get_by_role("button", name="Send").click()
    error = facilitator.locator("#error")
    expect(error).to_have_text("Write something first.")
    expect(error).to_be_in_viewport()
    expect(facilitator.get_by_label("Message", exact=True)).to_be_in_viewport()
    assert_clean(facilitator, watch)


def member_menu(facilitator: Page, handle: str) -> Locator:
    row = facilitator.locator("#members li", has_text=handle)
    if row.locator("details").get_attribute("open") is None:
        row.get_by_text("Actions").click()
    return row


def test_remove_and_ban_ask_once_then_offer_undo(
        browser: Browser, people: list[BrowserContext], live_server: LiveServer) -> None:
    facilitator, watch = new_page(browser, people, **DESKTOP)
    sign_in(facilitator, live_server, f"/rooms/{ROOM}")
    join(facilitator)
    river, _ = new_page(browser, people)
    river.goto(f"{live_server.url}/rooms/{ROOM}")
    join(river, "River")
    lake, _ = new_page(browser, people)
    lake.goto(f"{live_server.url}/rooms/{ROOM}")
    join(lake, "Lake")
    bar = facilitator.locator("#act-bar")

    # Remove: asked once; cancelling does nothing.
    member_menu(facilitator, "River").get_by_role("button", name="Remove").click()
    expect(bar).to_contain_text("Remove River from the room?")
    expect(facilitator.get_by_role("button", name="Yes, remove River")).to_be_focused()
    facilitator.keyboard.press("Escape")
    expect(bar).to_be_hidden()
    expect(facilitator.get_by_role("status")).to_have_text("Nothing was done.")

    # Confirmed, then undone within the 10 seconds: River stays.
    member_menu(facilitator, "River").get_by_role("button", name="Remove").click()
    facilitator.get_by_role("button", name="Yes, remove River").click()
    expect(bar).to_contain_text("River will be removed in 10 seconds.")
    facilitator.get_by_role("button", name="Undo").click()
    expect(facilitator.get_by_role("status")).to_have_text("River was not removed.")
    say(river, "still here")
    expect(message(facilitator, "still here")).to_have_count(1)

    # "Remove now" skips the wait.
    member_menu(facilitator, "River").get_by_role("button", name="Remove").click()
    facilitator.get_by_role("button", name="Yes, remove River").click()
    facilitator.get_by_role("button", name="Remove now").click()
    expect(river.get_by_role("alert").first).to_contain_text("removed you from this room")
    expect(facilitator.get_by_role("status")).to_have_text("River was removed from the room.")

    # Ban acts at once; Undo lifts it (Lake can join again, as someone new).
    member_menu(facilitator, "Lake").get_by_role("button", name="Ban").click()
    expect(bar).to_contain_text("Ban Lake from this room for 7 days?")
    facilitator.get_by_role("button", name="Yes, ban Lake").click()
    expect(lake.get_by_role("alert").first).to_contain_text("You can't join this room until")
    facilitator.get_by_role("button", name="Undo ban").click()
    expect(facilitator.get_by_role("status")).to_contain_text("The ban on Lake is lifted.")
    lake.reload()
    join(lake, "Lake")
    assert_clean(facilitator, watch)


@pytest.fixture
def meeting_server(server_process: StartProcess) -> LiveServer:
    """The real clock; the meeting has no weekly time, so it is closed until opened."""
    config = base_config(formats={"share-round": {"share_minutes": 30, "phases": [
        {"name": "opening", "chat": True}, {"name": "shares", "chat": False}]}},
        limits={"joins_per_minute": 1000, "connections_per_device": 50})
    for room in config["rooms"]:
        if room["id"] == "tuesday-night":
            room["format"] = "share-round"
            del room["weekly"], room["timezone"]
    return server_process(config)


def test_a_reload_mid_share_restores_the_log_and_the_share(
        browser: Browser, people: list[BrowserContext], meeting_server: LiveServer) -> None:
    server = meeting_server
    host, host_watch = new_page(browser, people, **DESKTOP)
    sign_in(host, server, "/rooms/tuesday-night")
    join(host)
    host.get_by_role("button", name="Open meeting").click()
    expect(host.locator("#status-text")).to_have_text("Meeting · Open")
    # A pinned text makes the room's head taller; the console still fits the screen.
    host.get_by_label("Pinned text").fill("Welcome. Please keep shares to about three "
                                          "minutes, and remember: what is said here stays here.")
    host.get_by_role("button", name="Pin", exact=True).click()
    expect(host.locator("#pinned")).to_be_visible()
    host.evaluate("window.scrollTo(0, 0)")
    for part in ("#queue-heading", "#lobby-list-heading", "#alerts-heading",
                 "#held-heading", "#lines-heading", "#console"):
        expect(host.locator(part)).to_be_in_viewport()
        in_view(host, host.locator(part))
    member, watch = new_page(browser, people)
    member.goto(f"{server.url}/rooms/tuesday-night")
    join(member, "River")
    texts = ["one", "two", "three", "four"]
    for text in texts[:2]:
        say(member, text)
    for text in texts[2:]:
        say(host, text)
    member.get_by_role("button", name="Raise hand to share").click()
    host.get_by_role("button", name="Call next").click()
    expect(member.locator("#share-who")).to_have_text("It's your turn to share")
    log = member.get_by_role("log").locator("[data-message-id]")
    expect(log).to_have_count(4)

    member.reload()
    expect(member.get_by_label("Message", exact=True)).to_be_visible()
    expect(log).to_have_count(4)
    assert [t.strip() for t in log.locator(".msg-text").all_text_contents()] == texts
    expect(member.locator("#share-who")).to_have_text("It's your turn to share")
    # Still our own messages: nothing to report on them.
    expect(message(member, "one").get_by_role("button", name="Report")).to_have_count(0)
    expect(message(member, "three").get_by_role("button", name="Report")).to_have_count(1)
    expect(host.locator("#share-who")).to_have_text("Now sharing: River")
    say(member, "five")
    expect(log).to_have_count(5)
    assert_clean(member, watch)
    assert_clean(host, host_watch)


def test_a_muted_member_who_comes_back_sees_the_mute(
        browser: Browser, people: list[BrowserContext], live_server: LiveServer) -> None:
    facilitator, _ = new_page(browser, people)
    sign_in(facilitator, live_server, f"/rooms/{ROOM}")
    join(facilitator)
    member, watch = new_page(browser, people)
    member.goto(f"{live_server.url}/rooms/{ROOM}")
    join(member, "River")
    row = member_menu(facilitator, "River")
    row.get_by_role("button", name="Mute", exact=True).click()
    banner = member.locator("#mute-banner")
    expect(banner).to_contain_text("muted you until")
    send = member.get_by_role("button", name="Send", exact=True)
    expect(send).to_be_disabled()

    member.get_by_role("button", name="Leave room").click()
    expect(banner).to_be_hidden()
    member.get_by_label("Your name in this room").fill("Rain")
    member.get_by_role("button", name="Join", exact=True).click()
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("muted you until")
    expect(send).to_be_disabled()
    # And after a reload too.
    member.reload()
    expect(banner).to_contain_text("muted you until")
    expect(send).to_be_disabled()
    assert_clean(member, watch)


def test_after_a_server_restart_earlier_messages_stay_ones_own(
        browser: Browser, people: list[BrowserContext], tmp_path: Path) -> None:
    # A new secret, as the demo makes at every start: the old seat can't be resumed, so
    # the page is seated afresh under a new member id, and what it wrote stays its own.
    config = base_config(limits={"joins_per_minute": 1000, "connections_per_device": 50})
    first = start_process(config, tmp_path)
    try:
        writer, watch = new_page(browser, people)
        writer.goto(f"{first.url}/rooms/{ROOM}")
        join(writer, "River")
        reader, _ = new_page(browser, people)
        reader.goto(f"{first.url}/rooms/{ROOM}")
        join(reader, "Lake")
        say(writer, "mine from before")
        say(reader, "theirs from before")
        expect(message(writer, "theirs from before")).to_have_count(1)
    finally:
        stop_process(first)
    expect(writer.locator("#connection")).to_be_visible()
    second = start_process({**config, "secret_key": "another-secret-key-0123456789"},
                           tmp_path, port=first.port)
    try:
        expect(writer.locator("#connection")).to_be_hidden(timeout=30_000)
        expect(writer.get_by_label("Message", exact=True)).to_be_visible()
        say(writer, "mine after")
        for text in ("mine from before", "mine after"):
            expect(message(writer, text)).to_have_count(1)
            expect(message(writer, text).get_by_role("button", name="Report")).to_have_count(0)
        expect(message(writer, "theirs from before").get_by_role(
            "button", name="Report")).to_have_count(1)
        # The console shows the failed reconnection attempts; nothing else went wrong.
        assert watch.csp_reports(writer) == [] and watch.page_errors == []
    finally:
        stop_process(second)


def test_a_reloading_facilitator_still_sees_open_alerts_and_held_messages(
        browser: Browser, people: list[BrowserContext], server_process: StartProcess) -> None:
    server = server_process(base_config(moderation={"blocked_terms": [
        {"term": "casino", "action": "hold"}]}))
    facilitator, facilitator_watch, member, member_watch = facilitator_and_river(
        browser, people, server)
    say(member, "honestly i want to kill myself tonight")
    member.get_by_label("Message", exact=True).fill("casino night anyone")
    member.get_by_role("button", name="Send", exact=True).click()
    alerts = facilitator.locator("#alerts li")
    held = facilitator.locator("#held li")
    expect(alerts).to_have_count(1)
    expect(held).to_have_count(1)

    facilitator.reload()
    expect(alerts).to_have_count(1)
    expect(alerts.first.locator("blockquote")).to_have_text(
        "honestly i want to kill myself tonight")
    expect(alerts.first).to_contain_text("River")
    expect(facilitator.locator("#alert-live")).to_contain_text("1 about crisis words")
    expect(held).to_have_count(1)
    expect(held.first).to_contain_text("casino night anyone")
    # Nothing a member wrote went into the browser's storage.
    stored = facilitator.evaluate(
        "JSON.stringify([Object.entries(sessionStorage), Object.entries(localStorage)])")
    assert "kill myself" not in stored and "casino" not in stored

    alerts.first.get_by_role("button", name="Dismiss").click()
    expect(alerts).to_have_count(0)
    facilitator.reload()
    expect(held).to_have_count(1)  # still waiting for a decision
    expect(alerts).to_have_count(0)  # dismissed in this tab: it stays dismissed
    held.first.get_by_role("button", name="Approve").click()
    expect(message(member, "casino night anyone")).to_be_visible()
    assert_clean(facilitator, facilitator_watch)
    assert_clean(member, member_watch)


def test_a_held_message_another_facilitator_rejected_leaves_every_console(
        browser: Browser, people: list[BrowserContext], server_process: StartProcess) -> None:
    server = server_process(base_config(moderation={"blocked_terms": [
        {"term": "casino", "action": "hold"}]}))
    first, first_watch, member, member_watch = facilitator_and_river(browser, people, server)
    second, second_watch = new_page(browser, people, **DESKTOP)
    sign_in(second, server, f"/rooms/{ROOM}")
    join(second)
    for n, text in enumerate(("casino night anyone", "casino again"), 1):
        member.get_by_label("Message", exact=True).fill(text)
        member.get_by_role("button", name="Send", exact=True).click()
        for page in (first, second):
            expect(page.locator("#held li")).to_have_count(n)
    # The second facilitator is about to reject the same message with the keyboard.
    second.locator("#held li").first.get_by_role("button", name="Reject").focus()

    # Everything the acting console says, to check it never credits "another facilitator".
    first.evaluate("""() => {
        const notice = document.getElementById("notice");
        window.said = [];
        new MutationObserver(() => window.said.push(notice.textContent))
            .observe(notice, {childList: true, characterData: true, subtree: true});
    }""")
    first.locator("#held li").first.get_by_role("button", name="Reject").click()
    expect(first.locator("#held li")).to_have_count(1)
    expect(first.locator("#notice")).to_contain_text("Message rejected.")
    assert not [said for said in first.evaluate("window.said") if "Another" in said]
    expect(second.locator("#held li")).to_have_count(1)
    expect(second.locator("#held li").first).to_contain_text("casino again")
    expect(second.locator("#notice")).to_contain_text("Another facilitator rejected")
    # Focus moved to what is left, not to the page's body.
    expect(second.locator("#held li").first.get_by_role("button", name="Approve")).to_be_focused()
    for page, watch in ((first, first_watch), (second, second_watch), (member, member_watch)):
        assert_clean(page, watch)
