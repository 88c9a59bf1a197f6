from __future__ import annotations

from typing import Any

import pytest

from moderation.actions import ModRequest, parse_mod
from moderation.decisions import Denial
from moderation.permissions import MOD_ACTIONS


def ok(payload: dict[str, Any]) -> ModRequest:
    result = parse_mod({"room": "open-circle", **payload})
    assert isinstance(result, ModRequest), result
    assert result.room == "open-circle"
    return result


def bad(payload: object, field: str) -> None:
    result = parse_mod(payload)
    assert isinstance(result, Denial), result
    assert result.code == "bad_request"
    assert field in result.message


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"action": "mute", "member_id": "m1"}, {"member_id": "m1", "minutes": None}),
        ({"action": "mute", "member_id": "m1", "minutes": 10}, {"minutes": 10}),
        ({"action": "mute", "member_id": "m1", "minutes": 40320}, {"minutes": 40320}),
        ({"action": "mute", "member_id": "m1", "minutes": None}, {"minutes": None}),
        ({"action": "unmute", "member_id": "m1"}, {"member_id": "m1"}),
        ({"action": "remove", "member_id": "m1"}, {"member_id": "m1"}),
        ({"action": "promote", "member_id": "m1"}, {"member_id": "m1"}),
        ({"action": "admit", "member_id": "m1"}, {"waiting_id": "m1"}),
        ({"action": "ban", "member_id": "m1"},
         {"member_id": "m1", "days": None, "scope": "room", "reason": None}),
        ({"action": "ban", "member_id": "m1", "days": 3650, "scope": "all", "reason": " troll "},
         {"days": 3650, "scope": "all", "reason": "troll"}),
        ({"action": "ban", "member_id": "m1", "reason": "   "}, {"reason": None}),
        ({"action": "unban", "ban_id": "b1"}, {"ban_id": "b1"}),
        ({"action": "delete", "message_id": "x1"}, {"message_id": "x1"}),
        ({"action": "approve", "message_id": "x1"}, {"message_id": "x1"}),
        ({"action": "reject", "message_id": "x1"}, {"message_id": "x1"}),
        ({"action": "lock", "locked": True}, {"flag": True}),
        ({"action": "lock", "locked": False}, {"flag": False}),
        ({"action": "pause", "paused": True}, {"flag": True}),
        ({"action": "slow_mode", "seconds": 0}, {"seconds": 0}),
        ({"action": "slow_mode", "seconds": 21600}, {"seconds": 21600}),
        ({"action": "phase", "name": " shares "}, {"name": "shares"}),
        ({"action": "next_share"}, {"member_id": None}),
        ({"action": "next_share", "member_id": "m2"}, {"member_id": "m2"}),
        ({"action": "pin", "text": "Welcome.\nBe kind."}, {"text": "Welcome.\nBe kind."}),
        ({"action": "pin", "text": ""}, {"text": ""}),
        ({"action": "pin", "text": "x" * 2000}, {"text": "x" * 2000}),
        ({"action": "bans"}, {}),
        ({"action": "open"}, {}),
        ({"action": "close"}, {}),
        ({"action": "end_share"}, {}),
        ({"action": "audit", "member_id": "ignored"}, {"member_id": None}),
        # The text is kept as sent: the domain cleans and bounds it (too_long, empty).
        ({"action": "private", "member_id": "m1", "text": " How are you? "},
         {"member_id": "m1", "text": " How are you? "}),
    ],
)
def test_happy_paths(payload: dict[str, Any], expected: dict[str, Any]) -> None:
    request = ok(payload)
    assert request.action == payload["action"]
    for field, value in expected.items():
        assert getattr(request, field) == value, field


def test_every_action_has_a_happy_path_above() -> None:
    covered = {"mute", "unmute", "remove", "promote", "admit", "ban", "unban", "delete",
               "approve", "reject", "lock", "pause", "slow_mode", "phase", "next_share",
               "pin", "bans", "open", "close", "end_share", "audit", "private"}
    assert covered == MOD_ACTIONS


def test_unused_fields_stay_empty() -> None:
    request = ok({"action": "lock", "locked": True, "member_id": "m1", "minutes": 5})
    assert request == ModRequest(room="open-circle", action="lock", flag=True)


@pytest.mark.parametrize("payload", [None, "mute", 3, ["room"], ("a", "b")])
def test_payload_must_be_object(payload: object) -> None:
    result = parse_mod(payload)
    assert isinstance(result, Denial) and result.code == "bad_request"


@pytest.mark.parametrize("room", [None, "", 7, "x" * 65, ["r"], True])
def test_bad_room(room: object) -> None:
    bad({"room": room, "action": "open"}, "room")


def test_room_missing() -> None:
    bad({"action": "open"}, "room")


@pytest.mark.parametrize("action", [None, "", "nuke", 1, "MUTE"])
def test_bad_action(action: object) -> None:
    bad({"room": "r", "action": action}, "action")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"action": "mute"}, "member_id"),
        ({"action": "mute", "member_id": ""}, "member_id"),
        ({"action": "mute", "member_id": 5}, "member_id"),
        ({"action": "mute", "member_id": "x" * 129}, "member_id"),
        ({"action": "mute", "member_id": "m", "minutes": 0}, "minutes"),
        ({"action": "mute", "member_id": "m", "minutes": 40321}, "minutes"),
        ({"action": "mute", "member_id": "m", "minutes": True}, "minutes"),
        ({"action": "mute", "member_id": "m", "minutes": 5.0}, "minutes"),
        ({"action": "mute", "member_id": "m", "minutes": "5"}, "minutes"),
        ({"action": "unmute"}, "member_id"),
        ({"action": "remove", "member_id": None}, "member_id"),
        ({"action": "promote", "member_id": ["m"]}, "member_id"),
        ({"action": "admit"}, "member_id"),
        ({"action": "ban"}, "member_id"),
        ({"action": "ban", "member_id": "m", "days": 0}, "days"),
        ({"action": "ban", "member_id": "m", "days": 3651}, "days"),
        ({"action": "ban", "member_id": "m", "days": False}, "days"),
        ({"action": "ban", "member_id": "m", "scope": "world"}, "scope"),
        ({"action": "ban", "member_id": "m", "scope": 1}, "scope"),
        ({"action": "ban", "member_id": "m", "reason": 5}, "reason"),
        ({"action": "ban", "member_id": "m", "reason": "x" * 1001}, "reason"),
        ({"action": "unban"}, "ban_id"),
        ({"action": "unban", "ban_id": 3}, "ban_id"),
        ({"action": "delete"}, "message_id"),
        ({"action": "approve", "message_id": ""}, "message_id"),
        ({"action": "reject", "message_id": 9}, "message_id"),
        ({"action": "lock"}, "locked"),
        ({"action": "lock", "locked": 1}, "locked"),
        ({"action": "lock", "locked": "true"}, "locked"),
        ({"action": "pause"}, "paused"),
        ({"action": "pause", "paused": None}, "paused"),
        ({"action": "slow_mode"}, "seconds"),
        ({"action": "slow_mode", "seconds": -1}, "seconds"),
        ({"action": "slow_mode", "seconds": 21601}, "seconds"),
        ({"action": "slow_mode", "seconds": True}, "seconds"),
        ({"action": "slow_mode", "seconds": 1.5}, "seconds"),
        ({"action": "phase"}, "name"),
        ({"action": "phase", "name": "  "}, "name"),
        ({"action": "phase", "name": 3}, "name"),
        ({"action": "phase", "name": "x" * 65}, "name"),
        ({"action": "next_share", "member_id": 4}, "member_id"),
        ({"action": "next_share", "member_id": ""}, "member_id"),
        ({"action": "pin"}, "text"),
        ({"action": "pin", "text": None}, "text"),
        ({"action": "pin", "text": 1}, "text"),
        ({"action": "pin", "text": "x" * 2001}, "text"),
        ({"action": "private", "text": "hi"}, "member_id"),
        ({"action": "private", "member_id": "m"}, "text"),
        ({"action": "private", "member_id": "m", "text": 5}, "text"),
    ],
)
def test_bad_fields(payload: dict[str, Any], field: str) -> None:
    bad({"room": "r", **payload}, field)


def test_request_is_frozen() -> None:
    request = ok({"action": "open"})
    with pytest.raises(AttributeError):
        request.room = "other"  # type: ignore[misc]
