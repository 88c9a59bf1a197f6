"""`peer-rooms serve | check-config | hash-passphrase | init | migrate | cluster`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
import time
from pathlib import Path

from aiohttp import web

from server.app import MissingWebFiles, create_app
from server.config.demo import DEMO_FACILITATOR
from server.config.initial import CONFIG_NAME, initial_config
from server.config.loader import load_settings
from server.config.reader import ConfigError
from server.config.startup import Startup, cluster_sources, log_level, startup
from server.models.passphrase import hash_passphrase
from server.ops.cluster import run_cluster
from server.ops.garbage_collector import settle_garbage_collector
from server.records.base import RecordConflict
from server.records.database import make_engine, records_url
from server.records.sql import SqlRecords
from server.rooms.admin import Invite
from server.rooms.first_run import first_admin
from server.transport.http_log import quiet_request_errors


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="peer-rooms", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the server")
    serve.add_argument("--config",
                       help="peer-rooms.toml (default: $PEER_ROOMS_CONFIG, else the demo)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--redis", help="redis://... (or REDIS_URL)")
    check = sub.add_parser("check-config", help="validate a config file and exit")
    check.add_argument("path")
    sub.add_parser("hash-passphrase", help="read a passphrase on stdin, print its hash")
    init = sub.add_parser("init", help="write a config with a fresh secret and print a "
                                       "one-time link that creates the first admin")
    init.add_argument("dir", nargs="?", default=".")
    init.add_argument("--admin", default="admin", help="the first admin's name")
    init.add_argument("--url", default="http://127.0.0.1:8080",
                      help="where the site will be reached (for the link)")
    migrate = sub.add_parser("migrate", help="bring the records database up to date")
    migrate.add_argument("--config",
                         help="peer-rooms.toml (default: $PEER_ROOMS_CONFIG, else the demo)")
    cluster = sub.add_parser("cluster", help="N processes + Redis + nginx on this machine")
    cluster.add_argument("--processes", type=int, default=2)
    cluster.add_argument("--port", type=int, default=8080)
    cluster.add_argument("--redis",
                         help="redis://... (default: start a redis-server of its own)")
    cluster.add_argument("--config", help="peer-rooms.toml (default: $PEER_ROOMS_CONFIG)")
    return parser


def _startup(args: argparse.Namespace) -> Startup:
    started = startup(args.config, host=args.host, port=args.port, redis_url=args.redis)
    if started.demo_passphrase:
        # Printed once, to the terminal only: the log never sees it.
        print(f"\n  peer-rooms demo: facilitator {DEMO_FACILITATOR!r}, one-time passphrase: "
              f"{started.demo_passphrase}\n  (log in at /login; it changes every start)\n",
              flush=True)
    return started


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=log_level(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # aiohttp's access log carries client addresses; ours never does.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # Its server log names the address of each request it cannot parse, and quotes it.
    quiet_request_errors()
    if args.command == "hash-passphrase":
        passphrase = getpass.getpass("passphrase: ") if sys.stdin.isatty() else sys.stdin.readline()
        passphrase = passphrase.rstrip("\r\n")
        if len(passphrase) < 8:
            print("error: a passphrase needs at least 8 characters", file=sys.stderr)
            return 2
        print(hash_passphrase(passphrase))
        return 0
    if args.command == "init":
        return _init(Path(args.dir), args.admin, args.url.rstrip("/"))
    if args.command == "cluster":
        redis_url, config = cluster_sources(args.redis, args.config)
        return run_cluster(processes=args.processes, port=args.port, redis_url=redis_url,
                           config=config)
    try:
        if args.command == "migrate":
            settings = startup(args.config).settings
            asyncio.run(_migrate(settings.database_url, settings.data_dir))
            return 0
        if args.command == "check-config":
            settings = load_settings(args.path)
            print(f"ok: {len(settings.rooms)} rooms, {len(settings.facilitators)} facilitators")
            return 0
        started = _startup(args)
    except (ConfigError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    settings = started.settings
    try:
        app = create_app(settings, clock=started.clock)
    except MissingWebFiles as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    # Last of the start-up hooks, and only in a served process (tests build many apps).
    async def settle_after_start_up(_: web.Application) -> None:
        settle_garbage_collector(settings)

    app.on_startup.append(settle_after_start_up)
    web.run_app(app, host=settings.host, port=settings.port,
                access_log=None, shutdown_timeout=settings.shutdown_grace_s,
                print=lambda text: print(text, flush=True))
    return 0


async def _migrate(database_url: str | None, data_dir: str) -> None:
    records = SqlRecords(make_engine(records_url(database_url, data_dir)))
    try:
        await records.open()
        print("records: schema up to date")
    finally:
        await records.close()


def _init(directory: Path, admin: str, url: str) -> int:
    path = directory / CONFIG_NAME
    if path.exists():
        print(f"error: {path} exists; init never overwrites a config", file=sys.stderr)
        return 2
    directory.mkdir(parents=True, exist_ok=True)
    data_dir = (directory / "var").resolve()
    # The secret is in there: readable by this user only.
    path.touch(mode=0o600)
    path.write_text(initial_config(data_dir), encoding="utf-8")
    settings = load_settings(path)
    try:
        invite = asyncio.run(_first_admin(settings.database_url, settings.data_dir, admin))
    except RecordConflict:
        print(f"error: the records already have a facilitator {admin!r}", file=sys.stderr)
        return 2
    print(f"wrote {path} (records in {settings.database_url or data_dir})")
    print(f"start it:  peer-rooms serve --config {path}")
    print(f"then open this link within 24 hours to set the first admin's passphrase "
          f"({invite.name!r}):\n  {url}/invite/{invite.token}")
    return 0


async def _first_admin(database_url: str | None, data_dir: str, admin: str) -> Invite:
    records = SqlRecords(make_engine(records_url(database_url, data_dir)))
    try:
        await records.open()
        return await first_admin(records, admin, time.time())
    finally:
        await records.close()


if __name__ == "__main__":
    raise SystemExit(main())
