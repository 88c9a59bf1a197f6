"""Headers every response carries, the same-origin check for form posts, and the
client's address."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from server.models.errors import StoreUnavailable
from server.transport.json_errors import error

# default-src 'self' with nothing inline: every script and style is a file we serve.
CSP = ("default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
       "object-src 'none'")

# The facilitator's login cookie (HttpOnly, SameSite=Strict; Secure over https).
SESSION_COOKIE = "peer_rooms_session"
# Proof that this browser logged in before (server/rooms/logins.py); not a session.
KNOWN_LOGIN_COOKIE = "peer_rooms_known"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
        _decorate(response)
        raise
    _decorate(response)
    return response


def _decorate(response: web.StreamResponse) -> None:
    if response.prepared:
        return
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Not "no-referrer": under it a browser's Origin on our own form posts is "null",
    # and the same-origin check needs the real one. Other sites still get no Referer.
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"


def same_origin(request: web.Request) -> bool:
    """A browser form post must come from our own pages (login CSRF).

    Browsers send Origin on every POST, form submissions included; a missing Origin
    or "null" (sandboxed frames, data: URLs, some redirects) is refused, not trusted.
    There is no Referer fallback: whatever sends no Origin is not one of our pages.
    """
    return request.headers.get("Origin") == f"{request.scheme}://{request.host}"


def client_address(request: web.Request) -> str:
    """The client's address, for limits only (never logged or stored).

    The one place that decides it, so trusted-proxy resolution belongs here.
    """
    return request.remote or "unknown"


@web.middleware
async def store_down_is_503(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A page or API call that needs the shared store while it is unreachable is
    "try again shortly" (503), not a server error."""
    try:
        return await handler(request)
    except StoreUnavailable:
        return error(503, "unavailable", "The service is briefly unavailable. Please try again.",
                     headers={"Retry-After": "2"})
