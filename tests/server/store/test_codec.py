"""The store's JSON forms: orjson writes each value straight from its dataclass, and
that is byte for byte what `dataclasses.asdict` gave (what Redis already holds), and
reads back as the value it was."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from moderation.roles import Role
from server.models.live import (
    Alert,
    HeldMessage,
    Member,
    Message,
    Mute,
    RoomRuntime,
    Share,
    Waiting,
)
from server.store import codec

text = st.text(max_size=30)
maybe_text = st.none() | text
moment = st.floats(min_value=0, max_value=4e9)
author = st.fixed_dictionaries({"id": text, "handle": text,
                                "role": st.sampled_from([r.value for r in Role])})
names = st.lists(text, max_size=4).map(tuple)

members = st.builds(Member, text, text, text, st.sampled_from(list(Role)), text, text, moment,
                    maybe_text, names)
messages = st.builds(Message, text, text, st.integers(0, 2**53), author, text, moment)
helds = st.builds(HeldMessage, text, text, author, text, text, moment)
alerts = st.builds(Alert, text, text, st.sampled_from(["crisis", "report", "pii"]), text,
                   moment, maybe_text, maybe_text, maybe_text, maybe_text)
waitings = st.builds(Waiting, text, text, text, text, text, moment)
mutes = st.builds(Mute, st.none() | moment)
runtimes = st.builds(RoomRuntime, st.sampled_from(["closed", "lobby", "open"]), st.booleans(),
                     st.booleans(), st.integers(0, 3600), maybe_text, names,
                     st.none() | st.builds(Share, text, moment), maybe_text,
                     st.none() | moment, names,
                     st.lists(st.tuples(text, moment), max_size=3).map(tuple))


def _as_before(value: Any) -> str:
    """What the codec wrote with `asdict` (a member's role as its value)."""
    data = asdict(value)
    if isinstance(value, Member):
        data["role"] = value.role.value
    return orjson.dumps(data).decode()


@pytest.mark.parametrize(("values", "write", "read"), [
    (members, codec.member_to_json, codec.member_from_json),
    (messages, codec.message_to_json, codec.message_from_json),
    (helds, codec.held_to_json, codec.held_from_json),
    (alerts, codec.alert_to_json, codec.alert_from_json),
    (waitings, codec.waiting_to_json, codec.waiting_from_json),
    (mutes, codec.mute_to_json, codec.mute_from_json),
    (runtimes, codec.runtime_to_json, codec.runtime_from_json),
], ids=["member", "message", "held", "alert", "waiting", "mute", "runtime"])
@given(data=st.data())
def test_each_value_is_written_as_before_and_read_back(
        values: st.SearchStrategy[Any], write: Callable[[Any], str],
        read: Callable[[str], Any], data: st.DataObject) -> None:
    value = data.draw(values)
    written = write(value)
    assert written == _as_before(value)
    assert read(written) == value
