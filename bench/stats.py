"""Latency summaries and plain-text tables."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values (nan when there are none)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def summarize_ms(latencies_ms: list[float]) -> dict[str, float]:
    values = sorted(latencies_ms)
    return {"p50": percentile(values, 0.50), "p99": percentile(values, 0.99),
            "max": values[-1] if values else math.nan}


def caption(text: str) -> str:
    """A benchmark's description, wrapped to fit a terminal."""
    return textwrap.fill(text, width=100)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Aligned columns: text to the left, numbers to the right."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h)
              for i, h in enumerate(headers)]
    numeric = [bool(rows) and all(_is_number(row[i]) for row in rows)
               for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        return " | ".join(v.rjust(w) if num else v.ljust(w)
                          for v, w, num in zip(values, widths, numeric, strict=True)).rstrip()

    rule = "-+-".join("-" * w for w in widths)
    return "\n".join([line(list(headers)), rule, *(line(r) for r in cells)])


def _is_number(value: object) -> bool:
    # "1,000 / 12" (two counts in one column) lines up like a number too.
    return isinstance(value, int | float) or (isinstance(value, str) and value[:1].isdigit())


def _cell(value: object) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
