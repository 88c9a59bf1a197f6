from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from moderation.textnorm import fold, folded_and_visible, visible


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


# Latin-1 has its own shortcut (one table look-up per byte), so it gets its own draw.
LATIN_1 = st.text(alphabet=st.characters(max_codepoint=0xFF), max_size=200)


@given(st.one_of(st.text(alphabet=st.characters(max_codepoint=127), max_size=200), LATIN,
                 LATIN_1, st.text(max_size=200)))
def test_shortcuts_give_the_same_forms(text: str) -> None:
    assert fold(text) == slow_fold(text)
    assert visible(text) == slow_visible(text)
    assert folded_and_visible(text) == (slow_fold(text), slow_visible(text))


def test_every_pair_of_latin_1_characters_folds_as_a_whole() -> None:
    # The Latin-1 table folds character by character; no pair may compose or
    # reorder differently when normalised together.
    characters = [chr(code) for code in range(256)]
    for first in characters:
        for second in characters:
            pair = first + second
            assert folded_and_visible(pair) == (slow_fold(pair), slow_visible(pair)), pair


@given(st.text(max_size=200))
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)
