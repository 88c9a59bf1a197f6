"""`Rooms`: the domain's front door, one object per process."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from moderation.timefmt import iso_utc
from server.bus.base import Bus
from server.config.settings import Settings
from server.rooms.core import RoomCore
from server.rooms.joining import Joining
from server.rooms.liveness import Liveness
from server.rooms.lobby import Lobby
from server.rooms.logins import Logins
from server.rooms.meetings import Meetings
from server.rooms.moderating import Moderating
from server.rooms.posting import Posting
from server.rooms.schedule import next_start_iso, occurrences
from server.rooms.scheduler import Scheduler
from server.rooms.tokens import Tokens
from server.store.base import Store


class Rooms:
    def __init__(self, *, settings: Settings, store: Store, bus: Bus, tokens: Tokens,
                 clock: Callable[[], float], process_id: str) -> None:
        self.core = RoomCore(settings=settings, store=store, bus=bus, tokens=tokens,
                             clock=clock, process_id=process_id)
        self.lobby = Lobby(self.core)
        self.joining = Joining(self.core, self.lobby)
        self.posting = Posting(self.core)
        self.meetings = Meetings(self.core, self.lobby)
        self.moderating = Moderating(self.core, self.posting, self.meetings)
        self.liveness = Liveness(self.core, self.lobby)
        self.scheduler = Scheduler(self.core, self.meetings)
        self.logins = Logins(settings, clock)

    async def start(self) -> None:
        """Write each room's starting runtime unless another process already did."""
        for room in self.core.settings.rooms:
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
        for room in self.core.settings.rooms:
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
        for room in self.core.settings.rooms:
            runtime = await self.core.runtime(room)
            out.append({
                "id": room.id, "title": room.title, "kind": room.kind,
                "status": runtime.status, "members": await self.core.store.member_count(room.id),
                "next_start": next_start_iso(room, self.core.clock()),
                "timezone": room.timezone,
            })
        return out
