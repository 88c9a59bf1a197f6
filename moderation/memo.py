"""What screening remembers per distinct word, bounded, with numbers kept apart."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar, cast

V = TypeVar("V")

# Distinct words seen are remembered; past this many the memory starts again.
WORDS_LIMIT = 50_000
# Tokens with a digit ("45", "3am", "k1042", a pasted code) mostly never come again, so
# they get a small memory of their own: the few that repeat ("90 days", "24/7") stay
# cheap, and the many that do not neither push the words out nor grow the process for
# minutes until the words' memory is full.
NUMBERED_LIMIT = 2_000
_DIGIT = re.compile(r"\d")


class Memo(Generic[V]):
    """Values by token: words in `words` (which hot paths read directly, in C, with
    `map(memo.words.get, tokens)`) and tokens with a digit in a smaller memory."""

    def __init__(self) -> None:
        self.words: dict[str, V] = {}
        self._numbered: dict[str, V] = {}

    def get(self, token: str) -> V | None:
        found = self.words.get(token)
        return self._numbered.get(token) if found is None else found

    def put(self, token: str, value: V) -> None:
        if _DIGIT.search(token) is None:
            memory, limit = self.words, WORDS_LIMIT
        else:
            memory, limit = self._numbered, NUMBERED_LIMIT
        if len(memory) >= limit:
            memory.clear()
        memory[token] = value

    def __len__(self) -> int:
        return len(self.words) + len(self._numbered)


def fill_missing(found: list[V | None], keys: Sequence[str],
                 compute: Callable[[str], V]) -> list[V]:
    """``found`` (a memory's ``get`` mapped over ``keys``) with each None computed.

    Usually one or two keys of a message are new: finding them with ``count`` and
    ``index`` runs in C, where rebuilding the whole list would step through every key.
    """
    start = 0
    for _ in range(found.count(None)):
        start = found.index(None, start)
        found[start] = compute(keys[start])
    return cast("list[V]", found)

