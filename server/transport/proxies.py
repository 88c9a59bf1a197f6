"""Behind a reverse proxy: the forwarded scheme, host and client address become the
request's own, but only when the request comes from a proxy we trust.

aiohttp-remotes does the parsing (`XForwardedFiltered`: the client is the right-most
X-Forwarded-For address that is not a trusted proxy). It does not look at who sent
the headers, so that is checked here first: from a peer that is not a trusted proxy
the X-Forwarded headers are removed before anything (aiohttp, engine.io) can read
them, so they cannot be spoofed. A trusted peer that sends no X-Forwarded-For (a
local health check, or a proxy set up to send only the scheme) is believed for the
scheme and host it forwards.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware
from aiohttp_remotes import XForwardedFiltered
from multidict import CIMultiDict

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_FORWARDED = ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "Forwarded")


def peer_address(request: web.Request) -> str | None:
    """The address the TCP connection came from (not what headers claim)."""
    peer = request.transport.get_extra_info("peername") if request.transport else None
    return str(peer[0]) if peer else None


def proxy_middleware(trusted: Sequence[str]) -> Middleware:
    networks: list[Network] = [ipaddress.ip_network(t, strict=False) for t in trusted]
    filtered = XForwardedFiltered(set(networks)) if networks else None

    def is_trusted(address: str | None) -> bool:
        try:
            ip = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        return any(ip in network for network in networks)

    @web.middleware
    async def resolve(request: web.Request, handler: Handler) -> web.StreamResponse:
        if filtered is not None and is_trusted(peer_address(request)):
            if "X-Forwarded-For" in request.headers:
                answer: web.StreamResponse = await filtered.middleware(request, handler)
                return answer
            return await handler(_scheme_and_host(request))
        if any(name in request.headers for name in _FORWARDED):
            headers = CIMultiDict(request.headers)
            for name in _FORWARDED:
                headers.popall(name, None)
            request = request.clone(headers=headers)
        return await handler(request)

    return resolve


def _scheme_and_host(request: web.Request) -> web.Request:
    overrides: dict[str, str] = {}
    proto = request.headers.get("X-Forwarded-Proto", "").split(",")[-1].strip()
    if proto in ("http", "https"):
        overrides["scheme"] = proto
    host = request.headers.get("X-Forwarded-Host", "").split(",")[-1].strip()
    if host:
        overrides["host"] = host
    return request.clone(**overrides) if overrides else request  # type: ignore[arg-type]


def same_origin_socket(allowed: Sequence[str] | None) -> Callable[[str | None, dict[str, Any]],
                                                                 bool]:
    """engine.io's origin check, against the request as the proxy middleware resolved it
    (engine.io's own default believes X-Forwarded headers from anyone)."""
    def check(origin: str | None, environ: dict[str, Any]) -> bool:
        if origin is None:
            return True  # not a browser: no cross-site risk to check
        if allowed:
            return origin in allowed
        request: web.Request | None = environ.get("aiohttp.request")
        return request is not None and origin == f"{request.scheme}://{request.host}"

    return check
