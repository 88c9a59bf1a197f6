from __future__ import annotations

from typing import Any

import pytest

from moderation.decisions import Denial
from moderation.permissions import (
    MOD_ACTIONS,
    TARGETED_ACTIONS,
    check_hand,
    check_join,
    check_mod,
    check_not_self,
    check_post,
)
from moderation.roles import Role, is_staff

MEMBER, FAC, HOST = Role.MEMBER, Role.FACILITATOR, Role.HOST


def code(denial: Denial | None) -> str | None:
    return None if denial is None else denial.code


def test_roles_are_wire_strings() -> None:
    assert [str(r) for r in Role] == ["member", "facilitator", "host"]
    assert Role("host") is HOST
    assert not is_staff(MEMBER)
    assert is_staff(FAC) and is_staff(HOST)


def test_action_sets() -> None:
    assert len(MOD_ACTIONS) == 22
    assert TARGETED_ACTIONS <= MOD_ACTIONS
    assert {"mute", "unmute", "remove", "ban", "promote", "private"} == TARGETED_ACTIONS


@pytest.mark.parametrize("actor", [FAC, HOST])
def test_private_lines_are_with_members_only(actor: Role) -> None:
    assert check_mod(actor, "private", MEMBER) is None
    assert code(check_mod(actor, "private", FAC)) == "bad_request"
    assert code(check_mod(MEMBER, "private", MEMBER)) == "forbidden"


@pytest.mark.parametrize("actor", [None, MEMBER])
@pytest.mark.parametrize("action", sorted(MOD_ACTIONS))
def test_members_and_strangers_cannot_moderate(actor: Role | None, action: str) -> None:
    denial = check_mod(actor, action, MEMBER)
    assert code(denial) == "forbidden"
    assert denial is not None and denial.message


def test_forbidden_wins_over_unknown_action() -> None:
    assert code(check_mod(MEMBER, "nuke")) == "forbidden"


@pytest.mark.parametrize("actor", [FAC, HOST])
def test_unknown_action_is_bad_request(actor: Role) -> None:
    assert code(check_mod(actor, "nuke")) == "bad_request"
    assert code(check_mod(actor, "")) == "bad_request"


@pytest.mark.parametrize("actor", [FAC, HOST])
@pytest.mark.parametrize("action", sorted(MOD_ACTIONS))
def test_staff_may_act_on_members(actor: Role, action: str) -> None:
    target = MEMBER if action in TARGETED_ACTIONS else None
    assert check_mod(actor, action, target) is None


@pytest.mark.parametrize("actor", [FAC, HOST])
@pytest.mark.parametrize("action", sorted(TARGETED_ACTIONS))
def test_nobody_acts_on_the_host(actor: Role, action: str) -> None:
    assert code(check_mod(actor, action, HOST)) == "forbidden"


@pytest.mark.parametrize("action", ["mute", "remove", "ban", "promote"])
def test_facilitator_cannot_act_on_facilitator(action: str) -> None:
    assert code(check_mod(FAC, action, FAC)) == "forbidden"


@pytest.mark.parametrize("action", ["mute", "remove", "ban"])
def test_host_can_act_on_facilitator(action: str) -> None:
    assert check_mod(HOST, action, FAC) is None


def test_promote_staff_is_bad_request() -> None:
    denial = check_mod(HOST, "promote", FAC)
    assert code(denial) == "bad_request"
    assert denial is not None and "already" in denial.message


def test_untargeted_action_ignores_target() -> None:
    assert check_mod(FAC, "lock", HOST) is None


def test_check_not_self() -> None:
    assert code(check_not_self("m1", "m1")) == "forbidden"
    assert check_not_self("m1", "m2") is None
    assert check_not_self("m1", None) is None


def join(**overrides: Any) -> Denial | None:
    args: dict[str, Any] = dict(room_status="open", locked=False, paused=False, banned=False,
                                full=False, role=MEMBER, admit_by_hand=False)
    args.update(overrides)
    return check_join(**args)


def test_join_open_room() -> None:
    assert join() is None


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"banned": True, "room_status": "closed", "locked": True}, "banned"),
        ({"room_status": "closed", "locked": True, "paused": True, "full": True}, "closed"),
        ({"locked": True, "paused": True, "full": True}, "locked"),
        ({"paused": True, "full": True, "room_status": "lobby"}, "paused"),
        ({"full": True, "room_status": "lobby"}, "full"),
        ({"room_status": "lobby"}, "waiting"),
        ({"admit_by_hand": True}, "waiting"),
    ],
)
def test_join_order(overrides: dict[str, Any], expected: str) -> None:
    denial = join(**overrides)
    assert code(denial) == expected
    assert denial is not None and denial.message and denial.retry_after is None


@pytest.mark.parametrize("role", [FAC, HOST])
def test_staff_enter_any_room_but_bans_still_apply(role: Role) -> None:
    assert join(role=role, room_status="closed", locked=True, paused=True, full=True,
                admit_by_hand=True) is None
    assert code(join(role=role, banned=True)) == "banned"


def post(**overrides: Any) -> Denial | None:
    args: dict[str, Any] = dict(role=MEMBER, paused=False, muted_until=None, muted_forever=False,
                                chat_open=True, sharing_member_id=None, member_id="me",
                                hold_chat_during_share=True, now=1000.0)
    args.update(overrides)
    return check_post(**args)


def test_post_allowed() -> None:
    assert post() is None


def test_muted_until_future_then_expires() -> None:
    denial = post(muted_until=1001.0, paused=True)
    assert code(denial) == "muted"
    assert denial is not None and denial.retry_after is None
    assert post(muted_until=1000.0) is None
    assert post(muted_until=999.0) is None


def test_muted_forever() -> None:
    assert code(post(muted_forever=True)) == "muted"


def test_post_order_for_members() -> None:
    assert code(post(paused=True, chat_open=False)) == "paused"
    assert code(post(chat_open=False, sharing_member_id="other")) == "chat_held"
    assert code(post(sharing_member_id="other")) == "chat_held"


def test_sharer_may_post_and_hold_can_be_off() -> None:
    assert post(sharing_member_id="me") is None
    assert post(sharing_member_id="other", hold_chat_during_share=False) is None


@pytest.mark.parametrize("role", [FAC, HOST])
def test_staff_not_held(role: Role) -> None:
    assert post(role=role, paused=True, chat_open=False, sharing_member_id="other") is None
    assert code(post(role=role, muted_forever=True)) == "muted"


def test_check_hand() -> None:
    assert check_hand(role=MEMBER, paused=False, muted=False) is None
    assert code(check_hand(role=MEMBER, paused=True, muted=True)) == "muted"
    assert code(check_hand(role=MEMBER, paused=True, muted=False)) == "paused"
    assert check_hand(role=FAC, paused=True, muted=False) is None


def test_denial_wire_form() -> None:
    assert Denial("muted", "m").to_wire() == {"code": "muted", "message": "m"}
    assert Denial("slow_mode", "s", 1.5).to_wire() == {
        "code": "slow_mode", "message": "s", "retry_after": 1.5}


def test_the_person_sharing_may_post_when_phase_chat_is_closed() -> None:
    from moderation.permissions import check_post
    from moderation.roles import Role

    common = {"role": Role.MEMBER, "paused": False, "muted_until": None,
              "muted_forever": False, "chat_open": False, "hold_chat_during_share": True,
              "now": 0.0}
    assert check_post(sharing_member_id="m1", member_id="m1", **common) is None  # type: ignore[arg-type]
    denial = check_post(sharing_member_id="m1", member_id="m2", **common)  # type: ignore[arg-type]
    assert denial is not None and denial.code == "chat_held"
    paused = {**common, "paused": True}
    denial = check_post(sharing_member_id="m1", member_id="m1", **paused)  # type: ignore[arg-type]
    assert denial is not None and denial.code == "paused"
