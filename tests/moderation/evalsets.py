"""The labelled sentence files in tests/moderation/data, read for tests."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


def rows(name: str) -> list[tuple[str, str]]:
    """``(label, sentence)`` pairs of a TSV file, comments and blank lines skipped."""
    out = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, sentence = line.split("\t")
            out.append((label, sentence))
    return out
