"""Who may no longer come in, in Redis: ended facilitator sessions, the session epoch
and the bans marker.

Revocations expire with the tokens they cover. The bans marker is one key that a ban or
unban sets anew; each process's copy of the bans is trusted while it holds
(`server/rooms/bans.py`).
"""

from __future__ import annotations

import secrets

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

from server.models import redis_names as names
from server.store.redis_private import unavailable_on_error as _unavailable_on_error


def _ttl_ms(expires_at: float, now: float) -> int:
    return max(1, int((expires_at - now) * 1000) + 1000)


def as_text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


class RedisRevocations:
    redis: aioredis.Redis
    _not_before: AsyncScript

    async def revoke_token(self, token_id: str, expires_at: float, now: float) -> None:
        with _unavailable_on_error():
            await self.redis.set(names.revoked_token(token_id), repr(expires_at),
                                 px=_ttl_ms(expires_at, now))

    async def revoke_tokens_before(self, name: str, not_before: float, expires_at: float,
                                   now: float) -> None:
        with _unavailable_on_error():
            await self._not_before(keys=[names.not_before(name)],
                                   args=[repr(not_before), repr(expires_at),
                                         _ttl_ms(expires_at, now)])

    async def marker(self, key: str) -> str:
        """A random marker's value, made when Redis has none: whoever sets it first sets
        it for every process (the bans marker, the session epoch)."""
        with _unavailable_on_error():
            value = await self.redis.get(key)
            if value is None:
                await self.redis.set(key, secrets.token_hex(8), nx=True)
                value = await self.redis.get(key)
        return as_text(value) or ""

    async def bans_marker(self) -> str:
        return await self.marker(names.BANS_MARKER)  # a new one: every process reloads

    async def bans_changed(self) -> None:
        with _unavailable_on_error():
            await self.redis.set(names.BANS_MARKER, secrets.token_hex(8))

    async def session_epoch(self) -> str:
        return await self.marker(names.EPOCH)

    async def token_revoked(self, token_id: str, name: str, issued_at: float,
                            now: float, *, epoch: str | None) -> bool:
        with _unavailable_on_error():
            revoked, cut, current = await self.redis.mget([names.revoked_token(token_id),
                                                           names.not_before(name),
                                                           names.EPOCH])
        if current is None or epoch != as_text(current):
            return True  # Redis lost what it held (the logouts too) since it was issued
        # The values carry the app clock's expiry too, so both stores agree on a moved clock.
        if revoked is not None and float(revoked) > now:
            return True
        if cut is None:
            return False
        text = cut.decode() if isinstance(cut, bytes) else cut
        not_before, until = (float(x) for x in text.split(","))
        return until > now and issued_at <= not_before
