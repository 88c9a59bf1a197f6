"""Facilitator logins: the passphrase check, behind limits a stranger cannot turn
into a lockout.

The limits are consulted before the passphrase is checked, and only failures count:

- per client address, a token bucket (`ADDRESS_RULE`): one address cannot guess fast,
  whichever names it tries;
- per account, exponential backoff (`ACCOUNT_RULE`): guesses spread over many
  addresses slow down too. The wait is capped (60 s) and attempts during it are not
  heard, so guesses cannot stretch it;
- but a browser that logged in as that account before carries a proof of it (a signed
  "known login" cookie, OWASP's device cookie): its attempts are held only by their
  own backoff, never by the account's or the address's, so a stranger who keeps the
  account's wait at its cap (one guess a minute is enough) still cannot keep the
  owner out. Only a login from a browser the owner never used waits while the
  account is under attack (README "Login limits").

The account is keyed by `account_name`, the same form the lookup uses, so no
spelling of a name ("Sam ", "\\tSam") escapes its limit.

The state is per process, in memory (README "Login limits"): every map is bounded
(`MAX_TRACKED` entries, least recently used evicted first).

Checking a passphrase (scrypt, ~45 ms of CPU) runs in one worker thread, never on the
event loop: inline, every heard guess froze every room of the process for that long, and
guesses spread over enough addresses (each IPv6 /64 has its own bucket) could keep it
frozen. So an attempt is charged before its passphrase is checked, in the same step
as the limits are read: guesses sent in parallel cannot all pass the check before any
of them counts. A login that succeeds gets its charge back. At most `MAX_WAITING`
checks wait for the worker; past that a new attempt is answered "try again in a
second" without being charged, except from a browser that carries a known-login proof,
which always waits its turn (the owner is never kept out by a flood).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, TypeVar

from moderation.handles import account_name
from moderation.ratelimit import (
    Backoff,
    BackoffRule,
    Bucket,
    BucketRule,
    backoff_failed,
    backoff_wait,
    consume,
    give_back,
    token_wait,
)
from server.models.passphrase import DUMMY_HASH, verify_passphrase
from server.rooms.tokens import Tokens

MAX_TRACKED = 10_000  # per map; ~100 bytes an entry, so ~1 MB each at most
MAX_PASSPHRASE = 1024  # scrypt of a megabyte would be a cheap way to burn our CPU
MAX_NAME = 128  # no facilitator name is longer (32); longer keys would bloat the maps
# Checks waiting for the worker before new attempts are told to come back: 8 × ~45 ms
# keeps an honest login's wait under half a second while a flood goes on.
MAX_WAITING = 8
BUSY_RETRY_S = 1.0
ADDRESS_RULE = BucketRule(burst=10, interval_s=30.0)
ACCOUNT_RULE = BackoffRule(free=3, base_s=1.0, max_s=60.0, forget_s=3600.0)
KNOWN_LOGIN_TTL_S = 180 * 24 * 3600  # a browser used within half a year stays known

V = TypeVar("V")


class _Recent(Generic[V]):
    """A map that keeps at most `limit` entries, dropping the least recently used."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._items: OrderedDict[str, V] = OrderedDict()

    def get(self, key: str) -> V | None:
        return self._items.get(key)

    def put(self, key: str, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self._limit:
            self._items.popitem(last=False)

    def pop(self, key: str) -> None:
        self._items.pop(key, None)

    def __len__(self) -> int:
        return len(self._items)


@dataclass(frozen=True)
class LoginResult:
    name: str | None = None  # the facilitator, when the passphrase was right
    retry_after: float = 0.0  # > 0: not heard; try again in this many seconds
    known: str | None = None  # with `name`: the proof of this login, for next time


def address_key(address: str) -> str:
    """What the per-address limit counts by: an IPv6 client holds a whole /64."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class Logins:
    def __init__(self, passphrase_hash: Callable[[str], str | None],
                 clock: Callable[[], float], tokens: Tokens, *,
                 max_tracked: int = MAX_TRACKED,
                 verify: Callable[[str, str], bool] = verify_passphrase) -> None:
        self._passphrase_hash = passphrase_hash
        self._clock = clock
        self._tokens = tokens
        self._verify = verify
        self._known: _Recent[Backoff] = _Recent(max_tracked)  # by proof id
        self._addresses: _Recent[Bucket] = _Recent(max_tracked)
        # Names that are not facilitators get a map of their own, so a flood of made-up
        # names can never evict a real account's backoff (and both answer alike).
        self._accounts: _Recent[Backoff] = _Recent(max_tracked)
        self._strangers: _Recent[Backoff] = _Recent(max_tracked)
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scrypt")
        self.waiting = 0  # checks handed to the worker and not finished

    async def attempt(self, raw_name: object, passphrase: object, address: str,
                      known: object = None) -> LoginResult:
        """Check a login; `known` is the proof an earlier login gave this browser."""
        if not isinstance(raw_name, str) or not isinstance(passphrase, str) \
                or len(raw_name) > MAX_NAME or len(passphrase) > MAX_PASSPHRASE:
            return LoginResult()
        now = self._clock()
        name = account_name(raw_name)
        digest = self._passphrase_hash(name)
        proof = self._tokens.known_login(known, name, now=now) if digest else None
        if proof is not None:
            return await self._known_attempt(name, passphrase, digest or "", proof, now)
        if self.waiting >= MAX_WAITING:
            return LoginResult(retry_after=BUSY_RETRY_S)
        where = address_key(address)
        accounts = self._accounts if digest else self._strangers
        wait = max(token_wait(self._addresses.get(where), ADDRESS_RULE, now),
                   backoff_wait(accounts.get(name), ACCOUNT_RULE, now))
        if wait > 0:
            return LoginResult(retry_after=wait)
        # Charged as a failure now, before the check, in this same step.
        self._addresses.put(where, consume(self._addresses.get(where), ADDRESS_RULE, now)[0])
        accounts.put(name, backoff_failed(accounts.get(name), ACCOUNT_RULE, now))
        # The same scrypt cost for an unknown name: timing does not say who exists.
        ok = await self._checked(passphrase, digest or DUMMY_HASH)
        if not (ok and digest):
            return LoginResult()
        accounts.pop(name)
        charged = self._addresses.get(where)
        if charged is not None:
            self._addresses.put(where, give_back(charged, ADDRESS_RULE))
        return LoginResult(name=name, known=self._new_proof(name, self._clock()))

    async def _known_attempt(self, name: str, passphrase: str, digest: str, proof: str,
                             now: float) -> LoginResult:
        # Held by this proof's own backoff only: a stolen proof still guesses slowly,
        # and nobody else's guesses reach it. The account's backoff stays as it is.
        wait = backoff_wait(self._known.get(proof), ACCOUNT_RULE, now)
        if wait > 0:
            return LoginResult(retry_after=wait)
        self._known.put(proof, backoff_failed(self._known.get(proof), ACCOUNT_RULE, now))
        if not await self._checked(passphrase, digest):
            return LoginResult()
        self._known.pop(proof)
        return LoginResult(name=name, known=self._new_proof(name, self._clock()))

    async def _checked(self, passphrase: str, digest: str) -> bool:
        """The passphrase check, in the worker thread (scrypt leaves the GIL).

        `waiting` follows the job, not its caller: when a caller goes away (a closed
        request), a check not started yet is dropped and leaves at once, and one already
        running holds its place until it ends."""
        loop = asyncio.get_running_loop()
        job = self._worker.submit(self._verify, passphrase, digest)
        self.waiting += 1
        job.add_done_callback(lambda _: self._finished(loop))
        return await asyncio.wrap_future(job)

    def _finished(self, loop: asyncio.AbstractEventLoop) -> None:
        """From the worker thread (or whoever cancelled the job): one fewer waiting."""
        def one_fewer() -> None:
            self.waiting -= 1

        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody counts now
            loop.call_soon_threadsafe(one_fewer)

    def _new_proof(self, name: str, now: float) -> str:
        return self._tokens.new_known_login(name, now=now, ttl_s=KNOWN_LOGIN_TTL_S)

    def close(self) -> None:
        """Stop the worker (at shutdown); a check still running finishes in it."""
        self._worker.shutdown(wait=False, cancel_futures=True)

    def tracked(self) -> int:
        """Entries held across the maps (for tests of the bound)."""
        return (len(self._addresses) + len(self._accounts) + len(self._strangers)
                + len(self._known))
