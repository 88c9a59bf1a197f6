from __future__ import annotations

import re
from typing import Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moderation.decisions import Denial
from moderation.filters import BlockedTerm, addressed_in, screen, validate_text
from moderation.handles import handle_key
from moderation.pii import MAX_AT_NAMES, addressed_as
from moderation.textnorm import fold, phrase_pattern

BLOCK_KILLED = BlockedTerm("killed", "block")
HOLD_DRINK = BlockedTerm("have a drink", "hold")


@pytest.mark.parametrize("text", ["I am skilled at this", "killedit", "unkilled", "kill"])
def test_terms_match_whole_words_only(text: str) -> None:
    assert screen(text, [BLOCK_KILLED]).action == "allow"


@pytest.mark.parametrize(
    "text",
    ["he killed it", "KILLED", "Killed.", "(killed)", "ＫＩＬＬＥＤ", "ki\u200blled", "kílled"],
)
def test_terms_match_after_normalisation(text: str) -> None:
    verdict = screen(text, [BLOCK_KILLED])
    assert verdict.action == "block"
    assert verdict.denial is not None and verdict.denial.code == "blocked"


def test_term_normalised_too() -> None:
    assert screen("he killed it", [BlockedTerm("  KILLED ", "block")]).action == "block"


@pytest.mark.parametrize("text", ["let's have a drink", "have  a\ndrink", "HAVE A DRINK!"])
def test_multi_word_hold(text: str) -> None:
    verdict = screen(text, [HOLD_DRINK])
    assert verdict.action == "hold"
    assert verdict.denial is not None and verdict.denial.code == "held"
    assert "facilitator" in verdict.denial.message


def test_multi_word_term_needs_all_words() -> None:
    assert screen("have a drinking problem", [HOLD_DRINK]).action == "allow"
    assert screen("have a", [HOLD_DRINK]).action == "allow"


def test_block_beats_hold() -> None:
    verdict = screen("killed, then have a drink", [HOLD_DRINK, BLOCK_KILLED])
    assert verdict.action == "block"
    assert verdict.denial is not None and verdict.denial.code == "blocked"


def test_term_with_punctuation_edges() -> None:
    term = BlockedTerm("c++", "block")
    assert screen("I like c++ a lot", [term]).action == "block"
    assert screen("I like c+ a lot", [term]).action == "allow"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("call me 555-123-4567", "phone"),
        ("my number is (555) 123-4567", "phone"),
        ("ring +44 20 7946 0958", "phone"),
        ("+1.555.123.4567", "phone"),
        ("text 555 1234", "phone"),
        ("5551234567", "phone"),
        ("555\u200b-123-4567", "phone"),
        ("write to sam@example.com", "email"),
        ("SAM.R+meet@mail.example.co.uk", "email"),
        ("find me @sam_recovers", "social"),
        ("@sam", "social"),
        ("instagram.com/sam.recovers", "social"),
        ("https://www.facebook.com/samr", "social"),
        ("t.me/samr", "social"),
        ("insta: samr", "social"),
    ],
)
def test_pii_is_blocked_kindly(text: str, kind: str) -> None:
    verdict = screen(text, [])
    assert verdict.action == "block"
    assert verdict.pii == kind
    assert verdict.denial is not None and verdict.denial.code == "blocked"
    assert "anonymous" in verdict.denial.message


@pytest.mark.parametrize(
    "text",
    [
        "I have 365 days today",
        "12 steps, 12 traditions",
        "meeting at 19:00 on 2024-01-15",
        "sober since 12.05.2023",
        "I owe 1.000.000 dollars",
        "1234567",
        "email me? no, I'm staying anonymous",
        "@5pm works",
        "a @ b",
        "x.com is a site",
    ],
)
def test_ordinary_numbers_and_words_are_not_pii(text: str) -> None:
    verdict = screen(text, [])
    assert verdict.action == "allow"
    assert verdict.pii is None


def test_pii_check_can_be_off_for_staff() -> None:
    verdict = screen("call 1-800-662-4357", [], check_pii=False)
    assert verdict.action == "allow" and verdict.pii is None


def keys_of(*handles: str) -> frozenset[str]:
    """What a store holds for a room with these members: every key they go by."""
    return frozenset(key for handle in handles for key in addressed_as(handle))


def test_mentions_of_people_in_the_room_are_not_social_handles() -> None:
    assert screen("@Sam thank you", [], present=keys_of("Sam Jones")).action == "allow"
    assert screen("@ѕam thank you", [], present=keys_of("Sam")).action == "allow"
    assert screen("@Sam.Jones thank you", [], present=keys_of("Sam Jones")).action == "allow"
    assert screen("@Sam follow @other", [], present=keys_of("Sam")).pii == "social"
    assert screen("@Sam thank you", []).pii == "social"  # nobody of that name here


def test_only_a_messages_own_at_names_are_looked_up() -> None:
    assert addressed_in("thanks everyone") == ()
    assert addressed_in("@Sam and @ѕam and @Lake, thank you") == ("sam", handle_key("Lake"))
    assert addressed_in("＠Sam thanks") == ("sam",)  # NFKC: a full-width @ is an @
    assert addressed_in("mail jo@example.com") == ()  # an address, not a name
    names = ["river", "lake", "sky", "stone", "sun", "moon", "star", "hill", "leaf", "rain",
             "snow", "wind", "fern", "oak", "pine", "reed", "sage"][:MAX_AT_NAMES + 1]
    enough = " ".join(f"@{name}" for name in names[:MAX_AT_NAMES])
    assert addressed_in(enough) == tuple(handle_key(name) for name in names[:MAX_AT_NAMES])
    many = " ".join(f"@{name}" for name in names)
    assert addressed_in(many) == ()  # refused whoever is here: nothing to look up
    everyone = keys_of(*names)
    assert screen(many, [], present=everyone).pii == "social"  # past the cap: not chat
    long_name = "@" + "a" * 100
    assert addressed_in(long_name) == ()  # longer than any handle can be, never looked up
    assert screen(long_name, []).pii == "social"


@given(st.lists(st.text(min_size=1, max_size=12), max_size=6),
       st.lists(st.sampled_from(["@", "sam", "Sam Jones", " ", "ѕ", ".", "x", "@Lake"]),
                max_size=12))
def test_the_message_s_names_decide_as_the_whole_room_would(
        handles: list[str], parts: list[str]) -> None:
    """Screening with the keys the store found for the message's @names gives the
    verdict that comparing with every member in the room gives."""
    text = "".join(parts) or "@sam"
    room = keys_of(*handles, "Sam Jones")
    looked_up = frozenset(key for key in addressed_in(text) if key in room)
    assert screen(text, [], present=looked_up) == screen(text, [], present=room)


@pytest.mark.parametrize(
    "text",
    [
        "I want to kill myself",
        "sometimes I just want to die",
        "I don’t want to be here anymore",
        "i dont want to be here anymore",
        "thinking about suicide",
        "I took too many pills",
        "I want to end it all",
        "I have been self-harming again",
        "I'm going to od tonight",
        "my friend just overdosed",
    ],
)
def test_crisis_never_blocks(text: str) -> None:
    verdict = screen(text, [])
    assert verdict.crisis is True
    assert verdict.action == "allow"
    assert verdict.denial is None


def test_crisis_flag_survives_other_problems() -> None:
    verdict = screen("I want to kill myself, call 555-123-4567", [])
    assert verdict.crisis is True and verdict.pii == "phone" and verdict.action == "block"


# An overdose in the past is part of many a recovery story, not a present risk.
@pytest.mark.parametrize("text", ["that was odd", "I killed it at work", "diet pills",
                                  "I od'd last year", "my friend overdosed in 2019"])
def test_not_crisis(text: str) -> None:
    assert screen(text, []).crisis is False


def test_markup_is_plain_text() -> None:
    verdict = screen("<img src=x onerror=alert(1)>", [])
    assert verdict.action == "allow" and verdict.denial is None and verdict.pii is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("hello", "hello"),
        ("  hello \n", "hello"),
        ("line one\nline two\twith tab", "line one\nline two\twith tab"),
        ("a\x00b\x07c\r\nd\x1b\x7f", "abc\nd"),
        ("<b>bold</b>", "<b>bold</b>"),
        ("x" * 2000, "x" * 2000),
        ("bad \ud800 half", "bad \ufffd half"),
    ],
)
def test_validate_text_cleans(raw: str, expected: str) -> None:
    assert validate_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (None, "bad_request"),
        (42, "bad_request"),
        (["hi"], "bad_request"),
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("\x00\x01", "empty"),
        ("x" * 2001, "too_long"),
    ],
)
def test_validate_text_refuses(raw: object, code: str) -> None:
    result = validate_text(raw)
    assert isinstance(result, Denial) and result.code == code and result.message


def test_validate_text_custom_limit() -> None:
    assert validate_text("abcd", max_len=3) == Denial(
        "too_long", "That message is a bit long. Please keep it under 3 characters, "
        "or send it in parts.")


@given(st.text(max_size=300), st.booleans())
def test_screen_never_raises(text: str, check_pii: bool) -> None:
    verdict = screen(text, [BLOCK_KILLED, HOLD_DRINK], check_pii=check_pii)
    assert (verdict.action == "allow") == (verdict.denial is None)


def reference_actions(text: str, terms: list[BlockedTerm]) -> set[str]:
    """What screening did before terms were combined: one search per term."""
    folded = fold(text)
    return {t.action for t in terms if re.search(phrase_pattern(fold(t.term)), folded)}


TERM_TEXT = st.text(alphabet=st.sampled_from(list("abk il'+-.@ \nÉé\u200b")), max_size=40)


@given(TERM_TEXT, st.lists(st.tuples(TERM_TEXT, st.sampled_from(["block", "hold"])),
                           max_size=4))
def test_combined_terms_decide_as_each_term_alone(
        text: str, raw: list[tuple[str, Literal["block", "hold"]]]) -> None:
    terms = [BlockedTerm(term, action) for term, action in raw]
    actions = reference_actions(text, terms)
    expected = "block" if "block" in actions else "hold" if "hold" in actions else "allow"
    assert screen(text, terms, check_pii=False).action == expected


def test_extra_crisis_phrases_reach_screening() -> None:
    assert screen("standing at the quarry edge", []).crisis is False
    verdict = screen("standing at the quarry edge", [], crisis_phrases=("quarry edge",))
    assert verdict.crisis is True and verdict.action == "allow"


@given(st.text(max_size=300), st.lists(st.text(max_size=20), max_size=3),
       st.lists(st.text(max_size=20), max_size=2))
def test_screen_never_raises_with_mentions_and_phrases(
        text: str, mentions: list[str], phrases: list[str]) -> None:
    verdict = screen(text, [BLOCK_KILLED], present=keys_of(*mentions),
                     crisis_phrases=tuple(phrases))
    assert (verdict.action == "allow") == (verdict.denial is None)
