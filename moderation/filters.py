"""Screening a member's message before it is posted (DESIGN §5).

Blocked terms (``block`` or ``hold``), the PII guard and crisis phrases are
checked over the same normal form, so "ＫＩＬＬ" or "ki\\u200bll" is no way round
a term. Messages are plain text: markup is just characters, never a concern here.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from moderation.crisis import mentions_crisis
from moderation.decisions import Denial
from moderation.pii import PiiKind, at_names, find_pii
from moderation.textnorm import fold, folded_and_visible, phrase_pattern, visible

MAX_TERM_LEN = 200

_TERM_DENIAL = Denial("blocked", "Your message wasn't sent because it has words this room "
                      "doesn't allow. Please try saying it another way.")
_HELD_DENIAL = Denial("held", "Thanks for sharing. Your message is waiting for a "
                      "facilitator to look at it before it appears.")
_PII_WHAT: dict[PiiKind, str] = {
    "phone": "a phone number",
    "email": "an e-mail address",
    "social": "a social media account or link",
}

# Every C0/C1 control except newline and tab; "\r\n" becomes "\n" by losing "\r".
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Lone surrogates (possible from JSON "\ud800") cannot be encoded to send on.
_SURROGATES = re.compile(r"[\ud800-\udfff]")


@dataclass(frozen=True)
class BlockedTerm:
    """A word or phrase a room refuses (``block``) or sends to facilitators (``hold``)."""

    term: str
    action: Literal["block", "hold"]


@dataclass(frozen=True)
class Verdict:
    """What to do with a message.

    ``denial`` is set for ``block`` and ``hold``. ``pii`` names the contact
    detail found, ``crisis`` says a risk phrase was seen; a crisis alone
    never stops a message.
    """

    action: Literal["allow", "block", "hold"]
    denial: Denial | None
    pii: PiiKind | None
    crisis: bool


# Nearly every message is allowed with nothing found: one verdict each, built once
# (a frozen dataclass costs half a microsecond to build).
_ALLOW = Verdict("allow", None, None, False)
_ALLOW_CRISIS = Verdict("allow", None, None, True)


def screen(
    text: str,
    terms: Sequence[BlockedTerm],
    *,
    check_pii: bool = True,
    present: Collection[str] = frozenset(),
    crisis_phrases: tuple[str, ...] = (),
) -> Verdict:
    """Screen ``text`` against blocked ``terms``, the PII guard and crisis phrases.

    ``block`` beats ``hold``; contact details block. ``present`` are the keys
    (:func:`moderation.pii.addressed_as`) of people in the room, at least those
    :func:`addressed_in` names for this text, so "@Sam" addressed to a member is
    not taken for a social-media handle. Pass ``check_pii=False`` for staff, who
    may need to share a helpline number. ``crisis_phrases`` extend the built-in
    crisis lists (``[moderation] crisis_phrases``, every language's in one tuple);
    pass the same tuple each time so its compiled form is reused.
    """
    folded, shown = folded_and_visible(text)
    blocked, held = _term_hits(folded, terms)
    pii: PiiKind | None = find_pii(shown, present, folded=folded) if check_pii else None
    crisis = mentions_crisis(folded, crisis_phrases)
    if blocked:
        return Verdict("block", _TERM_DENIAL, pii, crisis)
    if pii is not None:
        return Verdict("block", _pii_denial(pii), pii, crisis)
    if held:
        return Verdict("hold", _HELD_DENIAL, pii, crisis)
    return _ALLOW_CRISIS if crisis else _ALLOW


def addressed_in(text: str) -> tuple[str, ...]:
    """The keys to look up among the people present before screening ``text`` (as
    :func:`validate_text` returns it): its @names, as :func:`screen` will read them.

    Looking up only these keeps a message's cost the same in a room of ten or a
    thousand; the store keeps each room's keys as members come and go.
    """
    return at_names(visible(text)) if "@" in text or not text.isascii() else ()


def _term_hits(folded: str, terms: Sequence[BlockedTerm]) -> tuple[bool, bool]:
    """(a ``block`` term is in ``folded``, a ``hold`` term is)."""
    if not terms:
        return False, False
    blocks = tuple(t.term for t in terms if t.action == "block")
    holds = tuple(t.term for t in terms if t.action == "hold")
    # Most messages hold no term at all: one search over every term says so.
    hit = _terms_pattern((*blocks, *holds)).search(folded)
    if hit is None:
        return False, False
    blocked = _matches(folded, blocks)
    return blocked, not blocked and _matches(folded, holds)


def _matches(folded: str, terms: tuple[str, ...]) -> bool:
    return bool(terms) and _terms_pattern(terms).search(folded) is not None


def _pii_denial(kind: PiiKind) -> Denial:
    return Denial("blocked", f"Your message wasn't sent because it looks like it has "
                  f"{_PII_WHAT[kind]} in it. Staying anonymous protects everyone here, "
                  "you included, so please keep contact details out of the room.")


# Terms come from config and rarely change; messages are screened against them
# all, so each room's list (with the global one) is one pattern.
@lru_cache(maxsize=1024)
def _terms_pattern(terms: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(_first_char_first(phrase_pattern(fold(t))) for t in terms))


def _first_char_first(pattern: str) -> str:
    """The same match, with a literal first so the regex engine can skip ahead.

    ``(?<!\\w)kill...`` becomes ``k(?<!\\wk)ill...``: after the "k" the two
    characters behind are not a word character and then "k", which is what
    the original asked before it. When every alternative starts with a literal,
    ``re`` only tries positions holding one of those letters.
    """
    head = r"(?<!\w)"
    rest = pattern[len(head):]
    if not pattern.startswith(head) or not rest[:1].isalnum():
        return f"(?:{pattern})"
    first = rest[0]
    return f"(?:{first}(?<!\\w{first}){rest[1:]})"


def clean_text(raw: str) -> str:
    """``raw`` without control characters (newline and tab stay), stripped."""
    return _SURROGATES.sub("\ufffd", _CONTROLS.sub("", raw)).strip()


def validate_text(raw: object, max_len: int = 2000) -> str | Denial:
    """Clean a message's text, or refuse it (``bad_request``, ``empty``, ``too_long``).

    Control characters other than newline and tab are removed, surrounding
    whitespace is stripped, inner newlines are kept. Length is counted in
    code points after cleaning.
    """
    if not isinstance(raw, str):
        return Denial("bad_request", "The message text must be a string.")
    text = clean_text(raw)
    if not text:
        return Denial("empty", "There's nothing to send yet.")
    if len(text) > max_len:
        return Denial("too_long", f"That message is a bit long. Please keep it under "
                      f"{max_len:,} characters, or send it in parts.")
    return text
