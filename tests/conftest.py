"""Fixtures: the app on a real port, real Socket.IO clients, real server processes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from hypothesis import settings as hypothesis_settings

from server.app import create_app
from server.config.loader import settings_from_mapping
from tests.helpers import (
    Client,
    ClientFactory,
    Clock,
    LiveServer,
    Served,
    ServeFn,
    StartProcess,
    base_config,
    close_server,
    start_process,
    stop_process,
)
from tests.postgres import PostgresDatabase
from tests.redis_server import RedisServer

# No time limit per example: speed belongs in bench/, and a loaded machine (CI beside
# other work) made hypothesis's default 200 ms deadline fail tests that were right.
hypothesis_settings.register_profile("peer-rooms", deadline=None)
hypothesis_settings.load_profile("peer-rooms")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One redis-server for the session; tests that restart Redis make their own."""
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_session() -> Iterator[PostgresDatabase]:
    """One PostgreSQL database for the session's records contract tests (each empties it)."""
    database = PostgresDatabase()
    database.create()
    yield database
    database.drop()


@pytest.fixture
def postgres() -> Iterator[PostgresDatabase]:
    """A PostgreSQL database of this test's own, dropped after it."""
    database = PostgresDatabase()
    database.create()
    yield database
    database.drop()


@pytest.fixture
def fresh_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own, to stop and restart at will."""
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> str:
    """The state back end; tests that use `serve` run against both."""
    if request.param == "redis":
        redis_server = request.getfixturevalue("redis_server")
        redis_server.flush()
        return str(redis_server.url)
    return ""


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def serve(clock: Clock, backend: str) -> AsyncIterator[ServeFn]:
    """Start the app on a real port: `await serve(**config_overrides)`."""
    servers: list[TestServer] = []

    async def start(**overrides: Any) -> Served:
        config = base_config(**overrides)
        if backend:
            config.setdefault("redis_url", backend)
        settings = settings_from_mapping(config)
        # No access log, as `peer-rooms serve` runs it: access lines carry addresses.
        server = TestServer(create_app(settings, clock=clock), host="127.0.0.1")
        await server.start_server(access_log=None)
        servers.append(server)
        return Served(f"http://127.0.0.1:{server.port}", settings, server)

    yield start
    for server in servers:
        await close_server(server)


@pytest.fixture
async def server(serve: ServeFn) -> Served:
    return await serve()


@pytest.fixture
async def connect(server: Served) -> AsyncIterator[ClientFactory]:
    """`await connect(device=..., token=...)`: a connected client, closed at teardown."""
    clients: list[Client] = []

    async def make(url: str | None = None, **kwargs: Any) -> Client:
        client = Client()
        clients.append(client)
        return await client.connect(url or server.url, **kwargs)

    yield make
    for client in clients:
        await client.close()


@pytest.fixture
async def clients() -> AsyncIterator[ClientFactory]:
    """`await clients(url, device=..., token=...)`: clients of any server, closed at
    teardown (for tests with several servers)."""
    made: list[Client] = []

    async def make(url: str, **kwargs: Any) -> Client:
        client = Client()
        made.append(client)
        return await client.connect(url, **kwargs)

    yield make
    for client in made:
        await client.close()


@pytest.fixture
def server_process(tmp_path: Path) -> Iterator[StartProcess]:
    """`server_process(config, env=...)`: a real `peer-rooms serve`, stopped at teardown."""
    started: list[LiveServer] = []

    def start(config: dict[str, Any], env: dict[str, str] | None = None) -> LiveServer:
        server = start_process(config, tmp_path, env=env)
        started.append(server)
        return server

    yield start
    for server in started:
        stop_process(server)


@pytest.fixture
def live_server(server_process: StartProcess) -> LiveServer:
    """A real server process with the test config (used by the browser tests)."""
    return server_process(base_config(limits={"joins_per_minute": 1000,
                                              "connections_per_device": 50}))
