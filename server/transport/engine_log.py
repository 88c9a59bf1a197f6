"""engine.io's log of a long-polling POST it could not read, as one line.

A websocket frame engine.io cannot decode is caught by our receive loop
(`guarded_websocket`) and logged once, by its error's type. A long-polling POST goes
through engine.io's own handler instead, which logs the whole traceback for any such
packet (an unknown packet type, bytes that are not UTF-8) and answers 200: a client
could fill the log with tracebacks, one per request. The filter keeps the line and
drops the traceback, the same one line as the websocket path. The traceback never held
the packet's text, and neither does the line.
"""

from __future__ import annotations

import logging

ENGINE_LOGGER = "engineio.server"
_POST_ERROR = "post request handler error"


class OneLinePostErrors(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == _POST_ERROR and record.exc_info:
            kind = record.exc_info[0].__name__ if record.exc_info[0] else "error"
            record.msg, record.args = "a long-polling packet could not be handled (%s)", (kind,)
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


_FILTER = OneLinePostErrors()


def quiet_post_errors() -> None:
    """Install the filter on engine.io's logger (once, however many apps are made)."""
    logging.getLogger(ENGINE_LOGGER).addFilter(_FILTER)
