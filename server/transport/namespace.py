"""The Socket.IO namespace: parse, call the rooms domain, answer, emit.

Handlers stay thin. Every client event is acknowledged with `{"ok": true, ...}` or
`{"ok": false, "error": {...}}`, and nothing a client sends can raise out of a
handler or drop a well-behaved connection.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import socketio

from moderation.decisions import Denial, bad_request
from moderation.roles import is_staff
from server.models.envelope import ADMIT, DETACH, DISMISS, PROMOTE, Envelope
from server.models.errors import StoreUnavailable
from server.models.live import Member, Waiting
from server.rooms.calls import Refused
from server.rooms.joining import JoinRequest
from server.rooms.lobby import waiting_from_wire
from server.rooms.service import Rooms
from server.transport.address_limit import RefusalWarning, connection_address
from server.transport.metrics import Metrics
from server.transport.open_counts import OpenCounts
from server.transport.payloads import SHAPES, shape_error
from server.transport.security import SESSION_COOKIE
from server.transport.sio_rooms import lobby_name, member_name, room_name, staff_name, waiting_name
from server.transport.socket_seat import RECONNECT, SocketSeat, SocketSession

log = logging.getLogger(__name__)

Handler = Callable[["SocketSession"], Awaitable[dict[str, Any]]]
_UNAVAILABLE = Denial("unavailable", "We can't reach the message store right now, so your "
                      "message was not sent. Please try again in a moment.")


class RoomsNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    def __init__(self, rooms: Rooms, metrics: Metrics, namespace: str = "/") -> None:
        super().__init__(namespace)
        self.rooms = rooms
        self.metrics = metrics
        self.sessions: dict[str, SocketSession] = {}
        self._per_device = OpenCounts()
        self._per_address = OpenCounts()
        self._refusals = RefusalWarning()
        self._closing: set[asyncio.Task[None]] = set()
        rooms.on_catalog_change.append(self.recheck_staff)

    # -- connection ---------------------------------------------------------------
    async def on_connect(self, sid: str, environ: dict[str, Any], auth: object = None) -> None:
        rooms = self.rooms
        auth = auth if isinstance(auth, dict) else {}
        facilitator = None
        token = auth.get("token")
        if token is not None:
            facilitator = await rooms.facilitator_of(token)
            if facilitator is None:
                raise socketio.exceptions.ConnectionRefusedError("auth_failed")
        else:
            # The browser's login cookie; an expired one just means "not logged in".
            request = environ.get("aiohttp.request")
            token = request.cookies.get(SESSION_COOKIE) if request is not None else None
            facilitator = await rooms.facilitator_of(token)

        if not self._still_open(sid):
            # Gone while the token was checked: python-socketio calls no on_disconnect
            # for a connection still connecting, so nothing may be counted for it.
            raise socketio.exceptions.ConnectionRefusedError("gone")
        device = rooms.device(auth.get("device"))
        if self._per_device[device.device_hash] >= rooms.connections_per_device:
            raise socketio.exceptions.ConnectionRefusedError("too_many_connections")
        # A fresh device is one `auth` away, so one machine is held by its address too.
        # Staff signed in are not: they must reach a room that a flood is filling.
        address = None
        if facilitator is None:
            address = connection_address(environ)
            if self._per_address[address] >= rooms.connections_per_address:
                self._refusals.refused(rooms.connections_per_address)
                raise socketio.exceptions.ConnectionRefusedError("too_many_connections")
            self._per_address[address] += 1
        self._per_device[device.device_hash] += 1
        self.sessions[sid] = SocketSession(device.device_hash, facilitator,
                                           token if facilitator is not None else None,
                                           address=address)
        self.metrics.connections.inc()
        if device.new_token is not None:
            await self.emit("welcome", {"device": device.new_token}, to=sid)

    def _still_open(self, sid: str) -> bool:
        eio_sid = self.server.manager.eio_sid_from_sid(sid, self.namespace)
        socket = self.server.eio.sockets.get(eio_sid) if eio_sid is not None else None
        return socket is not None and not socket.closed and not socket.closing

    async def recheck_staff(self) -> None:
        """After a records change: a facilitator deleted or revoked anywhere loses
        every socket here at once, not at their next event."""
        for sid, session in list(self.sessions.items()):
            if session.facilitator is None:
                continue
            if await self.rooms.facilitator_of(session.token) is None:
                log.info("staff session ended by an admin; closing its connection")
                await self.disconnect(sid)

    async def on_disconnect(self, sid: str, *reason: object) -> None:
        session = self.sessions.pop(sid, None)
        if session is None:
            return
        self.metrics.connections.dec()
        self._per_device.release(session.device_hash)
        if session.address is not None:
            self._per_address.release(session.address)
        waiting = dict(session.waiting)
        memberships = dict(session.memberships)
        for room_id in waiting:
            await self._leave_lobby(sid, session, room_id, forget=False)
        for room_id in memberships:
            await self._release(sid, session, room_id)
        # A membership another socket here resumed while this one lingered (a phone
        # that changed networks: the old socket goes at its ping timeout, after the
        # resume) goes on with that socket; only the last socket to hold it ends it.
        ended = {room_id: member_id for room_id, member_id in memberships.items()
                 if not self._held_by_a_socket(room_id, member_id)}
        await self.rooms.disconnected(ended, waiting)

    async def trigger_event(self, event: str, *args: Any) -> Any:
        # `connect` and `disconnect` reach here only from the server itself:
        # GuardedServer answers a client that emits them.
        if event in SHAPES:  # each is an `on_<event>` coroutine of this class
            return await getattr(self, "on_" + event)(*args)
        if event in ("connect", "disconnect"):
            return await super().trigger_event(event, *args)
        return _failure(bad_request("Unknown event."))

    # -- client events ------------------------------------------------------------
    async def on_join(self, sid: str, payload: object = None, *_: object) -> dict[str, Any]:
        async def run(session: SocketSession) -> dict[str, Any]:
            request = JoinRequest.parse(payload)
            previous = session.memberships.get(request.room)
            if previous is not None:
                # Already in: answer the same membership again; nothing changes.
                answer = await self.rooms.joining.current(request.room, previous)
                if answer is not None:
                    return answer
                await self._release(sid, session, request.room)
            await self._leave_lobby(sid, session, request.room)
            return await self.rooms.joining.join(session.caller, request,
                                                 SocketSeat(self, sid, session))

        return await self._answer(sid, "join", payload, run)

    async def _wait(self, sid: str, session: SocketSession, waiting: Waiting) -> None:
        session.waiting[waiting.room] = waiting.id
        await self.enter_room(sid, lobby_name(waiting.room))
        await self.enter_room(sid, waiting_name(waiting.room, waiting.id))

    async def _leave_lobby(self, sid: str, session: SocketSession, room_id: str, *,
                           forget: bool = True) -> None:
        waiting_id = session.waiting.pop(room_id, None)
        if waiting_id is None:
            return
        await self.leave_room(sid, lobby_name(room_id))
        await self.leave_room(sid, waiting_name(room_id, waiting_id))
        await self.rooms.released(room_id)
        if forget:
            await self.rooms.lobby.leave(room_id, waiting_id)

    async def _attach(self, sid: str, session: SocketSession, member: Member) -> None:
        session.memberships[member.room] = member.id
        await self.enter_room(sid, room_name(member.room))
        await self.enter_room(sid, member_name(member.room, member.id))
        if is_staff(member.role):
            await self.enter_room(sid, staff_name(member.room))

    async def on_leave(self, sid: str, payload: object = None, *_: object) -> dict[str, Any]:
        async def run(session: SocketSession) -> dict[str, Any]:
            room = payload.get("room") if isinstance(payload, dict) else None
            member_id = session.memberships.get(room) if isinstance(room, str) else None
            if isinstance(room, str):
                await self._leave_lobby(sid, session, room)
            if member_id is not None and isinstance(room, str):
                await self._release(sid, session, room)
            await self.rooms.joining.leave(room, member_id)
            return {}

        return await self._answer(sid, "leave", payload, run)

    async def on_send(self, sid: str, payload: object = None, *_: object) -> dict[str, Any]:
        async def run(session: SocketSession) -> dict[str, Any]:
            if isinstance(payload, dict) and payload.get("to") is not None:
                # A reply on a private check-in line, never a room message.
                return await self.rooms.private.reply(payload, _member_of(session, payload))
            answer = await self.rooms.posting.send(payload, _member_of(session, payload))
            self.metrics.messages.inc()
            return answer

        return await self._answer(sid, "send", payload, run, unavailable=_UNAVAILABLE)

    async def on_hand(self, sid: str, payload: object = None, *_: object) -> dict[str, Any]:
        async def run(session: SocketSession) -> dict[str, Any]:
            return await self.rooms.posting.hand(payload, _member_of(session, payload))

        return await self._answer(sid, "hand", payload, run)

    async def on_report(self, sid: str, payload: object = None, *_: object) -> dict[str, Any]:
        async def run(session: SocketSession) -> dict[str, Any]:
            return await self.rooms.posting.report(payload, _member_of(session, payload))

        return await self._answer(sid, "report", payload, run)

    async def on_mod(self, sid: str, payload: object = None, *_: object) -> dict[str, Any]:
        async def run(session: SocketSession) -> dict[str, Any]:
            answer = await self.rooms.moderating.act(session.caller, payload,
                                                     _member_of(session, payload))
            if isinstance(payload, dict):
                self.metrics.moderation.labels(action=str(payload.get("action"))).inc()
            return answer

        return await self._answer(sid, "mod", payload, run)

    async def _answer(self, sid: str, event: str, payload: object, run: Handler,
                      unavailable: Denial | None = None) -> dict[str, Any]:
        """Run one client event and turn its outcome into the acknowledgement."""
        wrong = shape_error(event, payload)
        if wrong is not None:
            return _failure(wrong)
        session = self.sessions.get(sid)
        if session is None:
            return _failure(RECONNECT)
        if session.facilitator is not None and \
                await self.rooms.facilitator_of(session.token) is None:
            # Logged out or revoked since connecting: staff powers end with the session.
            # The disconnect waits for this answer to go out first.
            self._closing.add(task := asyncio.create_task(self.disconnect(sid)))
            task.add_done_callback(self._closing.discard)
            return _failure(Denial("auth_failed", "Your session has ended. Please sign in."))
        try:
            return {"ok": True, **(await run(session))}
        except Refused as refused:
            return {**_failure(refused.denial), **refused.extra}
        except StoreUnavailable:
            return _failure(unavailable or Denial(
                "unavailable", "The service is briefly unavailable. Please try again."))
        except Exception:
            # Never let one bad event take the connection down; log the kind, never
            # the payload (it may hold someone's words).
            log.exception("handler failed")
            return _failure(Denial("internal", "Something went wrong on our side."))

    # -- delivery from the bus ------------------------------------------------------
    async def deliver(self, envelope: Envelope) -> None:
        """The bus's sink: emit to local sockets, or do local socket work."""
        if envelope.to == "member":
            assert envelope.member_id is not None
            channel = member_name(envelope.room, envelope.member_id)
        elif envelope.to == "staff":
            channel = staff_name(envelope.room)
        elif envelope.to == "lobby":
            channel = lobby_name(envelope.room)
        elif envelope.to == "waiting":
            assert envelope.member_id is not None
            channel = waiting_name(envelope.room, envelope.member_id)
        else:
            channel = room_name(envelope.room)
        if envelope.packet is not None:
            # Encoded once by the process that published it: sent as it came.
            await self.server.manager.broadcast(envelope.packet, self.namespace, channel)
            return
        if not envelope.is_control:
            # Straight to the manager (it encodes once): the server's and the
            # namespace's emit add only a log line and two awaits per message.
            await self.server.manager.emit(envelope.event, envelope.data, self.namespace,
                                           room=channel)
            return
        sids = [sid for sid, _ in self.server.manager.get_participants(self.namespace, channel)]
        for sid in sids:
            session = self.sessions.get(sid)
            if envelope.event == PROMOTE:
                await self.enter_room(sid, staff_name(envelope.room))
            elif envelope.event == ADMIT and session is not None:
                # In the bus's order, as every control event: `joined` reaches the
                # socket before anything delivered after it (a message, a DETACH). The
                # seat's room lock is queued in this process first (`RedisStore`), so
                # the listener waits for the seats ahead of it, not for Redis polls.
                await self._admitted(sid, session, waiting_from_wire(envelope.data))
            elif envelope.event == DISMISS and session is not None:
                await self._sent_away(sid, session, envelope.room,
                                      banned=bool(envelope.data.get("banned")))
            elif envelope.event == DETACH and session is not None:
                await self._release(sid, session, envelope.room)
                if envelope.data.get("disconnect") and not session.memberships:
                    await self.disconnect(sid)

    async def _admitted(self, sid: str, session: SocketSession, person: Waiting) -> None:
        try:
            answer = await self.rooms.joining.admitted(person, SocketSeat(self, sid, session))
        except Refused as refused:
            if refused.denial.code in ("not_found", RECONNECT.code):
                return  # the socket went, left the lobby or joined meanwhile: nothing to do
            if refused.denial.code in ("closed", "banned"):
                # Nothing to wait for any more (a closed room's `room_state` has
                # reached them in the lobby already).
                await self._sent_away(sid, session, person.room,
                                      banned=refused.denial.code == "banned")
                return
            log.warning("could not seat an admitted person; they wait again")
            await self._put_back(person)
            return
        except StoreUnavailable:
            # They stay in the lobby (their socket never left it) and staff see them
            # waiting again, rather than being dropped without a word.
            log.warning("could not seat an admitted person; they wait again")
            await self._put_back(person)
            return
        except Exception:
            log.exception("seating an admitted person failed; they wait again")
            await self._put_back(person)
            return
        await self._leave_lobby(sid, session, person.room, forget=False)
        await self.emit("admitted", {"room": person.room}, to=sid)
        await self.emit("joined", answer, to=sid)

    async def _sent_away(self, sid: str, session: SocketSession, room_id: str, *,
                         banned: bool) -> None:
        """The socket leaves the lobby; one banned is told so."""
        await self._leave_lobby(sid, session, room_id, forget=False)
        if banned:
            await self.emit("moderated", {"room": room_id, "action": "banned"}, to=sid)

    async def _put_back(self, person: Waiting) -> None:
        try:
            await self.rooms.lobby.put_back(person)
        except (Refused, StoreUnavailable):
            log.warning("could not put an admitted person back in the lobby")

    async def _release(self, sid: str, session: SocketSession, room_id: str) -> None:
        """Take one socket out of a room here (idempotent): channels, session, hosting."""
        member_id = session.memberships.pop(room_id, None)
        if member_id is None:
            return
        for name in (room_name(room_id), staff_name(room_id),
                     member_name(room_id, member_id)):
            await self.leave_room(sid, name)
        held = self._held_by_a_socket(room_id, member_id)
        await self.rooms.released(room_id, None if held else member_id)

    def _held_by_a_socket(self, room_id: str, member_id: str) -> bool:
        """Whether a socket here is still seated as this member (each is in the
        membership's own channel while it holds it)."""
        channel = member_name(room_id, member_id)
        return next(iter(self.server.manager.get_participants(self.namespace, channel)),
                    None) is not None


def _member_of(session: SocketSession, payload: object) -> str | None:
    room = payload.get("room") if isinstance(payload, dict) else None
    return session.memberships.get(room) if isinstance(room, str) else None


def _failure(denial: Denial) -> dict[str, Any]:
    return {"ok": False, "error": denial.to_wire()}
