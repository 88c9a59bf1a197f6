"""Every Redis key and channel name in one place, so store and bus agree on them."""

from __future__ import annotations

PREFIX = "pr:"
EPOCH = f"{PREFIX}epoch"          # gone or changed: Redis restarted empty
BANS_MARKER = f"{PREFIX}bans"     # changes whenever a ban starts or ends (server/rooms/bans.py)
PROCESSES = f"{PREFIX}procs"      # set of process ids that have registered


def alive(process_id: str) -> str:
    return f"{PREFIX}alive:{process_id}"


def room_key(room_id: str, part: str) -> str:
    # {room} is a Redis Cluster hash tag: one room's keys live on one shard.
    return f"{PREFIX}room:{{{room_id}}}:{part}"


def room_channel(room_id: str) -> str:
    return f"{PREFIX}ch:room:{room_id}"


def process_channel(process_id: str) -> str:
    return f"{PREFIX}ch:proc:{process_id}"


def revoked_token(token_id: str) -> str:
    return f"{PREFIX}revoked-token:{token_id}"


def not_before(facilitator: str) -> str:
    return f"{PREFIX}not-before:{facilitator}"


# {login} is a hash tag: an attempt's address and account keys swap in one script,
# so in Redis Cluster they must share a shard.
def login_address(address: str) -> str:
    return f"{PREFIX}{{login}}:address:{address}"


def login_account(kind: str, account: str) -> str:
    return f"{PREFIX}{{login}}:{kind}:{account}"
