"""`Rooms`: the domain's front door, one object per process. The transport calls
these methods and the parts' public methods (joining, posting, ...), never `core`."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from moderation.audit import new_entry
from moderation.timefmt import iso_utc
from server.bus.base import Bus
from server.config.settings import Settings
from server.models.errors import StoreUnavailable
from server.records.base import Records
from server.rooms.admin import Admin
from server.rooms.calls import Refused, new_id
from server.rooms.catalog import Catalog, build_catalog, declared
from server.rooms.core import RoomCore
from server.rooms.joining import Joining
from server.rooms.liveness import Liveness
from server.rooms.lobby import Lobby
from server.rooms.logins import Logins
from server.rooms.meetings import Meetings
from server.rooms.moderating import Moderating
from server.rooms.posting import Posting
from server.rooms.private_lines import PrivateLines
from server.rooms.schedule import next_start_iso, occurrences
from server.rooms.scheduler import Scheduler
from server.rooms.tokens import Tokens
from server.store.base import Store


@dataclass(frozen=True)
class Device:
    """The device on a connection: its ban key, and a new token when it had none."""

    device_hash: str
    new_token: str | None


log = logging.getLogger(__name__)


class Rooms:
    def __init__(self, *, settings: Settings, store: Store, records: Records, bus: Bus,
                 tokens: Tokens, clock: Callable[[], float], process_id: str) -> None:
        self.core = RoomCore(settings=settings, store=store, records=records, bus=bus,
                             tokens=tokens, clock=clock, process_id=process_id)
        # Called after each catalog change (the transport re-checks staff sessions).
        self.on_catalog_change: list[Callable[[], Awaitable[None]]] = []
        self.lobby = Lobby(self.core)
        self.joining = Joining(self.core, self.lobby)
        self.posting = Posting(self.core)
        self.meetings = Meetings(self.core, self.lobby)
        self.private = PrivateLines(self.core)
        self.moderating = Moderating(self.core, self.posting, self.meetings, self.private)
        self.liveness = Liveness(self.core, self.lobby)
        self.scheduler = Scheduler(self.core, self.meetings)
        self.admin = Admin(self.core, self.meetings, lambda: self.refresh(force=True))
        self.logins = Logins(lambda name: self.core.catalog.passphrase_hash(name), clock,
                             self.core.tokens, store)

    @property
    def connections_per_device(self) -> int:
        return self.core.settings.limits.connections_per_device

    @property
    def connections_per_address(self) -> int:
        return self.core.settings.limits.connections_per_address

    def now(self) -> float:
        return self.core.clock()

    async def new_session(self, name: str) -> tuple[str, float]:
        """A signed session token for a facilitator who just proved who they are."""
        return self.core.tokens.new_facilitator(
            name, now=self.core.clock(), ttl_s=self.core.settings.limits.token_ttl_s,
            epoch=await self.core.store.session_epoch())

    async def end_session(self, token: object) -> None:
        """Logout: the token stops working on every process at once."""
        await self.core.end_session(token)

    async def ready(self) -> bool:
        """Can this process serve (`/readyz`): its liveness beat and the shared store."""
        return self.liveness.ready and await self.core.store_ready()

    async def facilitator_of(self, token: object) -> str | None:
        """The facilitator a valid, unexpired, unrevoked session token names, or None."""
        return await self.core.facilitator_of(token)

    def device(self, token: object) -> Device:
        """The device a token names; a device with no valid token gets a new one."""
        tokens = self.core.tokens
        device_id = tokens.device_id(token)
        if device_id is not None:
            return Device(tokens.device_hash(device_id), None)
        new_token = tokens.new_device()
        new_id = tokens.device_id(new_token)
        assert new_id is not None
        return Device(tokens.device_hash(new_id), new_token)

    async def released(self, room_id: str, member_id: str | None = None) -> None:
        """A socket on this process left the room's channels (or its lobby)."""
        await self.core.let_go(room_id, member_id)

    async def disconnected(self, memberships: Mapping[str, str],
                           waiting: Mapping[str, str]) -> None:
        """A connection ended: its lobby places and memberships end too. What the store
        cannot take now is retried by the liveness beat, so no ghost stays behind."""
        core = self.core
        for room_id, waiting_id in waiting.items():
            try:
                await self.lobby.leave(room_id, waiting_id)
            except StoreUnavailable:
                core.pending_lobby_leaves.add((room_id, waiting_id))
            except Refused:
                pass  # the room is gone from config: nothing to leave
        for room_id, member_id in memberships.items():
            try:
                await self.joining.leave(room_id, member_id, dropped=True)
            except StoreUnavailable:
                core.pending_leaves.add((room_id, member_id))
            except Refused:
                pass

    @property
    def catalog(self) -> Catalog:
        return self.core.catalog

    async def provision(self, settings: Settings) -> None:
        """Write what the config file declares as config records (start, SIGHUP)."""
        self.core.settings = settings
        # A provisioned record was edited when its file was.
        edited = settings.config_mtime or self.core.clock()
        entry = new_entry(entry_id=new_id(), now=self.core.clock(), actor="config file",
                          action="config.provision")
        core = self.core
        before = {room.id: (room, core.format_of(room)) for room in core.catalog.rooms}
        await core.records.provision(declared(settings), edited, entry)
        await self.refresh(force=True)
        # DESIGN §3: `room_state` whenever any of it changes, a file's edit included
        # (a new title, a format's phases); the admin API's edits tell it themselves.
        for room in core.catalog.rooms:
            was = before.get(room.id)
            if was is not None and was != (room, core.format_of(room)):
                await core.publish_state(room)

    async def prune(self) -> None:
        """Drop audit entries past their 30 days and bans that have ended."""
        await self.core.records.prune(self.core.clock())

    async def refresh(self, *, force: bool = False) -> bool:
        """Reload the catalog if the records changed (anywhere) since the last load."""
        core = self.core
        if not force and await core.records.version() == core.catalog.version:
            return False
        before = core.catalog
        core.catalog = build_catalog(await core.records.snapshot(), core.settings)
        added = {room.id for room in core.catalog.rooms} - {room.id for room in before.rooms}
        if added and before.version:
            await self.start(added)
        for hook in self.on_catalog_change:
            await hook()
        return True

    async def start(self, room_ids: set[str] | None = None) -> None:
        """Write each room's starting runtime unless another process already did."""
        for room in self.core.catalog.rooms:
            if room_ids is not None and room.id not in room_ids:
                continue
            async with self.core.store.room_lock(room.id):
                if await self.core.store.get_runtime(room.id) is None:
                    await self.core.store.put_runtime(room.id, self.core.initial_runtime(room))

    async def revoke_facilitator(self, name: str) -> None:
        """End every session of facilitator `name` at once, on every process (their
        tokens from before now are refused wherever a token is checked)."""
        await self.core.revoke_facilitator(name)

    def upcoming(self, days: int = 7) -> list[dict[str, object]]:
        """Every scheduled meeting in the next `days` (UTC times; pages show local time)."""
        now = datetime.fromtimestamp(self.core.clock(), UTC)
        out: list[dict[str, object]] = []
        for room in self.core.catalog.rooms:
            for occurrence in occurrences(room, now, now + timedelta(days=days)):
                out.append({"id": room.id, "title": room.title,
                            "starts_at": iso_utc(occurrence.starts_at.timestamp()),
                            "ends_at": iso_utc(occurrence.ends_at.timestamp()),
                            "doors_at": iso_utc(occurrence.doors_at.timestamp()),
                            "timezone": room.timezone})
        return sorted(out, key=lambda item: str(item["starts_at"]))

    async def listing(self) -> list[dict[str, object]]:
        """What `/api/rooms` and the schedule page show."""
        out: list[dict[str, object]] = []
        for room in self.core.catalog.rooms:
            runtime = await self.core.runtime(room)
            out.append({
                "id": room.id, "title": room.title, "kind": room.kind,
                "status": runtime.status, "members": await self.core.store.member_count(room.id),
                "next_start": next_start_iso(room, self.core.clock()),
                "timezone": room.timezone,
            })
        return out
