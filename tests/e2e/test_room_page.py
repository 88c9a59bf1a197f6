"""The pages in a real headless Chromium, against a real server process.

Sync Playwright in plain test functions: no event loop of ours is running, so the
sync API is safe under pytest-aiohttp's asyncio_mode = "auto".

DOM hooks these tests rely on (web/templates/room.html, web/static/render.js):
`#log` (role=log) holding `article[data-message-id][data-seq]` with `.msg-text`;
`#members` with `li[data-member-id]`; `#room-app[data-room][data-facilitator]`.
Browser fixtures are in tests/e2e/conftest.py, page helpers in tests/e2e/pages.py.
Everything else is found by role and label, which doubles as an accessibility check.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.e2e.pages import assert_clean, join, message, new_page, say, sign_in
from tests.helpers import LiveServer

pytestmark = pytest.mark.e2e

ROOM = "open-circle"


def test_facilitator_deletes_a_member_message(browser: Browser, people: list[BrowserContext],
                                              live_server: LiveServer) -> None:
    facilitator, _ = new_page(browser, people)
    sign_in(facilitator, live_server, f"/rooms/{ROOM}")
    join(facilitator)
    expect(facilitator.get_by_role("heading", name="Facilitator tools")).to_be_visible()

    member, _ = new_page(browser, people)
    member.goto(f"{live_server.url}/rooms/{ROOM}")
    join(member, "River")
    expect(member.get_by_role("heading", name="Facilitator tools")).to_be_hidden()
    expect(facilitator.locator("#members [data-member-id]", has_text="River")).to_be_visible()

    say(member, "I made it through today")
    seen_by_member = message(member, "I made it through today")
    expect(seen_by_member).to_have_count(1)
    # Members can't delete, and there is nothing to report about your own message.
    expect(seen_by_member.get_by_role("button", name="Delete")).to_have_count(0)
    expect(seen_by_member.get_by_role("button", name="Report")).to_have_count(0)
    message_id = seen_by_member.get_attribute("data-message-id")

    seen_by_facilitator = message(facilitator, "I made it through today")
    expect(seen_by_facilitator).to_have_attribute("data-message-id", message_id or "")
    seen_by_facilitator.get_by_role("button", name="Delete").click()

    expect(member.locator(f'[data-message-id="{message_id}"]')).to_have_count(0)
    expect(facilitator.locator(f'[data-message-id="{message_id}"]')).to_have_count(0)
    expect(member.get_by_role("log")).not_to_contain_text("I made it through today")


def test_markup_in_a_message_is_shown_as_text(browser: Browser, people: list[BrowserContext],
                                              live_server: LiveServer) -> None:
    payload = "<img src=x onerror=alert(1)>"
    sender, sender_watch = new_page(browser, people)
    sender.goto(f"{live_server.url}/rooms/{ROOM}")
    join(sender, "River")
    reader, reader_watch = new_page(browser, people)
    reader.goto(f"{live_server.url}/rooms/{ROOM}")
    join(reader, "Morgan")

    say(sender, payload)
    for page in (sender, reader):
        shown = message(page, payload)
        expect(shown).to_have_count(1)
        assert shown.locator(".msg-text").text_content() == payload
        expect(page.get_by_role("log").locator("img")).to_have_count(0)
    # Someone else's message can be reported; the reason is asked for on the page.
    reported = message(reader, payload)
    reported.get_by_role("button", name="Report").click()
    expect(reader.get_by_label("What's wrong with it?")).to_be_focused()
    reader.get_by_role("button", name="Send report").click()
    expect(reader.get_by_role("status")).to_contain_text("facilitators have been told")

    for watch in (sender_watch, reader_watch):
        assert watch.dialogs == []
        assert not [url for url in watch.requests if urlsplit(url).path.endswith("/x")]


def test_pages_load_cleanly_from_our_own_origin(browser: Browser, people: list[BrowserContext],
                                                live_server: LiveServer) -> None:
    page, watch = new_page(browser, people)
    origin = urlsplit(live_server.url).netloc

    page.goto(live_server.url)
    expect(page.get_by_role("link", name="Open Circle")).to_be_visible()
    expect(page.get_by_role("heading", name="More support")).to_be_visible()
    csp = watch.csp_reports(page)

    page.get_by_role("link", name="Open Circle").click()
    page.wait_for_url(f"{live_server.url}/rooms/{ROOM}")
    join(page, "Quiet Fox")
    say(page, "hello, everyone")
    expect(message(page, "hello, everyone")).to_have_count(1)
    csp += watch.csp_reports(page)

    page.goto(f"{live_server.url}/login")
    expect(page.get_by_label("Passphrase")).to_have_attribute("autocomplete", "current-password")
    csp += watch.csp_reports(page)

    assert csp == []
    assert watch.page_errors == []
    assert watch.console_errors == []
    assert watch.sockets, "the room page should have opened a WebSocket"
    elsewhere = [url for url in watch.requests + watch.sockets if urlsplit(url).netloc != origin]
    assert elsewhere == []


def test_a_reload_keeps_your_seat(browser: Browser, people: list[BrowserContext],
                                  live_server: LiveServer) -> None:
    member, watch = new_page(browser, people)
    member.goto(f"{live_server.url}/rooms/{ROOM}")
    join(member, "River")
    other, _ = new_page(browser, people)
    other.goto(f"{live_server.url}/rooms/{ROOM}")
    join(other, "Morgan")

    member.reload()
    # Back in without choosing a name again (resume with the stored member token).
    expect(member.get_by_label("Message", exact=True)).to_be_visible()
    expect(member.locator("#members [data-member-id]", has_text="River")).to_have_count(1)
    expect(other.locator("#members [data-member-id]", has_text="River")).to_have_count(1)
    say(other, "welcome back")
    expect(message(member, "welcome back")).to_have_count(1)
    assert watch.page_errors == []


def test_wrong_passphrase_is_explained(browser: Browser, people: list[BrowserContext],
                                       live_server: LiveServer) -> None:
    page, _ = new_page(browser, people)
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Name").fill(live_server.facilitator_name)
    page.get_by_label("Passphrase").fill("not the passphrase")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("don't match")


def test_lock_and_pause_notices_say_what_happened(browser: Browser, people: list[BrowserContext],
                                                  live_server: LiveServer) -> None:
    facilitator, watch = new_page(browser, people)
    sign_in(facilitator, live_server, f"/rooms/{ROOM}")
    join(facilitator)
    notice = facilitator.locator("#notice")
    lock = facilitator.get_by_role("button", name="Lock room")
    lock.click()
    expect(notice).to_have_text("Room locked. Nobody new can join.")
    expect(facilitator.get_by_role("button", name="Unlock room")).to_be_visible()
    facilitator.get_by_role("button", name="Unlock room").click()
    expect(notice).to_have_text("Room unlocked.")
    facilitator.get_by_role("button", name="Pause room").click()
    expect(notice).to_have_text("Room paused. Members can't post, raise hands or join.")
    facilitator.get_by_role("button", name="Resume room").click()
    expect(notice).to_have_text("Room resumed.")
    assert_clean(facilitator, watch)
