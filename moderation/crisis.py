"""Phrases that suggest someone may be at risk (DESIGN §5), in English and Spanish.

A match never blocks a message: it brings the writer a private list of
support resources and tells the facilitators. So the lists lean towards
catching too much; a false alarm costs a facilitator a glance. What a
facilitator does not need is every mention of the past ("I used to want to
die; today I'm 90 days sober") or an idiom ("I'm dying to see you all"),
so those are told apart clause by clause (see :mod:`moderation.phrasebook`).

The phrases are data, one file per language in ``moderation/phrases/``;
config adds more (``[moderation] crisis_phrases``) through ``extra``.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from moderation.phrasebook import Entries, Phrasebook, parse, plain
from moderation.textnorm import fold
from moderation.wordform import Slang, words

LANGUAGES: tuple[str, ...] = ("en", "es")
MAX_PHRASE_LEN = 200


def load_entries(language: str) -> Entries:
    """The built-in phrase file of ``language`` (one of :data:`LANGUAGES`), parsed."""
    name = f"crisis_{language}.txt"
    text = resources.files("moderation.phrases").joinpath(name).read_text(encoding="utf-8")
    return parse(text.splitlines(), f"moderation/phrases/{name}")


@lru_cache(maxsize=1)
def _built_in() -> Entries:
    parts = [load_entries(language) for language in LANGUAGES]
    slang: dict[str, str] = {}
    for part in parts:
        slang.update(part.slang.table)
    return Entries(tuple(p for part in parts for p in part.phrases),
                   frozenset().union(*(part.breaks for part in parts)), Slang(slang))


# A message may be in any language, so every language's phrases apply to it.
# Keyed by the extra phrases: config changes rarely, a compile costs milliseconds.
@lru_cache(maxsize=16)
def crisis_phrasebook(extra: tuple[str, ...] = ()) -> Phrasebook:
    """The built-in phrases of every language plus ``extra`` (word for word), compiled."""
    base = _built_in()
    return Phrasebook(Entries((*base.phrases, *plain(extra, base.slang)), base.breaks,
                              base.slang))


def mentions_crisis(folded: str, extra: tuple[str, ...] = ()) -> bool:
    """True if ``folded`` text (see :func:`moderation.textnorm.fold`) names a present risk.

    ``extra`` are more risk phrases (``[moderation] crisis_phrases``), matched
    as whole words after the same normalisation as the built-in ones.
    """
    book = crisis_phrasebook(extra)
    return book.at_risk(words(folded, book.slang))


def parse_crisis_phrases(raw: object, where: str) -> tuple[str, ...]:
    """Read ``crisis_phrases = { en = ["..."], es = ["..."] }`` into one tuple for ``extra``.

    Any language code may appear (phrases apply to every message whatever
    its language). Raises ``ValueError`` naming ``where`` and the entry.
    """
    if not isinstance(raw, dict):
        raise ValueError(f'{where} must be a table like {{ en = ["..."], es = ["..."] }}')
    out: list[str] = []
    for language, phrases in raw.items():
        key = f"{where}.{language}"
        if not isinstance(language, str) or not language.isalpha() or len(language) > 8:
            raise ValueError(f"{key} is not a language code (like en or es)")
        if not isinstance(phrases, list | tuple):
            raise ValueError(f'{key} must be a list of phrases like ["..."]')
        for i, phrase in enumerate(phrases):
            if not isinstance(phrase, str) or not any(c.isalnum() for c in fold(phrase)):
                raise ValueError(f"{key}[{i}] must be a phrase with at least one word")
            if len(phrase) > MAX_PHRASE_LEN:
                raise ValueError(f"{key}[{i}] must be at most {MAX_PHRASE_LEN} characters")
            out.append(" ".join(phrase.split()))
    return tuple(out)
