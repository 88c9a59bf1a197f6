"""Private check-ins: a facilitator opens a line to one member; all staff see it.

DESIGN §3: `mod private {member_id, text}` opens or continues the line, and the member
answers with `send {to: "staff"}` only while one is open. Every message of a line goes
to the member and to the room's whole staff channel, so nobody is ever alone with a
member. Members can never open a line. A line ends with the membership (leave, remove,
ban, a dropped connection: `RoomCore.evict`) or the meeting (`forget_room`).

Nothing of a line is kept but the fact that it is open: its text goes out once and is
gone (no replay buffer, no log line, no audit text).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from moderation.decisions import Denial, bad_request
from moderation.filters import screen, validate_text
from moderation.permissions import check_post
from moderation.ratelimit import BucketRule, rate_denial
from moderation.roles import is_staff
from moderation.timefmt import iso_utc
from server.config.settings import RoomConfig
from server.models.live import Member
from server.rooms.calls import Refused, new_id
from server.rooms.core import RoomCore

MAX_CLIENT_ID = 64
# A `send` retried with the same client_id answers the first id and sends nothing
# again, for as long as `send` remembers its own (15 minutes).
_RETRY_WINDOW_S = 15 * 60

_NO_LINE = Denial("forbidden", "You can write to the facilitators here once one of them "
                  "starts a private check-in with you.")
_STAFF_USE_MOD = Denial("forbidden", "Staff write to a member with a private check-in "
                        "(mod private).")
_JOIN_FIRST = Denial("forbidden", "Join the room first: replies to a private check-in go "
                     "to the staff who are in the room.")


class PrivateLines:
    def __init__(self, core: RoomCore) -> None:
        self.core = core

    async def write(self, room: RoomConfig, writer: Member | None,
                    target: Member, raw_text: object) -> tuple[dict[str, Any], bool]:
        """A staff member writes on the line to `target` (opening it if needed).

        Returns the answer's fields and whether this message opened the line (only an
        opening is audited). Staff text is not screened, as in the room: they may need
        to give a helpline number.
        """
        core = self.core
        if writer is None:
            raise Refused(_JOIN_FIRST)
        text = _text(raw_text)
        opened = await core.store.open_private(room.id, target.id, core.clock())
        if opened:
            await self._forget_departed(room)
        message_id = new_id()
        await self._deliver(room, writer, target, message_id, text)
        return {"message": {"id": message_id}}, opened

    async def reply(self, payload: object, member_id: str | None) -> dict[str, Any]:
        """`send {to: "staff"}`: a member answers on their open line."""
        core = self.core
        fields = payload if isinstance(payload, dict) else {}
        room = core.config(fields.get("room"))
        member = await core.member(room, member_id)
        if fields.get("to") != "staff":
            raise Refused(bad_request('to must be "staff" (or left out).'))
        client_id = fields.get("client_id")
        if not isinstance(client_id, str) or not 1 <= len(client_id) <= MAX_CLIENT_ID:
            raise Refused(bad_request(f"client_id must be 1 to {MAX_CLIENT_ID} characters."))
        text = _text(fields.get("text"))
        if is_staff(member.role):
            raise Refused(_STAFF_USE_MOD)
        if not await core.store.private_open(room.id, member.id):
            raise Refused(_NO_LINE)

        now = core.clock()
        runtime = await core.runtime(room)
        # Pause (the panic button) stops members posting anywhere. A mute, a closed
        # phase or someone's share do not: they keep the room calm, and the line is
        # how staff talk with the very member they muted.
        denial = check_post(role=member.role, paused=runtime.paused, muted_until=None,
                            muted_forever=False, chat_open=True, sharing_member_id=None,
                            member_id=member.id, hold_chat_during_share=False, now=now)
        if denial is not None:
            raise Refused(denial)
        # The room's filters apply. A `hold` term would wait for staff, who are the
        # line's only readers anyway, so it goes through; `block` and PII do not.
        verdict = screen(text, (*room.blocked_terms, *core.settings.blocked_terms),
                         check_pii=True, crisis_phrases=core.settings.crisis_phrases)
        if verdict.action == "block":
            assert verdict.denial is not None
            try:
                await core.limit_action("refused", member)  # as a refused `send`
                if verdict.pii is not None:
                    await core.raise_alert(room.id, "pii", member.id)
            finally:
                if verdict.crisis:
                    await self._support(member, text)  # never held back by a limit
            raise Refused(verdict.denial)

        # The member's one message budget covers the room and the line alike (kept by
        # device, as `send` keeps it, so a rejoin does not refill it); a retry of a
        # reply sent once already gets its answer whatever the budget says now.
        message_id = _retry_id(room.id, member.id, client_id)
        claim = f"private:{room.id}:{message_id}"
        limits = core.settings.limits
        rule = BucketRule(limits.message_burst, limits.message_interval_s)
        wait = await core.token_wait((f"msg:{member.device_hash}", rule), room_id=room.id)
        if wait:
            if await core.store.claimed(claim):
                return {"message": {"id": message_id}}
            raise Refused(rate_denial(wait))
        if not await core.store.claim(claim, _RETRY_WINDOW_S):
            return {"message": {"id": message_id}}  # a retry: sent once already
        await self._deliver(room, member, member, message_id, text)
        if verdict.crisis:
            await self._support(member, text)
        return {"message": {"id": message_id}}

    async def _deliver(self, room: RoomConfig, writer: Member, member: Member,
                       message_id: str, text: str) -> None:
        data = {"id": message_id, "member": writer.to_wire(), "to": member.id, "text": text,
                "ts": iso_utc(self.core.clock())}
        await self.core.tell_member(member, "private", data)
        await self.core.tell_staff(room.id, "private", data)

    async def _support(self, member: Member, text: str) -> None:
        core = self.core
        resources = [r.to_wire() for r in core.catalog.crisis_resources]
        await core.tell_member(member, "support", {"resources": resources})
        await core.raise_alert(member.room, "crisis", member.id, text=text)

    async def _forget_departed(self, room: RoomConfig) -> None:
        """Lines whose member has gone (a leave that raced an opening) are closed, so
        a room never holds more lines than it has members."""
        store = self.core.store
        present = {m.id for m in await store.members(room.id)}
        gone = [m for m in await store.private_lines(room.id) if m not in present]
        await store.close_private(room.id, gone)


def _text(raw: object) -> str:
    text = validate_text(raw)
    if isinstance(text, Denial):
        raise Refused(text)
    return text


def _retry_id(room_id: str, member_id: str, client_id: str) -> str:
    # The same (member, client_id) always names the same message, so a retry can be
    # answered with the first id without storing it. Member ids are random per join.
    digest = hashlib.sha256(f"{room_id}\0{member_id}\0{client_id}".encode()).digest()
    return base64.urlsafe_b64encode(digest[:9]).decode()
