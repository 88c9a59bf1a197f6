"""Phrases that suggest someone may be at risk (DESIGN §5).

A match never blocks a message: it brings the writer a private list of
support resources and tells the facilitators. So the list leans towards
catching too much; a false alarm costs a facilitator a glance.
"""

from __future__ import annotations

import re
from functools import lru_cache

from moderation.textnorm import phrase_pattern

# Written folded (lower case, straight apostrophes); an apostrophe may be left
# out when typed, and any run of spaces or a hyphen may join the words.
CRISIS_PHRASES: tuple[str, ...] = (
    # suicide
    "suicide", "suicidal", "kill myself", "killing myself", "end my life",
    "ending my life", "take my own life", "take my life", "end it all", "ending it all",
    "want to die", "wanna die", "want to be dead", "wish i was dead", "wish i were dead",
    "better off dead", "better off without me", "no reason to live", "nothing to live for",
    "don't want to live", "don't want to be alive", "don't want to be here anymore",
    "don't want to be here any more", "don't want to wake up", "not worth living",
    "can't go on", "hang myself", "shoot myself", "jump off a bridge", "say goodbye to everyone",
    "goodbye forever", "final goodbye",
    # self-harm
    "self harm", "self harming", "selfharm", "hurt myself", "hurting myself",
    "cut myself", "cutting myself", "harm myself", "harming myself",
    # overdose
    "overdose", "overdosed", "overdosing",
    "took too many pills", "take too many pills", "taken too many pills",
    "took all my pills", "take all my pills", "took a bottle of pills",
)


# Slang whose apostrophe cannot be optional: "od'd" without it is the word "odd".
_EXACT: tuple[str, ...] = (r"(?<!\w)od'(?:d|ed|ing)(?!\w)",)


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    alternatives = [phrase_pattern(p).replace(r"\s+", r"[\s-]+") for p in CRISIS_PHRASES]
    return re.compile("|".join(f"(?:{a})" for a in [*alternatives, *_EXACT]))


def mentions_crisis(folded: str) -> bool:
    """True if ``folded`` text (see :func:`moderation.textnorm.fold`) names a risk."""
    return _pattern().search(folded) is not None
