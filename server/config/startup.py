"""What a starting process takes from outside: the config file or the demo, the
command line's overrides and the environment. With `loader.py`, the only reader of
env and TOML."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from server.config.clock import clock_from_env
from server.config.demo import demo_settings
from server.config.loader import load_settings
from server.config.reader import ConfigError
from server.config.settings import Settings


@dataclass(frozen=True)
class Startup:
    """Everything a starting process takes from its config file and environment."""

    settings: Settings
    clock: Callable[[], float]
    demo_passphrase: str | None  # set when no config file was given: the demo


def startup(config_path: str | None, *, host: str | None = None, port: int | None = None,
            redis_url: str | None = None, env: Mapping[str, str] | None = None) -> Startup:
    """The settings to serve with: the file (or `$PEER_ROOMS_CONFIG`, else the demo)
    plus command-line overrides. Raises ConfigError or OSError, ValueError for a bad clock."""
    env = os.environ if env is None else env
    path = config_path or env.get("PEER_ROOMS_CONFIG")
    passphrase: str | None = None
    if path:
        settings = load_settings(path, env)
    else:
        settings, passphrase = demo_settings(env)
    overrides: dict[str, object] = {}
    if host:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    if redis_url:
        overrides["redis_url"] = redis_url
    try:
        clock = clock_from_env(env)
    except ValueError:
        raise ConfigError("PEER_ROOMS_CLOCK", "must be 'start_epoch,speed'") from None
    return Startup(replace(settings, **overrides), clock, passphrase)  # type: ignore[arg-type]


def reread(current: Settings, path: str, env: Mapping[str, str] | None = None) -> Settings:
    """The config file again (SIGHUP): its provisioned records replace the old ones;
    what a process was started with stays (address, secret, databases, limits)."""
    fresh = load_settings(path, os.environ if env is None else env)
    return replace(current, facilitators=fresh.facilitators, rooms=fresh.rooms,
                   formats=fresh.formats, resources=fresh.resources,
                   config_mtime=fresh.config_mtime)


def log_level(env: Mapping[str, str] | None = None) -> str:
    return (os.environ if env is None else env).get("LOG_LEVEL", "INFO")


def cluster_sources(redis_url: str | None, config_path: str | None,
                    env: Mapping[str, str] | None = None) -> tuple[str | None, str | None]:
    """`peer-rooms cluster`'s Redis and config file: the arguments, else the environment."""
    env = os.environ if env is None else env
    return redis_url or env.get("REDIS_URL"), config_path or env.get("PEER_ROOMS_CONFIG")
