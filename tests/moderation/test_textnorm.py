from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from moderation.textnorm import fold, visible


def slow_fold(text: str) -> str:
    """fold() without its ASCII shortcut."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(
        str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\uff07": "'"}))
    kept = "".join(ch for ch in unicodedata.normalize("NFD", folded)
                   if unicodedata.category(ch) not in ("Mn", "Me", "Cf"))
    return unicodedata.normalize("NFC", kept)


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=200))
def test_ascii_shortcut_is_the_same_fold(text: str) -> None:
    assert fold(text) == slow_fold(text)
    assert visible(text) == unicodedata.normalize("NFKC", text)


@given(st.text(max_size=200))
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)
