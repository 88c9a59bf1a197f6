"""Phrase lists as data, compiled into one word trie, and the clause rule that reads them.

A phrase file (``moderation/phrases/crisis_<lang>.txt``) has one entry a line;
``#`` starts a comment line. A line is

- ``words``: a risk phrase;
- ``- words``: never a risk: it cancels any risk phrase it overlaps
  ("don't want to die", "die of laughter", "rope swing");
- ``~ words``: context that makes a risk in the same clause history or about
  someone else ("used to", "years ago", "if you ever");
- ``+ words``: context that makes it present again ("again", "tonight");
- ``| word``: a word that starts a new clause, as ``.!?;`` do ("but");
- ``= typed => meant``: slang rewritten before matching ("kms => kill myself");
- ``@name = words``: a macro, used as ``@name`` in later lines.

``words`` are plain words with ``(a|b c)`` for alternatives, ``[a b]`` for
optional words, ``*`` for a gap of up to three words, ``stem*`` for any word
starting with ``stem``, ``#`` for a number and ``#year`` for a four-digit one.

A clause is at risk when it has a risk phrase no ``-`` phrase overlaps, and
either no ``~`` context or a ``+`` one: "I used to want to die" is history,
"I used to want to die and lately I want to again" is not.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import compress

from moderation.memo import Memo, fill_missing
from moderation.textnorm import fold
from moderation.wordform import BREAKS, Slang, words

RISK, NEVER, PAST, NOW = 1, 2, 4, 8
_KINDS = {"-": NEVER, "~": PAST, "+": NOW}
MAX_GAP = 3
_MIN_STEM = 3

_GAP, _NUMBER, _YEAR, _PREFIX = "\0gap", "\0number", "\0year", "\0prefix:"
_MACRO = re.compile(r"(@\w+)\s*=")
_SYMBOLS = re.compile(r"[()\[\]|]|@\w+|[^\s()\[\]|]+")

Atoms = tuple[str, ...]


class PhraseError(ValueError):
    """A phrase file or an extra phrase that cannot be read."""


@dataclass(eq=False)
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    prefixes: dict[str, _Node] = field(default_factory=dict)
    gap: _Node | None = None
    number: _Node | None = None
    year: _Node | None = None
    kinds: int = 0
    # Only words follow: the next word alone says whether to walk on.
    plain: bool = False

    def settle(self) -> None:
        """Mark :attr:`plain` here and below, once the trie is built."""
        self.plain = not (self.kinds or self.gap or self.prefixes or self.number or self.year)
        for child in (*self.children.values(), *self.prefixes.values(),
                      *(n for n in (self.gap, self.number, self.year) if n is not None)):
            child.settle()

    def step(self, atom: str) -> _Node:
        if atom == _GAP:
            self.gap = self.gap or _Node()
            return self.gap
        if atom == _NUMBER:
            self.number = self.number or _Node()
            return self.number
        if atom == _YEAR:
            self.year = self.year or _Node()
            return self.year
        if atom.startswith(_PREFIX):
            return self.prefixes.setdefault(atom[len(_PREFIX):], _Node())
        return self.children.setdefault(atom, _Node())


@dataclass(frozen=True)
class Entries:
    """What phrase files say, before compiling: ``(kind, atoms)`` pairs, breaks, slang."""

    phrases: tuple[tuple[int, Atoms], ...]
    breaks: frozenset[str]
    slang: Slang


# Stands in a word's start list for "this word ends the clause".
_CLAUSE_END = _Node()


class Phrasebook:
    """Phrase entries compiled into a word trie; :meth:`at_risk` reads a message's words."""

    def __init__(self, entries: Entries) -> None:
        self.slang = entries.slang
        self.breaks = entries.breaks | BREAKS
        self._root = _Node()
        for kind, atoms in entries.phrases:
            node = self._root
            for atom in atoms:
                node = node.step(atom)
            node.kinds |= kind
        self._root.settle()
        self._stems = tuple(self._root.prefixes)
        # Which phrases a word can start, remembered per word: the scan then costs
        # one dictionary look-up for each word that starts nothing.
        self._starts: Memo[tuple[_Node, ...]] = Memo()

    def _starts_of(self, token: str) -> tuple[_Node, ...]:
        known = self._starts.get(token)
        if known is not None:
            return known
        root = self._root
        if token in self.breaks:
            starts: tuple[_Node, ...] = (_CLAUSE_END,)
        else:
            found = [root.children[token]] if token in root.children else []
            # One startswith over every stem, in C, says whether any is worth a look.
            if self._stems and token.startswith(self._stems):
                found += [n for stem, n in root.prefixes.items() if token.startswith(stem)]
            starts = tuple(found)
        self._starts.put(token, starts)
        return starts

    def at_risk(self, tokens: Sequence[str]) -> bool:
        """True if a clause of ``tokens`` (from :func:`moderation.wordform.words`) is at risk."""
        # Which phrases each word starts, looked up in C; most words start none
        # and compress() skips them without a Python step each.
        found = fill_missing(list(map(self._starts.words.get, tokens)), tokens,
                             self._starts_of)
        risks: list[tuple[int, int]] = []
        nevers: list[tuple[int, int]] = []
        context = 0
        breaks = self.breaks
        following = [*tokens[1:], ""]
        for i in compress(range(len(tokens)), found):
            first = found[i]
            if first[0] is _CLAUSE_END:
                if risks and _clause_at_risk(risks, nevers, context):
                    return True
                risks, nevers, context = [], [], 0
                continue
            for start in first:
                if start.plain:
                    # The next word alone says whether this start goes anywhere.
                    second = start.children.get(following[i])
                    if second is None:
                        continue
                    walked = _walk(second, tokens, i + 2, breaks)
                else:
                    walked = _walk(start, tokens, i + 1, breaks)
                for kinds, end in walked:
                    if kinds & RISK:
                        risks.append((i, end))
                    if kinds & NEVER:
                        nevers.append((i, end))
                    context |= kinds & (PAST | NOW)
        return bool(risks) and _clause_at_risk(risks, nevers, context)


def _clause_at_risk(risks: list[tuple[int, int]], nevers: list[tuple[int, int]],
                    context: int) -> bool:
    if context & PAST and not context & NOW:
        return False
    return any(all(end <= n_start or n_end <= start for n_start, n_end in nevers)
               for start, end in risks)


def _walk(node: _Node, tokens: Sequence[str], j: int,
          breaks: frozenset[str]) -> list[tuple[int, int]]:
    """Every ``(kinds, end)`` of a phrase continuing from ``node`` at ``tokens[j]``."""
    found: list[tuple[int, int]] = []
    # Branches (gaps, stems, numbers) wait here; one exact word is followed at once.
    waiting: list[tuple[_Node, int]] = []
    n = len(tokens)
    current: _Node | None = node
    while True:
        if current is None:
            if not waiting:
                return found
            current, j = waiting.pop()
        if current.plain:
            # Only words follow: the next word alone says where to go.
            current = current.children.get(tokens[j]) if j < n else None
            j += 1
            continue
        if current.kinds:
            found.append((current.kinds, j))
        if current.gap is not None:
            for k in range(j, min(j + MAX_GAP, n) + 1):
                waiting.append((current.gap, k))
                if k < n and tokens[k] in breaks:
                    break
        if j >= n:
            current = None
            continue
        token = tokens[j]
        if current.prefixes:
            waiting.extend((c, j + 1) for stem, c in current.prefixes.items()
                           if token.startswith(stem))
        if (current.number or current.year) and token.isdigit():
            if current.number is not None:
                waiting.append((current.number, j + 1))
            if current.year is not None and len(token) == 4:
                waiting.append((current.year, j + 1))
        current = current.children.get(token)
        j += 1


def parse(lines: Iterable[str], where: str) -> Entries:
    """Read a phrase file's lines (see the module docstring); errors name ``where`` and the line."""
    phrases: list[tuple[int, Atoms]] = []
    breaks: set[str] = set()
    slang: dict[str, str] = {}
    macros: dict[str, list[Atoms]] = {}
    raw = list(lines)
    # Slang first: every phrase word is rewritten the way a message's would be.
    for number, line in enumerate(raw, 1):
        text = line.strip()
        if text.startswith("="):
            typed, sep, meant = text[1:].partition("=>")
            if not sep or not typed.strip() or not meant.strip():
                raise PhraseError(f"{where}:{number}: slang is written '= typed => meant'")
            if len(typed.split()) != 1:
                raise PhraseError(f"{where}:{number}: slang is one typed word")
            slang[fold(typed.strip())] = " ".join(fold(meant).split())
    rewrite = Slang(slang)
    for number, line in enumerate(raw, 1):
        text = line.strip()
        if not text or text.startswith(("#", "=")):
            continue
        try:
            if text.startswith("|"):
                breaks.update(words(fold(text[1:]), rewrite))
            elif macro := _MACRO.match(text):
                macros[macro.group(1)] = _expand(text[macro.end():], macros, rewrite)
            else:
                kind = _KINDS.get(text[0], RISK)
                body = text[1:] if kind != RISK else text
                expanded = _expand(body, macros, rewrite)
                # The scan starts phrases at words; a leading gap or number never starts.
                if any(atoms[0] in (_GAP, _NUMBER, _YEAR) for atoms in expanded):
                    raise PhraseError("a phrase cannot start with a gap or a number")
                phrases.extend((kind, atoms) for atoms in expanded)
        except PhraseError as exc:
            raise PhraseError(f"{where}:{number}: {exc}") from None
    return Entries(tuple(phrases), frozenset(breaks), rewrite)


def plain(phrases: Iterable[str], slang: Slang) -> tuple[tuple[int, Atoms], ...]:
    """Extra risk phrases (from config) taken word for word: no syntax, just words."""
    out = []
    for phrase in phrases:
        atoms = tuple(t for t in words(fold(phrase), slang) if t not in BREAKS)
        if atoms:
            out.append((RISK, atoms))
    return tuple(out)


def _expand(body: str, macros: dict[str, list[Atoms]], slang: Slang) -> list[Atoms]:
    symbols = _SYMBOLS.findall(body)
    if not symbols:
        raise PhraseError("no words")
    alternatives, rest = _alternatives(symbols, macros, slang)
    if rest:
        raise PhraseError(f"unexpected {rest[0]!r}")
    if any(not atoms for atoms in alternatives):
        raise PhraseError("a phrase can match nothing at all")
    return alternatives


def _alternatives(symbols: list[str], macros: dict[str, list[Atoms]],
                  slang: Slang) -> tuple[list[Atoms], list[str]]:
    """``seq ("|" seq)*`` from the front of ``symbols``: the expansions and what is left."""
    out: list[Atoms] = []
    while True:
        sequence, symbols = _sequence(symbols, macros, slang)
        out.extend(sequence)
        if not symbols or symbols[0] != "|":
            return out, symbols
        symbols = symbols[1:]


def _sequence(symbols: list[str], macros: dict[str, list[Atoms]],
              slang: Slang) -> tuple[list[Atoms], list[str]]:
    parts: list[list[Atoms]] = []
    while symbols and symbols[0] not in ("|", ")", "]"):
        head, symbols = symbols[0], symbols[1:]
        if head in ("(", "["):
            inner, symbols = _alternatives(symbols, macros, slang)
            close = ")" if head == "(" else "]"
            if not symbols or symbols[0] != close:
                raise PhraseError(f"{head!r} is not closed")
            symbols = symbols[1:]
            parts.append([*inner, ()] if head == "[" else inner)
        elif head.startswith("@"):
            if head not in macros:
                raise PhraseError(f"{head} is not defined above")
            parts.append(macros[head])
        else:
            parts.append([_atoms(head, slang)])
    return [tuple(itertools.chain.from_iterable(p)) for p in itertools.product(*parts)], symbols


def _atoms(word: str, slang: Slang) -> Atoms:
    if word == "*":
        return (_GAP,)
    if word == "#":
        return (_NUMBER,)
    if word == "#year":
        return (_YEAR,)
    stem = word.endswith("*")
    tokens = tuple(t for t in words(fold(word.rstrip("*")), slang) if t not in BREAKS)
    if not tokens:
        raise PhraseError(f"{word!r} has no letters")
    if stem:
        if len(tokens) != 1 or len(tokens[0]) < _MIN_STEM:
            raise PhraseError(f"a stem must be one word of {_MIN_STEM}+ letters: {word!r}")
        return (_PREFIX + tokens[0],)
    return tokens
