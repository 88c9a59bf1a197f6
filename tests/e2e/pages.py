"""Shared browser helpers for tests/e2e: one page per person, watched for trouble.

Chromium runs as root with no display here (DESIGN §8): launched by the `browser`
fixture (tests/e2e/conftest.py) with these flags and the Debian binary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Locator,
    Page,
    Request,
    WebSocket,
    expect,
)

from tests.helpers import LiveServer

CHROMIUM = "/usr/bin/chromium"
# Without the networking flags Chromium tries to reach outside hosts (DESIGN §8).
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]

# Runs before any page script (injected over CDP, so the CSP does not apply to it).
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


@dataclass
class Watch:
    """What one page did: requests, sockets, console errors, CSP reports, dialogs."""

    requests: list[str] = field(default_factory=list)
    sockets: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def csp_reports(self, page: Page) -> list[str]:
        return list(page.evaluate("window.__cspViolations || []"))


def new_page(browser: Browser, people: list[BrowserContext],
             **context_options: Any) -> tuple[Page, Watch]:
    """A page in a context of its own (cookies, storage); options go to new_context."""
    context = browser.new_context(**context_options)
    people.append(context)
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    watch = Watch()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            watch.console_errors.append(message.text)

    def on_dialog(dialog: Dialog) -> None:
        watch.dialogs.append(dialog.message)
        dialog.dismiss()

    def on_request(request: Request) -> None:
        watch.requests.append(request.url)

    def on_socket(socket: WebSocket) -> None:
        watch.sockets.append(socket.url)

    page.on("console", on_console)
    page.on("pageerror", lambda error: watch.page_errors.append(str(error)))
    page.on("dialog", on_dialog)
    page.on("request", on_request)
    page.on("websocket", on_socket)
    return page, watch


def sign_in(page: Page, server: LiveServer, next_path: str) -> None:
    page.goto(f"{server.url}/login?next={next_path}")
    page.get_by_label("Name").fill(server.facilitator_name)
    page.get_by_label("Passphrase").fill(server.facilitator_passphrase)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server.url}{next_path}")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def join(page: Page, handle: str | None = None) -> None:
    """Join from the room page; a facilitator's name is already filled in."""
    name = page.get_by_label("Your name in this room")
    if handle is not None:
        name.fill(handle)
    page.get_by_role("button", name="Join", exact=True).click()
    compose = page.get_by_label("Message", exact=True)
    expect(compose).to_be_visible()
    expect(compose).to_be_focused()  # focus goes where the person will type next


def say(page: Page, text: str) -> None:
    compose = page.get_by_label("Message", exact=True)
    compose.fill(text)
    compose.press("Enter")
    expect(compose).to_have_value("")


def message(page: Page, text: str) -> Locator:
    return page.get_by_role("log").locator("[data-message-id]", has_text=text)


def assert_clean(page: Page, watch: Watch) -> None:
    """No CSP violation, script error or console error on this page so far."""
    assert watch.csp_reports(page) == []
    assert watch.page_errors == []
    assert watch.console_errors == []
    assert watch.dialogs == []
