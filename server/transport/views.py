"""HTTP views: pages, the small JSON API, health and metrics."""

from __future__ import annotations

import hashlib
import json
import math
import re
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from moderation.timefmt import iso_utc
from server.keys import METRICS, ROOMS, SETTINGS, TEMPLATES
from server.models.errors import StoreUnavailable
from server.rooms import feeds
from server.rooms.logins import KNOWN_LOGIN_TTL_S, LoginResult
from server.transport.admin_api import add_admin_routes
from server.transport.json_errors import error
from server.transport.security import (
    KNOWN_LOGIN_COOKIE,
    SESSION_COOKIE,
    client_address,
    same_origin,
)

# Same-site paths only: RFC 3986 path, query and fragment characters, nothing that a
# browser strips or rewrites ("/\t/evil" is "//evil" to it) and no second slash first.
_LOCAL_PATH = re.compile(r"/(?![/\\])[A-Za-z0-9\-._~!$&'()*+,;=:@%/?#]*")


def session_token(request: web.Request) -> str | None:
    """The facilitator token a request carries: `Authorization: Bearer` or the cookie."""
    return _bearer(request) or request.cookies.get(SESSION_COOKIE)


def _bearer(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def _facilitator(request: web.Request) -> str | None:
    return await request.app[ROOMS].facilitator_of(session_token(request))


async def _page(request: web.Request, template: str, status: int = 200,
                headers: dict[str, str] | None = None, **context: Any) -> web.Response:
    settings = request.app[SETTINGS]
    response = request.app[TEMPLATES].render(
        template, status=status, facilitator=await _facilitator(request),
        site_title=settings.site_title,
        resources=[r.to_wire() for r in request.app[ROOMS].catalog.resources],
        **context,
    )
    response.headers.update(headers or {})
    return response


async def index(request: web.Request) -> web.Response:
    rooms = request.app[ROOMS]
    return await _page(request, "index.html", rooms=await rooms.listing(),
                       upcoming=rooms.upcoming())


async def room_page(request: web.Request) -> web.Response:
    room = request.app[ROOMS].catalog.room(request.match_info["room_id"])
    if room is None:
        raise web.HTTPNotFound(text="There is no room by that name.")
    return await _page(request, "room.html", room={"id": room.id, "title": room.title,
                                                   "kind": room.kind})


async def login_form(request: web.Request) -> web.Response:
    # After an invite link: the passphrase is set, the name is filled in.
    invited = request.query.get("invited") == "1"
    return await _page(request, "login.html", error=None,
                       next=_safe_next(request.query.get("next")),
                       name=request.query.get("name", "") if invited else "",
                       notice="Your passphrase is set. Sign in with it now." if invited
                       else None)


def _safe_next(target: object) -> str:
    # An open redirect would let a phishing link borrow our login page.
    if isinstance(target, str) and _LOCAL_PATH.fullmatch(target):
        return target
    return "/"


def _retry_after(seconds: float) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


async def _new_token(request: web.Request, name: str) -> tuple[str, float]:
    try:
        return await request.app[ROOMS].new_session(name)
    except StoreUnavailable:
        raise web.HTTPServiceUnavailable(
            text="We could not sign you in just now. Please try again.") from None


async def _attempt(request: web.Request, name: object, passphrase: object) -> LoginResult:
    return await request.app[ROOMS].logins.attempt(name, passphrase, client_address(request),
                                                   request.cookies.get(KNOWN_LOGIN_COOKIE))


def _remember_login(request: web.Request, response: web.StreamResponse,
                    result: LoginResult) -> None:
    """Kept across logouts: it proves an earlier login, it logs nobody in."""
    if result.known is not None:
        response.set_cookie(KNOWN_LOGIN_COOKIE, result.known, httponly=True,
                            samesite="Strict", path="/", secure=request.secure,
                            max_age=KNOWN_LOGIN_TTL_S)


def _refuse_cross_site(request: web.Request) -> None:
    if not same_origin(request):
        raise web.HTTPForbidden(text="Cross-site form posts are not accepted.")


async def login_submit(request: web.Request) -> web.Response:
    _refuse_cross_site(request)
    form = await request.post()
    target = _safe_next(form.get("next") or "/")
    typed = form.get("name")
    result = await _attempt(request, typed, form.get("passphrase"))
    if result.name is None:
        again = result.retry_after
        error = (f"Too many tries. Please wait {max(1, math.ceil(again))} seconds and try "
                 "again." if again else "That name and passphrase don't match.")
        return await _page(request, "login.html", status=429 if again else 401,
                           headers=_retry_after(again) if again else None, next=target,
                           name=typed if isinstance(typed, str) else "", error=error)
    token, expires_at = await _new_token(request, result.name)
    response = web.HTTPSeeOther(target)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="Strict", path="/",
                        secure=request.secure,
                        max_age=int(expires_at - request.app[ROOMS].now()))
    _remember_login(request, response, result)
    raise response


async def logout(request: web.Request) -> web.Response:
    # A Bearer token (from /api/login) ends that token and answers 204. A browser never
    # adds the header on its own, so another site cannot log anyone out this way and
    # the Origin check is for the cookie only.
    bearer = _bearer(request)
    if bearer is None:
        _refuse_cross_site(request)
    try:
        # Ended in the store, not just forgotten by this browser: a copied cookie dies too.
        await request.app[ROOMS].end_session(bearer or request.cookies.get(SESSION_COOKIE))
    except StoreUnavailable:
        raise web.HTTPServiceUnavailable(
            text="We could not sign you out just now. Please try again.") from None
    if bearer is not None:
        raise web.HTTPNoContent()
    response = web.HTTPSeeOther("/")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


async def api_login(request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except ValueError:
        return error(400, "invalid", "The body must be JSON.", field="body")
    if not isinstance(body, dict):
        return error(400, "invalid", "The body must be a JSON object.", field="body")
    result = await _attempt(request, body.get("name"), body.get("passphrase"))
    if result.retry_after:
        return error(429, "rate_limited", "Too many attempts. Please wait and try again.",
                     headers=_retry_after(result.retry_after), retry_after=result.retry_after)
    if result.name is None:
        # One answer for a wrong passphrase and an unknown name.
        return error(401, "auth_failed", "That name and passphrase did not match.")
    # A store that is down reaches `store_down_is_503`: the API's JSON 503.
    token, expires_at = await request.app[ROOMS].new_session(result.name)
    response = web.json_response({"token": token, "expires_at": iso_utc(expires_at)})
    _remember_login(request, response, result)
    return response


async def api_rooms(request: web.Request) -> web.Response:
    return web.json_response(await request.app[ROOMS].listing())


def _base_url(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


async def meetings_ics(request: web.Request) -> web.Response:
    rooms = request.app[ROOMS]
    edited = rooms.catalog.edited()
    body = feeds.meetings_ics(request.app[SETTINGS], _base_url(request), rooms.now(), edited,
                              rooms=rooms.catalog.rooms, edits=rooms.catalog.edits())
    return _feed_response(request, body, "text/calendar; charset=utf-8", edited,
                          {"Content-Disposition": 'inline; filename="meetings.ics"'})


async def meetings_json(request: web.Request) -> web.Response:
    rooms = request.app[ROOMS]
    edited = rooms.catalog.edited()
    items = feeds.meeting_guide_json(request.app[SETTINGS], _base_url(request), rooms.now(),
                                     edited, rooms=rooms.catalog.rooms,
                                     edits=rooms.catalog.edits())
    body = json.dumps(items, ensure_ascii=False, separators=(",", ":")).encode()
    # Meeting finders fetch this from their own origin.
    return _feed_response(request, body, "application/json; charset=utf-8", edited,
                          {"Access-Control-Allow-Origin": "*"})


def _feed_response(request: web.Request, body: bytes, content_type: str,
                   edited: float | None, headers: dict[str, str]) -> web.Response:
    """`body` with a strong ETag and Last-Modified; 304 when the client has it already."""
    etag = hashlib.sha256(body).hexdigest()[:32]
    headers = {**headers, "Content-Type": content_type,
               # Stored, but asked about each time: a 304 costs a hash and no transfer.
               "Cache-Control": "public, no-cache"}
    modified = datetime.fromtimestamp(int(edited), UTC) if edited is not None else None
    # RFC 9110 §13.2.2: If-None-Match decides when present; If-Modified-Since only without it.
    if request.if_none_match is not None:
        fresh = any(tag.value in (etag, "*") for tag in request.if_none_match)
    else:
        since = request.if_modified_since
        fresh = since is not None and modified is not None and modified <= since
    response = web.Response(status=304 if fresh else 200, body=None if fresh else body,
                            headers=headers)
    response.etag = etag
    if modified is not None:
        response.last_modified = modified
    return response


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def readyz(request: web.Request) -> web.Response:
    ready = await request.app[ROOMS].ready()
    return web.json_response({"ok": ready}, status=200 if ready else 503)


async def metrics(request: web.Request) -> web.Response:
    app_metrics = request.app[METRICS]
    app_metrics.rooms.set(len(request.app[ROOMS].catalog.rooms))
    return web.Response(body=app_metrics.render(),
                        headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", index)
    app.router.add_get("/rooms/{room_id}", room_page)
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login_submit)
    app.router.add_post("/logout", logout)
    app.router.add_post("/api/login", api_login)
    app.router.add_get("/api/rooms", api_rooms)
    app.router.add_get("/api/meetings.ics", meetings_ics)
    app.router.add_get("/api/meetings.json", meetings_json)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    add_admin_routes(app)
    # Imported here: the admin pages render through this module's `_page`.
    from server.transport.admin_pages import add_admin_pages

    add_admin_pages(app)
