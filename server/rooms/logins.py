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

The limits live in the store, so every process sharing it holds a guesser alike: ten
processes behind one address do not give ten times the guesses (README "Login limits").
Each attempt reads its two limits in one step, decides with the pure rules in
`moderation.ratelimit`, and stores the charge only if neither moved since (another
process charged them first: read again and decide again). In one process they are
bounded maps (`server/store/memory_logins.py`); in Redis each lapses once it no longer
holds anyone back.

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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from moderation.handles import account_name
from moderation.ratelimit import (
    BackoffRule,
    BucketRule,
    backoff_failed,
    backoff_wait,
    consume,
    give_back,
    token_wait,
)
from server.models.passphrase import DUMMY_HASH, verify_passphrase
from server.rooms.tokens import Tokens
from server.store.base import LoginKind, LoginLimits, Store

MAX_PASSPHRASE = 1024  # scrypt of a megabyte would be a cheap way to burn our CPU
MAX_NAME = 128  # no facilitator name is longer (32); longer keys would bloat the maps
# Checks waiting for the worker before new attempts are told to come back: 8 × ~45 ms
# keeps an honest login's wait under half a second while a flood goes on.
MAX_WAITING = 8
BUSY_RETRY_S = 1.0
# Reads of the limits for one attempt while other processes keep charging them first;
# past that the attempt is answered "try again in a second", uncharged.
SWAP_TRIES = 5
ADDRESS_RULE = BucketRule(burst=10, interval_s=30.0)
ACCOUNT_RULE = BackoffRule(free=3, base_s=1.0, max_s=60.0, forget_s=3600.0)
# How long each limit is kept after its last charge: an address's bucket until it is
# full again, an account's backoff until it is forgotten anyway.
ADDRESS_TTL_S = ADDRESS_RULE.burst * ADDRESS_RULE.interval_s
ACCOUNT_TTL_S = ACCOUNT_RULE.forget_s
KNOWN_LOGIN_TTL_S = 180 * 24 * 3600  # a browser used within half a year stays known


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
                 clock: Callable[[], float], tokens: Tokens, store: Store, *,
                 verify: Callable[[str, str], bool] = verify_passphrase) -> None:
        self._passphrase_hash = passphrase_hash
        self._clock = clock
        self._tokens = tokens
        self._store = store
        self._verify = verify
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scrypt")
        # Checks this process handed (or is about to hand) to its worker, not finished.
        self.waiting = 0

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
            # Held by this proof's own backoff only: a stolen proof still guesses
            # slowly, nobody else's guesses reach it, and it always waits its turn.
            return await self._heard(None, "known", proof, name, passphrase, digest or "",
                                     now)
        if self.waiting >= MAX_WAITING:
            return LoginResult(retry_after=BUSY_RETRY_S)
        # The same scrypt cost for an unknown name: timing does not say who exists.
        return await self._heard(address_key(address), "account" if digest else "stranger",
                                 name, name, passphrase, digest or DUMMY_HASH, now)

    async def _heard(self, address: str | None, kind: LoginKind, account: str, name: str,
                     passphrase: str, digest: str, now: float) -> LoginResult:
        """Charge the attempt as a failure, then check it; a success gets it back."""
        self.waiting += 1  # its place in the worker's queue, taken before any wait
        submitted = False
        try:
            wait = await self._charge(address, kind, account, now)
            if wait > 0:
                return LoginResult(retry_after=wait)
            submitted = True  # from here the place is the check's (see `_checked`)
            ok = await self._checked(passphrase, digest)
        finally:
            if not submitted:
                self.waiting -= 1
        if not ok or kind == "stranger":
            return LoginResult()
        await self._forgive(address, kind, account)
        return LoginResult(name=name, known=self._new_proof(name, self._clock()))

    async def _charge(self, address: str | None, kind: LoginKind, account: str,
                      now: float) -> float:
        """Seconds to wait (not heard, not charged), or 0.0: charged, to be checked."""
        def charge(seen: LoginLimits) -> LoginLimits | float:
            wait = backoff_wait(seen.account, ACCOUNT_RULE, now)
            if address is not None:
                wait = max(wait, token_wait(seen.address, ADDRESS_RULE, now))
            if wait > 0:
                return wait
            return LoginLimits(consume(seen.address, ADDRESS_RULE, now)[0]
                               if address is not None else None,
                               backoff_failed(seen.account, ACCOUNT_RULE, now))

        return await self._swapped(address, kind, account, charge)

    async def _forgive(self, address: str | None, kind: LoginKind, account: str) -> None:
        """After a success: the account's failures forgotten, the address's charge back.

        Given up after a few moved reads: the address then keeps one spent token, which
        refills within `ADDRESS_RULE.interval_s`."""
        await self._swapped(address, kind, account, lambda seen: LoginLimits(
            give_back(seen.address, ADDRESS_RULE) if seen.address is not None else None,
            None))

    async def _swapped(self, address: str | None, kind: LoginKind, account: str,
                       decide: Callable[[LoginLimits], LoginLimits | float]) -> float:
        """Read the limits, `decide` (new limits, or seconds to wait), store: 0.0 once
        stored, or the wait `decide` answered.

        One step as far as any other attempt can tell: the store takes the new limits
        only if no other attempt (here or on another process) changed them since the
        read; then it reads again, `SWAP_TRIES` times at most (`BUSY_RETRY_S`)."""
        for _ in range(SWAP_TRIES):
            seen = await self._store.login_limits(address, kind, account)
            new = decide(seen)
            if not isinstance(new, LoginLimits):
                return new
            if await self._store.swap_login_limits(
                    address, kind, account, seen, new, address_ttl_s=ADDRESS_TTL_S,
                    account_ttl_s=ACCOUNT_TTL_S):
                return 0.0
        return BUSY_RETRY_S

    async def _checked(self, passphrase: str, digest: str) -> bool:
        """The passphrase check, in the worker thread (scrypt leaves the GIL).

        The place in `waiting` the caller took follows the job, not the caller: when a
        caller goes away (a closed request), a check not started yet is dropped and
        leaves at once, and one already running holds its place until it ends."""
        loop = asyncio.get_running_loop()
        try:
            job = self._worker.submit(self._verify, passphrase, digest)
        except BaseException:  # the worker is shut down: no job will give it back
            self.waiting -= 1
            raise
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
