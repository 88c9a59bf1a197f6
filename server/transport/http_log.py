"""aiohttp's log of a request it could not serve, without the client's address.

aiohttp's server logger says `Error handling request from <address>` for every request
its parser refuses (a bad header, an unknown HTTP version, an over-long request line),
with a traceback that quotes the offending bytes, and answers 400. Our log never holds
an address or what a client sent, and a client could send such requests at will: the
filter keeps one line, by the error's type, at most once a minute (with how many it
left out). The same message for a handler's exception (a 500: our bug, not the
client's) keeps its traceback and loses only the address.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from aiohttp.http_exceptions import HttpProcessingError

from server.transport.occasional import Occasional

HTTP_LOGGER = "aiohttp.server"
_REQUEST_ERROR = "Error handling request from %s"


class QuietRequestErrors(logging.Filter):
    """No address in aiohttp's request errors, and a request aiohttp could not parse
    cut to one line, at most once a minute."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._lines = Occasional(clock=clock)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg != _REQUEST_ERROR:
            return True
        error = record.exc_info[1] if record.exc_info else None
        if not isinstance(error, HttpProcessingError):
            record.msg, record.args = "Error handling a request", ()
            return True
        if not self._lines.due():
            return False
        record.msg = "an HTTP request could not be parsed (%s); %d more since the last line"
        record.args = (type(error).__name__, self._lines.left_out)
        record.exc_info, record.exc_text = None, None
        # aiohttp logs some at DEBUG (a first request that is not HTTP at all): never raised.
        if record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def quiet_request_errors() -> None:
    """Install the filter on aiohttp's server logger (for the process `peer-rooms serve`
    runs: tests that build apps keep aiohttp's own lines)."""
    logger = logging.getLogger(HTTP_LOGGER)
    if not any(isinstance(f, QuietRequestErrors) for f in logger.filters):
        logger.addFilter(QuietRequestErrors())
