"""Reading blocked terms from config (per room, and `[moderation] blocked_terms`)."""

from __future__ import annotations

from moderation.filters import MAX_TERM_LEN, BlockedTerm
from moderation.textnorm import fold


class TermError(ValueError):
    """A bad entry, with the key of the very field (``rooms[0].blocked_terms[1].action``),
    so config errors and the admin API's 400 name it as they do every other field."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key} {problem}")
        self.key = key
        self.problem = problem


def parse_terms(raw: object, where: str) -> tuple[BlockedTerm, ...]:
    """Read a config list ``[{term = "...", action = "block" | "hold"}]``.

    ``action`` defaults to ``block``. Raises ``TermError`` naming ``where``
    (the config key), the entry's index and its field.
    """
    if not isinstance(raw, list | tuple):
        raise TermError(where, 'must be a list like [{ term = "...", action = "block" }]')
    out: list[BlockedTerm] = []
    for i, item in enumerate(raw):
        key = f"{where}[{i}]"
        if not isinstance(item, dict):
            raise TermError(key, 'must be a table like { term = "...", action = "hold" }')
        unknown = sorted(str(k) for k in item if k not in ("term", "action"))
        if unknown:
            raise TermError(f"{key}.{unknown[0]}", "is not a known key (use term and action)")
        term = item.get("term")
        if not isinstance(term, str) or not fold(term).split():
            raise TermError(f"{key}.term", "must be a non-empty string")
        if len(term) > MAX_TERM_LEN:
            raise TermError(f"{key}.term", f"must be at most {MAX_TERM_LEN} characters")
        action = item.get("action", "block")
        if action == "block":
            out.append(BlockedTerm(term.strip(), "block"))
        elif action == "hold":
            out.append(BlockedTerm(term.strip(), "hold"))
        else:
            raise TermError(f"{key}.action", 'must be "block" or "hold"')
    return tuple(out)
