"""The admin console in a real browser.

An admin signs in, invites a facilitator; the invited person (a second browser
context) opens the link, sets a passphrase and signs in. The admin creates a weekly
meeting — first with a bad time, whose error shows at that field — with its first and
last dates and who may facilitate, and it appears on `/` and in both feeds; an edit
shows those values and can clear them. Every control on the console has a label, and at phone width
nothing runs off the side.

The server is a real process whose clock runs from a quiet Wednesday noon (UTC), so
a Friday meeting is in "This week". DOM hooks (web/templates/admin.html): `#room-list
li[data-room-id]`, `#facilitator-list li[data-name]`, `body[data-admin-ready]`
once every section has loaded. Controls are found by role and label.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.pages import assert_clean, new_page, sign_in
from tests.helpers import LiveServer, StartProcess, base_config

pytestmark = pytest.mark.e2e

INVITED = "Jordan"
INVITED_PASSPHRASE = "four words are plenty here"
ROOM_ID = "friday-hope"
TITLE = "Friday Hope"
SINCE = "2026-11-06"  # a Friday before the test clock's 2026-11-25
UNTIL = "2027-06-25"

# Every visible form control: its accessible name from a <label> (or aria-label).
UNLABELLED = """
() => [...document.querySelectorAll("input, select, textarea")]
  .filter((node) => node.type !== "hidden" && node.getClientRects().length > 0)
  .filter((node) => !(node.labels && node.labels.length) && !node.getAttribute("aria-label")
                    && !node.getAttribute("aria-labelledby"))
  .map((node) => node.id || node.outerHTML)
"""


def unlabelled(page: Page) -> list[str]:
    return list(page.evaluate(UNLABELLED))


@pytest.fixture
def admin_server(server_process: StartProcess) -> LiveServer:
    config = base_config()
    config["facilitators"][0] = {**config["facilitators"][0], "admin": True}
    config["database_url"] = "sqlite://"  # a file in the test's folder (start_process)
    return server_process(config)


def test_invite_a_facilitator_and_create_a_meeting(
        browser: Browser, people: list[BrowserContext], admin_server: LiveServer) -> None:
    server = admin_server
    admin, admin_watch = new_page(browser, people, viewport={"width": 1280, "height": 800})
    sign_in(admin, server, "/admin")
    expect(admin.locator("body[data-admin-ready]")).to_have_count(1)
    expect(admin.get_by_role("heading", name="Admin console", level=1)).to_be_visible()
    expect(admin.locator("#room-list li[data-room-id='open-circle']")).to_contain_text(
        "From the config file")
    assert unlabelled(admin) == []

    # Invite: the one-time link is shown, focused, to copy.
    admin.get_by_label("Name", exact=True).fill(INVITED)
    admin.get_by_role("button", name="Make invite link").click()
    link_field = admin.get_by_label("Link to send them")
    expect(link_field).to_be_focused()
    expect(link_field).to_have_value(re.compile(rf"^{re.escape(server.url)}/invite/\S+$"))
    link = link_field.input_value()
    expect(admin.locator(f"#facilitator-list li[data-name='{INVITED}']")).to_contain_text(
        "invited")
    # Someone invited can be made a host before they first sign in.
    admin.get_by_role("button", name="New room").click()
    expect(admin.get_by_role("group", name="Hosts").get_by_label(
        f"{INVITED} (invited, not signed in yet)")).to_be_visible()
    admin.get_by_role("button", name="Cancel", exact=True).click()

    # The invited person sets a passphrase through the link, then signs in with it.
    guest, guest_watch = new_page(browser, people, viewport={"width": 390, "height": 844})
    guest.goto(link)
    expect(guest.get_by_role("heading", name=f"Welcome, {INVITED}")).to_be_visible()
    guest.get_by_label("New passphrase").fill(INVITED_PASSPHRASE)
    guest.get_by_label("The same passphrase again").fill(INVITED_PASSPHRASE)
    guest.get_by_role("button", name="Set passphrase").click()
    expect(guest.get_by_role("status")).to_contain_text("Your passphrase is set")
    expect(guest.get_by_label("Name")).to_have_value(INVITED)
    guest.get_by_label("Passphrase").fill(INVITED_PASSPHRASE)
    guest.get_by_role("button", name="Sign in").click()
    expect(guest.get_by_role("button", name="Sign out")).to_be_visible()
    expect(guest.locator(".signed-in")).to_contain_text(INVITED)
    guest.goto(link)  # used: the link is gone
    expect(guest.get_by_role("heading", name="This invite link no longer works")).to_be_visible()
    guest.goto(f"{server.url}/admin")  # not an admin
    expect(guest.get_by_text("is not an admin facilitator")).to_be_visible()

    # A new weekly meeting; a bad time is shown at its field, then fixed.
    admin.get_by_role("button", name="New room").click()
    expect(admin.get_by_label("Address name (id)")).to_be_focused()
    assert unlabelled(admin) == []
    admin.get_by_label("Address name (id)").fill(ROOM_ID)
    admin.get_by_label("Title", exact=True).fill(TITLE)
    time_field = admin.get_by_label("Weekly time 1", exact=True)
    time_field.fill("fri 25:00")
    admin.get_by_label("Time zone").fill("America/Chicago")
    admin.get_by_role("group", name="Hosts").get_by_label(INVITED).check()
    admin.get_by_label("First meeting").fill(SINCE)
    admin.get_by_label("Last meeting").fill(UNTIL)
    who = admin.get_by_role("group", name="Who may facilitate")
    expect(who.get_by_label(INVITED)).to_be_hidden()  # any facilitator, until limited
    who.get_by_label("Only the facilitators ticked below").check()
    who.get_by_label(INVITED).check()
    admin.get_by_label("Meeting types").fill("O D")
    admin.get_by_role("button", name="Save room").click()
    expect(time_field).to_have_attribute("aria-invalid", "true")
    expect(time_field).to_be_focused()
    expect(time_field).to_have_accessible_description(re.compile("^Must look like \"tue 19:00\""))
    # Chromium logs the refused request itself; that 400 is the one expected here.
    assert admin_watch.console_errors == [
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"]
    admin_watch.console_errors.clear()
    time_field.fill("fri 19:00")
    admin.get_by_role("button", name="Save room").click()
    expect(admin.get_by_role("status")).to_have_text(f"{TITLE} was created.")
    expect(time_field).to_be_hidden()
    item = admin.locator(f"#room-list li[data-room-id='{ROOM_ID}']")
    expect(item).to_contain_text("fri 19:00")
    expect(item.get_by_role("button", name=f"Edit {TITLE}")).to_be_visible()
    expect(admin.locator("#audit-rows")).to_contain_text("room.create")
    expect(admin.locator("#audit-rows")).to_contain_text("facilitator.invite")
    records = admin.request.get(f"{server.url}/api/admin/rooms").json()
    saved = next(r for r in records if r["id"] == ROOM_ID)
    assert (saved["since"], saved["until"], saved["facilitators"], saved["hosts"]) == (
        SINCE, UNTIL, [INVITED], [INVITED])

    # Editing shows what was saved; clearing the dates and the list saves that too.
    item.get_by_role("button", name=f"Edit {TITLE}").click()
    expect(admin.get_by_label("First meeting")).to_have_value(SINCE)
    expect(admin.get_by_label("Last meeting")).to_have_value(UNTIL)
    who = admin.get_by_role("group", name="Who may facilitate")
    limited = who.get_by_label("Only the facilitators ticked below")
    expect(limited).to_be_checked()
    expect(who.get_by_label(INVITED)).to_be_checked()
    # Nobody ticked while limited is "only the hosts", never "anyone".
    admin.get_by_label("Last meeting").fill("")
    who.get_by_label(INVITED).uncheck()
    admin.get_by_role("button", name="Save room").click()
    expect(admin.get_by_role("status")).to_have_text(f"{TITLE} was saved.")
    records = admin.request.get(f"{server.url}/api/admin/rooms").json()
    saved = next(r for r in records if r["id"] == ROOM_ID)
    assert (saved["since"], saved["until"], saved["facilitators"]) == (SINCE, None, [])
    # Unlimited again: any facilitator.
    item.get_by_role("button", name=f"Edit {TITLE}").click()
    expect(limited).to_be_checked()
    limited.uncheck()
    admin.get_by_role("button", name="Save room").click()
    # The status already reads "saved" from the last time: the form closing says this one is.
    expect(admin.get_by_label("Address name (id)")).to_be_hidden()
    expect(admin.get_by_role("status")).to_have_text(f"{TITLE} was saved.")
    records = admin.request.get(f"{server.url}/api/admin/rooms").json()
    assert next(r for r in records if r["id"] == ROOM_ID)["facilitators"] is None

    # It is on the schedule and in both feeds.
    admin.goto(f"{server.url}/")
    expect(admin.get_by_role("link", name=TITLE)).to_have_attribute("href", f"/rooms/{ROOM_ID}")
    ics = admin.request.get(f"{server.url}/api/meetings.ics")
    assert ics.ok and f"SUMMARY:{TITLE}" in ics.text()
    assert "RRULE:FREQ=WEEKLY;BYDAY=FR" in ics.text()
    assert "DTSTART;TZID=America/Chicago:20261106T190000" in ics.text()  # `since`
    items = admin.request.get(f"{server.url}/api/meetings.json").json()
    ours = [m for m in items if m["name"] == TITLE]
    assert [(m["day"], m["time"], m["timezone"], m["types"]) for m in ours] == [
        (5, "19:00", "America/Chicago", ["O", "D"])]

    # Revoked: their session ends at once.
    admin.goto(f"{server.url}/admin")
    expect(admin.locator(f"#facilitator-list li[data-name='{INVITED}']")).to_contain_text(
        "Facilitator")
    admin.get_by_role("button", name=f"Revoke for {INVITED}").click()
    admin.get_by_role("button", name=f"Revoke for {INVITED} now").click()
    expect(admin.get_by_role("status")).to_have_text(f"{INVITED} can no longer sign in.")
    expect(admin.locator(f"#facilitator-list li[data-name='{INVITED}']")).to_have_count(0)
    guest.goto(f"{server.url}/")
    expect(guest.get_by_role("link", name="Facilitator sign in")).to_be_visible()
    # The meeting they hosted stays on the schedule, without them.
    expect(guest.get_by_role("link", name=TITLE)).to_be_visible()
    records = admin.request.get(f"{server.url}/api/admin/rooms").json()
    assert next(r for r in records if r["id"] == ROOM_ID)["hosts"] == []

    assert_clean(admin, admin_watch)
    # The used link's 410 and the non-admin's 403, as Chromium logs a page's status.
    assert guest_watch.console_errors == [
        f"Failed to load resource: the server responded with a status of {status}"
        for status in ("410 (Gone)", "403 (Forbidden)")]
    guest_watch.console_errors.clear()
    assert_clean(guest, guest_watch)


def test_console_on_a_phone_creates_and_deletes_a_room(
        browser: Browser, people: list[BrowserContext], admin_server: LiveServer) -> None:
    page, watch = new_page(browser, people, viewport={"width": 390, "height": 844})
    sign_in(page, admin_server, "/admin")
    expect(page.locator("body[data-admin-ready]")).to_have_count(1)
    # The config's rooms are read-only: no delete button at all.
    expect(page.get_by_role("button", name="Delete Open Circle")).to_have_count(0)
    page.get_by_role("button", name="New room").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert unlabelled(page) == []
    page.get_by_label("Address name (id)").fill("night-owls")
    page.get_by_label("Title", exact=True).fill("Night Owls")
    page.get_by_label("Kind").select_option("drop-in")
    expect(page.get_by_label("Weekly time 1", exact=True)).to_be_hidden()
    page.get_by_role("button", name="Save room").click()
    expect(page.get_by_role("status")).to_have_text("Night Owls was created.")

    # Someone else saves it while this form is open: 409 stale, and a way to reload.
    page.get_by_role("button", name="Edit Night Owls").click()
    page.get_by_label("Description").fill("Late-night drop-in")
    changed = page.request.put(f"{admin_server.url}/api/admin/rooms/night-owls",
                               headers={"Origin": admin_server.url},
                               data={"id": "night-owls", "title": "Night Owls", "kind": "drop-in",
                                     "capacity": 20})
    assert changed.ok, changed.text()
    page.get_by_role("button", name="Save room").click()
    alert = page.locator("#admin-error")
    expect(alert).to_be_focused()
    expect(alert).to_contain_text("Someone changed this record")
    page.get_by_role("button", name="Reload the latest").click()
    expect(page.get_by_label("Capacity")).to_have_value("20")
    expect(page.get_by_label("Description")).to_have_value("")
    expect(alert).to_be_hidden()
    page.get_by_role("button", name="Cancel").click()
    assert watch.console_errors == [
        "Failed to load resource: the server responded with a status of 409 (Conflict)"]
    watch.console_errors.clear()

    # Delete asks first, inline (no browser dialog), with focus on the confirmation.
    page.get_by_role("button", name="Delete Night Owls").click()
    confirm = page.get_by_role("button", name="Delete Night Owls for good")
    expect(confirm).to_be_focused()
    page.get_by_role("button", name="Keep it").click()
    expect(page.get_by_role("button", name="Delete Night Owls")).to_be_focused()
    page.get_by_role("button", name="Delete Night Owls").click()
    confirm.click()
    expect(page.get_by_role("status")).to_have_text("Night Owls was deleted.")
    expect(page.locator("#room-list li[data-room-id='night-owls']")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # A new format, copied from the built-in one, is then a room's choice.
    page.get_by_role("button", name="New format").click()
    expect(page.get_by_label("Format name")).to_be_focused()
    page.get_by_label("Format name").fill("quiet-hour")
    page.get_by_label("Minutes per share").fill("5")
    page.get_by_role("button", name="Save format").click()
    expect(page.get_by_role("status")).to_have_text("Format quiet-hour was saved.")
    expect(page.locator("#format-list li[data-format='quiet-hour']")).to_contain_text(
        "5 min shares")
    page.get_by_role("button", name="New room").click()
    expect(page.get_by_label("Format", exact=True).locator("option[value='quiet-hour']")
           ).to_have_count(1)
    page.get_by_role("button", name="Cancel").click()

    # A format a room uses cannot be deleted: the alert names the room.
    used = page.request.post(f"{admin_server.url}/api/admin/rooms",
                             headers={"Origin": admin_server.url},
                             data={"id": "quiet-room", "title": "Quiet Room", "kind": "meeting",
                                   "timezone": "UTC", "weekly": ["mon 09:00"],
                                   "format": "quiet-hour"})
    assert used.status == 201, used.text()
    page.reload()
    expect(page.locator("body[data-admin-ready]")).to_have_count(1)
    page.get_by_role("button", name="Delete format quiet-hour").click()
    page.get_by_role("button", name="Delete format quiet-hour for good").click()
    expect(alert).to_be_focused()
    expect(alert).to_contain_text("These rooms use it: quiet-room")
    expect(page.locator("#format-list li[data-format='quiet-hour']")).to_have_count(1)
    assert watch.console_errors == [
        "Failed to load resource: the server responded with a status of 409 (Conflict)"]
    watch.console_errors.clear()
    gone = page.request.delete(f"{admin_server.url}/api/admin/rooms/quiet-room",
                               headers={"Origin": admin_server.url})
    assert gone.status == 204
    page.get_by_role("button", name="Delete format quiet-hour").click()
    page.get_by_role("button", name="Delete format quiet-hour for good").click()
    expect(page.get_by_role("status")).to_have_text("Format quiet-hour was deleted.")
    expect(page.locator("#format-list li[data-format='quiet-hour']")).to_have_count(0)
    # The built-in format is read-only: no delete button.
    expect(page.get_by_role("button", name="Delete format default")).to_have_count(0)

    # Resources: a row removed, the rest renumbered, the list saved whole.
    page.get_by_role("button", name="Remove resource 2").click()
    expect(page.get_by_label("Resource 2 name")).to_be_focused()
    expect(page.get_by_label("Resource 2 name")).to_have_value("Crisis Text Line")
    expect(page.get_by_label("Resource 3 name")).to_have_count(0)
    page.get_by_role("button", name="Save resources").click()
    expect(page.get_by_role("status")).to_have_text("The resources were saved.")
    assert len(page.request.get(f"{admin_server.url}/api/admin/resources").json()) == 2
    assert_clean(page, watch)
