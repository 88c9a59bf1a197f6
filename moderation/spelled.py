"""Contact details spelled out in words, in English and Spanish (DESIGN §5).

"three one two five five five zero one four two", "tres uno dos ...", "312
five five five 0142" and "jo dot smith at gmail dot com", "jo arroba gmail
punto com" are the usual ways round a filter that only knows digits and "@".
Both read folded text (:func:`moderation.textnorm.fold`: lower case, no accents).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import NamedTuple

from moderation.memo import Memo, fill_missing


class _Number(NamedTuple):
    digits: int  # how many digits the word stands for in a dictated number
    value: int  # for telling a count ("one two three four ...") from a number
    tens: bool = False  # "forty" + "five" is two digits, not three


def _words(names: str, digits: int, start: int, tens: bool = False) -> dict[str, _Number]:
    return {name: _Number(digits, start + i, tens) for i, name in enumerate(names.split())}


NUMBER_WORDS: dict[str, _Number] = {
    **_words("zero one two three four five six seven eight nine", 1, 0),
    "oh": _Number(1, 0),
    **_words("ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen "
             "nineteen", 2, 10),
    **_words("twenty thirty forty fifty sixty seventy eighty ninety", 2, 20, tens=True),
    "fourty": _Number(2, 40, tens=True),
    **_words("cero uno dos tres cuatro cinco seis siete ocho nueve", 1, 0),
    **_words("diez once doce trece catorce quince dieciseis diecisiete dieciocho "
             "diecinueve veinte veintiuno veintidos veintitres veinticuatro veinticinco "
             "veintiseis veintisiete veintiocho veintinueve", 2, 10),
    **_words("treinta cuarenta cincuenta sesenta setenta ochenta noventa", 2, 30, tens=True),
    **_words("cien ciento doscientos trescientos cuatrocientos quinientos seiscientos "
             "setecientos ochocientos novecientos", 3, 100),
}
# "eight hundred" (as in 1-800) adds two digits to the word before it.
_HUNDRED = frozenset({"hundred"})
# "double five" is "55"; the word after these counts two or three times.
_REPEAT = {"double": 2, "doble": 2, "triple": 3}
# "cincuenta y cinco" is one two-digit number in Spanish.
_JOINER = "y"

# What people put between the parts of a number they dictate.
_SEPARATORS = re.compile(r"[\s,.:/()\-]+")
_MIN_DIGITS = 7
_MAX_DIGITS = 15


def spelled_phone(folded: str) -> bool:
    """True if ``folded`` dictates 7–15 digits in a row with at least one number word.

    The digit count is the one :mod:`moderation.pii` uses for digits. Any
    other word ends a run, so "three kids and one dog" is two runs of one.
    A plain count ("one two three four five six seven", "ten nine eight ...")
    is not a number.
    """
    # Most messages have too few number words to dictate a number at all; the
    # bound per space-free piece is remembered, so this costs a split and a sum.
    if not _may_dictate(folded):
        return False
    tokens = _SEPARATORS.split(folded)
    run: list[_Number] = []
    digits = 0
    worded = False
    repeat = 1
    for i, token in enumerate(tokens):
        number = NUMBER_WORDS.get(token)
        if number is not None:
            worded = True
            after_tens = bool(run) and run[-1].tens and number.digits == 1 and repeat == 1
            digits += 0 if after_tens else number.digits * repeat
            run.append(number)
            repeat = 1
        elif token.isdigit() and token.isascii():
            digits += len(token) * repeat
            run.append(_Number(len(token), int(token) if len(token) == 1 else -1))
            repeat = 1
        elif token in _REPEAT and repeat == 1:
            repeat = _REPEAT[token]
            continue
        elif token in _HUNDRED and run and run[-1].digits == 1:
            digits += 2
            run.append(_Number(2, -1))
        elif token == _JOINER and run and run[-1].tens and _unit_follows(tokens, i):
            continue
        else:
            if _is_phone_run(run, digits, worded):
                return True
            run, digits, worded, repeat = [], 0, False, 1
    return _is_phone_run(run, digits, worded)


def _may_dictate(folded: str) -> bool:
    """False when no run of space-free pieces can hold enough digits for a number."""
    pieces = folded.split()
    known = list(map(_MOST_DIGITS.words.get, pieces))
    # Most messages: every piece seen before and none holds a digit or a number word.
    # Counting a small int compares by identity, in C; a search for None would not.
    if known.count(_BREAKS_RUN) == len(known):
        return False
    most = fill_missing(known, pieces, _most_digits)
    if max(most, default=_BREAKS_RUN) <= 0:
        return False
    run = 0
    for digits in most:
        if digits == _BREAKS_RUN:
            run = 0
        elif digits > 0:
            run += digits
            if run >= _MIN_DIGITS:
                return True
    return False


_BREAKS_RUN = 0
_NEUTRAL = -1


# Per space-free piece, read in C by `map` over the words' dict; pieces repeat.
_MOST_DIGITS: Memo[int] = Memo()


def _most_digits(piece: str) -> int:
    """At least as many digits as ``piece`` can add to a dictated number; remembered.

    ``_BREAKS_RUN`` (0) for a piece of words only; ``_NEUTRAL`` for one that
    neither adds nor breaks ("-" in "847 - 221", "y" in "cincuenta y cinco").
    """
    known = _MOST_DIGITS.get(piece)
    if known is None:
        known = _count_most_digits(piece)
        _MOST_DIGITS.put(piece, known)
    return known


def _count_most_digits(piece: str) -> int:
    most = 0
    neutral = True
    for token in _SEPARATORS.split(piece):
        number = NUMBER_WORDS.get(token)
        if number is not None:
            most += number.digits
        elif token.isdigit() and token.isascii():
            most += len(token)
        elif token in _REPEAT:
            # "triple" makes the next word (at most 3 digits) count three times.
            most += 3 * (max(_REPEAT.values()) - 1)
        elif token in _HUNDRED:
            most += 2
        elif token not in ("", _JOINER):
            neutral = False
    if most:
        return most
    return _NEUTRAL if neutral else _BREAKS_RUN


def _unit_follows(tokens: list[str], i: int) -> bool:
    following = NUMBER_WORDS.get(tokens[i + 1]) if i + 1 < len(tokens) else None
    return following is not None and following.digits == 1


def _is_phone_run(run: list[_Number], digits: int, worded: bool) -> bool:
    # A run of bare digits is the digit rules' business (moderation.pii), not ours.
    if not worded or not _MIN_DIGITS <= digits <= _MAX_DIGITS:
        return False
    values = [n.value for n in run]
    counting = all(v >= 0 for v in values) and (
        all(b == a + 1 for a, b in itertools.pairwise(values))
        or all(b == a - 1 for a, b in itertools.pairwise(values)))
    return not counting


# "jo at gmail", "jo arroba gmail", "jo (at) gmail", "jo@gmail dot com".
_AT_WORDS = (" at ", " arroba ")
_AT_MARK = re.compile(r"\s?[(\[{<]\s?(?:at|arroba)\s?[)\]}>]\s?|\s?@\s?")
_DOT = r"(?:\s?\.\s?|\s(?:dot|punto)\s|\s?[(\[{<]\s?(?:dot|punto)\s?[)\]}>]\s?)"
_TLDS = (
    "com|net|org|edu|gov|mil|int|io|co|me|info|biz|us|uk|ca|mx|es|ar|cl|pe|ve|uy|ec|bo|py"
    "|cr|pr|gt|hn|sv|ni|pa|do|cu|br|de|fr|it|nl|eu|au|nz|ie|in|app|dev|xyz|online|email|mail"
)
_PROVIDERS = "gmail|googlemail|hotmail|yahoo|outlook|icloud|protonmail|proton|aol|gmx"
_DOMAIN = re.compile(
    rf"[a-z0-9][a-z0-9-]*(?:{_DOT}[a-z0-9][a-z0-9-]*)*{_DOT}(?:{_TLDS})(?![\w-])"
    rf"|(?:{_PROVIDERS})(?![\w-])"
)
# The word before "at": a name, perhaps with "dot"s ("jo dot smith"). Words
# like "work" or "me" before "at" are English, not an address: "I work at amazon dot com".
_LOCAL = re.compile(rf"(?<![\w.+-])[a-z0-9][\w.+-]*(?:{_DOT}[a-z0-9][\w.+-]*)*\Z")
_NOT_LOCAL = frozenset({
    "work", "works", "worked", "working", "job", "live", "lives", "lived", "living", "am",
    "is", "are", "was", "were", "be", "been", "me", "us", "him", "her", "them", "it", "you",
    "i", "we", "they", "meet", "met", "meeting", "see", "saw", "look", "looking", "shop",
    "shopping", "buy", "bought", "order", "ordered", "read", "stay", "stayed", "staying",
    "sign", "signed", "log", "logged", "find", "found", "here", "there", "home", "school",
    "church",
})


def spelled_email(folded: str) -> bool:
    """True if ``folded`` spells out an e-mail address with "at"/"dot" or "arroba"/"punto"."""
    for start, end in _at_signs(folded):
        if not _DOMAIN.match(folded, end):
            continue
        local = _LOCAL.search(folded, 0, start)
        if local is not None and local.group() not in _NOT_LOCAL:
            return True
    return False


def _at_signs(folded: str) -> Iterator[tuple[int, int]]:
    # str.find first: " at " is in most messages and a regex scan costs more.
    for word in _AT_WORDS:
        i = folded.find(word)
        while i >= 0:
            yield i, i + len(word)
            i = folded.find(word, i + 1)
    # Substring tests in C; a generator over the marks costs four times as much.
    if "(" in folded or "[" in folded or "{" in folded or "<" in folded:
        for mark in _AT_MARK.finditer(folded):
            yield mark.start(), mark.end()
    elif "@" in folded:
        yield from _bare_at_marks(folded)


def _bare_at_marks(folded: str) -> Iterator[tuple[int, int]]:
    r"""What `_AT_MARK.finditer` finds in text without brackets (``\s?@\s?``, each
    match after the last), found from each "@" instead of tried at every position."""
    taken = 0
    i = folded.find("@")
    while i >= 0:
        start = i - 1 if i > taken and folded[i - 1].isspace() else i
        end = i + 2 if folded[i + 1:i + 2].isspace() else i + 1
        yield start, end
        taken = end
        i = folded.find("@", end)
