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
from dataclasses import dataclass
from functools import cached_property

from moderation.skeleton import ascii_lookalikes

# Digits that stand for letters inside a word ("k1ll", "su1c1de", "mor1r").
# Only in words that mix letters and digits, so "90 days" or "2019" stay numbers.
_LEET = str.maketrans("013457", "oieast")
_MIXED = re.compile(r"[^\W_]*(?:[^\W\d_]\d|\d[^\W\d_])[^\W_]*")
# Any letter typed twice or more counts once, in phrases and messages alike:
# "dieeee" and "die", "kil" and "kill" meet at "die" and "kil".
_RUNS = re.compile(r"([^\W\d_])\1+")
# Sentence ends become a "." token so a clause can be told from the next one.
_BREAKS = str.maketrans({ch: " . " for ch in ".!?;\n"})
_TOKEN = re.compile(r"[^\W_]+|\.")

BREAK = "."


def _collapse(text: str) -> str:
    return _RUNS.sub(r"\1", " ".join(text.split()))


def _stretchy(word: str) -> str:
    # "kms" is also "kmsss"; two-letter slang ("od") must not become "odd".
    letters = [re.escape(ch) for ch in word]
    if len(word.replace("'", "")) <= 2:
        return "".join(letters)
    return "".join(f"{ch}+" if ch.isalpha() else ch for ch in letters)


@dataclass(frozen=True)
class Slang:
    """Words rewritten before matching ("kms" → "kill myself", "od" → "overdose").

    Keys are matched as typed, apostrophe included: "od'd" is slang, "odd" is not.
    """

    table: Mapping[str, str]

    @cached_property
    def _pattern(self) -> re.Pattern[str] | None:
        if not self.table:
            return None
        keys = sorted(self.table, key=len, reverse=True)
        alternatives = (r"\s+".join(_stretchy(w) for w in key.split()) for key in keys)
        return re.compile(r"(?<![\w'])(?:" + "|".join(alternatives) + r")(?![\w'])")

    @cached_property
    def _lookup(self) -> dict[str, str]:
        return {_collapse(key): value for key, value in self.table.items()}

    def apply(self, text: str) -> str:
        pattern = self._pattern
        if pattern is None:
            return text
        return pattern.sub(lambda m: self._lookup.get(_collapse(m.group()), m.group()), text)


def words(folded: str, slang: Slang) -> list[str]:
    """``folded`` text (see :func:`moderation.textnorm.fold`) as matching words.

    Sentence ends (``.!?;`` and newlines) are kept as :data:`BREAK` tokens.
    """
    text = folded if folded.isascii() else folded.translate(ascii_lookalikes())
    if _MIXED.search(text):
        text = _MIXED.sub(lambda m: m.group().translate(_LEET), text)
    text = slang.apply(text).replace("'", "")
    return _TOKEN.findall(_RUNS.sub(r"\1", text).translate(_BREAKS))
