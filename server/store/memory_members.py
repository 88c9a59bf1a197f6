"""Who is in each room, in one process: members, the keys an @name may find them by,
and the memberships revoked (a removed member cannot resume)."""

from __future__ import annotations

import time

from server.models.live import Member
from server.store.expiring import ExpiringMap


class MemoryMembers:
    _members: dict[str, dict[str, Member]]
    # Per room: how many of its members go by each key (`Member.addressed_as`).
    _addressed: dict[str, dict[str, int]]
    _revoked: ExpiringMap[tuple[str, str], bool]

    async def put_member(self, member: Member, *, only_if_present: bool = False) -> bool:
        # No await inside: on one event loop this is one atomic step.
        if self._revoked.get((member.room, member.id), time.monotonic()):
            return False
        old = self._members.get(member.room, {}).get(member.id)
        if only_if_present and (old is None or old.process != member.process):
            return False
        members = self._members.setdefault(member.room, {})
        if old is not None:
            self._count_addressed(old, -1)
        members[member.id] = member
        self._count_addressed(member, 1)
        return True

    def _count_addressed(self, member: Member, step: int) -> None:
        counts = self._addressed.setdefault(member.room, {})
        for key in member.addressed_as:
            left = counts.get(key, 0) + step
            if left > 0:
                counts[key] = left
            else:
                counts.pop(key, None)
        if not counts:
            del self._addressed[member.room]

    async def get_member(self, room_id: str, member_id: str) -> Member | None:
        return self._members.get(room_id, {}).get(member_id)

    async def remove_member(self, room_id: str, member_id: str, *,
                            process: str | None = None) -> Member | None:
        members = self._members.get(room_id)
        if members is None:
            return None
        removed = members.get(member_id)
        if removed is None or (process is not None and removed.process != process):
            return None
        del members[member_id]
        self._count_addressed(removed, -1)
        if not members:
            del self._members[room_id]
        return removed

    async def members(self, room_id: str) -> list[Member]:
        return sorted(self._members.get(room_id, {}).values(), key=lambda m: m.joined_at)

    async def member_count(self, room_id: str) -> int:
        return len(self._members.get(room_id, {}))

    async def revoke_member(self, room_id: str, member_id: str, ttl_s: int) -> None:
        now = time.monotonic()
        self._revoked.put((room_id, member_id), True, now + ttl_s, now)

    async def is_revoked(self, room_id: str, member_id: str) -> bool:
        return bool(self._revoked.get((room_id, member_id), time.monotonic()))
