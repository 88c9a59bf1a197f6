"""Reading blocked terms from config (per room, and `[moderation] blocked_terms`)."""

from __future__ import annotations

from moderation.filters import MAX_TERM_LEN, BlockedTerm
from moderation.textnorm import fold


def parse_terms(raw: object, where: str) -> tuple[BlockedTerm, ...]:
    """Read a config list ``[{term = "...", action = "block" | "hold"}]``.

    ``action`` defaults to ``block``. Raises ``ValueError`` naming ``where``
    (the config key) and the entry's index.
    """
    if not isinstance(raw, list | tuple):
        raise ValueError(f'{where} must be a list like [{{ term = "...", action = "block" }}]')
    out: list[BlockedTerm] = []
    for i, item in enumerate(raw):
        key = f"{where}[{i}]"
        if not isinstance(item, dict):
            raise ValueError(f'{key} must be a table like {{ term = "...", action = "hold" }}')
        unknown = sorted(str(k) for k in item if k not in ("term", "action"))
        if unknown:
            raise ValueError(f"{key}.{unknown[0]} is not a known key (use term and action)")
        term = item.get("term")
        if not isinstance(term, str) or not fold(term).split():
            raise ValueError(f"{key}.term must be a non-empty string")
        if len(term) > MAX_TERM_LEN:
            raise ValueError(f"{key}.term must be at most {MAX_TERM_LEN} characters")
        action = item.get("action", "block")
        if action == "block":
            out.append(BlockedTerm(term.strip(), "block"))
        elif action == "hold":
            out.append(BlockedTerm(term.strip(), "hold"))
        else:
            raise ValueError(f'{key}.action must be "block" or "hold"')
    return tuple(out)
