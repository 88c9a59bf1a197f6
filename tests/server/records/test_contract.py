"""One contract, two databases: SQLite and PostgreSQL keep records the same way."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Mapping
from typing import Any

import pytest

from moderation.audit import RETENTION_S, AuditEntry, new_entry
from server.models.live import Ban
from server.records.base import Declared, RecordConflict, RecordInUse, RecordMissing
from server.records.rows import stamp
from server.records.sql import SqlRecords

NOW = time.time()
ROOM = {"id": "open-circle", "title": "Open Circle", "kind": "drop-in"}


def entry(action: str = "room.create", target: str = "r", at: float = NOW,
          entry_id: str | None = None) -> AuditEntry:
    return new_entry(entry_id=entry_id or secrets.token_hex(6), now=at, actor="Sam",
                     action=action, target=target)


async def test_provisioned_records_are_marked_config_and_read_only(records: SqlRecords) -> None:
    await records.provision(Declared(rooms=[("open-circle", ROOM)],
                                     facilitators=[("Sam", "scrypt$h", True)]), NOW)
    snap = await records.snapshot()
    assert snap.rooms["open-circle"].source == "config"
    assert snap.rooms["open-circle"].data == ROOM
    assert snap.facilitators["Sam"].admin and snap.facilitators["Sam"].source == "config"
    with pytest.raises(RecordConflict) as put:
        await records.replace_document("rooms", "open-circle", ROOM, None, entry("room.update"))
    assert put.value.code == "provisioned"
    with pytest.raises(RecordConflict) as gone:
        await records.delete_document("rooms", "open-circle", entry("room.delete"))
    assert gone.value.code == "provisioned"
    with pytest.raises(RecordConflict):
        await records.delete_facilitator("Sam", entry("facilitator.delete", "Sam"), unchanged)
    assert "open-circle" in (await records.snapshot()).rooms


async def test_provision_again_changes_only_what_changed(records: SqlRecords) -> None:
    declared = Declared(rooms=[("a", {**ROOM, "id": "a"}), ("b", {**ROOM, "id": "b"})])
    await records.provision(declared, NOW)
    first = await records.snapshot()
    await records.provision(declared, NOW + 10)
    again = await records.snapshot()
    assert again.version == first.version  # nothing changed: no new version
    assert again.rooms["a"].updated_at == first.rooms["a"].updated_at
    await records.provision(Declared(rooms=[("a", {**ROOM, "id": "a", "title": "New"})]),
                            NOW + 20)
    later = await records.snapshot()
    assert later.version > again.version
    assert set(later.rooms) == {"a"}  # b left the file: gone
    assert later.rooms["a"].updated_at > first.rooms["a"].updated_at


async def test_console_records_survive_provisioning(records: SqlRecords) -> None:
    await records.create_document("rooms", "mine", {**ROOM, "id": "mine"}, entry())
    await records.provision(Declared(rooms=[("a", {**ROOM, "id": "a"})]), NOW)
    snap = await records.snapshot()
    assert snap.rooms["mine"].source == "console" and snap.rooms["a"].source == "config"


async def test_create_twice_is_exists(records: SqlRecords) -> None:
    await records.create_document("rooms", "r", ROOM, entry())
    with pytest.raises(RecordConflict) as twice:
        await records.create_document("rooms", "r", ROOM, entry(entry_id="second"))
    assert twice.value.code == "exists"
    # The refused write left no audit entry behind: one transaction.
    assert [e.action for e in await records.audit(None, NOW)] == ["room.create"]


async def test_replace_checks_the_edit_time(records: SqlRecords) -> None:
    created = await records.create_document("rooms", "r", ROOM, entry())
    edited = await records.replace_document("rooms", "r", {**ROOM, "title": "Two"},
                                            created.updated_at, entry("room.update", at=NOW))
    assert edited.updated_at > created.updated_at  # even within the same millisecond
    with pytest.raises(RecordConflict) as stale:
        await records.replace_document("rooms", "r", {**ROOM, "title": "Three"},
                                       created.updated_at, entry("room.update", at=NOW + 1))
    assert stale.value.code == "stale"
    snap = await records.snapshot()
    assert snap.rooms["r"].data["title"] == "Two"
    with pytest.raises(RecordMissing):
        await records.replace_document("rooms", "nope", ROOM, None, entry("room.update"))


async def test_every_write_raises_the_version(records: SqlRecords) -> None:
    v0 = await records.version()
    await records.create_document("formats", "f", {"phases": [{"name": "a"}]}, entry())
    v1 = await records.version()
    await records.delete_document("formats", "f", entry("format.delete"))
    assert v0 < v1 < await records.version()


async def test_resources_upsert(records: SqlRecords) -> None:
    items = {"items": [{"name": "Line", "contact": "Call 1"}]}
    stored = await records.replace_document("resources", "all", items, None,
                                            entry("resources.update"), upsert=True)
    assert (await records.snapshot()).resources == stored


async def test_invite_is_used_once_and_expires(records: SqlRecords) -> None:
    await records.invite_facilitator("Robin", False, "h1", NOW + 86400, entry("invite", "Robin"))
    invited = (await records.snapshot()).facilitators["Robin"]
    assert invited.passphrase_hash is None and invited.source == "console"
    assert (await records.invite_of("h1", NOW)) is not None
    assert await records.invite_of("h1", NOW + 86401) is None
    assert await records.accept_invite("h1", "scrypt$x", NOW + 86401) is None  # expired
    accepted = await records.accept_invite("h1", "scrypt$x", NOW + 5)
    assert accepted is not None and accepted.passphrase_hash == "scrypt$x"
    assert await records.accept_invite("h1", "scrypt$y", NOW + 6) is None  # used
    with pytest.raises(RecordConflict):
        await records.invite_facilitator("Robin", False, "h2", NOW + 86400,
                                         entry("invite", "Robin", entry_id="again"))


async def test_delete_and_revoke_facilitator(records: SqlRecords) -> None:
    await records.invite_facilitator("Robin", True, "h1", NOW + 60, entry("invite", "Robin"))
    await records.revoke_sessions("Robin", NOW + 100)
    assert (await records.snapshot()).facilitators["Robin"].not_before == NOW + 100
    await records.delete_facilitator("Robin", entry("facilitator.delete", "Robin"), unchanged)
    assert "Robin" not in (await records.snapshot()).facilitators
    with pytest.raises(RecordMissing):
        await records.delete_facilitator("Robin", entry("facilitator.delete", "Robin", NOW + 1),
                                         unchanged)


async def test_deleting_a_facilitator_rewrites_console_rooms_in_the_same_step(
        records: SqlRecords) -> None:
    await records.provision(Declared(rooms=[("config-room", {**ROOM, "id": "config-room"})]),
                            NOW)
    await records.invite_facilitator("Robin", False, "h1", NOW + 60, entry("invite", "Robin"))
    for key in ("hosted", "other"):
        await records.create_document("rooms", key, {**ROOM, "id": key}, entry(target=key))
    before = await records.snapshot()
    seen: list[str] = []

    def rewrite(table: Mapping[str, Any]) -> dict[str, Any] | None:
        seen.append(table["id"])
        return {**table, "title": "Rewritten"} if table["id"] == "hosted" else None

    changed = await records.delete_facilitator(
        "Robin", entry("facilitator.delete", "Robin", NOW + 10), rewrite)
    assert changed == ["hosted"]
    assert seen == ["hosted", "other"]  # console rooms only, in key order
    after = await records.snapshot()
    assert after.rooms["hosted"].data["title"] == "Rewritten"
    assert after.rooms["hosted"].revision == before.rooms["hosted"].revision + 1
    assert after.rooms["hosted"].updated_at > before.rooms["hosted"].updated_at
    assert after.rooms["other"] == before.rooms["other"]
    assert after.rooms["config-room"] == before.rooms["config-room"]
    audit = await records.audit(None, NOW + 20)
    assert [e.detail for e in audit if e.action == "facilitator.delete"] == [
        {"rooms": ["hosted"]}]


async def test_a_delete_is_refused_while_a_room_uses_the_record(records: SqlRecords) -> None:
    await records.provision(Declared(rooms=[("from-file", {**ROOM, "id": "from-file",
                                                            "format": "steps"})]), NOW)
    await records.replace_document("formats", "steps", {"share_minutes": 3}, None,
                                   entry("format.update", "steps"), upsert=True)
    await records.create_document("rooms", "console-room",
                                  {**ROOM, "id": "console-room", "format": "steps"},
                                  entry(target="console-room"))

    def uses_steps(room: Mapping[str, Any]) -> bool:
        return room.get("format") == "steps"

    with pytest.raises(RecordInUse) as refused:
        await records.delete_document("formats", "steps", entry("format.delete", "steps"),
                                      used_by=uses_steps)
    assert refused.value.rooms == ["console-room", "from-file"]  # config rooms count too
    assert "steps" in (await records.snapshot()).formats
    assert [e.action for e in await records.audit(None, NOW + 1)
            if e.action == "format.delete"] == []
    await records.delete_document("formats", "steps", entry("format.delete", "steps"),
                                  used_by=lambda room: False)
    assert "steps" not in (await records.snapshot()).formats


async def test_a_room_naming_someone_no_longer_a_facilitator_is_refused(
        records: SqlRecords) -> None:
    # Written from a catalog read before the person was deleted on another process:
    # stored, the room would name nobody and fail its own check on the next load.
    await records.invite_facilitator("Robin", False, "h1", NOW + 60, entry("invite", "Robin"))
    hosted = {**ROOM, "id": "hosted", "hosts": ["Robin"]}
    await records.create_document("rooms", "hosted", hosted, entry(target="hosted"),
                                  people=["Robin"])
    await records.delete_facilitator("Robin", entry("facilitator.delete", "Robin", NOW + 1),
                                     unchanged)
    with pytest.raises(RecordConflict) as created:
        await records.create_document("rooms", "late", {**hosted, "id": "late"},
                                      entry(target="late", at=NOW + 2), people=["Robin"])
    assert created.value.code == "stale"
    with pytest.raises(RecordConflict) as replaced:
        await records.replace_document("rooms", "hosted", hosted, None,
                                       entry("room.update", "hosted", NOW + 3),
                                       people=["Robin"])
    assert replaced.value.code == "stale"
    snapshot = await records.snapshot()
    assert "late" not in snapshot.rooms
    assert snapshot.rooms["hosted"].revision == 0  # nothing written by the refusals


def unchanged(table: Mapping[str, Any]) -> None:
    return None


async def test_bans(records: SqlRecords) -> None:
    room_ban = Ban("b1", "r", "dev", "River", NOW + 60, "spam", "Sam")
    site_ban = Ban("b2", None, "dev2", "Lake", None, None, "Sam")
    other = Ban("b3", "other", "dev3", "Hill", None, None, "Sam")
    for ban in (room_ban, site_ban, other):
        await records.add_ban(ban, NOW)
    assert {b.ban_id for b in await records.bans("r", NOW)} == {"b1", "b2"}
    assert {b.ban_id for b in await records.bans("r", NOW + 61)} == {"b2"}
    assert {b.ban_id for b in await records.bans("anywhere", NOW)} == {"b2"}
    assert await records.remove_ban("b1") == room_ban
    assert await records.remove_ban("b1") is None


async def test_audit_newest_first_per_room_and_kept_thirty_days(records: SqlRecords) -> None:
    old = new_entry(entry_id="e1", now=NOW - RETENTION_S - 1, actor="Sam", action="mute")
    first = new_entry(entry_id="e2", now=NOW - 5, actor="Sam", action="lock",
                      detail={"locked": True})
    second = new_entry(entry_id="e3", now=NOW, actor="Sam", action="ban", target="m1",
                       reason="spam", detail={"days": None, "scope": "room"})
    for each in (old, first, second):
        await records.add_audit("r", each)
    await records.add_audit("elsewhere", new_entry(entry_id="e4", now=NOW, actor="A",
                                                   action="pin"))
    assert await records.audit("r", NOW) == [second, first]
    assert await records.audit(None, NOW) == []  # the site's entries are apart
    assert await records.prune(NOW) == 1


async def test_prune_drops_ended_bans(records: SqlRecords) -> None:
    await records.add_ban(Ban("b1", "r", "dev", "River", NOW + 1, None, "Sam"), NOW)
    await records.add_ban(Ban("b2", "r", "dev", "River", None, None, "Sam"), NOW)
    await records.prune(NOW + 2)
    assert await records.remove_ban("b1") is None
    assert await records.remove_ban("b2") is not None


async def test_concurrent_edits_one_wins(records: SqlRecords) -> None:
    created = await records.create_document("rooms", "r", ROOM, entry())
    results = await asyncio.gather(
        *(records.replace_document("rooms", "r", {**ROOM, "title": f"T{i}"},
                                   created.updated_at,
                                   entry("room.update", at=NOW + i, entry_id=f"u{i}"))
          for i in range(4)), return_exceptions=True)
    wins = [r for r in results if not isinstance(r, BaseException)]
    assert len(wins) == 1
    assert all(isinstance(r, RecordConflict) and r.code == "stale"
               for r in results if isinstance(r, BaseException))


def test_stamp_is_whole_milliseconds_and_rises() -> None:
    assert stamp(1.0004) == 1.0
    assert stamp(1.0004, previous=1.0) == 1.001
