"""HTTP views: pages, the small JSON API, health and metrics."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from moderation.ratelimit import BucketRule
from moderation.timefmt import iso_utc
from server.keys import METRICS, ROOMS, SETTINGS, TEMPLATES
from server.models.passphrase import DUMMY_HASH, verify_passphrase
from server.rooms import feeds
from server.transport.namespace import SESSION_COOKIE
from server.transport.security import same_origin

_LOGIN_RULE = BucketRule(burst=5, interval_s=12.0)  # per facilitator name: 5/min sustained


def _facilitator(request: web.Request) -> str | None:
    return request.app[ROOMS].core.facilitator_of(request.cookies.get(SESSION_COOKIE))


def _page(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    settings = request.app[SETTINGS]
    return request.app[TEMPLATES].render(
        template, status=status, facilitator=_facilitator(request),
        site_title=settings.site_title, resources=[r.to_wire() for r in settings.resources],
        **context,
    )


async def index(request: web.Request) -> web.Response:
    rooms = request.app[ROOMS]
    return _page(request, "index.html", rooms=await rooms.listing(), upcoming=rooms.upcoming())


async def room_page(request: web.Request) -> web.Response:
    room = request.app[SETTINGS].room(request.match_info["room_id"])
    if room is None:
        raise web.HTTPNotFound(text="There is no room by that name.")
    return _page(request, "room.html", room={"id": room.id, "title": room.title,
                                             "kind": room.kind})


async def login_form(request: web.Request) -> web.Response:
    return _page(request, "login.html", error=None, next=_safe_next(request.query.get("next")))


def _safe_next(target: str | None) -> str:
    # Only local paths: an open redirect would let a phishing link borrow our login.
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


async def _check_login(request: web.Request, name: object, passphrase: object) -> str | None:
    """The facilitator's name when the passphrase is right (same cost either way)."""
    if not isinstance(name, str) or not isinstance(passphrase, str) or len(passphrase) > 1024:
        return None
    rooms = request.app[ROOMS]
    key = f"login:{rooms.core.tokens.device_hash(name)}"
    if await rooms.core.token_wait(key, _LOGIN_RULE):
        return None
    facilitator = request.app[SETTINGS].facilitator(name.strip())
    stored = facilitator.passphrase_hash if facilitator else DUMMY_HASH
    ok = verify_passphrase(passphrase, stored)
    return facilitator.name if ok and facilitator else None


def _new_token(request: web.Request, name: str) -> tuple[str, float]:
    rooms = request.app[ROOMS]
    return rooms.core.tokens.new_facilitator(name, now=rooms.core.clock(),
                                             ttl_s=request.app[SETTINGS].limits.token_ttl_s)


async def login_submit(request: web.Request) -> web.Response:
    if not same_origin(request):
        raise web.HTTPForbidden(text="Cross-site form posts are not accepted.")
    form = await request.post()
    target = _safe_next(str(form.get("next") or "/"))
    name = await _check_login(request, form.get("name"), form.get("passphrase"))
    if name is None:
        typed = form.get("name")
        return _page(request, "login.html", status=401, next=target,
                     name=typed if isinstance(typed, str) else "",
                     error="That name and passphrase don't match.")
    token, expires_at = _new_token(request, name)
    response = web.HTTPSeeOther(target)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="Strict", path="/",
                        secure=request.secure,
                        max_age=int(expires_at - request.app[ROOMS].core.clock()))
    raise response


async def logout(request: web.Request) -> web.Response:
    if not same_origin(request):
        raise web.HTTPForbidden(text="Cross-site form posts are not accepted.")
    response = web.HTTPSeeOther("/")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


async def api_login(request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except ValueError:
        return web.json_response({"error": "bad_request"}, status=400)
    if not isinstance(body, dict):
        return web.json_response({"error": "bad_request"}, status=400)
    name = await _check_login(request, body.get("name"), body.get("passphrase"))
    if name is None:
        return web.json_response({"error": "unauthorized"}, status=401)
    token, expires_at = _new_token(request, name)
    return web.json_response({"token": token, "expires_at": iso_utc(expires_at)})


async def api_rooms(request: web.Request) -> web.Response:
    return web.json_response(await request.app[ROOMS].listing())


def _base_url(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


async def meetings_ics(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    body = feeds.meetings_ics(settings, _base_url(request), request.app[ROOMS].core.clock(),
                              settings.config_mtime)
    return _feed_response(request, body, "text/calendar; charset=utf-8", settings.config_mtime,
                          {"Content-Disposition": 'inline; filename="meetings.ics"'})


async def meetings_json(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    items = feeds.meeting_guide_json(settings, _base_url(request),
                                     request.app[ROOMS].core.clock(), settings.config_mtime)
    body = json.dumps(items, ensure_ascii=False, separators=(",", ":")).encode()
    # Meeting finders fetch this from their own origin.
    return _feed_response(request, body, "application/json; charset=utf-8",
                          settings.config_mtime, {"Access-Control-Allow-Origin": "*"})


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
    rooms = request.app[ROOMS]
    ready = rooms.liveness.ready and await rooms.core.store_ready()
    return web.json_response({"ok": ready}, status=200 if ready else 503)


async def metrics(request: web.Request) -> web.Response:
    app_metrics = request.app[METRICS]
    app_metrics.rooms.set(len(request.app[SETTINGS].rooms))
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
