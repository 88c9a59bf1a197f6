"""`peer-rooms serve | check-config | hash-passphrase`."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from dataclasses import replace

from aiohttp import web

from server.app import create_app
from server.clock import clock_from_env
from server.cluster import run_cluster
from server.config import ConfigError, load_settings
from server.demo import DEMO_FACILITATOR, demo_settings
from server.passphrase import hash_passphrase
from server.settings import Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="peer-rooms", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the server")
    serve.add_argument("--config", default=os.environ.get("PEER_ROOMS_CONFIG"),
                       help="peer-rooms.toml (default: $PEER_ROOMS_CONFIG, else the demo)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--redis", help="redis://... (or REDIS_URL)")
    check = sub.add_parser("check-config", help="validate a config file and exit")
    check.add_argument("path")
    sub.add_parser("hash-passphrase", help="read a passphrase on stdin, print its hash")
    cluster = sub.add_parser("cluster", help="N processes + Redis + nginx on this machine")
    cluster.add_argument("--processes", type=int, default=2)
    cluster.add_argument("--port", type=int, default=8080)
    cluster.add_argument("--redis", default=os.environ.get("REDIS_URL"),
                         help="redis://... (default: start a redis-server of its own)")
    cluster.add_argument("--config", default=os.environ.get("PEER_ROOMS_CONFIG"))
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    if args.config:
        settings = load_settings(args.config)
    else:
        settings, passphrase = demo_settings(os.environ)
        # Printed once, to the terminal only: the log never sees it.
        print(f"\n  peer-rooms demo: facilitator {DEMO_FACILITATOR!r}, one-time passphrase: "
              f"{passphrase}\n  (log in at /login; it changes every start)\n", flush=True)
    overrides: dict[str, object] = {}
    if args.host:
        overrides["host"] = args.host
    if args.port is not None:
        overrides["port"] = args.port
    if args.redis:
        overrides["redis_url"] = args.redis
    return replace(settings, **overrides)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # aiohttp's access log carries client addresses; ours never does.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    if args.command == "hash-passphrase":
        passphrase = getpass.getpass("passphrase: ") if sys.stdin.isatty() else sys.stdin.readline()
        passphrase = passphrase.rstrip("\r\n")
        if len(passphrase) < 8:
            print("error: a passphrase needs at least 8 characters", file=sys.stderr)
            return 2
        print(hash_passphrase(passphrase))
        return 0
    if args.command == "cluster":
        return run_cluster(processes=args.processes, port=args.port, redis_url=args.redis,
                           config=args.config)
    try:
        if args.command == "check-config":
            settings = load_settings(args.path)
            print(f"ok: {len(settings.rooms)} rooms, {len(settings.facilitators)} facilitators")
            return 0
        settings = _settings(args)
    except (ConfigError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        clock = clock_from_env(os.environ)
    except ValueError:
        print("error: PEER_ROOMS_CLOCK must be 'start_epoch,speed'", file=sys.stderr)
        return 2
    web.run_app(create_app(settings, clock=clock), host=settings.host, port=settings.port,
                access_log=None, shutdown_timeout=settings.shutdown_grace_s,
                print=lambda text: print(text, flush=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
