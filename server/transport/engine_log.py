"""engine.io's log of a long-polling POST it could not read, as one line.

A websocket frame engine.io cannot decode is caught by our receive loop
(`guarded_websocket`) and logged once, by its error's type. A long-polling POST goes
through engine.io's own handler instead, which logs the whole traceback for any such
packet (an unknown packet type, bytes that are not UTF-8) and answers 200: a client
could fill the log with tracebacks, one per request. The filter keeps one line, by the
error's type, at most once a minute (with how many it left out), and drops the
traceback. The traceback never held the packet's text, and neither does the line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from server.transport.occasional import Occasional

ENGINE_LOGGER = "engineio.server"
_POST_ERROR = "post request handler error"


class OneLinePostErrors(logging.Filter):
    """The traceback cut to one line, and at most one such line a minute: a client that
    keeps posting what cannot be read is told apart by the count, not a line each."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._lines = Occasional(clock=clock)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg != _POST_ERROR or not record.exc_info:
            return True
        if not self._lines.due():
            return False
        kind = record.exc_info[0].__name__ if record.exc_info[0] else "error"
        record.msg = "a long-polling packet could not be handled (%s); %d more since the last line"
        record.args = (kind, self._lines.left_out)
        record.exc_info, record.exc_text = None, None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


_FILTER = OneLinePostErrors()


def quiet_post_errors() -> None:
    """Install the filter on engine.io's logger (once, however many apps are made)."""
    logging.getLogger(ENGINE_LOGGER).addFilter(_FILTER)
