"""The one normal form text filters match in, so terms and messages agree."""

from __future__ import annotations

import re
import unicodedata

# Curly apostrophes from phone keyboards would otherwise hide "don’t".
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\uff07": "'"})


def fold(text: str) -> str:
    """NFKC and casefold; drop accents and invisible format characters.

    Dropping zero-width characters and accents stops "ki\\u200bll" or "kíll"
    from slipping past a term; it is applied to terms and text alike, so a
    term still matches itself.
    """
    if text.isascii():
        # ASCII is its own NFKC/NFD/NFC and has no marks or format characters.
        return text.lower()
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    kept = "".join(
        ch for ch in unicodedata.normalize("NFD", folded)
        if unicodedata.category(ch) not in ("Mn", "Me", "Cf")
    )
    return unicodedata.normalize("NFC", kept)


def visible(text: str) -> str:
    """NFKC without invisible format characters, case kept ("555\\u200b-1234" is a number)."""
    if text.isascii():
        return text
    return "".join(
        ch for ch in unicodedata.normalize("NFKC", text) if unicodedata.category(ch) != "Cf"
    )


def phrase_pattern(phrase: str) -> str:
    """A regex for ``phrase`` (already folded) that matches whole words only.

    Words may be separated by any run of spaces; an apostrophe may be left
    out ("dont"). Lookarounds rather than ``\\b`` so a term that starts or ends
    with punctuation still has a boundary.
    """
    words = [re.escape(word).replace("'", "'?") for word in phrase.split()]
    return r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)"
