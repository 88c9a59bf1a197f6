"""Who may do what: a chain of checks over a snapshot, the first denial wins.

Each ``check_*`` returns ``None`` to allow or a :class:`Denial`. The caller
gathers the snapshot (roles, room flags, ``now``); nothing here reads state.
"""

from __future__ import annotations

from moderation.decisions import Denial
from moderation.roles import Role, is_staff

MOD_ACTIONS: frozenset[str] = frozenset({
    "mute", "unmute", "remove", "ban", "unban", "bans", "delete", "lock",
    "slow_mode", "pause", "admit", "approve", "reject", "open", "close", "phase",
    "next_share", "end_share", "pin", "promote", "audit", "private",
})

# Actions that name a member (``member_id``); the caller looks up that member's role.
# (``admit`` names someone in the lobby, who has no role yet.)
TARGETED_ACTIONS: frozenset[str] = frozenset({"mute", "unmute", "remove", "ban", "promote",
                                             "private"})

# Only a host may use these on a facilitator, so co-facilitators cannot silence,
# eject or out-rank each other.
_HOST_ONLY_ON_STAFF: frozenset[str] = frozenset({"mute", "remove", "ban", "promote"})

_FORBIDDEN = "Only the room's facilitators can do that."


def check_mod(actor: Role | None, action: str, target: Role | None = None) -> Denial | None:
    """May ``actor`` perform moderation ``action`` (on a member whose role is ``target``)?

    ``actor`` is None when the person is not in the room. ``target`` is None
    when the action names nobody or the caller could not find the member (the
    caller answers ``not_found`` for that). Acting on oneself is refused by
    :func:`check_not_self`.
    """
    if actor is None or not is_staff(actor):
        return Denial("forbidden", _FORBIDDEN)
    if action not in MOD_ACTIONS:
        return Denial("bad_request", f"Unknown moderation action {action[:40]!r}.")
    if target is None or action not in TARGETED_ACTIONS:
        return None
    if target == Role.HOST:
        return Denial("forbidden", "Nobody can do that to the meeting's host.")
    if (target == Role.FACILITATOR and actor == Role.FACILITATOR
            and action in _HOST_ONLY_ON_STAFF):
        return Denial("forbidden", "Only the meeting's host can do that to a facilitator.")
    if action == "promote" and is_staff(target):
        return Denial("bad_request", "That person is already staff.")
    if action == "private" and is_staff(target):
        # Staff already see every private line; a line is for checking in with a member.
        return Denial("bad_request", "Private check-ins are with members, not staff.")
    return None


def check_not_self(actor_id: str, target_id: str | None) -> Denial | None:
    """Refuse moderation aimed at oneself (muting or banning yourself is always a slip)."""
    if target_id is not None and actor_id == target_id:
        return Denial("forbidden", "You can't do that to yourself.")
    return None


BANNED = Denial("banned", "You can't join this room. If you think this is a mistake, "
                "please reach out to the people who run this service.")


def check_join(
    *,
    room_status: str,
    locked: bool,
    paused: bool,
    banned: bool,
    full: bool,
    role: Role,
    admit_by_hand: bool,
) -> Denial | None:
    """May this person enter the room now?

    A ban applies to everyone; staff pass every other check, because a
    facilitator must be able to enter a closed, locked or paused room to open it.
    ``waiting`` is not a failure: the person is placed in the lobby.
    """
    if banned:
        return BANNED
    if is_staff(role):
        return None
    if room_status == "closed":
        return Denial("closed", "This room is closed right now. Please check the schedule "
                      "for the next meeting.")
    if locked:
        return Denial("locked", "This meeting isn't taking new people right now. "
                      "Please try another room or the next meeting.")
    if paused:
        return Denial("paused", "The facilitators have paused this room for a moment. "
                      "Please try again shortly.")
    if full:
        return Denial("full", "This room is full right now. Please try again a little "
                      "later or pick another room.")
    if room_status == "lobby" or admit_by_hand:
        return Denial("waiting", "You're in the waiting room. A facilitator will let you "
                      "in soon.")
    return None


def check_post(
    *,
    role: Role,
    paused: bool,
    muted_until: float | None,
    muted_forever: bool,
    chat_open: bool,
    sharing_member_id: str | None,
    member_id: str,
    hold_chat_during_share: bool,
    now: float,
) -> Denial | None:
    """May this person post a message now? (Rate and slow-mode limits are separate.)

    A mute applies to anyone muted (a host may mute a facilitator); pauses and
    held chat apply to members only, so staff can always speak to the room.
    """
    if muted_forever or (muted_until is not None and muted_until > now):
        return Denial("muted", "A facilitator has muted you for now. You can still read "
                      "along.")
    if is_staff(role):
        return None
    if paused:
        return Denial("paused", "The facilitators have paused the chat for a moment.")
    if sharing_member_id == member_id:
        return None  # the person called to share speaks, whatever the phase says of chat
    if not chat_open:
        return Denial("chat_held", "Chat is closed during this part of the meeting. "
                      "It will open again soon.")
    if hold_chat_during_share and sharing_member_id is not None and sharing_member_id != member_id:
        return Denial("chat_held", "Someone is sharing right now. Chat opens again when "
                      "they finish.")
    return None


def check_hand(*, role: Role, paused: bool, muted: bool) -> Denial | None:
    """May this person raise their hand to share?

    Lowering a hand takes nothing from anyone, so callers may skip this check for it.
    """
    if muted:
        return Denial("muted", "A facilitator has muted you for now, so you can't raise "
                      "your hand.")
    if paused and not is_staff(role):
        return Denial("paused", "The facilitators have paused the room for a moment.")
    return None
