from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moderation.pii import _AT_HANDLE, _EMAIL, addressed_as, find_pii
from moderation.spelled import _bare_at_marks, spelled_email, spelled_phone
from moderation.textnorm import fold, visible
from tests.moderation.evalsets import rows

LABELLED = rows("pii_spelled.tsv")


def test_every_spelled_contact_detail_is_caught() -> None:
    details = [(kind, text) for kind, text in LABELLED if kind != "none"]
    assert len(details) >= 40
    missed = [(kind, text) for kind, text in details if find_pii(visible(text)) != kind]
    assert not missed


def test_no_ordinary_sentence_with_number_words_is_flagged() -> None:
    ordinary = [text for kind, text in LABELLED if kind == "none"]
    assert len(ordinary) >= 40
    flagged = [text for text in ordinary if find_pii(visible(text)) is not None]
    assert not flagged


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("five five five one two three", False),  # six digits
        ("five five five one two three four", True),  # seven, like 555-1234
        ("one two three four five six seven eight", False),  # counting
        ("double five double five one two three", True),
        ("eight hundred five five five one two", True),  # 800 555 12
        ("forty five forty five forty five", False),  # 454545: six digits
        ("forty five, forty five, forty five, four", True),
        ("cincuenta y cinco cincuenta y cinco cuarenta y cinco uno", True),
        ("five five five and one two three four", False),  # "and" ends the run
        ("one " * 16, False),  # more digits than any phone number
    ],
)
def test_digit_count_rule(text: str, phone: bool) -> None:
    assert spelled_phone(fold(text)) is phone


@pytest.mark.parametrize(
    ("text", "email"),
    [
        ("jo at gmail dot com", True),
        ("i work at amazon dot com", False),  # a workplace, not an address
        ("jo at home dot", False),
        ("jo at acme dot museum", False),  # only usual endings
        ("ana arroba acme punto org", True),
        ("meet at seven at the hall", False),
    ],
)
def test_spelled_email(text: str, email: bool) -> None:
    assert spelled_email(fold(text)) is email


def test_folded_form_can_be_passed_in() -> None:
    text = "Jo Dot Smith AT Gmail DOT com"
    assert find_pii(visible(text), folded=fold(text)) == "email"


@given(st.text(max_size=400), st.lists(st.text(max_size=20), max_size=3))
def test_pii_never_raises(text: str, mentions: list[str]) -> None:
    present = frozenset(key for handle in mentions for key in addressed_as(handle))
    assert find_pii(visible(text), present) in (None, "phone", "email", "social")


@given(st.text(alphabet=" \n\t\u2003@ajo.cm", max_size=16))
def test_at_signs_are_found_from_each_at_as_the_pattern_finds_them(text: str) -> None:
    expected = [(m.start(), m.end()) for m in re.finditer(r"\s?@\s?", text)]
    assert list(_bare_at_marks(text)) == expected


@given(st.text(alphabet="ab.@+%-_ 1é", max_size=16))
def test_the_at_patterns_match_as_their_plain_forms(text: str) -> None:
    """_EMAIL and _AT_HANDLE start at their "@" (for speed); they find what the plain
    patterns, with the local part or the boundary first, find."""
    plain_email = r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}"
    assert bool(_EMAIL.search(text)) == bool(re.search(plain_email, text))
    plain_name = r"(?<![\w.@+%-])@([^\W\d][\w.]*\w)"
    assert [m.group(1) for m in _AT_HANDLE.finditer(text)] == re.findall(plain_name, text)
