"""The admin console's and API's domain: records checked, stored in one transaction
with their audit entry, then applied here at once (other processes within a second).

Every record is checked by the same rules as the config file; an error names the
field (`weekly[1]`). Provisioned records (`source: "config"`) are read-only.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from moderation.audit import AuditEntry, new_entry
from moderation.handles import account_name
from moderation.timefmt import iso_utc
from server.config.loader import resources_from_list
from server.config.reader import ConfigError
from server.config.rooms import (
    format_from_table,
    format_table,
    room_from_table,
    room_table,
    without_person,
)
from server.models.passphrase import hash_passphrase
from server.records.base import RESOURCES_KEY, Document, RecordConflict, RecordMissing
from server.rooms.calls import new_id
from server.rooms.catalog import default_formats
from server.rooms.core import RoomCore
from server.rooms.meetings import Meetings

INVITE_TTL_S = 24 * 3600
MIN_PASSPHRASE = 10
MAX_PASSPHRASE = 1024
_BUILT_IN_FORMATS = frozenset(default_formats())


class Invalid(Exception):
    """A record that does not check out; `field` names what to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Invite:
    name: str
    token: str
    expires_at: float


def invite_hash(token: str) -> str:
    return hashlib.sha256(f"peer-rooms invite:{token}".encode()).hexdigest()


def _invalid(exc: ConfigError) -> Invalid:
    return Invalid(exc.key, exc.problem)


def _people(table: Mapping[str, Any]) -> list[str]:
    """The facilitators a room table names: its hosts and who may facilitate."""
    return [*(table.get("hosts") or []), *(table.get("facilitators") or [])]


def _edited_from(body: Mapping[str, Any]) -> float | None:
    """The `updated_at` an edit was made from (ISO 8601 or epoch seconds), if given."""
    value = body.get("updated_at")
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    raise Invalid("updated_at", "must be the updated_at the record was read with")


class Admin:
    def __init__(self, core: RoomCore, meetings: Meetings,
                 refresh: Callable[[], Awaitable[object]]) -> None:
        self.core = core
        self.meetings = meetings
        self._refresh = refresh

    def is_admin(self, name: str | None) -> bool:
        person = self.core.catalog.facilitator(name) if name else None
        return person is not None and person.admin

    def _entry(self, actor: str, action: str, target: str | None,
               detail: dict[str, Any] | None = None) -> AuditEntry:
        return new_entry(entry_id=new_id(), now=self.core.clock(), actor=actor, action=action,
                         target=target, detail=detail)

    async def _applied(self) -> None:
        await self._refresh()

    # -- rooms ------------------------------------------------------------------------

    def rooms(self) -> list[dict[str, Any]]:
        snapshot = self.core.catalog.snapshot
        return [_wire(doc) for doc in snapshot.rooms.values()] if snapshot else []

    def room(self, room_id: str) -> dict[str, Any]:
        snapshot = self.core.catalog.snapshot
        doc = snapshot.rooms.get(room_id) if snapshot else None
        if doc is None:
            raise RecordMissing(room_id)
        return _wire(doc)

    def _checked_room(self, body: object, room_id: str | None = None) -> dict[str, Any]:
        if not isinstance(body, Mapping):
            raise Invalid("room", "must be a JSON object")
        table = {k: v for k, v in body.items() if k not in ("source", "updated_at")}
        if room_id is not None and table.setdefault("id", room_id) != room_id:
            raise Invalid("id", "must match the room in the address")
        catalog = self.core.catalog
        try:
            room = room_from_table(table, set(catalog.facilitators), catalog.formats)
        except ConfigError as exc:
            raise _invalid(exc) from None
        return room_table(room)

    async def create_room(self, actor: str, body: object) -> dict[str, Any]:
        table = self._checked_room(body)
        doc = await self.core.records.create_document(
            "rooms", table["id"], table, self._entry(actor, "room.create", table["id"]),
            people=_people(table))
        await self._applied()
        room = self.core.catalog.room(doc.key)
        if room is not None:
            # A fresh start, even where a deleted room of the same id left a runtime.
            async with self.core.store.room_lock(room.id):
                await self.core.store.put_runtime(room.id, self.core.initial_runtime(room))
        return _wire(doc)

    async def replace_room(self, actor: str, room_id: str, body: object) -> dict[str, Any]:
        table = self._checked_room(body, room_id)
        expected = _edited_from(body) if isinstance(body, Mapping) else None
        doc = await self.core.records.replace_document(
            "rooms", room_id, table, expected, self._entry(actor, "room.update", room_id),
            people=_people(table))
        await self._applied()
        room = self.core.catalog.room(room_id)
        if room is not None:
            await self.core.publish_state(room)  # the title or chat may have changed
        return _wire(doc)

    async def delete_room(self, actor: str, room_id: str) -> None:
        snapshot = self.core.catalog.snapshot
        doc = snapshot.rooms.get(room_id) if snapshot else None
        if doc is None:
            raise RecordMissing(room_id)
        if doc.source == "config":
            raise RecordConflict("provisioned")
        room = self.core.catalog.room(room_id)
        if room is not None:
            # A meeting in session is closed first: its members are told and let go.
            await self.meetings.end_everything(room)
        await self.core.records.delete_document("rooms", room_id,
                                                self._entry(actor, "room.delete", room_id))
        await self._applied()

    # -- formats and resources ---------------------------------------------------------

    def format(self, name: str) -> dict[str, Any]:
        fmt = self.core.catalog.formats.get(name)
        if fmt is None:
            raise RecordMissing(name)
        snapshot = self.core.catalog.snapshot
        doc = snapshot.formats.get(name) if snapshot else None
        return {"name": name, **format_table(fmt),
                "source": doc.source if doc else "config",
                "updated_at": iso_utc(doc.updated_at) if doc else None}

    async def put_format(self, actor: str, name: str, body: object) -> dict[str, Any]:
        snapshot = self.core.catalog.snapshot
        if name in _BUILT_IN_FORMATS and (snapshot is None or name not in snapshot.formats):
            # The built-in `default` answers `source: "config"`: read-only like the
            # config's formats, or a PUT would change every room that names no format.
            raise RecordConflict("provisioned")
        if not isinstance(body, Mapping):
            raise Invalid("format", "must be a JSON object")
        try:
            fmt = format_from_table(name, {k: v for k, v in body.items()
                                           if k not in ("source", "updated_at")})
        except ConfigError as exc:
            raise _invalid(exc) from None
        await self.core.records.replace_document(
            "formats", name, format_table(fmt), _edited_from(body),
            self._entry(actor, "format.update", name), upsert=True)
        await self._applied()
        return self.format(name)

    async def delete_format(self, actor: str, name: str) -> None:
        """Refused while a room uses it (`RecordInUse`, checked in the delete's own
        transaction); the built-in `default` is read-only like the config's formats."""
        snapshot = self.core.catalog.snapshot
        if snapshot is None or name not in snapshot.formats:
            if name in self.core.catalog.formats:
                raise RecordConflict("provisioned")
            raise RecordMissing(name)
        await self.core.records.delete_document(
            "formats", name, self._entry(actor, "format.delete", name),
            used_by=lambda room: room.get("format") == name)
        await self._applied()

    def resources(self) -> dict[str, Any]:
        snapshot = self.core.catalog.snapshot
        doc = snapshot.resources if snapshot else None
        return {"resources": [_resource(r) for r in self.core.catalog.resources],
                "source": doc.source if doc else "default",
                "updated_at": iso_utc(doc.updated_at) if doc else None}

    async def put_resources(self, actor: str, body: object) -> dict[str, Any]:
        items = body.get("resources") if isinstance(body, Mapping) else body
        try:
            checked = resources_from_list(items)
        except ConfigError as exc:
            raise _invalid(exc) from None
        expected = _edited_from(body) if isinstance(body, Mapping) else None
        await self.core.records.replace_document(
            "resources", RESOURCES_KEY, {"items": [_resource(r) for r in checked]}, expected,
            self._entry(actor, "resources.update", None, {"count": len(checked)}),
            upsert=True)
        await self._applied()
        return self.resources()

    # -- facilitators ------------------------------------------------------------------

    def facilitators(self) -> list[dict[str, Any]]:
        return [{"name": p.name, "admin": p.admin, "source": p.source,
                 # Beyond DESIGN §3: an invite not used yet, and until when it is good.
                 "pending": p.passphrase_hash is None,
                 "invite_expires_at": iso_utc(p.invite_expires_at)
                 if p.invite_expires_at else None}
                for p in self.core.catalog.facilitators.values()]

    async def invite(self, actor: str, body: object) -> Invite:
        if not isinstance(body, Mapping):
            raise Invalid("facilitator", "must be a JSON object")
        raw, admin = body.get("name"), body.get("admin", False)
        if not isinstance(raw, str):
            raise Invalid("name", "is required")
        name = account_name(raw)
        if not 2 <= len(name) <= 32:
            raise Invalid("name", "must be 2 to 32 characters")
        if not isinstance(admin, bool):
            raise Invalid("admin", "must be true or false")
        token = secrets.token_urlsafe(24)
        expires_at = self.core.clock() + INVITE_TTL_S
        await self.core.records.invite_facilitator(
            name, admin, invite_hash(token), expires_at,
            self._entry(actor, "facilitator.invite", name, {"admin": admin}))
        await self._applied()
        return Invite(name, token, expires_at)

    async def remove_facilitator(self, actor: str, name: str) -> None:
        # The rooms they hosted or could facilitate stay, without them: a record that
        # named someone who is not a facilitator would fail its check and drop out.
        await self.core.records.delete_facilitator(
            name, self._entry(actor, "facilitator.delete", name),
            functools.partial(without_person, name=name))
        await self._applied()
        # Their sessions end on every process as the catalog reloads; the shared
        # store's revocation covers the moment between.
        await self.core.revoke_facilitator(name)

    async def invited(self, token: str) -> str | None:
        """The name an unused, unexpired invite is for."""
        person = await self.core.records.invite_of(invite_hash(token), self.core.clock())
        return person.name if person else None

    async def accept_invite(self, token: str, passphrase: object) -> str:
        """Set the invited person's passphrase; the link stops working."""
        if not isinstance(passphrase, str) or not MIN_PASSPHRASE <= len(passphrase) \
                <= MAX_PASSPHRASE:
            raise Invalid("passphrase", f"must be at least {MIN_PASSPHRASE} characters")
        # scrypt (~45 ms) off the event loop, as for logins (server/rooms/logins.py).
        digest = await asyncio.to_thread(hash_passphrase, passphrase)
        person = await self.core.records.accept_invite(
            invite_hash(token), digest, self.core.clock())
        if person is None:
            raise RecordMissing("invite")
        await self._applied()
        return person.name

    # -- the site's audit ---------------------------------------------------------------

    async def audit(self) -> list[dict[str, Any]]:
        entries = await self.core.records.audit(None, self.core.clock())
        return [e.to_wire() for e in entries]


def _wire(doc: Document) -> dict[str, Any]:
    return {**doc.data, "source": doc.source, "updated_at": iso_utc(doc.updated_at)}


def _resource(resource: Any) -> dict[str, Any]:
    return {"name": resource.name, "contact": resource.contact, "url": resource.url,
            "hours": resource.hours, "crisis": resource.crisis}
