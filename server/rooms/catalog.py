"""The catalog: every room, format, facilitator and resource, as this process uses them.

Built from one records snapshot and swapped whole when the records change (polled
every `POLL_S`), so an event reads one consistent catalog with no awaits. Config
records and console records are read alike; a record that no longer checks out (a
console room naming a format since deleted) is left out with a log line, never a crash.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from server.config.loader import resources_from_list
from server.config.reader import ConfigError, Reader
from server.config.rooms import (
    format_from_table,
    format_table,
    parse_formats,
    room_from_table,
    room_table,
)
from server.config.settings import (
    DEFAULT_RESOURCES,
    Format,
    Resource,
    RoomConfig,
    Settings,
)
from server.records.base import Declared, FacilitatorRecord, Snapshot
from server.rooms.feeds import Edit

log = logging.getLogger(__name__)

POLL_S = 0.5  # a change made on another process is applied within about this long


def default_formats() -> dict[str, Format]:
    return parse_formats(Reader(""), {})


@dataclass(frozen=True)
class Catalog:
    version: int = 0
    rooms: tuple[RoomConfig, ...] = ()
    formats: Mapping[str, Format] = field(default_factory=default_formats)
    facilitators: Mapping[str, FacilitatorRecord] = field(default_factory=dict)
    resources: tuple[Resource, ...] = DEFAULT_RESOURCES
    snapshot: Snapshot | None = None  # what it was built from (the admin API reads it)

    def room(self, room_id: str) -> RoomConfig | None:
        for room in self.rooms:
            if room.id == room_id:
                return room
        return None

    def facilitator(self, name: str) -> FacilitatorRecord | None:
        """An account that can sign in (an unused invite is not one yet)."""
        person = self.facilitators.get(name)
        return person if person is not None and person.passphrase_hash else None

    def passphrase_hash(self, name: str) -> str | None:
        person = self.facilitator(name)
        return person.passphrase_hash if person else None

    def names(self) -> list[str]:
        return [name for name in self.facilitators if self.facilitator(name)]

    def edits(self) -> dict[str, Edit]:
        """Each room record's last edit and revision (the feeds' LAST-MODIFIED,
        SEQUENCE and `updated`)."""
        if self.snapshot is None:
            return {}
        return {key: Edit(doc.updated_at, doc.revision)
                for key, doc in self.snapshot.rooms.items()}

    def edited(self) -> float | None:
        """When a room or format record last changed: the feeds' edit time."""
        if self.snapshot is None:
            return None
        times = [d.updated_at for d in (*self.snapshot.rooms.values(),
                                        *self.snapshot.formats.values())]
        return max(times) if times else None

    @property
    def crisis_resources(self) -> tuple[Resource, ...]:
        return tuple(r for r in self.resources if r.crisis) or self.resources


def build_catalog(snapshot: Snapshot, settings: Settings) -> Catalog:
    formats = default_formats()
    for name, doc in snapshot.formats.items():
        try:
            formats[name] = format_from_table(name, doc.data)
        except ConfigError as exc:
            log.warning("format record %s left out: %s", name, exc)
    names = set(snapshot.facilitators)
    rooms: list[RoomConfig] = []
    for room_id, doc in snapshot.rooms.items():
        table = doc.data
        named = table.get("format")
        # (A format that is not a name at all is room_from_table's to refuse below.)
        if isinstance(named, str) and named not in formats:
            # Writes check the format, but a config reload that drops it, or a room saved
            # on another process as the format was deleted, can still leave one naming it:
            # the meeting runs in the default format rather than leaving the schedule.
            log.warning("room record %s names a format that is gone; using the default",
                        room_id)
            table = {**table, "format": None}
        try:
            room = room_from_table(table, names, formats)
        except ConfigError as exc:
            log.warning("room record %s left out: %s", room_id, exc)
            continue
        if room.id != room_id:
            log.warning("room record %s left out: it names another id", room_id)
            continue
        declared = settings.room(room.id)
        if declared is not None and declared.open_at_start and doc.source == "config":
            room = replace(room, open_at_start=True)  # the demo meeting
        rooms.append(room)
    resources = DEFAULT_RESOURCES
    if snapshot.resources is not None:
        try:
            resources = resources_from_list(snapshot.resources.data.get("items"))
        except ConfigError as exc:
            log.warning("resources record left out: %s", exc)
    return Catalog(version=snapshot.version, rooms=tuple(rooms), formats=formats,
                   facilitators=dict(snapshot.facilitators), resources=resources,
                   snapshot=snapshot)


def declared(settings: Settings) -> Declared:
    """What the config file provisions, in the records' form."""
    built_in = default_formats()
    formats = [(name, format_table(fmt)) for name, fmt in settings.formats.items()
               if not (name in built_in and built_in[name] == fmt)]
    resources: list[dict[str, Any]] | None = None
    if settings.resources is not DEFAULT_RESOURCES:
        resources = [{"name": r.name, "contact": r.contact, "url": r.url, "hours": r.hours,
                      "crisis": r.crisis} for r in settings.resources]
    return Declared(
        rooms=[(room.id, room_table(room)) for room in settings.rooms],
        formats=formats,
        resources=resources,
        facilitators=[(f.name, f.passphrase_hash, f.admin) for f in settings.facilitators],
    )
