"""Typed app keys: everything the app shares, declared in one place."""

from __future__ import annotations

import socketio
from aiohttp import web

from server.config.settings import Settings
from server.rooms.service import Rooms
from server.transport.metrics import Metrics
from server.transport.namespace import RoomsNamespace
from server.transport.templating import Templates

SETTINGS = web.AppKey("settings", Settings)
ROOMS = web.AppKey("rooms", Rooms)
METRICS = web.AppKey("metrics", Metrics)
TEMPLATES = web.AppKey("templates", Templates)
SIO = web.AppKey("sio", socketio.AsyncServer)
NAMESPACE = web.AppKey("namespace", RoomsNamespace)
