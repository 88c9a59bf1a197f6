"""Spotting contact details that would end someone's anonymity (DESIGN §5).

Tuned to catch the usual ways people swap numbers and accounts; a false alarm
costs a rephrase, a miss can cost someone their privacy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from moderation.skeleton import skeleton
from moderation.spelled import spelled_email, spelled_phone
from moderation.textnorm import fold

PiiKind = Literal["phone", "email", "social"]

_EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}")
# A run of digits with the separators people type in phone numbers; the digit
# count decides (below), so "12 steps" or "365 days" never get this far.
_PHONE = re.compile(r"(?<![\w+])\+?\(?\d[\d().\- ]*\d(?!\w)")
# Dates use the same separators; "2024-01-15" or "15.01.2024" is not a number to call.
_DATE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}")
# "1.000.000" is an amount written the European way, not a number to call.
_AMOUNT = re.compile(r"\d{1,3}(?:\.\d{3}){2,}")
# "@name" not glued to something before it (that would be an e-mail); the name
# must start with a letter or "_" so "@5pm" is a time, not an account.
_AT_HANDLE = re.compile(r"(?<![\w.@+%-])@([^\W\d][\w.]*\w)")
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


def find_pii(text: str, mentions: Iterable[str] = (), *,
             folded: str | None = None) -> PiiKind | None:
    """The first kind of contact detail in ``text`` (NFKC'd), or None.

    ``mentions`` are handles of people in the room: "@Sam" addressed to a
    member present is ordinary chat, not an off-platform account. ``folded``
    is ``fold(text)`` if the caller has it already (spelled-out numbers and
    addresses are read in that form).
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
            "@" in text and _foreign_at(text, mentions)):
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


def _foreign_at(text: str, mentions: Iterable[str]) -> bool:
    names = [m.group(1) for m in _AT_HANDLE.finditer(text)]
    if not names:
        return False
    known: set[str] = set()
    for handle in mentions:
        words = handle.split()
        if words:
            # "@Sam" is how people address "Sam Jones" too.
            known.update((skeleton(handle), skeleton(words[0])))
    return any(skeleton(name) not in known for name in names)
