from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moderation.decisions import Denial
from moderation.handles import HandleError, check_handle, handle_key, normalize_handle


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Sam", "Sam"),
        ("  Sam  ", "Sam"),
        ("Sam\n", "Sam"),
        ("Quiet   Sea", "Quiet Sea"),
        ("Quiet\u00a0\u3000Sea", "Quiet Sea"),
        ("ｓａｍ", "sam"),
        ("e\u0301mile", "émile"),
        ("Zoë", "Zoë"),
        ("안녕", "안녕"),
        ("🌱🌱", "🌱🌱"),
        ("x" * 32, "x" * 32),
    ],
)
def test_normalize_accepts(raw: str, expected: str) -> None:
    assert normalize_handle(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "a",
        "   a   ",
        "x" * 33,
        "Sa\x00m",
        "Sa\tm",
        "Sa\nm",
        "Sam\u202e",
        "S\u200bam",
        "Sam\ufeff",
        "\u2066Sam\u2069",
        "Sa\u2028m",
        "Sa\u2029m",
        "\u3164\u3164",
        "Sam\u3164",
        "\u0301Sam",
        "a\u0300\u0301\u0302\u0303\u0304",
        "\u200b\u200b\u200b",
        "Sa\ud800m",
    ],
)
def test_normalize_rejects(raw: str) -> None:
    with pytest.raises(HandleError) as info:
        normalize_handle(raw)
    assert info.value.denial.code == "handle_invalid"
    assert info.value.denial.message


def test_four_marks_on_one_char_is_fine_five_is_not() -> None:
    four = "a\u0300\u0316\u0317\u0318b"
    nfd = unicodedata.normalize("NFD", four)
    assert unicodedata.normalize("NFD", normalize_handle(four)) == nfd
    # Spread over two letters: at most three on each.
    assert normalize_handle("a\u0300\u0316b\u0317\u0318\u0319")
    with pytest.raises(HandleError):
        normalize_handle("a\u0300\u0316\u0317\u0318\u0319b")
    # A precomposed accent counts too: "à" plus four more is five.
    with pytest.raises(HandleError):
        normalize_handle("\u00e0\u0316\u0317\u0318\u0319b")


def test_normalize_rejects_non_str() -> None:
    with pytest.raises(HandleError):
        normalize_handle(42)  # type: ignore[arg-type]


def test_handle_error_is_value_error() -> None:
    assert issubclass(HandleError, ValueError)


@pytest.mark.parametrize(
    "look_alike",
    ["Sam", "SAM", "sam", "Ѕаm", "S\u0430m", "ｓａｍ", "𝐒𝐚𝐦", "Sarn", "Sar.n", "S.a.m", "S a m",
     "Śam", "ꜱam"],
)
def test_confusables_share_a_key(look_alike: str) -> None:
    assert handle_key(look_alike) == handle_key("Sam")


@pytest.mark.parametrize(("a", "b"), [("Il1|", "llll"), ("B0B", "bob"), ("Ιan", "lan")])
def test_ascii_confusables(a: str, b: str) -> None:
    assert handle_key(a) == handle_key(b)


@pytest.mark.parametrize("other", ["5am", "Pam", "Sammy", "Ma"])
def test_different_names_differ(other: str) -> None:
    assert handle_key(other) != handle_key("Sam")


def test_punctuation_only_names_keep_their_punctuation() -> None:
    assert handle_key("...") != handle_key("--")


def test_check_handle_ok() -> None:
    assert check_handle("  Quiet  Sea ", taken=["Sam"], reserved=["Alex"]) == "Quiet Sea"


@pytest.mark.parametrize("raw", ["Ѕаm", "SAM", "sam."])
def test_check_handle_taken_by_member(raw: str) -> None:
    result = check_handle(raw, taken=["Sam"], reserved=[])
    assert isinstance(result, Denial) and result.code == "handle_taken"


def test_check_handle_reserved_for_facilitator() -> None:
    result = check_handle("ALEX", taken=[], reserved=["Alex"])
    assert isinstance(result, Denial) and result.code == "handle_taken"
    assert "facilitator" in result.message


@pytest.mark.parametrize("raw", [None, 3, ["Sam"], {"h": 1}, b"Sam", "x", "Sa\u202em"])
def test_check_handle_invalid(raw: object) -> None:
    result = check_handle(raw, taken=[], reserved=[])
    assert isinstance(result, Denial) and result.code == "handle_invalid"


# -- properties ---------------------------------------------------------------

# Anything at all (surrogates included), mostly-plausible names, and a tricky mix.
_texty = (
    st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=40)
    | st.text(alphabet=st.characters(categories=["L", "M", "N", "P", "S", "Zs"]),
              min_size=2, max_size=36)
    | st.text(alphabet="Sam ｓａ\u0430\u0301\u0316 \t\n\u200b\u202e\u3164.", max_size=40)
)


def _accepted(raw: str) -> str | None:
    try:
        return normalize_handle(raw)
    except HandleError:
        return None


@given(_texty)
def test_normalize_is_idempotent(raw: str) -> None:
    once = _accepted(raw)
    if once is not None:
        assert normalize_handle(once) == once


@given(_texty)
def test_key_is_stable_under_normalization(raw: str) -> None:
    once = _accepted(raw)
    if once is not None:
        assert handle_key(once) == handle_key(raw)


@given(_texty)
def test_key_is_idempotent(raw: str) -> None:
    key = handle_key(raw)
    assert handle_key(key) == key


def test_property_strategy_produces_accepted_handles() -> None:
    # Guards the properties below against passing vacuously.
    assert _accepted("Sa\u0301m ｓａ") is not None


@given(_texty)
def test_accepted_handles_obey_the_rules(raw: str) -> None:
    handle = _accepted(raw)
    if handle is not None:
        assert 2 <= len(handle) <= 32
        assert handle == handle.strip()
        assert "  " not in handle
        assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in handle)
        assert unicodedata.normalize("NFKC", handle) == handle


@given(st.one_of(_texty, st.none(), st.integers(), st.floats(), st.binary(),
                 st.lists(st.text(max_size=3)), st.dictionaries(st.text(max_size=3),
                                                                st.integers())))
def test_check_handle_never_raises(raw: object) -> None:
    result = check_handle(raw, taken=["Sam"], reserved=["Alex"])
    assert isinstance(result, str | Denial)
    if isinstance(result, Denial):
        assert result.code in ("handle_invalid", "handle_taken")


@given(_texty)
def test_handle_key_never_raises(raw: str) -> None:
    assert isinstance(handle_key(raw), str)
