"""Login limits in one process: address buckets and account backoffs (`Store`'s
`login_limits`), each kind in a bounded map of its own.

Separate maps, so neither a flood of made-up names nor one of addresses can push a real
account's backoff out; each holds at most `limit` entries, the least recently written
going first, and an entry lapses with its TTL as in Redis.
"""

from __future__ import annotations

import time

from moderation.ratelimit import Backoff, Bucket
from server.store.base import LoginKind, LoginLimits
from server.store.expiring import ExpiringMap

# Per map; ~100 bytes an entry, so ~1 MB each at most.
LOGIN_ENTRIES = 10_000


class MemoryLogins:
    def __init__(self, limit: int = LOGIN_ENTRIES) -> None:
        self.addresses: ExpiringMap[str, Bucket] = ExpiringMap(limit)
        self.accounts: dict[LoginKind, ExpiringMap[str, Backoff]] = {
            "account": ExpiringMap(limit), "stranger": ExpiringMap(limit),
            "known": ExpiringMap(limit)}

    def read(self, address: str | None, kind: LoginKind, account: str) -> LoginLimits:
        clock = time.monotonic()
        bucket = self.addresses.get(address, clock) if address is not None else None
        backoff = self.accounts[kind].get(account, clock)
        # The values themselves are the version: a write always stores a new object.
        return LoginLimits(bucket, backoff, version=(bucket, backoff))

    def swap(self, address: str | None, kind: LoginKind, account: str, seen: LoginLimits,
             new: LoginLimits, address_ttl_s: float, account_ttl_s: float) -> bool:
        now = self.read(address, kind, account)
        bucket, backoff = seen.version if isinstance(seen.version, tuple) else (None, None)
        if now.address is not bucket or now.account is not backoff:
            return False
        clock = time.monotonic()
        if address is not None:
            if new.address is None:
                self.addresses.pop(address)
            else:
                self.addresses.put(address, new.address, clock + address_ttl_s, clock)
        accounts = self.accounts[kind]
        if new.account is None:
            accounts.pop(account)
        else:
            accounts.put(account, new.account, clock + account_ttl_s, clock)
        return True

    def expire(self, clock: float) -> None:
        self.addresses.expire(clock)
        for accounts in self.accounts.values():
            accounts.expire(clock)

    def __len__(self) -> int:
        return len(self.addresses) + sum(len(m) for m in self.accounts.values())
