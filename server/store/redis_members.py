"""Memberships in Redis: one hash per room (member id → json), the room's @name key
counts beside it, kept by the PUT_MEMBER / REMOVE_MEMBER scripts in the same step, and
`revoked:{id}` keys for memberships staff ended (a removal, a ban), which those
scripts also check."""

from __future__ import annotations

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

from server.models import redis_names as names
from server.models.live import Member
from server.store import codec
from server.store.redis_private import unavailable_on_error as _unavailable_on_error


class RedisMembers:
    redis: aioredis.Redis
    _put_member: AsyncScript
    _remove_member: AsyncScript

    async def put_member(self, member: Member, *, only_if_present: bool = False) -> bool:
        # With the room's count of each key the member goes by, in one step.
        with _unavailable_on_error():
            return bool(await self._put_member(
                keys=[*self._member_keys(member.room), self._revoked_key(member.room, member.id)],
                args=[member.id, codec.member_to_json(member), "1" if only_if_present else "0",
                      *member.addressed_as]))

    @staticmethod
    def _revoked_key(room_id: str, member_id: str) -> str:
        return names.room_key(room_id, f"revoked:{member_id}")

    def _member_keys(self, room_id: str) -> list[str]:
        return [names.room_key(room_id, "members"), names.room_key(room_id, "addressed")]

    async def get_member(self, room_id: str, member_id: str) -> Member | None:
        with _unavailable_on_error():
            raw = await self.redis.hget(names.room_key(room_id, "members"), member_id)
        return codec.member_from_json(raw) if raw else None

    async def remove_member(self, room_id: str, member_id: str, *,
                            process: str | None = None) -> Member | None:
        # Read and deleted in one step (only one caller gets it), its keys uncounted.
        with _unavailable_on_error():
            raw = await self._remove_member(keys=self._member_keys(room_id),
                                            args=[member_id, process or ""])
        return codec.member_from_json(raw) if raw else None

    async def members(self, room_id: str) -> list[Member]:
        with _unavailable_on_error():
            raw = await self.redis.hvals(names.room_key(room_id, "members"))
        return sorted((codec.member_from_json(r) for r in raw), key=lambda m: m.joined_at)

    async def member_count(self, room_id: str) -> int:
        with _unavailable_on_error():
            return int(await self.redis.hlen(names.room_key(room_id, "members")))

    async def revoke_member(self, room_id: str, member_id: str, ttl_s: int) -> None:
        with _unavailable_on_error():
            await self.redis.set(self._revoked_key(room_id, member_id), 1, ex=ttl_s)

    async def is_revoked(self, room_id: str, member_id: str) -> bool:
        with _unavailable_on_error():
            return bool(await self.redis.exists(self._revoked_key(room_id, member_id)))
