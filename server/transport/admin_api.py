"""The admin API (DESIGN §3 "Admin API"): JSON over the admin domain.

`Authorization: Bearer` from `POST /api/login`, or the console's login cookie — with
the same-origin check for anything that changes a record, since a browser sends the
cookie to any site's form. Errors are `{"error": {"code", "message", "field"?}}`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from moderation.timefmt import iso_utc
from server.keys import ROOMS
from server.records.base import RecordConflict, RecordInUse, RecordMissing
from server.rooms.admin import Invalid
from server.transport.json_errors import error
from server.transport.security import SESSION_COOKIE, same_origin

Handler = Callable[[web.Request, str], Awaitable[web.StreamResponse]]
_CONFLICTS = {
    "exists": "A record by that name already exists.",
    "stale": "Someone changed this record since you opened it. Reload and edit again.",
    "provisioned": "This record comes from the config file and is read-only here.",
}


async def _body(request: web.Request) -> object:
    try:
        return await request.json()
    except (ValueError, UnicodeDecodeError):
        raise Invalid("body", "must be JSON") from None


def admin_only(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """401 without a valid session, 403 for a facilitator who is not an admin; maps the
    domain's refusals to their codes."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        rooms = request.app[ROOMS]
        scheme, _, bearer = request.headers.get("Authorization", "").partition(" ")
        from_cookie = not (scheme.lower() == "bearer" and bearer.strip())
        token = request.cookies.get(SESSION_COOKIE) if from_cookie else bearer.strip()
        name = await rooms.facilitator_of(token)
        if name is None:
            return error(401, "auth_failed", "Sign in as an admin facilitator.")
        if not rooms.admin.is_admin(name):
            return error(403, "forbidden", "Only admin facilitators may do this.")
        if from_cookie and request.method not in ("GET", "HEAD") and not same_origin(request):
            return error(403, "forbidden", "Cross-site requests are not accepted.")
        try:
            return await handler(request, name)
        except Invalid as exc:
            return error(400, "invalid", f"{exc.field} {exc.message}", exc.field)
        except RecordConflict as exc:
            return error(409, exc.code, _CONFLICTS[exc.code])
        except RecordMissing:
            return error(404, "not_found", "There is no such record.")
        except RecordInUse as exc:
            return error(409, "in_use", f"These rooms use it: {', '.join(exc.rooms)}. "
                         "Give them another format first.")

    return guarded


def _json(data: object, status: int = 200) -> web.Response:
    return web.Response(status=status, content_type="application/json",
                        text=json.dumps(data, ensure_ascii=False))


async def list_rooms(request: web.Request, actor: str) -> web.StreamResponse:
    return _json(request.app[ROOMS].admin.rooms())


async def get_room(request: web.Request, actor: str) -> web.StreamResponse:
    return _json(request.app[ROOMS].admin.room(request.match_info["room_id"]))


async def create_room(request: web.Request, actor: str) -> web.StreamResponse:
    stored = await request.app[ROOMS].admin.create_room(actor, await _body(request))
    return _json(stored, 201)


async def replace_room(request: web.Request, actor: str) -> web.StreamResponse:
    stored = await request.app[ROOMS].admin.replace_room(actor, request.match_info["room_id"],
                                                         await _body(request))
    return _json(stored)


async def delete_room(request: web.Request, actor: str) -> web.StreamResponse:
    await request.app[ROOMS].admin.delete_room(actor, request.match_info["room_id"])
    return web.Response(status=204)


async def list_facilitators(request: web.Request, actor: str) -> web.StreamResponse:
    return _json(request.app[ROOMS].admin.facilitators())


async def invite_facilitator(request: web.Request, actor: str) -> web.StreamResponse:
    invite = await request.app[ROOMS].admin.invite(actor, await _body(request))
    url = f"{request.scheme}://{request.host}/invite/{invite.token}"
    return _json({"name": invite.name, "invite_url": url,
                  "expires_at": iso_utc(invite.expires_at)}, 201)


async def delete_facilitator(request: web.Request, actor: str) -> web.StreamResponse:
    await request.app[ROOMS].admin.remove_facilitator(actor, request.match_info["name"])
    return web.Response(status=204)


async def get_format(request: web.Request, actor: str) -> web.StreamResponse:
    return _json(request.app[ROOMS].admin.format(request.match_info["name"]))


async def put_format(request: web.Request, actor: str) -> web.StreamResponse:
    stored = await request.app[ROOMS].admin.put_format(actor, request.match_info["name"],
                                                       await _body(request))
    return _json(stored)


async def delete_format(request: web.Request, actor: str) -> web.StreamResponse:
    await request.app[ROOMS].admin.delete_format(actor, request.match_info["name"])
    return web.Response(status=204)


async def list_formats(request: web.Request, actor: str) -> web.StreamResponse:
    admin = request.app[ROOMS].admin
    return _json([admin.format(name) for name in request.app[ROOMS].catalog.formats])


async def get_resources(request: web.Request, actor: str) -> web.StreamResponse:
    return _resources(request.app[ROOMS].admin.resources())


async def put_resources(request: web.Request, actor: str) -> web.StreamResponse:
    return _resources(await request.app[ROOMS].admin.put_resources(actor, await _body(request)))


def _resources(answer: dict[str, Any]) -> web.Response:
    """DESIGN §3 answers the `[[resources]]` list itself; where it comes from and when it
    was last saved (what the console shows and sends back to be told `stale`) go in
    headers, so the body stays that list."""
    response = _json(answer["resources"])
    response.headers["X-Record-Source"] = answer["source"]
    if answer["updated_at"] is not None:
        response.headers["X-Record-Updated-At"] = answer["updated_at"]
    return response


async def site_audit(request: web.Request, actor: str) -> web.StreamResponse:
    return _json(await request.app[ROOMS].admin.audit())


def add_admin_routes(app: web.Application) -> None:
    routes = (
        ("GET", "/api/admin/rooms", list_rooms),
        ("POST", "/api/admin/rooms", create_room),
        ("GET", "/api/admin/rooms/{room_id}", get_room),
        ("PUT", "/api/admin/rooms/{room_id}", replace_room),
        ("DELETE", "/api/admin/rooms/{room_id}", delete_room),
        ("GET", "/api/admin/facilitators", list_facilitators),
        ("POST", "/api/admin/facilitators", invite_facilitator),
        ("DELETE", "/api/admin/facilitators/{name}", delete_facilitator),
        ("GET", "/api/admin/formats", list_formats),
        ("GET", "/api/admin/formats/{name}", get_format),
        ("PUT", "/api/admin/formats/{name}", put_format),
        ("DELETE", "/api/admin/formats/{name}", delete_format),
        ("GET", "/api/admin/resources", get_resources),
        ("PUT", "/api/admin/resources", put_resources),
        ("GET", "/api/admin/audit", site_audit),
    )
    for method, path, handler in routes:
        app.router.add_route(method, path, admin_only(handler))
