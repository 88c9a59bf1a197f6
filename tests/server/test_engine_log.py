"""What a client can make the server log at will: one line a while, with a count."""

from __future__ import annotations

import logging
import sys

from aiohttp.http_exceptions import BadStatusLine

from server.transport.engine_log import OneLinePostErrors
from server.transport.http_log import QuietRequestErrors
from server.transport.occasional import EVERY_S, Occasional
from tests.helpers import Clock


def post_error() -> logging.LogRecord:
    try:
        ["only one"][5]  # what engine.io hits on an unknown packet type
    except IndexError:
        exc_info = sys.exc_info()
    return logging.LogRecord("engineio.server", logging.ERROR, __file__, 1,
                             "post request handler error", None, exc_info)


def test_the_traceback_becomes_one_warning_a_minute_with_a_count() -> None:
    clock = Clock()
    quiet = OneLinePostErrors(clock)
    first = post_error()
    assert quiet.filter(first)
    assert (first.levelname, first.exc_info, first.exc_text) == ("WARNING", None, None)
    assert first.getMessage() == ("a long-polling packet could not be handled (IndexError); "
                                  "0 more since the last line")
    assert not quiet.filter(post_error())
    assert not quiet.filter(post_error())
    clock.advance(EVERY_S)
    later = post_error()
    assert quiet.filter(later)
    assert later.getMessage().endswith("(IndexError); 2 more since the last line")


def test_other_records_pass_untouched() -> None:
    quiet = OneLinePostErrors(Clock())
    other = logging.LogRecord("engineio.server", logging.WARNING, __file__, 1,
                              "Application rejected connection", None, None)
    for _ in range(3):
        assert quiet.filter(other)
    assert other.getMessage() == "Application rejected connection"


def request_error(error: Exception) -> logging.LogRecord:
    try:
        raise error
    except Exception:
        exc_info = sys.exc_info()
    return logging.LogRecord("aiohttp.server", logging.ERROR, __file__, 1,
                             "Error handling request from %s", ("203.0.113.9",), exc_info)


def test_a_request_aiohttp_cannot_parse_is_one_warning_a_minute_without_the_address() -> None:
    clock = Clock()
    quiet = QuietRequestErrors(clock)
    first = request_error(BadStatusLine("GET / HTTP/9.9"))
    assert quiet.filter(first)
    assert (first.levelname, first.exc_info, first.exc_text) == ("WARNING", None, None)
    assert first.getMessage() == ("an HTTP request could not be parsed (BadStatusLine); "
                                  "0 more since the last line")
    assert not quiet.filter(request_error(BadStatusLine("GET / HTTP/9.9")))
    clock.advance(EVERY_S)
    later = request_error(BadStatusLine("GET / HTTP/9.9"))
    assert quiet.filter(later)
    assert later.getMessage().endswith("(BadStatusLine); 1 more since the last line")


def test_a_handlers_exception_keeps_its_traceback_and_loses_the_address() -> None:
    quiet = QuietRequestErrors(Clock())
    for _ in range(2):  # our bug, not the client's: every one is logged
        record = request_error(KeyError("room"))
        assert quiet.filter(record)
        assert record.getMessage() == "Error handling a request"
        assert record.levelname == "ERROR" and record.exc_info is not None
    other = logging.LogRecord("aiohttp.server", logging.ERROR, __file__, 1,
                              "Unhandled exception", None, None)
    assert quiet.filter(other) and other.getMessage() == "Unhandled exception"


def test_occasional_is_due_once_a_while_and_counts_what_it_left_out() -> None:
    clock = Clock()
    lines = Occasional(60.0, clock)
    assert lines.due() and lines.left_out == 0
    assert [lines.due() for _ in range(4)] == [False] * 4
    clock.advance(59.9)
    assert not lines.due()
    clock.advance(0.1)
    assert lines.due() and lines.left_out == 5
