"""Blocked terms as the config file gives them: errors name the key and entry."""

from __future__ import annotations

import pytest

from moderation.filters import BlockedTerm
from server.config.blocked_terms import parse_terms


def test_parse_terms() -> None:
    terms = parse_terms(
        [{"term": "bad", "action": "block"}, {"term": "  drink  ", "action": "hold"},
         {"term": "x"}],
        "rooms[0].blocked_terms",
    )
    assert terms == (BlockedTerm("bad", "block"), BlockedTerm("drink", "hold"),
                     BlockedTerm("x", "block"))
    assert parse_terms([], "w") == ()


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("bad", "w must be a list"),
        ({"term": "x"}, "w must be a list"),
        (["bad"], "w[0] must be a table"),
        ([{"term": "a"}, {"term": ""}], "w[1].term"),
        ([{"term": "   "}], "w[0].term"),
        ([{"term": 3}], "w[0].term"),
        ([{"term": "a", "action": "delete"}], "w[0].action"),
        ([{"term": "a", "actoin": "hold"}], "w[0].actoin"),
        ([{"term": "a" * 201}], "w[0].term"),
    ],
)
def test_parse_terms_errors_name_where(raw: object, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        parse_terms(raw, "w")
