from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moderation.pii import find_pii
from moderation.spelled import spelled_email, spelled_phone
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
    assert find_pii(visible(text), mentions) in (None, "phone", "email", "social")
