"""The admin console's pages and the invite link's page.

`/admin` is a shell: the sections are filled by web/static/admin*.js from the JSON
admin API (admin_api.py) with the login cookie. An invite link carries its one-time
token in the path; it is never logged (access logs are off, and nothing here logs).
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from aiohttp import web

from server.keys import ROOMS
from server.records.base import RecordMissing
from server.rooms.admin import MIN_PASSPHRASE, Invalid
from server.transport.security import same_origin
from server.transport.views import _facilitator, _page

# The invite link is a secret, and the console is one person's: neither is kept.
NO_STORE = {"Cache-Control": "no-store"}


async def admin_console(request: web.Request) -> web.Response:
    name = await _facilitator(request)
    if name is None:
        raise web.HTTPSeeOther(f"/login?next={quote(request.path, safe='/')}")
    if not request.app[ROOMS].admin.is_admin(name):
        return await _page(request, "admin_forbidden.html", status=403)
    return await _page(request, "admin.html", headers=NO_STORE)


async def invite_form(request: web.Request) -> web.Response:
    name = await request.app[ROOMS].admin.invited(request.match_info["token"])
    if name is None:
        return await _gone(request)
    return await _invite_page(request, name)


async def _invite_page(request: web.Request, name: str, status: int = 200,
                       error: str | None = None) -> web.Response:
    return await _page(request, "invite.html", status=status, headers=NO_STORE, invited=name,
                       error=error, min_length=MIN_PASSPHRASE)


async def _gone(request: web.Request) -> web.Response:
    # 410 whether the link was used, expired or never made: the page says what to do.
    return await _page(request, "invite_gone.html", status=410)


async def invite_submit(request: web.Request) -> web.Response:
    if not same_origin(request):
        raise web.HTTPForbidden(text="Cross-site form posts are not accepted.")
    admin = request.app[ROOMS].admin
    token = request.match_info["token"]
    name = await admin.invited(token)
    if name is None:
        return await _gone(request)
    form = await request.post()
    passphrase, again = form.get("passphrase"), form.get("passphrase_again")
    if not isinstance(passphrase, str) or passphrase != again:
        return await _invite_page(request, name, 400, "The two passphrases are not the same.")
    try:
        name = await admin.accept_invite(token, passphrase)
    except Invalid as exc:
        return await _invite_page(request, name, 400, f"The passphrase {exc.message}.")
    except RecordMissing:
        return await _gone(request)  # used or expired between the two reads
    raise web.HTTPSeeOther("/login?" + urlencode({"invited": "1", "name": name}))


def add_admin_pages(app: web.Application) -> None:
    app.router.add_get("/admin", admin_console)
    app.router.add_get("/invite/{token}", invite_form)
    app.router.add_post("/invite/{token}", invite_submit)
