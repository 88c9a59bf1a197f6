"""`python -m bench.safety_eval`: how well and how fast messages are screened.

Prints three tables: crisis recall and false-positive rate per language on the
labelled sentences in tests/moderation/data (the sets the tests assert on); the
share of spelled-out phone numbers and e-mail addresses caught
and of ordinary number sentences wrongly flagged; and microseconds per
`moderation.filters.screen` call for ~120-character messages, against a
baseline of one regex search for the same blocked terms. No server, no I/O
beyond reading the data files; takes a few seconds.
"""

from __future__ import annotations

import argparse
import itertools
import platform
import re
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from bench.stats import caption, table
from moderation.crisis import LANGUAGES, mentions_crisis
from moderation.filters import BlockedTerm, addressed_in, screen
from moderation.pii import addressed_as, find_pii
from moderation.textnorm import fold, visible

DATA = Path(__file__).resolve().parent.parent / "tests" / "moderation" / "data"
TARGET_US = 20.0

# Roughly 120 characters each: what a member types in a meeting.
MESSAGES: dict[str, str] = {
    "English, ASCII": "Thanks everyone for sharing tonight. I had a rough week at work but I "
                      "called my sponsor and went to two meetings, feeling ok",
    "Spanish, accents": "Gracias a todos por compartir esta noche. Tuve una semana difícil, "
                        "pero llamé a mi madrina y fui a dos reuniones",
    "crisis phrase": "I don't know how to say this but I have pills saved and tonight I "
                     "want to end it all, I'm sorry everyone, really",
    "number words": "Day forty five for me. Steps one two and three again this week, and "
                    "one day at a time, I have three kids to stay sober for",
}
# An @mention of someone present, in rooms of these sizes: the names are looked up
# (the store's part, done here with a set), never compared with every member.
MENTION = ("@Sam thanks for sharing that tonight, it really helped me. I had a rough week "
           "but I called my sponsor")
ROOM_SIZES = (10, 1000)
TERMS = (BlockedTerm("beer", "hold"), BlockedTerm("vodka shots", "hold"),
         BlockedTerm("idiot", "block"), BlockedTerm("shut up", "block"),
         BlockedTerm("dealer", "hold"))


def _rows(name: str) -> list[tuple[str, str]]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [(label, text) for label, text in
            (line.split("\t") for line in lines if line.strip() and not line.startswith("#"))]


def crisis_table() -> str:
    rows: list[list[object]] = []
    for language in LANGUAGES:
        labelled = _rows(f"crisis_eval_{language}.tsv")
        risks = [t for label, t in labelled if label == "1"]
        ordinary = [t for label, t in labelled if label == "0"]
        caught = sum(mentions_crisis(fold(t)) for t in risks)
        flagged = sum(mentions_crisis(fold(t)) for t in ordinary)
        rows.append([language, len(risks), len(ordinary),
                     f"{caught / len(risks):.1%}", f"{flagged / len(ordinary):.1%}"])
    return "\n".join([
        caption("crisis phrases: recall = risk sentences flagged, FP rate = ordinary "
                "sentences flagged; the tests assert recall >= 95% and FP <= 3%. The phrase "
                "lists were tuned on these sentences; rounds 2 and 3 of each file record what "
                "they scored while still unseen, the better guide to new phrasings"),
        "",
        table(["language", "risk", "ordinary", "recall", "FP rate"], rows),
    ])


def pii_table() -> str:
    labelled = _rows("pii_spelled.tsv")
    rows: list[list[object]] = []
    for kind in ("phone", "email"):
        texts = [t for label, t in labelled if label == kind]
        caught = sum(find_pii(visible(t)) == kind for t in texts)
        rows.append([f"spelled {kind}", len(texts), f"{caught / len(texts):.1%}", "-"])
    ordinary = [t for label, t in labelled if label == "none"]
    flagged = sum(find_pii(visible(t)) is not None for t in ordinary)
    rows.append(["ordinary with number words", len(ordinary), "-",
                 f"{flagged / len(ordinary):.1%}"])
    return "\n".join([
        caption("PII guard on contact details spelled out in words (English and Spanish)"),
        "",
        table(["sentences", "count", "caught", "flagged"], rows),
    ])


def _us_per_call(call: Callable[[], object], seconds: float) -> float:
    call()  # first call compiles patterns and fills per-word memories
    n, elapsed = 1, 0.0
    while elapsed < seconds / 5:  # find a batch size worth timing
        n *= 2
        started = time.perf_counter()
        for _ in range(n):
            call()
        elapsed = time.perf_counter() - started
    best = min(_timed(call, n) for _ in range(5))
    return best / n * 1e6


def _timed(call: Callable[[], object], n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        call()
    return time.perf_counter() - started


def _room_keys(size: int) -> frozenset[str]:
    handles = ["Sam Jones", *(f"Member {chr(97 + i % 26)}{i}" for i in range(size - 1))]
    return frozenset(key for handle in handles for key in addressed_as(handle))


def _screen_as_sent(text: str, terms: tuple[BlockedTerm, ...], room: frozenset[str]) -> object:
    present = frozenset(key for key in addressed_in(text) if key in room)
    return screen(text, terms, present=present)


def speed_table(seconds: float) -> str:
    baseline = re.compile("|".join(rf"\b{re.escape(t.term)}\b" for t in TERMS), re.IGNORECASE)
    rows: list[list[object]] = []
    for name, text in MESSAGES.items():
        with_terms = _us_per_call(partial(screen, text, TERMS), seconds)
        no_terms = _us_per_call(partial(screen, text, ()), seconds)
        bare = _us_per_call(partial(baseline.search, text), seconds)
        rows.append([name, len(text), with_terms, no_terms, bare, f"{with_terms / bare:.0f}x"])
    # bench/node/load.js's texts: each has a new hex token and a new "s<n>k<k>", so
    # every call meets two words no memory has seen (what the compare's load costs).
    fresh = (f"bench x{(1_700_000_000_000_000_000 + i * 7919):x} s{i % 50}k{i} {'x' * 80}"[:120]
             for i in itertools.count())
    rows.append(["the compare load's (new words)", 120,
                 _us_per_call(lambda: screen(next(fresh), TERMS), seconds),
                 _us_per_call(lambda: screen(next(fresh), ()), seconds),
                 "-", "-"])
    for size in ROOM_SIZES:
        room = _room_keys(size)
        with_terms = _us_per_call(partial(_screen_as_sent, MENTION, TERMS, room), seconds)
        no_terms = _us_per_call(partial(_screen_as_sent, MENTION, (), room), seconds)
        bare = _us_per_call(partial(baseline.search, MENTION), seconds)
        rows.append([f"@mention, room of {size:,}", len(MENTION), with_terms, no_terms, bare,
                     f"{with_terms / bare:.0f}x"])
    return "\n".join([
        caption(f"screen() per message, best of 5 batches (target <= {TARGET_US:.0f} us with "
                f"blocked terms); baseline = one case-insensitive regex search for the same "
                f"{len(TERMS)} terms, no normalisation, PII or crisis check"),
        "",
        table(["message", "chars", f"us, {len(TERMS)} terms", "us, no terms", "baseline us",
               "ratio"], rows),
    ])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.safety_eval", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=0.5,
                        help="time spent measuring each figure (default 0.5)")
    args = parser.parse_args()
    print(f"peer-rooms safety evaluation, Python {platform.python_version()}\n")
    print(crisis_table(), end="\n\n")
    print(pii_table(), end="\n\n")
    print(speed_table(args.seconds))


if __name__ == "__main__":
    main()
