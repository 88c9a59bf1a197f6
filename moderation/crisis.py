"""Phrases that suggest someone may be at risk (DESIGN §5), in English and Spanish.

A match never blocks a message: it brings the writer a private list of
support resources and tells the facilitators. So the lists lean towards
catching too much; a false alarm costs a facilitator a glance. What a
facilitator does not need is every mention of the past ("I used to want to
die; today I'm 90 days sober") or an idiom ("I'm dying to see you all"),
so those are told apart clause by clause (see :mod:`moderation.phrasebook`).

The phrases are data, one file per language in ``moderation/phrases/``;
config adds more (``[moderation] crisis_phrases``, read in ``server/config``)
through ``extra``.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from moderation.phrasebook import Entries, Phrasebook, PhraseError, parse, plain
from moderation.wordform import Slang, words

LANGUAGES: tuple[str, ...] = ("en", "es")


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


def check_extra_phrase(phrase: str) -> None:
    """Raise ``PhraseError`` (a ``ValueError``) if ``phrase`` has no word to match.

    Cheap (nothing is compiled), so config can check every phrase at start;
    :func:`crisis_phrasebook` per phrase would compile the whole lists each time.
    """
    if not plain((phrase,), _built_in().slang):
        raise PhraseError("has no words to match (letters or digits)")
