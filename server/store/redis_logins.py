"""Login limits in Redis, shared by every process: an address's bucket and an
account's backoff, one key each, read together and swapped together by a script that
first checks neither moved since the read.
"""

from __future__ import annotations

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

from server.models import redis_names as names
from server.store import codec
from server.store.base import LoginKind, LoginLimits
from server.store.redis_private import unavailable_on_error as _unavailable_on_error


def _keys(address: str | None, kind: LoginKind, account: str) -> list[str]:
    keys = [names.login_account(kind, account)]
    if address is not None:
        keys.append(names.login_address(address))
    return keys


class RedisLogins:
    redis: aioredis.Redis
    _swap: AsyncScript

    async def login_limits(self, address: str | None, kind: LoginKind,
                           account: str) -> LoginLimits:
        with _unavailable_on_error():
            raw = await self.redis.mget(_keys(address, kind, account))
        backoff, bucket = (raw[0], raw[1] if address is not None else None)
        return LoginLimits(codec.bucket_from_json(bucket) if bucket else None,
                           codec.backoff_from_json(backoff) if backoff else None,
                           version=raw)

    async def swap_login_limits(self, address: str | None, kind: LoginKind, account: str,
                                seen: LoginLimits, new: LoginLimits, *,
                                address_ttl_s: float, account_ttl_s: float) -> bool:
        raw = seen.version if isinstance(seen.version, list) else []
        args: list[str | bytes | int] = [
            raw[0] if raw and raw[0] else "",
            codec.backoff_to_json(new.account) if new.account else "",
            _ms(account_ttl_s)]
        if address is not None:
            args += [raw[1] if len(raw) > 1 and raw[1] else "",
                     codec.bucket_to_json(new.address) if new.address else "",
                     _ms(address_ttl_s)]
        with _unavailable_on_error():
            done = await self._swap(keys=_keys(address, kind, account), args=args)
        return bool(done)


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))
