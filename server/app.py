"""The app factory: `create_app(settings)` wires transport → domain → state and bus."""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from server.bus.base import Bus
from server.bus.local import LocalBus
from server.bus.redis import RedisBus
from server.config.reader import ConfigError
from server.config.settings import Settings
from server.config.startup import reread
from server.keys import METRICS, NAMESPACE, ROOMS, SETTINGS, SIO, TEMPLATES
from server.models.envelope import Envelope
from server.models.errors import StoreUnavailable
from server.models.stopping import stop_tasks
from server.records.database import make_engine, records_url
from server.records.sql import SqlRecords
from server.rooms.catalog import POLL_S
from server.rooms.liveness import BEAT_S
from server.rooms.scheduler import TICK_S
from server.rooms.service import Rooms
from server.rooms.tokens import Tokens
from server.store.base import Store
from server.store.memory import MemoryStore
from server.store.redis import RedisStore, redis_client
from server.transport.guarded_server import GuardedServer
from server.transport.intake import request_intake
from server.transport.metrics import Metrics
from server.transport.namespace import RoomsNamespace
from server.transport.proxies import proxy_middleware, same_origin_socket
from server.transport.security import security_headers, store_down_is_503
from server.transport.templating import Templates
from server.transport.views import add_routes
from server.transport.web_files import web_files

log = logging.getLogger(__name__)

MAX_FRAME = 64 * 1024  # a bigger frame closes that connection (engine.io's own limit)
SOCKETIO_PATH = "socket.io"
PRUNE_S = 24 * 3600  # the audit log's 30 days and ended bans, once a day (and at start)


class MissingWebFiles(RuntimeError):
    """The page files or the browser client bundle are not where the app looks."""


def create_app(settings: Settings, *, clock: Callable[[], float] = time.time) -> web.Application:
    sio = GuardedServer(
        async_mode="aiohttp",
        # Same origin (as resolved behind a trusted proxy) unless origins are listed.
        cors_allowed_origins=same_origin_socket(settings.allowed_origins),
        max_http_buffer_size=MAX_FRAME,
        # One event at a time per connection: a member's messages keep their order.
        async_handlers=False,
        logger=False, engineio_logger=False,
        ping_interval=settings.limits.ping_interval_s,
        ping_timeout=settings.limits.ping_timeout_s,
        connect_timeout_s=settings.limits.connect_timeout_s,
        unjoined_per_address=settings.limits.connections_per_address,
    )
    intake = request_intake(engineio_path=f"/{SOCKETIO_PATH}/", max_body=MAX_FRAME,
                            body_timeout_s=settings.limits.body_timeout_s,
                            engineio=lambda: sio.eio)
    app = web.Application(
        middlewares=[proxy_middleware(settings.trusted_proxies), security_headers,
                     store_down_is_503, intake],
        # No page takes a body anywhere near a frame; the intake refuses bigger ones first.
        client_max_size=MAX_FRAME,
        # aiohttp closes a connection that has not sent a whole request this long after
        # it opened or after its last answer: the header timeout (slowloris).
        handler_args={"keepalive_timeout": settings.limits.header_timeout_s},
    )
    metrics = Metrics()
    app[SETTINGS] = settings
    app[METRICS] = metrics
    app[TEMPLATES] = Templates()
    process_id = secrets.token_hex(6)

    # The bus delivers into the namespace, and the namespace calls the rooms domain
    # that publishes on the bus; the sink closure breaks that construction cycle.
    async def sink(envelope: Envelope) -> None:
        await namespace.deliver(envelope)

    store: Store
    bus: Bus
    if settings.redis_url:
        redis_store = RedisStore(redis_client(settings.redis_url,
                                              on_round_trip=metrics.redis_round_trips.inc,
                                              max_connections=settings.limits.redis_connections),
                                 process_id=process_id,
                                 buffer_messages=settings.limits.buffer_messages,
                                 buffer_seconds=settings.limits.buffer_seconds,
                                 on_lock_overrun=metrics.lock_overruns.inc,
                                 idempotency_keys=settings.limits.idempotency_keys)
        store = redis_store
        async def repair() -> None:
            await rooms.liveness.tick()

        bus = RedisBus(redis_store.redis, redis_store, sink, process_id=process_id,
                       on_lag=metrics.bus_lag.observe, on_reconnect=repair,
                       on_receive=metrics.bus_received.inc)
    else:
        store = MemoryStore(buffer_messages=settings.limits.buffer_messages,
                            buffer_seconds=settings.limits.buffer_seconds,
                            idempotency_keys=settings.limits.idempotency_keys,
                            live_entries=settings.limits.live_entries)
        bus = LocalBus(sink)
    records = SqlRecords(make_engine(records_url(settings.database_url, settings.data_dir)))
    rooms = Rooms(settings=settings, store=store, records=records, bus=bus,
                  tokens=Tokens(settings.secret_key), clock=clock, process_id=process_id)
    namespace = RoomsNamespace(rooms, metrics)
    sio.register_namespace(namespace)
    sio.attach(app, socketio_path=SOCKETIO_PATH)
    app[ROOMS] = rooms
    app[SIO] = sio
    app[NAMESPACE] = namespace

    add_routes(app)
    files = web_files()
    if files.missing():
        raise MissingWebFiles(files.missing() or "")
    app.router.add_static("/static/vendor/", files.vendor, follow_symlinks=False)
    app.router.add_static("/static/", files.static)
    app.cleanup_ctx.append(_lifecycle)
    app.on_shutdown.append(_tell_clients)
    return app


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    """Open the records, start the bus, the rooms and the background beats; stop them
    in reverse."""
    rooms = app[ROOMS]
    bus = rooms.core.bus
    records = rooms.core.records
    await records.open()
    await rooms.provision(app[SETTINGS])
    await bus.start()
    await _start_rooms(rooms)
    reloads: set[asyncio.Task[None]] = set()
    loop = asyncio.get_running_loop()
    path = app[SETTINGS].config_path
    if path is not None:
        def on_hangup() -> None:
            task = asyncio.create_task(_reload(rooms, path))
            reloads.add(task)
            task.add_done_callback(reloads.discard)

        loop.add_signal_handler(signal.SIGHUP, on_hangup)
    tasks = [asyncio.create_task(_every(BEAT_S, rooms.liveness.tick), name="liveness"),
             asyncio.create_task(_every(TICK_S, rooms.scheduler.tick), name="scheduler"),
             asyncio.create_task(_every(POLL_S, rooms.refresh), name="records"),
             # A session ended by a logout anywhere loses its idle sockets here too.
             asyncio.create_task(_every(BEAT_S, app[NAMESPACE].recheck_staff), name="staff"),
             asyncio.create_task(_every(PRUNE_S, rooms.prune), name="prune"),
             asyncio.create_task(_every(app[SIO].silence_check_s, app[SIO].close_silent),
                                 name="silence")]
    yield
    if path is not None:
        loop.remove_signal_handler(signal.SIGHUP)
    if await stop_tasks([*tasks, *reloads]):
        log.warning("a background task did not stop in time; stopping anyway")
    try:
        # engine.io's service task can be stuck closing a polling session whose client
        # never polls again (its close waits for a poll): never let that hold the exit.
        await asyncio.wait_for(app[SIO].shutdown(), 5.0)
    except TimeoutError:
        log.warning("engine.io did not stop in time; stopping anyway")
    await rooms.core.presence.close()
    rooms.logins.close()
    await bus.close()
    await rooms.core.store.close()
    await records.close()


async def _reload(rooms: Rooms, path: str) -> None:
    """SIGHUP: the file's provisioned records again, no connection dropped. Other keys
    (secret, ports, databases, limits) take a restart."""
    try:
        fresh = reread(rooms.core.settings, path)
        await rooms.provision(fresh)
    except (ConfigError, OSError) as exc:
        log.error("SIGHUP: config not applied, still serving the last good one: %s", exc)
        return
    except StoreUnavailable:
        log.error("SIGHUP: records database unreachable; config not applied")
        return
    log.info("SIGHUP: config re-read: %d rooms, %d facilitators from the file",
             len(fresh.rooms), len(fresh.facilitators))


async def _start_rooms(rooms: Rooms) -> None:
    # The server starts even when Redis is down; rooms are set up once it answers.
    try:
        await rooms.start()
        # Meetings are where the schedule says before the first member arrives.
        await rooms.scheduler.tick()
    except StoreUnavailable:
        log.warning("shared store unavailable at start; serving, will retry")


async def _every(period_s: float, work: Callable[[], Awaitable[object]]) -> None:
    while True:
        try:
            await work()
        except Exception:
            log.exception("background task failed; it keeps running")
        await asyncio.sleep(period_s)  # a period, not a synchronisation


async def _tell_clients(app: web.Application) -> None:
    """On SIGTERM: close every engine.io connection so clients reconnect elsewhere.

    An engine.io close (not a Socket.IO disconnect) is what makes browsers retry.
    """
    sio = app[SIO]
    # Every engine.io connection, in a Socket.IO session or not: one left open would
    # hold its request handler, and the exit, for the whole shutdown grace.
    eio_sids = list(sio.eio.sockets)
    log.info("shutting down: closing %d connections", len(eio_sids))

    async def close(eio_sid: str) -> None:
        try:
            await sio.end_connection(eio_sid)
        except Exception:
            log.debug("connection already gone", exc_info=True)

    # All at once, and never longer than a few seconds: a dead peer must not hold
    # up the exit (SIGTERM promises an exit within 10 s).
    try:
        await asyncio.wait_for(asyncio.gather(*(close(s) for s in eio_sids)), 3.0)
    except TimeoutError:
        log.warning("some connections did not close in time")
    log.info("shutdown: connections closed")
