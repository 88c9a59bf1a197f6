from __future__ import annotations

from importlib import resources
from itertools import groupby

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moderation.crisis import (
    LANGUAGES,
    check_extra_phrase,
    crisis_phrasebook,
    load_entries,
    mentions_crisis,
)
from moderation.phrasebook import Phrasebook, PhraseError, parse
from moderation.textnorm import fold
from moderation.wordform import canonical, words
from tests.moderation.evalsets import rows

MIN_RECALL = 0.95
MAX_FALSE_POSITIVE_RATE = 0.03


def crisis(text: str, extra: tuple[str, ...] = ()) -> bool:
    return mentions_crisis(fold(text), extra)


@pytest.mark.parametrize("language", LANGUAGES)
def test_evaluation_set(language: str) -> None:
    labelled = rows(f"crisis_eval_{language}.tsv")
    risks = [text for label, text in labelled if label == "1"]
    ordinary = [text for label, text in labelled if label == "0"]
    assert len(risks) >= 150 and len(ordinary) >= 300
    missed = [text for text in risks if not crisis(text)]
    flagged = [text for text in ordinary if crisis(text)]
    assert 1 - len(missed) / len(risks) >= MIN_RECALL, missed
    assert len(flagged) / len(ordinary) <= MAX_FALSE_POSITIVE_RATE, flagged


@pytest.mark.parametrize(
    "text",
    [
        "kms", "KMS", "kmsss", "unalive", "i want to unalive myself", "i wanna end it",
        "end it all", "I'm going to od tonight", "im gonna OD", "i wanna diee",
        "i want to dieeeeee", "I want to k1ll myself", "i want to kіll myself",  # Cyrillic і
        "I WANT TO DIE", "i dont want to live anymore", "I don’t want to be here anymore",
        "I have pills saved", "I bought a rope", "quiero morir", "No quiero vivir más",
        "no quiero vivir mas", "QUIERO MORIRRR", "me quiero matar", "kiero morir",
        "tengo las pastillas guardadas",
    ],
)
def test_slang_misspellings_and_look_alikes(text: str) -> None:
    assert crisis(text)


@pytest.mark.parametrize(
    "text",
    [
        "that meeting killed it", "I'm dying to see you all",
        "I used to want to die; today I'm 90 days sober", "that was odd", "odd day",
        "I killed it at work", "me muero de risa", "antes quería morir; hoy llevo 90 días",
        "I don't want to die from this disease", "we end it all with the serenity prayer",
        "I'm going to take my life back",
    ],
)
def test_idioms_and_the_past_are_not_a_present_risk(text: str) -> None:
    assert not crisis(text)


def test_a_clause_that_says_now_outweighs_the_past() -> None:
    assert not crisis("I used to want to die")
    assert crisis("I used to want to die and lately I want to die again")
    assert crisis("I used to drink. Now I want to die")


def test_extra_phrases_extend_the_lists() -> None:
    assert not crisis("I'm going to the edge of the quarry")
    extra = ("edge of the quarry", "otra frase")
    assert crisis("I'm going to the EDGE of the  quarry", extra)
    assert crisis("voy a decir otra frase", extra)
    assert not crisis("the edge of a quarry", extra)  # whole words, in order
    assert crisis("kms", extra)  # the built-in lists still apply
    # Compiled once per distinct tuple: config changes rarely.
    assert crisis_phrasebook(extra) is crisis_phrasebook(extra)


def test_check_extra_phrase() -> None:
    check_extra_phrase("walk into the lake")
    check_extra_phrase("(a|b)")
    with pytest.raises(ValueError, match="no words"):
        check_extra_phrase(" ... !? ")


def test_extra_phrases_are_words_not_syntax() -> None:
    extra = ("(a|b) *", "[x]")
    assert crisis("a b", extra)
    assert not crisis("x", ("(",))


@pytest.mark.parametrize("language", LANGUAGES)
def test_phrase_files_are_package_data(language: str) -> None:
    name = f"crisis_{language}.txt"
    assert resources.files("moderation.phrases").joinpath(name).is_file()
    entries = load_entries(language)
    assert len(entries.phrases) > 100


@pytest.mark.parametrize(
    ("lines", "fragment"),
    [
        (["(unclosed"], "x:1: '\\(' is not closed"),
        (["a )"], "x:1: unexpected"),
        (["@nope die"], "x:1: @nope is not defined"),
        (["= kms"], "x:1: slang"),
        (["= two words => x"], "x:1: slang is one typed word"),
        (["ok", "* gap first"], "x:2: a phrase cannot start"),
        (["ab* c"], "x:1: a stem"),
        (["[optional]"], "x:1: a phrase can match nothing"),
        (["..."], "x:1: '...' has no letters"),
    ],
)
def test_phrase_file_errors_name_the_line(lines: list[str], fragment: str) -> None:
    with pytest.raises(PhraseError, match=fragment):
        Phrasebook(parse(lines, "x"))


def test_phrase_file_syntax() -> None:
    book = Phrasebook(parse([
        "@me = (myself|my self)",
        "hurt @me", "burn* @me * on purpose", "in #year", "a # b",
        "- hurt myself laughing", "~ years ago", "+ again", "| but",
        "= hms => hurt myself",
    ], "x"))

    def at_risk(text: str) -> bool:
        return book.at_risk(words(fold(text), book.slang))

    assert at_risk("I hurt my self") and at_risk("hms")
    assert at_risk("burning myself with a lighter on purpose")
    assert not at_risk("burning myself with a big old lighter on purpose")  # gap of 3 at most
    assert at_risk("in 2019") and not at_risk("in 201") and at_risk("a 7 b")
    assert not at_risk("I hurt myself laughing")
    assert not at_risk("years ago I hurt myself")
    assert at_risk("years ago I hurt myself. I hurt myself")
    assert at_risk("years ago I hurt myself and again today")
    assert at_risk("years ago, sure, but I hurt myself")


@given(st.text(max_size=400), st.lists(st.text(max_size=30), max_size=3))
def test_crisis_never_raises(text: str, extra: list[str]) -> None:
    assert mentions_crisis(fold(text), tuple(extra)) in (True, False)


@given(st.text(alphabet="abeéßxXΣσς'", max_size=24))
def test_a_letter_typed_many_times_counts_once(word: str) -> None:
    """Every run of one letter is one letter, wherever it is ("dieeee", "sooorry")."""
    expected = "".join(letter for letter, _ in groupby(word.replace("'", "")))
    assert canonical(word) == expected
