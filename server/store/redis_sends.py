"""Sending in Redis: the snapshot a send decides on, and the POST script that checks
it, takes the rate tokens, stores and publishes in one atomic step.

The script compares every part of the snapshot it is given (the membership, the
room's runtime, the mutes, the taken buckets) with what Redis holds now, and posts
nothing if any moved: a mute or a removal that lands between a send's read and its
post refuses that send instead of letting it through. Because of that check, what
a member's last post left can stand in for the next send's read: a member who keeps
talking costs one round trip per message, not two. A remembered snapshot is never
enough to refuse on (`SendSnapshot.remembered`); the domain reads afresh first.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

from server.models import redis_names as names
from server.models.live import Message, Mute
from server.models.wire import SEQ_PLACEHOLDER, encode_message_envelope
from server.store import codec
from server.store.base import BucketRead, BucketTake, Posted, SendSnapshot, SnapshotMoved
from server.store.expiring import ExpiringMap
from server.store.redis_client import run_script
from server.store.redis_private import unavailable_on_error as _unavailable_on_error

IDEMPOTENCY_TTL_S = 15 * 60

# Members whose last send is remembered, and for how long: past either, the next send
# reads first (two round trips). Each entry is one snapshot (well under 1 KiB).
REMEMBERED_SENDS = 10_000
REMEMBER_S = 60.0


@dataclass(frozen=True, slots=True)
class SendRead:
    """What a send snapshot read from Redis, as Redis returned it: what the POST
    script compares, and the key its snapshot is remembered under."""

    room_id: str
    member_id: str
    mute_keys: tuple[str, ...]
    bucket_keys: tuple[str, ...]
    member: bytes | None
    runtime: bytes | None
    mutes: tuple[bytes | None, ...]

    @property
    def key(self) -> tuple[str, str, tuple[str, ...], tuple[str, ...]]:
        return self.room_id, self.member_id, self.mute_keys, self.bucket_keys

    def checks(self) -> tuple[list[str], list[str | bytes]]:
        """The script's KEYS and ARGV pairs (a hash field or "" for a plain key, then the
        value it must still hold, "" for none)."""
        keys = [names.room_key(self.room_id, "members"), names.room_key(self.room_id, "runtime"),
                *(names.room_key(self.room_id, f"mute:{k}") for k in self.mute_keys)]
        args: list[str | bytes] = [self.member_id, self.member or b"", "", self.runtime or b""]
        for raw in self.mutes:
            args += ["", raw or b""]
        return keys, args


class RedisSends:
    redis: aioredis.Redis
    process_id: str
    highest_seq: dict[str, int]
    _post: AsyncScript
    _buffer_messages: int
    _buffer_seconds: int
    _idempotency_keys: int
    # Each member's snapshot as their last post left it (bounded, lapsing).
    _last_sends: ExpiringMap[tuple[str, str, tuple[str, ...], tuple[str, ...]], SendSnapshot]

    @staticmethod
    def _bucket_key(key: str, room_id: str | None) -> str:
        # A room's buckets live under the room's keys, so closing it finds them.
        return names.room_key(room_id, f"bucket:{key}") if room_id else \
            f"{names.PREFIX}bucket:{key}"

    async def send_snapshot(self, room_id: str, member_id: str, mute_keys: list[str],
                            bucket_keys: list[str], now: float,
                            addressed: Sequence[str] = (),
                            fresh: bool = False) -> SendSnapshot:
        """The member's last post's snapshot when this process remembers it (no round
        trip); else one round trip: a pipeline of HGET, GET, MGET (mutes), MGET
        (buckets), and HMGET of the room's addressed keys when the message has @names."""
        if not fresh and not addressed:
            remembered = self._last_sends.get(
                (room_id, member_id, tuple(mute_keys), tuple(bucket_keys)), time.monotonic())
            if remembered is not None:
                assert isinstance(remembered.version, SendRead)
                if any(remembered.version.mutes):  # a mute in force then may have lapsed
                    return replace(remembered,
                                   mute=_first_active(remembered.version.mutes, now))
                return remembered
        with _unavailable_on_error():
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.hget(names.room_key(room_id, "members"), member_id)
                pipe.get(names.room_key(room_id, "runtime"))
                pipe.mget([names.room_key(room_id, f"mute:{k}") for k in mute_keys])
                if bucket_keys:
                    pipe.mget([self._bucket_key(k, room_id) for k in bucket_keys])
                if addressed:
                    pipe.hmget(names.room_key(room_id, "addressed"), list(addressed))
                member, runtime, mutes, *rest = await pipe.execute()
        raw_buckets = rest[:1] if bucket_keys else []
        counts = rest[-1] if addressed else []
        present = frozenset(key for key, count in zip(addressed, counts, strict=True)
                            if count and int(count) > 0)
        raw = raw_buckets[0] if raw_buckets else []
        reads = tuple(BucketRead(key, codec.bucket_from_json(value) if value else None,
                                 version=value)
                      for key, value in zip(bucket_keys, raw, strict=True))
        read = SendRead(room_id, member_id, tuple(mute_keys), tuple(bucket_keys),
                        member or None, runtime or None, tuple(m or None for m in mutes))
        return SendSnapshot(codec.member_from_json(member) if member else None,
                            codec.runtime_from_json(runtime) if runtime else None,
                            _first_active(read.mutes, now), reads, present, version=read)

    async def post_message(self, room_id: str, message: Message, idempotency_key: str,
                           now: float, takes: Sequence[BucketTake] = (),
                           snapshot: SendSnapshot | None = None) -> Posted:
        stored = codec.message_to_json(message).replace(f'"seq":{message.seq}',
                                                        f'"seq":{SEQ_PLACEHOLDER}', 1)
        envelope = self.envelope_for(message)
        keys = [names.room_key(room_id, p)
                for p in ("seq", "buffer", "messages", "ages", "posted", "posted_at")]
        args: list[str | bytes | int | float] = [
            stored, envelope, names.room_channel(room_id), message.id, now,
            self._buffer_messages, self._buffer_seconds, IDEMPOTENCY_TTL_S,
            self.highest_seq.get(room_id, 0), idempotency_key, self._idempotency_keys,
            len(takes)]
        for take in takes:
            keys.append(self._bucket_key(take.read.key, room_id))
            version = take.read.version
            args += [version if isinstance(version, bytes) else b"",
                     codec.bucket_to_json(take.new), max(1, int(take.ttl_s * 1000))]
        read = snapshot.version if snapshot is not None else None
        if isinstance(read, SendRead):
            check_keys, check_args = read.checks()
            keys += check_keys
            args += [len(check_keys), *check_args]
            self._last_sends.pop(read.key)  # put back below only if it still holds
        else:
            args.append(0)
        with _unavailable_on_error():
            created, answer = await run_script(self.redis, self._post, keys, args)
        if created == -1:
            raise SnapshotMoved()
        message_id, seq = _posted_answer(answer)
        self.saw_seq(room_id, seq)
        if snapshot is not None and isinstance(read, SendRead) and created:
            self._remember(snapshot, read, takes)
        return Posted(message_id, seq, bool(created))

    def _remember(self, snapshot: SendSnapshot, read: SendRead,
                  takes: Sequence[BucketTake]) -> None:
        """What the next send of this member would read now: the snapshot the script
        just checked, with the buckets as it stored them."""
        taken = {take.read.key: take for take in takes}
        buckets = tuple(
            BucketRead(b.key, taken[b.key].new,
                       version=codec.bucket_to_json(taken[b.key].new).encode())
            if b.key in taken else b for b in snapshot.buckets)
        clock = time.monotonic()
        self._last_sends.put(read.key, replace(snapshot, buckets=buckets, present=frozenset(),
                                               remembered=True),
                             clock + REMEMBER_S, clock)

    def envelope_for(self, message: Message) -> bytes:
        """The bus envelope for a message, with the seq left for the script to fill."""
        return encode_message_envelope(message, self.process_id)

    def saw_seq(self, room_id: str, seq: int) -> None:
        if seq > self.highest_seq.get(room_id, 0):
            self.highest_seq[room_id] = seq

    async def posted(self, room_id: str, idempotency_key: str,
                     now: float) -> tuple[str, int] | None:
        """What the post script would answer a resend of `idempotency_key` with."""
        with _unavailable_on_error():
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.hget(names.room_key(room_id, "posted"), idempotency_key)
                pipe.zscore(names.room_key(room_id, "posted_at"), idempotency_key)
                answer, at = await pipe.execute()
        if not answer or at is None or float(at) <= now - IDEMPOTENCY_TTL_S:
            return None
        return _posted_answer(answer)


def _first_active(mutes: Sequence[bytes | None], now: float) -> Mute | None:
    return next((m for m in (codec.mute_from_json(raw) for raw in mutes if raw)
                 if m.active(now)), None)


def _posted_answer(raw: bytes | str) -> tuple[str, int]:
    """The post script's answer as it keeps it per idempotency key: "id:seq"."""
    message_id, seq = (raw.decode() if isinstance(raw, bytes) else raw).rsplit(":", 1)
    return message_id, int(seq)
