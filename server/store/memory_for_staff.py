"""What a facilitator arriving late or reloading must still see, in one process: held
messages waiting for approval and the room's recent alerts.

Both quote what a member wrote, so both live no longer than the replay buffer and no
more of them than it holds (as in Redis, where their keys expire with the buffer).
Alerts past that many drop the oldest; held messages never do: a full room refuses
the next message to be held instead.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from server.models.live import Alert, HeldMessage


class _Kept(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def ts(self) -> float: ...


_K = TypeVar("_K", bound=_Kept)


def trim_kept(kept: dict[str, dict[str, _K]], room_id: str, now: float, *, most: int,
              seconds: float) -> None:
    """Drop a room's oldest entries past `most` or older than `seconds`; an empty room's
    map goes. Entries are in arrival order, so the front is always the oldest."""
    entries = kept.get(room_id)
    if entries is None:
        return
    while entries:
        oldest = next(iter(entries.values()))
        if len(entries) <= most and oldest.ts >= now - seconds:
            break
        del entries[oldest.id]
    if not entries:
        del kept[room_id]


def in_order(every: list[Alert], crisis: list[Alert]) -> list[Alert]:
    """The alerts kept, oldest first: the crisis alerts the list of every alert no longer
    holds went out before anything it still holds (it drops from the front)."""
    held = {alert.id for alert in every}
    return [*(alert for alert in crisis if alert.id not in held), *every]


class MemoryForStaff:
    _buffer_messages: int
    _buffer_seconds: int
    _held: dict[str, dict[str, HeldMessage]]
    _alerts: dict[str, dict[str, Alert]]
    # Crisis alerts once more, apart, so no flood of reports or PII alerts pushes one
    # out of a late facilitator's view; each map has the buffer's cap.
    _crisis_alerts: dict[str, dict[str, Alert]]

    def _trim_for_staff(self, room_id: str, now: float) -> None:
        most, seconds = self._buffer_messages, self._buffer_seconds
        trim_kept(self._held, room_id, now, most=most, seconds=seconds)
        trim_kept(self._alerts, room_id, now, most=most, seconds=seconds)
        trim_kept(self._crisis_alerts, room_id, now, most=most, seconds=seconds)

    async def hold_message(self, held: HeldMessage) -> float:
        # As Redis's HOLD script: a room holding as many as the buffer refuses the new
        # message rather than drop an earlier one, which is another member's words
        # waiting for staff (its writer would never hear it was lost). Only what has
        # lapsed (staff no longer see it) makes room. No await: one atomic step.
        now, seconds = held.ts, self._buffer_seconds
        waiting = self._held.get(held.room, {})
        if len(waiting) >= self._buffer_messages:
            for lapsed in [h.id for h in waiting.values() if h.ts < now - seconds]:
                del waiting[lapsed]
            if len(waiting) >= self._buffer_messages:
                oldest = min(h.ts for h in waiting.values())
                return max(0.1, oldest + seconds - now)
        self._held.setdefault(held.room, {})[held.id] = held
        self._trim_for_staff(held.room, now)
        return 0.0

    async def take_held(self, room_id: str, held_id: str) -> HeldMessage | None:
        held = self._held.get(room_id)
        return held.pop(held_id, None) if held is not None else None

    async def held_messages(self, room_id: str, now: float) -> list[HeldMessage]:
        self._trim_for_staff(room_id, now)
        return list(self._held.get(room_id, {}).values())

    async def keep_alert(self, alert: Alert) -> None:
        self._alerts.setdefault(alert.room, {})[alert.id] = alert
        if alert.kind == "crisis":
            self._crisis_alerts.setdefault(alert.room, {})[alert.id] = alert
        self._trim_for_staff(alert.room, alert.ts)

    async def alerts(self, room_id: str, now: float) -> list[Alert]:
        self._trim_for_staff(room_id, now)
        return in_order(list(self._alerts.get(room_id, {}).values()),
                        list(self._crisis_alerts.get(room_id, {}).values()))
