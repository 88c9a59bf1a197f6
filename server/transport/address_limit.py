"""Connections per client address: the key they are counted by, and the operator's
warning when the limit refuses one.

Behind a proxy that is not listed in `trusted_proxies`, every client has the proxy's
address, and the limit would hold the whole site to `connections_per_address`
connections. The warning says so, at most once a minute (a flood is many refusals),
and never names the address.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from server.rooms.logins import address_key
from server.transport.occasional import Occasional
from server.transport.security import client_address

log = logging.getLogger(__name__)


# Where a connection's key is kept once worked out: engine.io's connect and the
# namespace's both count by it, from the same environ.
_ADDRESS_KEY = "peer_rooms.address"


def connection_address(environ: dict[str, Any]) -> str:
    """What a Socket.IO or engine.io connection is counted under (an IPv6 /64)."""
    known = environ.get(_ADDRESS_KEY)
    if isinstance(known, str):
        return known
    request = environ.get("aiohttp.request")
    address = address_key(client_address(request)) if request is not None else "unknown"
    environ[_ADDRESS_KEY] = address
    return address


class RefusalWarning:
    """One log line a minute at most while `limits.connections_per_address` refuses."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._lines = Occasional(clock=clock)

    def refused(self, limit: int) -> None:
        if self._lines.due():
            log.warning("refused connections: one client address has %d open "
                        "(limits.connections_per_address; %d more refused since the last "
                        "line); behind a proxy not listed in trusted_proxies, every client "
                        "has the proxy's address", limit, self._lines.left_out)
