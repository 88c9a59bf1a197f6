from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from moderation.textnorm import fold, visible


def slow_fold(text: str) -> str:
    """fold() without its shortcuts."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(
        str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\uff07": "'"}))
    kept = "".join(ch for ch in unicodedata.normalize("NFD", folded)
                   if unicodedata.category(ch) not in ("Mn", "Me", "Cf"))
    return unicodedata.normalize("NFC", kept)


def slow_visible(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text)
                   if unicodedata.category(ch) != "Cf")


LATIN = st.text(alphabet=st.characters(max_codepoint=0x2FF) | st.sampled_from(
    ["\u0301", "\u0303", "\u200b", "\u2019", "\ufb01", "\u0410", "\U0001d41a"]), max_size=200)


@given(st.one_of(st.text(alphabet=st.characters(max_codepoint=127), max_size=200), LATIN,
                 st.text(max_size=200)))
def test_shortcuts_give_the_same_forms(text: str) -> None:
    assert fold(text) == slow_fold(text)
    assert visible(text) == slow_visible(text)


@given(st.text(max_size=200))
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)
