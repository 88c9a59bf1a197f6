"""The store's Redis client: its own packing of plain commands writes exactly redis-py's
bytes, and its pool's short way to an idle connection keeps redis-py's cap, its
waiting, and its check of a connection before reuse."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from redis.asyncio.connection import Connection
from redis.exceptions import DataError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from server.store.redis_client import StoreConnection, StorePool, redis_client, run_script
from server.store.resp_pack import pack_plain
from tests.redis_server import RedisServer

_REDIS_PY = Connection()
plain = st.one_of(st.text(), st.binary(), st.integers(), st.floats(allow_nan=True),
                  st.text(max_size=600), st.binary(min_size=500, max_size=7000))
names = st.one_of(st.text(min_size=1), st.binary(min_size=1),
                  st.sampled_from(["EVALSHA", "HGET", "publish", b"MGET"]))


def _redis_py(*args: object) -> bytes:
    return b"".join(_REDIS_PY._pack_command_python(*args))


@given(names, st.lists(plain, max_size=40))
def test_plain_commands_pack_to_redis_pys_bytes(name: str | bytes, args: list[object]) -> None:
    packed = pack_plain([name, *args])
    if packed is None:
        assert not name.isalpha()  # left to redis-py: a name it may split
        return
    assert b"".join(packed) == _redis_py(name, *args)


def test_the_store_s_commands_take_the_short_way() -> None:
    for name in ("EVALSHA", "HGET", "publish", b"MGET"):
        assert pack_plain([name, "key", b"v", 3, 1.5]) is not None


@pytest.mark.parametrize("args", [
    [], ["CONFIG GET", "maxmemory"], [b"CLIENT LIST"], ["GET\t", "k"], ["JSON.GET", "k"],
    ["SET", "k", True],
    ["SET", "k", None], ["SET", "k", memoryview(b"v")], ["SET", "k", bytearray(b"v")],
    [3, "k"],
])
def test_anything_else_is_left_to_redis_py(args: list[object]) -> None:
    assert pack_plain(args) is None


def test_the_connection_packs_plain_commands_itself_and_the_rest_as_redis_py_does() -> None:
    connection = StoreConnection(deadlines=None)  # type: ignore[arg-type]
    assert connection.pack_command("SET", "k", 1.5) == [_redis_py("SET", "k", 1.5)]
    assert b"".join(connection.pack_command("CONFIG GET", "x")) == _redis_py("CONFIG GET", "x")
    with pytest.raises(DataError):
        connection.pack_command("SET", "k", True)


async def test_the_pool_keeps_its_cap_and_every_waiting_command_gets_its_own_answer(
        redis_server: RedisServer) -> None:
    client = redis_client(redis_server.url, max_connections=2)
    pool = client.connection_pool
    assert isinstance(pool, StorePool)
    try:
        answers = await asyncio.gather(*(client.echo(f"call {n}") for n in range(50)))
        assert answers == [f"call {n}".encode() for n in range(50)]
        assert len(pool._available_connections) + len(pool._in_use_connections) <= 2
        assert not pool._in_use_connections
    finally:
        await client.aclose()


async def test_an_idle_connection_left_with_an_unread_answer_is_not_reused_as_it_is(
        redis_server: RedisServer) -> None:
    client = redis_client(redis_server.url, max_connections=1)
    pool = client.connection_pool
    try:
        connection = await pool.get_connection()
        await connection.send_command("ECHO", "stale")  # its answer never read
        await asyncio.wait_for(_until_readable(connection), 5)
        await pool.release(connection)
        # Taken the short way, checked as redis-py checks it: reconnected, so this
        # command reads its own answer and not the stale one.
        assert await client.echo("fresh") == b"fresh"
    finally:
        await client.aclose()


async def _until_readable(connection: Connection) -> None:
    # The answer's arrival has no event to wait on: poll redis-py's own test for it
    # (bounded by the caller's wait_for).
    while not await connection.can_read():  # noqa: ASYNC110
        await asyncio.sleep(0.01)


async def test_a_script_runs_the_short_way_and_again_after_redis_forgets_it(
        redis_server: RedisServer) -> None:
    client = redis_client(redis_server.url)
    script = client.register_script("return {tonumber(ARGV[1]) + 1, KEYS[1]}")
    try:
        assert await run_script(client, script, ["k"], [41]) == [42, b"k"]
        await client.script_flush()  # as a restarted Redis: no scripts
        assert await run_script(client, script, ["k"], [1]) == [2, b"k"]
        assert await run_script(client, script, ["k"], [2]) == [3, b"k"]
    finally:
        await client.aclose()


async def test_a_failing_script_leaves_the_pool_clean(redis_server: RedisServer) -> None:
    client = redis_client(redis_server.url, max_connections=1)
    script = client.register_script("return redis.error_reply('NOPE no')")
    try:
        with pytest.raises(ResponseError, match="no"):
            await run_script(client, script, [], [])
        assert await client.echo("after") == b"after"
        assert not client.connection_pool._in_use_connections
    finally:
        await client.aclose()


async def test_a_script_on_a_frozen_redis_fails_and_the_next_one_reads_its_own_answer(
        fresh_redis: RedisServer) -> None:
    client = redis_client(fresh_redis.url, max_connections=1)
    script = client.register_script("return ARGV[1]")
    assert fresh_redis.proc is not None
    try:
        assert await run_script(client, script, [], ["first"]) == b"first"
        os.kill(fresh_redis.proc.pid, signal.SIGSTOP)
        try:
            with pytest.raises(RedisTimeoutError):
                await asyncio.wait_for(run_script(client, script, [], ["lost"]), 15)
        finally:
            os.kill(fresh_redis.proc.pid, signal.SIGCONT)
        # The frozen command's answer arrives late on a connection that was dropped:
        # this one reads its own.
        assert await run_script(client, script, [], ["second"]) == b"second"
    finally:
        await client.aclose()
