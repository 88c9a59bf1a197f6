"""Spotting contact details that would end someone's anonymity (DESIGN §5).

Tuned to catch the usual ways people swap numbers and accounts; a false alarm
costs a rephrase, a miss can cost someone their privacy.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Literal

from moderation.handles import MAX_LEN, handle_key
from moderation.spelled import spelled_email, spelled_phone
from moderation.textnorm import fold

PiiKind = Literal["phone", "email", "social"]

# Only ever asked "is there one": an "@" with a local part before it and a domain
# after. Written to start at the "@" (the character before it checked behind), so the
# regex engine jumps between "@"s instead of trying a local part at every position.
_EMAIL = re.compile(r"@(?<=[\w.+%-]@)[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}")
# A run of digits with the separators people type in phone numbers; the digit
# count decides (below), so "12 steps" or "365 days" never get this far.
_PHONE = re.compile(r"(?<![\w+])\+?\(?\d[\d().\- ]*\d(?!\w)")
# Dates use the same separators; "2024-01-15" or "15.01.2024" is not a number to call.
_DATE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}")
# "1.000.000" is an amount written the European way, not a number to call.
_AMOUNT = re.compile(r"\d{1,3}(?:\.\d{3}){2,}")
# "@name" not glued to something before it (that would be an e-mail); the name
# must start with a letter or "_" so "@5pm" is a time, not an account.
_AT_HANDLE = re.compile(r"@(?<![\w.@+%-]@)([^\W\d][\w.]*\w)")  # from its "@", as _EMAIL
_SOCIAL_SITES = (
    r"instagram\.com|instagr\.am|facebook\.com|fb\.com|fb\.me|m\.me|twitter\.com|x\.com"
    r"|tiktok\.com|snapchat\.com|linkedin\.com|t\.me|telegram\.me|wa\.me|whatsapp\.com"
    r"|discord\.gg|discord\.com|discordapp\.com|reddit\.com|youtube\.com|threads\.net"
    r"|bsky\.app|mastodon\.social|kik\.me|onlyfans\.com|venmo\.com|cash\.app"
)
_SOCIAL_URL = re.compile(
    rf"(?<![\w.-])(?:https?://)?(?:www\.|m\.|mobile\.)?(?:{_SOCIAL_SITES})/\S+", re.IGNORECASE
)
# "insta: sam.recovers", "snap - samr": naming the app and then the account.
_APP_ACCOUNT = re.compile(
    r"(?<!\w)(?:insta(?:gram)?|ig|snap(?:chat)?|sc|tiktok|telegram|tg|whatsapp|discord|kik"
    r"|fb|facebook|twitter|signal)\s*[:=]\s*@?[\w.]{2,}",
    re.IGNORECASE,
)

_DIGIT = re.compile(r"\d")
_ASCII_DIGITS = b"0123456789"

_MIN_PHONE_DIGITS = 7
_MAX_PHONE_DIGITS = 15  # E.164's longest number
# Without separators or "+", shorter runs are more often counts or years than numbers.
_MIN_BARE_DIGITS = 10


def find_pii(text: str, present: Collection[str] = frozenset(), *,
             folded: str | None = None) -> PiiKind | None:
    """The first kind of contact detail in ``text`` (NFKC'd), or None.

    ``present`` are the keys (:func:`addressed_as`) of people in the room that
    the text's @names could name, so "@Sam" addressed to a member present is
    ordinary chat, not an off-platform account. ``folded`` is ``fold(text)`` if
    the caller has it already (spelled-out numbers and addresses are read in that form).
    """
    if folded is None:
        folded = fold(text)
    # Each pattern needs a character most messages lack: skip the search without it.
    if "@" in text and _EMAIL.search(text):
        return "email"
    if spelled_email(folded):
        return "email"
    if ("/" in text and _SOCIAL_URL.search(text)) or (
            (":" in text or "=" in text) and _APP_ACCOUNT.search(text)) or (
            "@" in text and _foreign_at(text, present)):
        return "social"
    if _has_digit(text) and any(_is_phone(m.group()) for m in _PHONE.finditer(text)):
        return "phone"
    if spelled_phone(folded):
        return "phone"
    return None


def _has_digit(text: str) -> bool:
    if text.isascii():
        # Deleting the digits in C is several times quicker than a regex scan for one.
        return len(text.encode().translate(None, _ASCII_DIGITS)) != len(text)
    return _DIGIT.search(text) is not None


def _is_phone(candidate: str) -> bool:
    digits = sum(ch.isdigit() for ch in candidate)
    if not _MIN_PHONE_DIGITS <= digits <= _MAX_PHONE_DIGITS:
        return False
    if _DATE.fullmatch(candidate) or _AMOUNT.fullmatch(candidate):
        return False
    separated = candidate.startswith("+") or not candidate.isdigit()
    return separated or digits >= _MIN_BARE_DIGITS


# At most this many distinct @names in a message are looked up among the people
# present; a message with more is taken for one that lists accounts elsewhere.
MAX_AT_NAMES = 16
# Handles are at most MAX_LEN characters; an @name may add dots ("@s.a.m"), no more.
_LONGEST_AT_NAME = 2 * MAX_LEN


def at_names(text: str) -> tuple[str, ...]:
    """The keys of the @names in ``text`` (NFKC'd, as :func:`find_pii` reads it), in
    order and without repeats: what to look up among the people present. Empty when
    the names decide nothing: there are none, or the text is refused whoever is here
    (more than MAX_AT_NAMES names, or one far longer than any handle)."""
    return (_at_keys(text) or ()) if "@" in text else ()


def _at_keys(text: str) -> tuple[str, ...] | None:
    """The @names' keys, or None when the text is refused whoever is here: more than
    MAX_AT_NAMES names, or one far longer than any handle can be (it names nobody; it
    never goes in the key cache, so a flood of them cannot fill it)."""
    keys: dict[str, None] = {}
    for match in _AT_HANDLE.finditer(text):
        name = match.group(1)
        if len(name) > _LONGEST_AT_NAME:
            return None
        keys[handle_key(name)] = None
    return tuple(keys) if len(keys) <= MAX_AT_NAMES else None


def addressed_as(handle: str) -> tuple[str, ...]:
    """The keys an @name may use for ``handle``: the whole name, and its first word
    ("@Sam" is how people address "Sam Jones" too), compared as look-alike skeletons."""
    words = handle.split()
    if not words:
        return ()
    return tuple(dict.fromkeys((handle_key(handle), handle_key(words[0]))))


def _foreign_at(text: str, present: Collection[str]) -> bool:
    keys = _at_keys(text)
    return keys is None or any(key not in present for key in keys)
