"""Login limits: per address and per account, only delays, bounded maps."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable

from server.config.loader import settings_from_mapping
from server.models.passphrase import verify_passphrase
from server.rooms.logins import (
    ACCOUNT_RULE,
    ADDRESS_RULE,
    BUSY_RETRY_S,
    KNOWN_LOGIN_TTL_S,
    MAX_WAITING,
    Logins,
    address_key,
)
from server.rooms.tokens import Tokens
from server.store.base import Store
from server.store.memory import MemoryStore
from server.store.redis import RedisStore, redis_client
from tests.helpers import CO_FACILITATOR, CO_PASSPHRASE, FACILITATOR, PASSPHRASE, Clock, base_config
from tests.redis_server import RedisServer


def logins(clock: Clock, store: Store | None = None,
           verify: Callable[[str, str], bool] = verify_passphrase) -> Logins:
    settings = settings_from_mapping(base_config())
    hashes = {f.name: f.passphrase_hash for f in settings.facilitators}
    return Logins(hashes.get, clock, Tokens(settings.secret_key), store or MemoryStore(),
                  verify=verify)


def tracked(guard: Logins) -> int:
    """Limits the guard's memory store holds."""
    store = guard._store
    assert isinstance(store, MemoryStore)
    return len(store.logins)


class Checks:
    """The real passphrase check, behind a gate, counting the calls and their threads."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.gate.set()
        self.threads: list[int] = []

    def __call__(self, passphrase: str, digest: str) -> bool:
        self.threads.append(threading.get_ident())
        assert self.gate.wait(10), "the test never opened the gate"
        return verify_passphrase(passphrase, digest)


async def until(condition: Callable[[], bool]) -> None:
    """Turns of the event loop until `condition` holds (fails after 10 s): attempts
    reach the worker on their tasks' first turns, and Logins has only a count to show it."""
    async def poll() -> None:
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0)  # one turn of the loop, not a delay
    await asyncio.wait_for(poll(), 10)


async def test_passphrases_are_checked_off_the_event_loop() -> None:
    checks = Checks()
    guard = logins(Clock(), verify=checks)
    assert (await guard.attempt(FACILITATOR, PASSPHRASE, "192.0.2.7")).name == FACILITATOR
    assert (await guard.attempt("nobody", "guess", "192.0.2.7")).name is None
    assert len(checks.threads) == 2  # the unknown name costs a check too
    assert threading.get_ident() not in checks.threads
    guard.close()


async def test_guesses_sent_at_once_are_limited_like_guesses_in_a_row() -> None:
    # Each guess is charged before its passphrase is checked: sent in parallel, they
    # cannot all pass the limits before the first of them counts.
    in_a_row = logins(Clock())
    sequential = [await in_a_row.attempt(FACILITATOR, "guess", f"203.0.113.{i}")
                  for i in range(ACCOUNT_RULE.free + 5)]
    expected = sum(r.retry_after == 0 for r in sequential)
    assert ACCOUNT_RULE.free <= expected < len(sequential)
    checks = Checks()
    guard = logins(Clock(), verify=checks)
    results = await asyncio.gather(*(guard.attempt(FACILITATOR, "guess", f"203.0.113.{i}")
                                     for i in range(ACCOUNT_RULE.free + 5)))
    assert sum(r.retry_after == 0 for r in results) == len(checks.threads) == expected
    # One address, many names, in waves as large as the worker's queue takes.
    heard = 0
    for wave in range(0, ADDRESS_RULE.burst + 5, MAX_WAITING):
        answers = await asyncio.gather(*(guard.attempt(f"name-{i}", "guess", "2001:db8::1")
                                         for i in range(wave, wave + MAX_WAITING)))
        heard += sum(r.retry_after == 0 for r in answers)
    assert heard == ADDRESS_RULE.burst
    guard.close()
    in_a_row.close()


async def test_a_flood_of_checks_turns_strangers_away_but_never_a_known_browser() -> None:
    checks = Checks()
    guard = logins(Clock(), verify=checks)
    known = (await guard.attempt(FACILITATOR, PASSPHRASE, "192.0.2.7")).known
    checks.gate.clear()  # the worker now holds every check until the gate opens
    flood = [asyncio.create_task(guard.attempt(f"stranger-{i}", "guess", f"198.51.100.{i}"))
             for i in range(MAX_WAITING)]
    await until(lambda: guard.waiting == MAX_WAITING)
    # A caller that goes away does not free the worker: its check is running.
    await until(lambda: len(checks.threads) == 2)  # the owner's first login, then this
    flood[0].cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await flood[0]
    assert guard.waiting == MAX_WAITING
    held = tracked(guard)
    turned = await guard.attempt(FACILITATOR, PASSPHRASE, "192.0.2.99")
    assert (turned.name, turned.retry_after) == (None, BUSY_RETRY_S)
    assert tracked(guard) == held  # turned away uncharged: nothing new is held
    owner = asyncio.create_task(guard.attempt(FACILITATOR, PASSPHRASE, "192.0.2.7", known))
    await until(lambda: guard.waiting == MAX_WAITING + 1)
    checks.gate.set()
    assert all(r.name is None for r in await asyncio.gather(*flood[1:]))
    assert (await owner).name == FACILITATOR
    await until(lambda: guard.waiting == 0)  # the cancelled caller's check ended too
    guard.close()


async def test_a_stranger_pacing_guesses_at_the_cap_never_keeps_a_known_browser_out() -> None:
    """The attack that beat the plain backoff: a guess the moment each wait ends keeps
    the account waiting for ever, from one address. The owner's browser, which has
    logged in before, gets in every time all the same."""
    clock = Clock()
    guard = logins(clock)
    first = await guard.attempt(FACILITATOR, PASSPHRASE, "192.0.2.7")
    assert first.name == FACILITATOR and first.known
    known = first.known
    next_guess, owner_in, owner_tries, stranger_held = clock.now, 0, 0, 0
    for second in range(20 * 60):  # each heard attempt costs a real scrypt
        if clock.now >= next_guess:
            guessed = await guard.attempt(FACILITATOR, "guess", "203.0.113.9")
            next_guess = clock.now + max(guessed.retry_after, 1)
        if second % 60 == 7:
            owner_tries += 1
            result = await guard.attempt(FACILITATOR, PASSPHRASE, "192.0.2.7", known)
            if result.name == FACILITATOR:
                owner_in += 1
                known = result.known
            # A browser the owner never used is held like the stranger.
            stranger_held += (await guard.attempt(FACILITATOR, PASSPHRASE,
                                           "198.51.100.4")).retry_after > 0
        clock.advance(1)
    assert owner_in == owner_tries
    assert stranger_held > owner_tries * 0.9  # the attack does hold everyone else


async def test_a_known_login_proof_guesses_slowly_and_only_for_its_own_account() -> None:
    clock = Clock()
    guard = logins(clock)
    known = (await guard.attempt(FACILITATOR, PASSPHRASE, "192.0.2.7")).known
    # For another account it is no proof: that account's limits apply as to anyone.
    for i in range(ACCOUNT_RULE.free):
        await guard.attempt(CO_FACILITATOR, "guess", f"203.0.113.{i}")
    assert (await guard.attempt(CO_FACILITATOR, "guess", "203.0.113.99", known)).retry_after == 0
    assert (await guard.attempt(CO_FACILITATOR, CO_PASSPHRASE, "192.0.2.7", known)).retry_after > 0
    # Someone who took the cookie still backs off on wrong guesses, as fast as anyone.
    waits = [(await guard.attempt(FACILITATOR, "guess", "192.0.2.7", known)).retry_after
             for _ in range(ACCOUNT_RULE.free + 2)]
    assert waits[:ACCOUNT_RULE.free] == [0] * ACCOUNT_RULE.free and waits[-1] > 0
    # Forged, altered and expired proofs prove nothing.
    assert (await guard.attempt(FACILITATOR, PASSPHRASE, "192.0.2.8",
                         "k1.e30.AAAA")).name == FACILITATOR  # an ordinary login
    fresh = (await guard.attempt(FACILITATOR, PASSPHRASE, "192.0.2.8")).known
    assert fresh is not None
    clock.advance(KNOWN_LOGIN_TTL_S + 1)
    for i in range(ACCOUNT_RULE.free + 1):
        await guard.attempt(FACILITATOR, "guess", f"203.0.114.{i}")
    assert (await guard.attempt(FACILITATOR, PASSPHRASE, "192.0.2.8", fresh)).retry_after > 0


async def test_a_stranger_on_many_addresses_only_delays_the_owner() -> None:
    clock = Clock()
    guard = logins(clock)
    waits = []
    for i in range(40):
        result = await guard.attempt(FACILITATOR, "guess", f"203.0.113.{i}")
        waits.append(result.retry_after)
        if result.retry_after:
            clock.advance(result.retry_after)
    assert max(waits) <= ACCOUNT_RULE.max_s
    delayed = await guard.attempt(FACILITATOR, "guess", "198.51.100.1")
    assert delayed.retry_after > 0
    # Guesses during the wait are not heard, so they cannot stretch it.
    for i in range(50):
        assert (await guard.attempt(FACILITATOR, "guess", f"198.51.100.{i}")).retry_after > 0
    clock.advance(delayed.retry_after)
    assert (await guard.attempt(f" {FACILITATOR}\n", PASSPHRASE, "192.0.2.7")).name == FACILITATOR
    # A login clears the account's backoff.
    assert (await guard.attempt(FACILITATOR, "guess", "192.0.2.7")).retry_after == 0


async def test_one_address_is_limited_whatever_names_it_tries() -> None:
    clock = Clock()
    guard = logins(clock)
    for i in range(ADDRESS_RULE.burst):
        assert (await guard.attempt(f"name-{i}", "guess", "2001:db8::1")).retry_after == 0
    # The same /64: one IPv6 client holds billions of addresses.
    assert (await guard.attempt("another", "guess", "2001:db8::2")).retry_after > 0
    assert (await guard.attempt(FACILITATOR, PASSPHRASE, "2001:db8::3")).retry_after > 0
    assert (await guard.attempt(FACILITATOR, PASSPHRASE, "2001:db9::1")).name == FACILITATOR


async def test_maps_are_bounded_and_made_up_names_cannot_evict_an_account() -> None:
    clock = Clock()
    guard = logins(clock, MemoryStore(login_entries=20))
    for i in range(ACCOUNT_RULE.free + 1):
        await guard.attempt(FACILITATOR, "guess", f"192.0.2.{i}")
    for i in range(500):
        await guard.attempt(f"stranger-{i}", "guess", f"10.0.{i // 250}.{i % 250}")
    assert tracked(guard) <= 4 * 20
    assert (await guard.attempt(FACILITATOR, PASSPHRASE, "198.51.100.9")).retry_after > 0


async def test_bad_input_is_refused_without_counting() -> None:
    guard = logins(Clock())
    for name, passphrase in ((None, "x"), (FACILITATOR, None), ("x" * 500, "x"),
                             (FACILITATOR, "x" * 5000)):
        result = await guard.attempt(name, passphrase, "192.0.2.1")
        assert result.name is None and result.retry_after == 0
    assert tracked(guard) == 0


def test_address_key() -> None:
    assert address_key("192.0.2.1") == "192.0.2.1"
    assert address_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert address_key("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert address_key("unknown") == "unknown"


async def test_guesses_spread_over_processes_are_limited_as_guesses_to_one(
        redis_server: RedisServer) -> None:
    # Two processes' limits on one Redis: each sees the other's charges, in a row and
    # sent at once, so ten processes behind a balancer do not give ten times the guesses.
    redis_server.flush()
    stores = [RedisStore(redis_client(redis_server.url), process_id=f"p{i}") for i in range(2)]
    clock = Clock()
    guards = [logins(clock, store) for store in stores]
    in_a_row = [(await guards[i % 2].attempt(FACILITATOR, "guess", f"203.0.113.{i}")).retry_after
                for i in range(ACCOUNT_RULE.free + 2)]
    # The free failures and one more are heard; that one starts the backoff.
    assert in_a_row[:-1] == [0] * (ACCOUNT_RULE.free + 1) and in_a_row[-1] > 0
    checks = Checks()
    parallel = [logins(clock, store, verify=checks) for store in stores]
    at_once = await asyncio.gather(*(parallel[i % 2].attempt(CO_FACILITATOR, "guess",
                                                             f"198.51.100.{i}")
                                     for i in range(2 * MAX_WAITING)))
    heard = sum(r.retry_after == 0 for r in at_once)
    assert heard == len(checks.threads)
    assert ACCOUNT_RULE.free <= heard < 2 * MAX_WAITING
    # A login on one process clears the account's backoff for the other.
    clock.advance(ACCOUNT_RULE.max_s)
    assert (await guards[0].attempt(FACILITATOR, PASSPHRASE, "192.0.2.7")).name == FACILITATOR
    assert (await guards[1].attempt(FACILITATOR, "guess", "192.0.2.8")).retry_after == 0
    for guard in (*guards, *parallel):
        guard.close()
    for store in stores:
        await store.close()
