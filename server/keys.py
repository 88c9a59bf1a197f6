"""Typed app keys: everything the app shares, declared in one place."""

from __future__ import annotations

from aiohttp import web

from server.metrics import Metrics
from server.rooms.service import Rooms
from server.settings import Settings
from server.templating import Templates

SETTINGS = web.AppKey("settings", Settings)
ROOMS = web.AppKey("rooms", Rooms)
METRICS = web.AppKey("metrics", Metrics)
TEMPLATES = web.AppKey("templates", Templates)
