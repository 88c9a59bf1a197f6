"""The one normal form text filters match in, so terms and messages agree."""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache

# Combining Diacritical Marks (all Mn): the accents of Latin-script text.
_LATIN_MARKS = re.compile("[\u0300-\u036f]+")
# Curly apostrophes from phone keyboards would otherwise hide "don’t".
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\uff07": "'"})
_CURLY = re.compile("[\u2019\u2018\u02bc\uff07]")


def fold(text: str) -> str:
    """NFKC and casefold; drop accents and invisible format characters.

    Dropping zero-width characters and accents stops "ki\\u200bll" or "kíll"
    from slipping past a term; it is applied to terms and text alike, so a
    term still matches itself.
    """
    if text.isascii():
        # ASCII is its own NFKC/NFD/NFC and has no marks or format characters.
        return text.lower()
    latin = _latin1(text)
    if latin is not None:
        folded = _fold_latin1(latin)
        if folded is not None:
            return folded
    return _fold_nfkc(unicodedata.normalize("NFKC", text))


def visible(text: str) -> str:
    """NFKC without invisible format characters, case kept ("555\\u200b-1234" is a number)."""
    if text.isascii():
        return text
    return _visible_nfkc(unicodedata.normalize("NFKC", text), latin=_latin1(text) is not None)


def folded_and_visible(text: str) -> tuple[str, str]:
    """``(fold(text), visible(text))``, normalising to NFKC once for both."""
    if text.isascii():
        return text.lower(), text
    normal = unicodedata.normalize("NFKC", text)
    latin = _latin1(text)
    folded = _fold_latin1(latin) if latin is not None else None
    return (folded if folded is not None else _fold_nfkc(normal),
            _visible_nfkc(normal, latin=latin is not None))


def _latin1(text: str) -> bytes | None:
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return None


def _fold_latin1(latin: bytes) -> str | None:
    """fold() of Latin-1 text (most accented Spanish) by one table look-up per byte in C,
    or None when it holds a character whose fold is not one Latin-1 character ("ß")."""
    folded = latin.translate(_LATIN1_FOLD)
    return None if _NOT_ONE_BYTE in folded else folded.decode("latin-1")


def _fold_nfkc(normal: str) -> str:
    folded = normal.casefold()
    if _CURLY.search(folded):
        folded = folded.translate(_APOSTROPHES)  # per-character lookups: only when needed
    decomposed = _LATIN_MARKS.sub("", unicodedata.normalize("NFD", folded))
    if decomposed.isascii():
        # Accented Latin text ("más", "llamé") is ASCII once its marks are gone.
        return decomposed
    kept = "".join(ch for ch in decomposed if unicodedata.category(ch) not in ("Mn", "Me", "Cf"))
    return unicodedata.normalize("NFC", kept)


def _visible_nfkc(normal: str, *, latin: bool) -> str:
    if latin:
        # Latin-1's one format character is the soft hyphen, and NFKC turns none of
        # its characters into one: no scan of the whole format class.
        return normal.replace("\xad", "")
    if _format_chars().search(normal) is None:
        return normal
    return "".join(ch for ch in normal if unicodedata.category(ch) != "Cf")


@lru_cache(maxsize=1)
def _format_chars() -> re.Pattern[str]:
    """A character class of every format (Cf) character, from this Python's Unicode data."""
    ranges: list[tuple[int, int]] = []
    for code in range(sys.maxunicode + 1):
        if unicodedata.category(chr(code)) == "Cf":
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return re.compile("[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges) + "]")


def _latin1_fold_table() -> tuple[bytes, bytes]:
    """Each Latin-1 byte's fold, and the byte that stands for "no one-byte fold".

    Folding Latin-1 text character by character gives the same as folding it whole:
    Latin-1 has no combining characters, so nothing composes or reorders across two
    characters (tests/moderation/test_textnorm.py checks every pair).
    """
    sharp_s = ord("\u00df")  # folds to "ss", and nothing folds to it
    table = bytearray(256)
    for code in range(256):
        folded = _fold_nfkc(unicodedata.normalize("NFKC", chr(code)))
        one = len(folded) == 1 and ord(folded) < 256 and ord(folded) != sharp_s
        table[code] = ord(folded) if one else sharp_s
    return bytes(table), bytes([sharp_s])


def phrase_pattern(phrase: str) -> str:
    """A regex for ``phrase`` (already folded) that matches whole words only.

    Words may be separated by any run of spaces; an apostrophe may be left
    out ("dont"). Lookarounds rather than ``\\b`` so a term that starts or ends
    with punctuation still has a boundary.
    """
    words = [re.escape(word).replace("'", "'?") for word in phrase.split()]
    return r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)"


# Built at import (a scan of the Unicode data, ~0.1 s) so no message pays for it.
_format_chars()
_LATIN1_FOLD, _NOT_ONE_BYTE = _latin1_fold_table()
