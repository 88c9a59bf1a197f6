"""The `Store` protocol: all state that must be shared between processes.

Two implementations pass one contract suite (tests/server/store/): `MemoryStore` for
the single-process default and `RedisStore` when `REDIS_URL` is set. Anything a
second process would need to know lives here, not in a process's memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Literal, Protocol

from moderation.ratelimit import Backoff, Bucket, BucketRule
from server.models.live import Alert, HeldMessage, Member, Message, Mute, RoomRuntime, Waiting


@dataclass(frozen=True)
class Posted:
    """What posting returned: the seq, and whether this call created the message."""

    id: str
    seq: int
    created: bool
    # The message as stored, from a store that leaves publishing to the caller
    # (`publishes_messages` False) when this call created it: what is published
    # is then exactly what a replay returns.
    message: Message | None = None


@dataclass(frozen=True)
class BucketRead:
    """A rate bucket as a snapshot saw it (`None`: no bucket yet, a full one)."""

    key: str
    bucket: Bucket | None
    # What the store saw, handed back with a take so the store can tell whether the
    # bucket moved since (opaque to the domain).
    version: object = field(default=None, compare=False)


@dataclass(frozen=True)
class BucketTake:
    """Store `new` for a bucket read as `read`, only if it has not moved since."""

    read: BucketRead
    new: Bucket
    ttl_s: float


class SnapshotMoved(Exception):
    """Something a send decided on changed between its snapshot and the post (a rate
    bucket, the membership, the room's runtime, a mute): nothing was stored; read a
    fresh snapshot and decide again."""


# Whose failures an account backoff counts: a facilitator's name, a name nobody has
# (kept apart, so made-up names never push a real account's backoff out), or one
# browser's known-login proof.
LoginKind = Literal["account", "stranger", "known"]


@dataclass(frozen=True)
class LoginLimits:
    """What one login attempt is held by, as one read saw it (`None`: never charged,
    or lapsed): the client address's bucket (`None` too when no address counts) and
    the account's backoff."""

    address: Bucket | None
    account: Backoff | None
    # What the store saw, handed back with a swap (opaque to the domain).
    version: object = field(default=None, compare=False)


@dataclass(frozen=True)
class SendSnapshot:
    """Everything a `send` decides on, read in one step."""

    member: Member | None
    runtime: RoomRuntime | None
    mute: Mute | None
    buckets: tuple[BucketRead, ...]
    # Of the keys asked for (`addressed`), those some member of the room goes by.
    present: frozenset[str] = frozenset()
    # What the store saw, handed back with the post so the store can tell whether any
    # of it changed since (opaque to the domain).
    version: object = field(default=None, compare=False)
    # Not read now but remembered from this member's last send in this process: good
    # enough to post on (the post checks every part of it), never to refuse on.
    remembered: bool = False


class Store(Protocol):
    # True when `post_message` itself publishes the message to the room's channel
    # (one atomic step in Redis); otherwise the domain publishes it on the bus.
    publishes_messages: bool

    async def close(self) -> None: ...

    # Liveness of processes sharing the store. `heartbeat` answers False when the store
    # has lost its state since the last beat (Redis restarted empty).
    async def heartbeat(self, process_id: str, ttl_s: float) -> bool: ...
    # Between beats: False once the store has lost its state since the last beat.
    async def intact(self) -> bool: ...
    # Drop what has lapsed (a store without TTLs of its own; Redis does nothing here).
    async def sweep(self, now: float) -> None: ...
    async def dead_processes(self, process_id: str) -> list[str]: ...
    # Once-only work across processes (a scheduled transition, reaping a dead process):
    # True for exactly one caller per key while the key lives.
    async def claim(self, key: str, ttl_s: float) -> bool: ...
    # Whether `key` is claimed now (a look, not a claim).
    async def claimed(self, key: str) -> bool: ...
    async def forget_process(self, dead_process_id: str) -> None: ...
    # After a restart: lift the room's seq counter above the highest seq this process saw.
    async def reseed_seq(self, room_id: str) -> None: ...

    # A meeting closed: drop every per-room key except the documented leftovers
    # (seq, the closed runtime, revocations; docs/reliability.md).
    async def forget_room(self, room_id: str) -> None: ...

    # Serialises changes to one room (read-modify-write of runtime, queue, members).
    def room_lock(self, room_id: str) -> AbstractAsyncContextManager[None]: ...

    async def get_runtime(self, room_id: str) -> RoomRuntime | None: ...
    async def put_runtime(self, room_id: str, runtime: RoomRuntime) -> None: ...

    # Store a membership, in one step with its checks: False (nothing stored) when staff
    # ended it (`revoke_member`: a removal, a ban), or, with `only_if_present`, unless
    # it is still there as `member.process` holds it (not ended, not resumed on another
    # process meanwhile). A join, a seat or a promotion that read the member before a
    # removal landed can't bring them back.
    async def put_member(self, member: Member, *, only_if_present: bool = False) -> bool: ...
    async def get_member(self, room_id: str, member_id: str) -> Member | None: ...
    # Read and deleted in one step (one caller gets it); with `process`, only while that
    # process holds it (a reap must not end a membership resumed elsewhere meanwhile).
    async def remove_member(self, room_id: str, member_id: str, *,
                            process: str | None = None) -> Member | None: ...
    async def members(self, room_id: str) -> list[Member]: ...
    async def member_count(self, room_id: str) -> int: ...
    async def revoke_member(self, room_id: str, member_id: str, ttl_s: int) -> None: ...
    async def is_revoked(self, room_id: str, member_id: str) -> bool: ...

    async def set_mute(self, room_id: str, keys: list[str], mute: Mute, now: float) -> None: ...
    async def get_mute(self, room_id: str, keys: list[str], now: float) -> Mute | None: ...
    async def clear_mute(self, room_id: str, keys: list[str]) -> None: ...

    async def put_waiting(self, waiting: Waiting) -> None: ...
    async def remove_waiting(self, room_id: str, waiting_id: str) -> Waiting | None: ...
    async def waiting(self, room_id: str) -> list[Waiting]: ...

    # Rate buckets outside the send path, in one atomic step: take one token from each
    # of `buckets` (key, rule) at `now`, all or none; 0.0 when taken, else the seconds
    # to wait. Each bucket lives `burst * interval + 60` s past its last take.
    # `room_id`: the buckets belong to a room and go when its meeting closes.
    async def take_tokens(self, buckets: Sequence[tuple[str, BucketRule]], now: float,
                          room_id: str | None = None) -> float: ...

    # Ended facilitator sessions, so a signed token stops working on every process at once.
    # Each entry lives until `expires_at` (no token it covers outlives that), then is gone.
    async def revoke_token(self, token_id: str, expires_at: float, now: float) -> None: ...
    async def revoke_tokens_before(self, name: str, not_before: float, expires_at: float,
                                   now: float) -> None: ...
    # Bans are records; each process keeps a copy and trusts it only while this marker
    # is the one it read the copy under (`server/rooms/bans.py`). `bans_marker` makes
    # one when the store has none (first start, or Redis restarted empty).
    async def bans_marker(self) -> str: ...
    async def bans_changed(self) -> None: ...
    # The live store's identity: a new one whenever it starts empty (a Redis that lost
    # its data, a new process for the memory store). Sessions carry the one they were
    # issued under; under another, the logouts that ended them may be lost with the
    # old state, so they are refused (fail closed: the facilitator logs in again).
    async def session_epoch(self) -> str: ...
    # True when the token was revoked, or issued to `name` no later than its cut-off, or
    # issued under another `session_epoch`.
    async def token_revoked(self, token_id: str, name: str, issued_at: float,
                            now: float, *, epoch: str | None) -> bool: ...

    # Login limits, shared by every process so guesses spread over processes count as
    # guesses sent to one. `address` None: the attempt has no address limit (a known
    # browser's). `swap_login_limits` stores `new` only if neither limit moved since
    # `seen` was read (False: nothing stored; read again and decide again); a limit of
    # None in `new` is forgotten. Each lapses `*_ttl_s` after its last write.
    async def login_limits(self, address: str | None, kind: LoginKind,
                           account: str) -> LoginLimits: ...
    async def swap_login_limits(self, address: str | None, kind: LoginKind, account: str,
                                seen: LoginLimits, new: LoginLimits, *,
                                address_ttl_s: float, account_ttl_s: float) -> bool: ...

    # One read for a `send`: the member, the runtime, the first mute in force among
    # `mute_keys`, the room's rate buckets named by `bucket_keys`, and which of the
    # `addressed` keys (a message's @names) a member of the room goes by
    # (`Member.addressed_as`, kept per room by `put_member` and `remove_member`).
    # Unless `fresh`, a store may answer from what this member's last post left
    # (`SendSnapshot.remembered`: no round trip), never when `addressed` is asked.
    async def send_snapshot(self, room_id: str, member_id: str, mute_keys: list[str],
                            bucket_keys: list[str], now: float,
                            addressed: Sequence[str] = (),
                            fresh: bool = False) -> SendSnapshot: ...

    # One atomic step: idempotency check (a resend gets its first answer), then —
    # `SnapshotMoved`, and nothing stored, if `snapshot`'s membership, runtime or mutes
    # or a taken bucket changed since it was read — take the rate tokens, next seq,
    # append to the capped buffer (and publish, when `publishes_messages`).
    async def post_message(self, room_id: str, message: Message, idempotency_key: str,
                           now: float, takes: Sequence[BucketTake] = (),
                           snapshot: SendSnapshot | None = None) -> Posted: ...
    # (message id, seq) that `post_message` gave `idempotency_key` within its window.
    async def posted(self, room_id: str, idempotency_key: str,
                     now: float) -> tuple[str, int] | None: ...
    async def messages_after(self, room_id: str, seq: int, now: float) -> list[Message]: ...
    async def get_message(self, room_id: str, message_id: str) -> Message | None: ...
    async def delete_message(self, room_id: str, message_id: str) -> Message | None: ...
    async def latest_seq(self, room_id: str) -> int: ...
    async def clear_messages(self, room_id: str) -> None: ...

    # For staff who join or reload later: held messages waiting for a facilitator and
    # the room's recent alerts, oldest first, kept no longer (and no more) than the buffer.
    # `hold_message` is one atomic step: 0.0 when held, else (the room already holds
    # `buffer_messages` that have not lapsed) the seconds until its oldest lapses, and
    # nothing is stored: an earlier member's held message is never dropped for it.
    async def hold_message(self, held: HeldMessage) -> float: ...
    async def take_held(self, room_id: str, held_id: str) -> HeldMessage | None: ...
    async def held_messages(self, room_id: str, now: float) -> list[HeldMessage]: ...
    async def keep_alert(self, alert: Alert) -> None: ...
    async def alerts(self, room_id: str, now: float) -> list[Alert]: ...

    # Private check-in lines (staff ↔ one member): which members have one open. No text
    # is kept: a line's messages go out once and are gone. True when this call opened it.
    async def open_private(self, room_id: str, member_id: str, now: float) -> bool: ...
    async def private_open(self, room_id: str, member_id: str) -> bool: ...
    async def close_private(self, room_id: str, member_ids: list[str]) -> None: ...
    async def private_lines(self, room_id: str) -> list[str]: ...
