"""The word form crisis phrases are matched in, so phrases and messages agree.

Blocked terms match :func:`moderation.textnorm.fold` exactly; crisis phrases go
further, because a person in distress types fast and nobody is trying to be
precise: "I want to dieeee", "k1ll mys3lf", "kіll" with a Cyrillic "і", "dont",
"kms". The same steps run over the built-in phrases, so each phrase is
written once, plainly, and still matches all of those.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from itertools import chain

from moderation.memo import Memo, fill_missing
from moderation.skeleton import ascii_lookalikes

# Digits that stand for letters inside a word ("k1ll", "su1c1de", "mor1r").
# Only in words that mix letters and digits, so "90 days" or "2019" stay numbers.
_LEET = str.maketrans("013457", "oieast")
_LEET_ASCII = bytes.maketrans(b"013457", b"oieast")  # a byte table: ~5x quicker
_MIXED = re.compile(r"[^\W\d_]\d|\d[^\W\d_]")
# Any letter typed twice or more counts once, in phrases and messages alike:
# "dieeee" and "die", "kil" and "kill" meet at "die" and "kil". Each letter the same
# letter follows is dropped: an empty replacement stays in C, where a "\1" template
# calls back into Python for every run (~0.9 µs a word).
_RUNS = re.compile(r"([^\W\d_])(?=\1)")
# Words keep inner apostrophes until they are looked up as slang ("od'd" is
# slang, "odd" is not); sentence ends are tokens of their own.
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*|[.!?;\n]")

BREAKS = frozenset(".!?;\n")


def canonical(word: str) -> str:
    """One word as typed (folded) in its matching form: no apostrophes, leet read, runs once."""
    if _MIXED.search(word):
        word = (word.encode().translate(_LEET_ASCII).decode() if word.isascii()
                else word.translate(_LEET))
    return _RUNS.sub("", word.replace("'", ""))


class Slang:
    """Words rewritten before matching ("kms" → "kill myself", "od" → "overdose").

    A key of two letters or with an apostrophe must be typed exactly ("od",
    "od'd"; "odd" is not slang); longer keys match in canonical form ("kmsss").
    """

    def __init__(self, table: Mapping[str, str]) -> None:
        self.table: dict[str, str] = dict(table)
        meant = {k: tuple(canonical(w) for w in v.split()) for k, v in table.items()}
        self._exact = {k: v for k, v in meant.items() if _typed_exactly(k)}
        self._loose = {canonical(k): v for k, v in meant.items() if not _typed_exactly(k)}
        # Distinct words and space-free pieces seen, in matching form; words()
        # reads the pieces' memory directly.
        self.memo: Memo[tuple[str, ...]] = Memo()
        self.pieces: Memo[tuple[str, ...]] = Memo()

    def piece(self, piece: str) -> tuple[str, ...]:
        """A run of text without spaces as matching words; remembered."""
        out = self.pieces.get(piece)
        if out is None:
            tokens = _TOKEN.findall(piece)
            if len(tokens) == 1 and tokens[0] == piece:
                out = self._meant(piece)  # one word: the pieces' memory is its memory
            else:
                out = tuple(w for token in tokens for w in self.word(token))
            self.pieces.put(piece, out)
        return out

    def word(self, typed: str) -> tuple[str, ...]:
        """``typed`` (one token) as the matching words it stands for; remembered."""
        out = self.memo.get(typed)
        if out is None:
            out = self._meant(typed)
            self.memo.put(typed, out)
        return out

    def _meant(self, typed: str) -> tuple[str, ...]:
        out = self._exact.get(typed)
        if out is None:
            form = canonical(typed)
            out = self._loose.get(form, (form,))
        return out


def _typed_exactly(key: str) -> bool:
    return "'" in key or len(key) <= 2


def words(folded: str, slang: Slang) -> list[str]:
    """``folded`` text (see :func:`moderation.textnorm.fold`) as matching words.

    Sentence ends (``.!?;`` and newlines) are kept as tokens, see :data:`BREAKS`.
    """
    text = folded if folded.isascii() else folded.translate(ascii_lookalikes())
    if "\n" in text:
        text = text.replace("\n", " . ")
    # Split on spaces and look each piece up in C (map over dict.get): pieces
    # ("tonight.", "don't") repeat from message to message; only new ones cost more.
    pieces = text.split()
    forms = fill_missing(list(map(slang.pieces.words.get, pieces)), pieces, slang.piece)
    return list(chain.from_iterable(forms))
