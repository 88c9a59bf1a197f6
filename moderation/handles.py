"""Handle rules (DESIGN §5): what a chosen name may contain, and when it is taken.

Handles are counted and compared after NFKC. Uniqueness uses a
confusable-insensitive key (:func:`handle_key`), so nobody can pass for another
member or for a facilitator with look-alike letters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from moderation.decisions import Denial
from moderation.skeleton import skeleton

MIN_LEN = 2
MAX_LEN = 32
MAX_MARKS_PER_CHAR = 4

# Categories refused anywhere: controls, format characters (bidi overrides,
# zero-width spaces, BOM, tags), line/paragraph separators, lone surrogates
# (they cannot be sent as UTF-8), private-use and unassigned code points
# (they render as nothing or as anything).
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
# Letters and symbols that draw nothing; "Sam" plus a filler would look like "Sam".
_BLANKS = frozenset({"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"})
_COUNTED_MARKS = frozenset({"Mn", "Me"})
_SPACES = re.compile(r"\s+")

_INVALID_TYPE = "Please choose a name made of letters, numbers or symbols."


class HandleError(ValueError):
    """A handle that breaks a rule; ``denial`` says which, kindly."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.denial = Denial("handle_invalid", why)


def account_name(raw: str) -> str:
    """The form of a facilitator's name that logins look up and rate-limit by.

    NFKC, surrounding whitespace stripped, inner runs of whitespace collapsed to one
    space: "Sam ", "\tSam" and "Sam\r\n" are all "Sam", so no spelling of a name
    escapes the limit that name is under.
    """
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", raw).strip())


def normalize_handle(raw: str) -> str:
    """Return the canonical form of a handle, or raise :class:`HandleError`.

    NFKC, surrounding whitespace stripped, inner runs of spaces collapsed to one.
    Refused: not a string, fewer than 2 or more than 32 code points, control,
    format (bidi, zero-width), separator or blank-filler characters, more than 4
    combining marks on one character, a leading combining mark, or nothing
    visible at all.
    """
    if not isinstance(raw, str):
        raise HandleError(_INVALID_TYPE)
    # Strip before looking for controls so a pasted trailing newline is forgiven.
    text = unicodedata.normalize("NFKC", raw).strip()
    for ch in text:
        if unicodedata.category(ch) in _REFUSED_CATEGORIES or ch in _BLANKS:
            raise HandleError("Your name has an invisible or special character in it. "
                              "Please use only visible letters, numbers and symbols.")
    text = _SPACES.sub(" ", text)
    if len(text) < MIN_LEN:
        raise HandleError(f"Please choose a name of at least {MIN_LEN} characters.")
    if len(text) > MAX_LEN:
        raise HandleError(f"Please choose a name of at most {MAX_LEN} characters.")
    if unicodedata.category(text[0]).startswith("M"):
        raise HandleError("Your name can't start with an accent or combining mark.")
    if not any(not ch.isspace() and not unicodedata.category(ch).startswith("M")
               for ch in text):
        raise HandleError("Please choose a name people can see.")
    marks = 0
    # Counted decomposed, so a precomposed "à" counts its accent like "a\u0300" does.
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.category(ch) in _COUNTED_MARKS:
            marks += 1
            if marks > MAX_MARKS_PER_CHAR:
                raise HandleError("Your name has too many accents stacked on one letter.")
        else:
            marks = 0
    return text


@lru_cache(maxsize=8192)
def handle_key(handle: str) -> str:
    """The comparison key of a handle: equal keys mean the names look alike.

    Case-, width-, accent-, spacing- and punctuation-insensitive, and folds
    look-alike letters from other scripts to their ASCII twin (see
    :mod:`moderation.skeleton`). Never raises; works on unnormalised text too.
    Cached: every join compares against every handle in the room.
    """
    return skeleton(handle)


def check_handle(raw: object, taken: Iterable[str], reserved: Iterable[str]) -> str | Denial:
    """Validate a requested handle against the rules and the names in use.

    ``taken`` are the handles of the members in the room, ``reserved`` the
    configured facilitator names (raw forms; keys are compared). Returns the
    normalised handle, or ``handle_invalid`` / ``handle_taken``.
    """
    if not isinstance(raw, str):
        return Denial("handle_invalid", _INVALID_TYPE)
    try:
        handle = normalize_handle(raw)
    except HandleError as exc:
        return exc.denial
    key = handle_key(handle)
    if any(handle_key(name) == key for name in reserved):
        return Denial("handle_taken", "That name is kept for a facilitator. "
                      "Please choose another one.")
    if any(handle_key(name) == key for name in taken):
        return Denial("handle_taken", "Someone in the room already has that name "
                      "(or one that looks just like it). Please choose another one.")
    return handle
