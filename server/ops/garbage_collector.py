"""A served process's garbage collector: what start-up built frozen, full passes rare."""

from __future__ import annotations

import gc
import logging

from moderation.filters import screen
from server.config.settings import Settings

log = logging.getLogger(__name__)

# Screened once before the freeze, so the tables screening builds on first use are
# start-up objects too (the crisis phrasebook alone is ~14,000 trie nodes; a letter
# outside ASCII builds the look-alike table).
_WARM_UP_TEXT = "Warm-up: call me at 555-0100, @nobody; I want to die. Mañana no quiero vivir."

# A full collection after this many collections of the middle generation (CPython's
# default is 10; the first two thresholds stay at their defaults of 700 and 10).
FULL_PASS_AFTER = 100


def settle_garbage_collector(settings: Settings) -> None:
    """For a served process, once start-up is done (the last `on_startup` hook): warm
    up, collect once, freeze what is left, and space full collections out.

    Imports and start-up leave ~180,000 objects that live as long as the process
    (modules, classes, SQLAlchemy's and Jinja's tables, the phrase lists). Every full
    collection walked all of them: under the soak's load (200 messages/s) that was a
    ~100 ms pause twice a minute, long enough to show in the minute's p99 latency.
    Frozen, a full collection walks only what traffic has made since: still 25–95 ms
    with 500 connections (each holds ~20 suspended coroutines), and at 3,000 messages/s
    CPython ran one every ~4 s, which set the p99 of every delivery (34 ms at 30k
    deliveries/s; 5 ms with full passes this far apart, docs/performance.md item 24).
    The young generations still collect as often as before, so short-lived cycles go as
    soon as they did; only garbage that lived long enough to reach the oldest generation
    waits longer (docs/reliability.md, "Pauses").
    """
    warm_up_screening(settings)
    gc.collect()
    gc.freeze()
    first, second, _ = gc.get_threshold()
    gc.set_threshold(first, second, FULL_PASS_AFTER)
    log.info("froze %d start-up objects for the garbage collector; a full collection "
             "after %d of the middle generation", gc.get_freeze_count(), FULL_PASS_AFTER)


def warm_up_screening(settings: Settings) -> None:
    """Screen one message the way a send does, with this server's crisis phrases."""
    screen(_WARM_UP_TEXT, settings.blocked_terms, check_pii=True,
           crisis_phrases=settings.crisis_phrases)
