"""A confusable-insensitive "skeleton" of a name, after the idea of UTS #39.

Two names with the same skeleton look alike to a reader ("Sam", "SAM", "Ѕаm"
in Cyrillic, "ｓａｍ", "S.a.m"), so one may not be used to pass for the other.
The skeleton is only ever compared, never shown.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from confusable_homoglyphs import confusables

# ASCII look-alikes the Unicode data does not fold together on its own. Applied
# after casefolding, so "I" (→ "i") lands here too. Other digits stay digits:
# "5am" is a different name from "Sam".
ASCII_CONFUSABLES: dict[str, str] = {"0": "o", "1": "l", "i": "l", "|": "l"}
# Multi-letter look-alikes, applied to the whole folded string ("rn" reads as "m").
ASCII_SEQUENCES: tuple[tuple[str, str], ...] = (("rn", "m"),)

# Non-spacing marks are easy to overlook or fake ("é" vs "e\u0301" vs "e").
# Spacing marks (Mc, e.g. Devanagari vowel signs) stay: they change how a name reads.
_MARKS = frozenset({"Mn", "Me"})

# The confusables data wraps right-to-left glyphs in LEFT-TO-RIGHT MARKs for display.
_LRM = "\u200e"


def _fold_ascii(text: str) -> str:
    return "".join(ASCII_CONFUSABLES.get(ch, ch) for ch in text.casefold())


@lru_cache(maxsize=1)
def _candidates() -> dict[str, frozenset[str]]:
    """Each non-ASCII character with an ASCII homoglyph, and those homoglyphs.

    The library's data says which characters look like which; we keep only
    pairs where one side is ASCII. Built once, on first use.
    """
    candidates: dict[str, set[str]] = {}
    for char, glyphs in confusables.confusables_data.items():
        for glyph in glyphs:
            other = str(glyph["c"]).replace(_LRM, "")
            if char.isascii() and not other.isascii() and len(other) == 1:
                candidates.setdefault(other, set()).add(char)
            elif not char.isascii() and other.isascii() and other.isprintable() and other:
                candidates.setdefault(char, set()).add(other)
    return {char: frozenset(asc) for char, asc in candidates.items()}


@lru_cache(maxsize=1)
def _table() -> dict[str, str]:
    # After folding, every character's candidates agree (checked when this was
    # written); min() keeps the result deterministic should a future data file disagree.
    return {char: min(_fold_ascii(a) for a in asc) for char, asc in _candidates().items()}


@lru_cache(maxsize=1)
def ascii_lookalikes() -> dict[int, str]:
    """A ``str.translate`` table: non-ASCII letters and digits to the ASCII they imitate.

    Unlike :func:`skeleton` this keeps "i" and "l" apart and leaves spaces and
    punctuation alone ("¡" stays "¡"), so words can still be read as words: it
    is for matching phrases ("kіll" with a Cyrillic "і"), not for comparing names.
    """
    table: dict[int, str] = {}
    for char, asc in _candidates().items():
        if len(char) != 1 or unicodedata.category(char)[0] not in "LN":
            continue
        # Lower-casing makes the candidates agree (as for _table above). Letters
        # that imitate "'" or "(2)" would glue or split words: left as they are.
        value = min(a.lower() for a in asc)
        if value.isascii() and value.isalnum():
            table[ord(char)] = value
    return table


def skeleton(text: str) -> str:
    """The comparison form of ``text``: equal skeletons mean "looks the same"."""
    table = _table()
    folded = unicodedata.normalize("NFKC", text).casefold()
    bare = "".join(
        ch for ch in unicodedata.normalize("NFD", folded)
        if unicodedata.category(ch) not in _MARKS
    )
    mapped = _fold_ascii("".join(table.get(ch, ch) for ch in bare))
    # Spaces and punctuation barely register when reading a name ("Sam." vs
    # "Sam", "S-a-m" vs "Sam"); punctuation is kept only if nothing else is left.
    spaceless = "".join(ch for ch in mapped if not ch.isspace())
    letters = "".join(ch for ch in spaceless if not unicodedata.category(ch).startswith("P"))
    # Sequences last, so "r.n" (read as "rn", read as "m") folds too.
    key = letters or spaceless
    for seq, repl in ASCII_SEQUENCES:
        key = key.replace(seq, repl)
    return unicodedata.normalize("NFC", key)


# Build the table at import so the first join does not pay for it.
_table()
