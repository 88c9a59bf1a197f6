"""Prometheus metrics, one registry per app (no process-global collectors)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.connections = Gauge("peer_rooms_connections", "Open Socket.IO connections",
                                 registry=self.registry)
        self.rooms = Gauge("peer_rooms_rooms", "Configured rooms", registry=self.registry)
        self.messages = Counter("peer_rooms_messages", "Messages accepted",
                                registry=self.registry)
        self.moderation = Counter("peer_rooms_moderation_actions", "Moderation actions",
                                  ["action"], registry=self.registry)
        self.bus_received = Counter("peer_rooms_bus_received",
                                    "Pub/sub messages this process received from Redis",
                                    registry=self.registry)
        self.bus_lag = Histogram("peer_rooms_bus_lag_seconds",
                                 "Delay between publish and local delivery",
                                 registry=self.registry)
        self.redis_round_trips = Counter("peer_rooms_redis_round_trips",
                                         "Commands or pipelines sent to Redis",
                                         registry=self.registry)
        self.lock_overruns = Counter("peer_rooms_room_lock_overruns",
                                     "Room locks whose lease ended before release",
                                     registry=self.registry)

    def render(self) -> bytes:
        return generate_latest(self.registry)
