"""Facilitator actions (`mod`): each checked by `moderation.permissions`, each audited."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from moderation.actions import ModRequest, parse_mod
from moderation.audit import NOT_RECORDED, action_detail
from moderation.decisions import Denial
from moderation.permissions import TARGETED_ACTIONS, check_mod, check_not_self
from moderation.roles import Role
from moderation.timefmt import iso_utc
from server.config.settings import RoomConfig
from server.models.envelope import PROMOTE, Envelope
from server.models.live import Ban, Member, Message, Mute
from server.rooms.calls import Caller, Refused, new_id, refuse
from server.rooms.core import RoomCore
from server.rooms.meetings import Meetings
from server.rooms.posting import Posting
from server.rooms.private_lines import PrivateLines

# A handler may name the audit target (a message's writer) under this answer key;
# `act` takes it out before answering.
AUDIT_TARGET = "_audit_target"
# A handler sets this answer key when its call is not an entry (a private line that was
# already open: the log records that a line was opened, once).
NOT_AUDITED = "_not_audited"

class Moderating:
    def __init__(self, core: RoomCore, posting: Posting, meetings: Meetings,
                 private: PrivateLines) -> None:
        self.core = core
        self.posting = posting
        self.meetings = meetings
        self.private = private

    async def act(self, caller: Caller, payload: object, member_id: str | None) -> dict[str, Any]:
        """Run one `mod` request for the caller and return the answer's fields."""
        core = self.core
        request = parse_mod(payload)
        if isinstance(request, Denial):
            if isinstance(payload, dict) and isinstance(payload.get("room"), str):
                core.config(payload["room"])  # an unknown room is `not_found` first
            raise Refused(request)
        room = core.config(request.room)
        actor = await core.store.get_member(room.id, member_id) if member_id else None
        actor_role = actor.role if actor else core.staff_role(room, caller)
        if actor is not None and not core.login_holds(room, caller, actor):
            actor_role = Role.MEMBER  # taken off the room's facilitators, or logged out
        actor_name = (actor.handle if actor else caller.facilitator) or "?"
        target = None
        if request.member_id is not None and request.action in TARGETED_ACTIONS:
            target = await core.store.get_member(room.id, request.member_id)
        denial = check_mod(actor_role, request.action, target.role if target else None)
        if denial is None and actor is not None:
            denial = check_not_self(actor.id, request.member_id)
        if denial is not None:
            raise Refused(denial)
        # Every room's bans are for facilitators with an account: a member promoted in
        # one room keeps to that room's (or a troll made co-facilitator could ban, or
        # let back, anyone everywhere).
        site_wide = (actor.facilitator if actor else caller.facilitator) is not None
        if not site_wide:
            await self._keep_to_the_room(room, request)
        if request.action == "private":
            answer, opened = await self.private.write(room, actor, self._need(target),
                                                      request.text)
            if not opened:
                answer[NOT_AUDITED] = True
        else:
            handler = getattr(self, f"_{request.action}")
            answer = await handler(room, request, target, actor_name)
            if request.action == "bans" and not site_wide:
                answer["bans"] = [b for b in answer["bans"] if b["scope"] == "room"]
        # A message action's target is the message's writer, so the log can name them.
        author = answer.pop(AUDIT_TARGET, None)
        if request.action not in NOT_RECORDED and not answer.pop(NOT_AUDITED, False):
            await core.record(room.id, actor=actor_name, action=request.action,
                              target=author or request.member_id or request.waiting_id
                              or request.message_id or request.ban_id,
                              reason=request.reason, detail=action_detail(request))
        return answer

    async def _keep_to_the_room(self, room: RoomConfig, request: ModRequest) -> None:
        if request.action == "ban" and request.scope == "all":
            raise refuse("forbidden", "Only a facilitator with an account can ban someone "
                         "from every room. Ban them from this room instead.")
        if request.action == "unban":
            bans = await self.core.records.bans(room.id, self.core.clock())
            if any(b.ban_id == request.ban_id and b.room is None for b in bans):
                raise refuse("forbidden", "Only a facilitator with an account can lift a "
                             "ban from every room.")

    @staticmethod
    def _need(target: Member | None) -> Member:
        if target is None:
            raise refuse("not_found", "That person is no longer in the room.")
        return target

    async def _mute(self, room: RoomConfig, req: ModRequest, target: Member | None,
                    actor: str) -> dict[str, Any]:
        member = self._need(target)
        now = self.core.clock()
        until = now + req.minutes * 60 if req.minutes else None
        await self.core.store.set_mute(room.id, [member.id, member.device_hash], Mute(until), now)
        wire_until = iso_utc(until) if until else None
        await self.core.tell_member(member, "moderated",
                                    {"action": "muted", "until": wire_until})
        await self.core.drop_from_queue(room, member.id)
        return {"until": wire_until}

    async def _unmute(self, room: RoomConfig, req: ModRequest, target: Member | None,
                      actor: str) -> dict[str, Any]:
        member = self._need(target)
        await self.core.store.clear_mute(room.id, [member.id, member.device_hash])
        await self.core.tell_member(member, "moderated", {"action": "unmuted"})
        return {}

    async def _remove(self, room: RoomConfig, req: ModRequest, target: Member | None,
                      actor: str) -> dict[str, Any]:
        member = self._need(target)
        await self.core.tell_member(member, "moderated", {"action": "removed"})
        await self.core.evict(room, member, revoke=True, disconnect=True)
        return {}

    async def _ban(self, room: RoomConfig, req: ModRequest, target: Member | None,
                   actor: str) -> dict[str, Any]:
        core = self.core
        member = self._need(target)
        now = core.clock()
        until = now + req.days * 86400 if req.days else None
        ban = Ban(new_id(), room.id if req.scope == "room" else None, member.device_hash,
                  member.handle, until, req.reason, actor)
        await core.bans.add(ban, now)
        rooms = [room] if ban.room else list(core.catalog.rooms)
        for each in rooms:
            for other in await core.store.members(each.id):
                # The device's every seat goes, a promoted co-facilitator's included
                # (nobody can target a host, so a host's seat is never this device's).
                # A facilitator's login is not the device: their seat stays.
                if other.device_hash == member.device_hash and other.role != Role.HOST \
                        and other.facilitator is None:
                    await self._evict_banned(each, other, until)
            # A place in a lobby would let them in at the next admit (a seat checks the
            # ban too, for an admission already on its way).
            await self.meetings.lobby.dismiss_device(each, member.device_hash)
        return {"ban_id": ban.ban_id}

    async def _evict_banned(self, room: RoomConfig, member: Member, until: float | None) -> None:
        core = self.core
        await core.tell_member(member, "moderated",
                               {"action": "banned", "until": iso_utc(until) if until else None})
        await core.evict(room, member, revoke=True, disconnect=True)
        # What a banned member posted goes with them: a troll's words are gone too.
        for message in await core.store.messages_after(room.id, 0, core.clock()):
            if message.author.get("id") == member.id:
                await self._hide(room, message, "hidden")

    async def _hide(self, room: RoomConfig, message: Message, reason: str) -> None:
        if await self.core.store.delete_message(room.id, message.id) is not None:
            await self.core.bus.publish(Envelope(room.id, "message_deleted",
                                                 {"room": room.id, "id": message.id,
                                                  "reason": reason}))

    async def _unban(self, room: RoomConfig, req: ModRequest, target: Member | None,
                     actor: str) -> dict[str, Any]:
        core = self.core
        bans = await core.records.bans(room.id, core.clock())
        if req.ban_id not in {b.ban_id for b in bans} or req.ban_id is None:
            raise refuse("not_found", "There is no such ban in this room.")
        await core.bans.remove(req.ban_id)
        return {}

    async def _bans(self, room: RoomConfig, req: ModRequest, target: Member | None,
                    actor: str) -> dict[str, Any]:
        bans = await self.core.records.bans(room.id, self.core.clock())
        return {"bans": [b.to_wire() for b in bans]}

    async def _delete(self, room: RoomConfig, req: ModRequest, target: Member | None,
                      actor: str) -> dict[str, Any]:
        message = await self.core.store.get_message(room.id, req.message_id or "")
        if message is None:
            raise refuse("not_found", "That message is no longer here.")
        await self._hide(room, message, "deleted")
        return {AUDIT_TARGET: message.author.get("id")}

    async def _lock(self, room: RoomConfig, req: ModRequest, target: Member | None,
                    actor: str) -> dict[str, Any]:
        await self.core.update_runtime(room, locked=bool(req.flag))
        return {}

    async def _pause(self, room: RoomConfig, req: ModRequest, target: Member | None,
                     actor: str) -> dict[str, Any]:
        await self.core.update_runtime(room, paused=bool(req.flag))
        return {}

    async def _slow_mode(self, room: RoomConfig, req: ModRequest, target: Member | None,
                         actor: str) -> dict[str, Any]:
        await self.core.update_runtime(room, slow_mode=req.seconds or 0)
        return {}

    async def _pin(self, room: RoomConfig, req: ModRequest, target: Member | None,
                   actor: str) -> dict[str, Any]:
        await self.core.update_runtime(room, pinned=req.text or None)
        return {}

    async def _promote(self, room: RoomConfig, req: ModRequest, target: Member | None,
                       actor: str) -> dict[str, Any]:
        member = replace(self._need(target), role=Role.FACILITATOR)
        if not await self.core.store.put_member(member, only_if_present=True):
            # Removed, gone, or reconnected through another process since this request
            # read them: nobody to promote as read (staff may try again).
            raise refuse("not_found", "That member is no longer in the room.")
        await self.core.bus.publish(Envelope(room.id, PROMOTE, to="member", member_id=member.id,
                                             process=member.process))
        await self.core.publish_presence(room.id, joined=member.to_wire())
        return {}

    async def _audit(self, room: RoomConfig, req: ModRequest, target: Member | None,
                     actor: str) -> dict[str, Any]:
        entries = await self.core.records.audit(room.id, self.core.clock())
        # In the order things happened, as a facilitator reads a meeting's story.
        return {"entries": [e.to_wire() for e in reversed(entries)]}

    async def _approve(self, room: RoomConfig, req: ModRequest, target: Member | None,
                       actor: str) -> dict[str, Any]:
        held = await self.core.store.take_held(room.id, req.message_id or "")
        if held is None:
            raise refuse("not_found", "That message is no longer waiting.")
        message = Message(held.id, room.id, 0, held.author, held.text, held.ts)
        posted = await self.posting.post(room, message, f"held:{held.id}")
        await self._settled(room, held.author, "approved", held.id)
        return {"message": {"id": posted.id, "seq": posted.seq},
                AUDIT_TARGET: held.author.get("id")}

    async def _reject(self, room: RoomConfig, req: ModRequest, target: Member | None,
                      actor: str) -> dict[str, Any]:
        held = await self.core.store.take_held(room.id, req.message_id or "")
        if held is None:
            raise refuse("not_found", "That message is no longer waiting.")
        await self._settled(room, held.author, "rejected", held.id)
        return {AUDIT_TARGET: held.author.get("id")}

    async def _settled(self, room: RoomConfig, author: dict[str, Any], outcome: str,
                       message_id: str) -> None:
        """The room's staff and the writer of a held message hear what became of it.

        Staff first: every other facilitator's console still offers the message until
        told (``held_resolved``, additive, README "Where we differ"). The writer only
        if still here.
        """
        await self.core.tell_staff(room.id, "held_resolved",
                                   {"message_id": message_id, "action": outcome})
        writer_id = author.get("id")
        writer = await self.core.store.get_member(room.id, writer_id) \
            if isinstance(writer_id, str) else None
        if writer is not None:
            await self.core.tell_member(writer, "moderated",
                                        {"action": outcome, "message_id": message_id})

    async def _open(self, room: RoomConfig, req: ModRequest, target: Member | None,
                    actor: str) -> dict[str, Any]:
        await self.meetings.open(room)
        return {}

    async def _close(self, room: RoomConfig, req: ModRequest, target: Member | None,
                     actor: str) -> dict[str, Any]:
        await self.meetings.close(room)
        return {}

    async def _phase(self, room: RoomConfig, req: ModRequest, target: Member | None,
                     actor: str) -> dict[str, Any]:
        await self.meetings.set_phase(room, req.name or "")
        return {}

    async def _next_share(self, room: RoomConfig, req: ModRequest, target: Member | None,
                          actor: str) -> dict[str, Any]:
        runtime = await self.meetings.next_share(room, req.member_id)
        return {"share": self.core.state_wire(room, runtime)["share"]}

    async def _end_share(self, room: RoomConfig, req: ModRequest, target: Member | None,
                         actor: str) -> dict[str, Any]:
        await self.meetings.end_share(room)
        return {}

    async def _admit(self, room: RoomConfig, req: ModRequest, target: Member | None,
                     actor: str) -> dict[str, Any]:
        await self.meetings.lobby.admit(room, req.waiting_id or "")
        return {}
