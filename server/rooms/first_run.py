"""`peer-rooms init`: the first admin, by a one-time link like every other invite."""

from __future__ import annotations

import secrets

from moderation.audit import new_entry
from moderation.handles import account_name
from server.records.base import Records
from server.rooms.admin import INVITE_TTL_S, Invite, invite_hash
from server.rooms.calls import new_id


async def first_admin(records: Records, name: str, now: float) -> Invite:
    """An invite for an admin facilitator `name`; raises RecordConflict if one exists."""
    name = account_name(name)
    token = secrets.token_urlsafe(24)
    expires_at = now + INVITE_TTL_S
    entry = new_entry(entry_id=new_id(), now=now, actor="peer-rooms init",
                      action="facilitator.invite", target=name, detail={"admin": True})
    await records.invite_facilitator(name, True, invite_hash(token), expires_at, entry)
    return Invite(name, token, expires_at)
