"""The hub: runs the switchboard's effects on real connections.

Frames come in from the WebSocket handlers as text, pass the one decoder in
:mod:`helpline.wire`, become calls on the sans-I/O
:class:`~helpline.core.switchboard.Switchboard`, and the effects it returns are
carried out here: frames queued on connections (never awaited), connections
closed, statistics rows handed to a background writer.

Two small interfaces keep the door open for several server processes later:
:class:`Delivery` (how a frame reaches a connection; in-process here, a Redis
fan-out later) and the switchboard itself (queue state; in-process here).

The relay hot path (``relay`` and ``ack`` frames) does no I/O, no database work
and never parses a payload: decode the envelope (``wire.decode_*_fast``: one
regex and an alphabet check, no JSON parser, for the canonical frames our
clients send), check sequence numbers, queue a string on the receiver's
connection; :class:`~helpline.web.connection.Outgoing` writes each
connection's frames of the loop's turn in one system call.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Protocol

from aiohttp import web
from aiohttp.abc import AbstractStreamWriter

from helpline import wire
from helpline.config import Config
from helpline.core import hours
from helpline.core.effects import (
    ChatClosed,
    CloseConnection,
    ConnId,
    Deliver,
    Delivered,
    Effect,
    RecordChat,
)
from helpline.core.feedback import MemoryTickets, TicketStore
from helpline.core.participants import CoreSettings
from helpline.core.ratelimit import TokenBucket
from helpline.core.staff import StaffAccount
from helpline.core.switchboard import Switchboard
from helpline.errors import AbuseError, ConfigError, ProtocolError, StoreError
from helpline.service import Service, default_service
from helpline.store.engine import Database
from helpline.web.connection import (
    CLOSE_FLOODING,
    CLOSE_TOO_MANY_ERRORS,
    Connection,
    Outgoing,
)
from helpline.web.encode import SEEKER, STAFF, encode_effect
from helpline.web.stats_writer import StatsWriter

log = logging.getLogger(__name__)

TICK_S = 0.25  # the core's clock: timers, position passes (at most 1,000 updates a tick)
CLOSE_SIGNED_OUT = 4001
CLOSE_NO_JOIN = 4012


class Delivery(Protocol):
    """How frames reach connections. In-process now; across nodes later."""

    def send(self, conn: ConnId, text: str) -> None: ...

    def close(self, conn: ConnId, code: int, reason: str) -> None: ...


def core_settings(config: Config, languages: tuple[str, ...] | None = None) -> CoreSettings:
    """The core's settings; ``languages``: the queues (default ``config.languages``)."""
    return CoreSettings(
        languages=config.languages if languages is None else languages,
        fallback_after_s=config.fallback_after_s,
        offer_timeout_s=config.offer_timeout_s,
        position_interval_s=config.position_interval_s,
        resume_grace_s=config.resume_grace_s,
        max_capacity=config.max_capacity,
        max_waiting=config.max_waiting,
        window_frames=config.window_frames,
        window_bytes=config.window_bytes,
        wrap_up_s=config.wrap_up_s,
    )


#: Why an account may not take chats now (None: it may): ``(account_id, now) -> reason``.
ChatGate = Callable[[int, float], str | None]


class Hub:
    """Connections, frames in, effects out.

    ``chat_gate``, when set, is asked before a counsellor goes ``available``:
    an account whose identity key is missing, uncertified, expired or revoked
    cannot take chats (docs/protocol.md §2.5 ``not_allowed``).

    ``service`` (the service settings, :mod:`helpline.service`) decides when queues
    are open: a ``join`` for a closed queue is refused with ``queue_closed`` and a
    closed fallback is ignored, by the hub's clock (the wall clock). Seekers already
    waiting when a queue closes stay and are served. A ``join`` without a fallback
    gets the queue's configured one. When the service asks for feedback, every
    seeker's ``chat_ended`` carries a ticket from ``tickets``. The settings change
    at run time (:meth:`set_service`); ``service_check``, when set, is awaited in
    the session loop to notice a change made by another process.
    """

    def __init__(
        self,
        config: Config,
        database: Database,
        clock: Callable[[], float] = time.time,
        chat_gate: ChatGate | None = None,
        service: Service | None = None,
        tickets: TicketStore | None = None,
    ) -> None:
        self.config = config
        self.database = database
        self.clock = clock
        self.service = (
            default_service(config.languages, config.outcomes) if service is None else service
        )
        self.tickets: TicketStore = MemoryTickets() if tickets is None else tickets
        self.switchboard = Switchboard(core_settings(config, tuple(self.service.queues)))
        self.service_check: Callable[[], Awaitable[None]] | None = None
        self._max_payload_bytes = config.max_payload_bytes
        # Frames queued on connections in this turn of the loop, written at its end.
        self._outgoing = Outgoing()
        self.connections: dict[ConnId, Connection] = {}
        self._seeker_connections = 0
        self.chat_gate = chat_gate
        self._staff_accounts: dict[ConnId, int] = {}
        self._ids = itertools.count(1)
        # Seeker connections not yet past their join deadline, oldest first (expect_join).
        self._unjoined: deque[tuple[float, ConnId]] = deque()
        self._stats = StatsWriter(database)
        self._tasks: list[asyncio.Task[None]] = []

    # -- lifecycle ---------------------------------------------------------------

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._tick_loop(), name="hub-tick"),
            asyncio.create_task(self._stats.run(), name="hub-stats"),
            asyncio.create_task(self._session_loop(), name="hub-sessions"),
        ]

    @property
    def stats_dropped(self) -> int:
        """Statistics rows dropped because the writer fell too far behind."""
        return self._stats.dropped

    def close_all(self) -> None:
        """Close every connection (1001) after what is queued on it."""
        for conn in list(self.connections.values()):
            conn.close(1001, "server shutting down")

    async def stop(self) -> None:
        self.close_all()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.run(self.switchboard.shutdown(self.clock()))  # the rows of what was cut short
        await self._stats.flush()

    # -- connections ---------------------------------------------------------------

    def open(
        self,
        ws: web.WebSocketResponse,
        writer: AbstractStreamWriter,
        request: web.Request,
        role: str,
    ) -> Connection:
        """A prepared WebSocket (``writer`` is what ``ws.prepare`` returned) joins the hub."""
        conn_id = next(self._ids)
        conn = Connection(
            conn_id,
            role,
            ws,
            writer,
            request,
            outgoing=self._outgoing,
            max_frames=self.config.outbox_frames,
            max_bytes=self.config.outbox_bytes,
            flood=TokenBucket(
                self.config.flood_frames_per_s, self.config.flood_burst, self.clock()
            ),
        )
        self.connections[conn_id] = conn
        if role == SEEKER:
            self._seeker_connections += 1
        return conn

    @property
    def seeker_connections(self) -> int:
        return self._seeker_connections

    def expect_join(self, conn: Connection) -> None:
        """A seeker connection that never joins or resumes is closed after the deadline,
        so idle sockets cannot pile up (docs/protocol.md §2.6, 4012).

        One sweep in the tick loop checks them all (:meth:`_close_unjoined`), in order of
        arrival: a tuple per new connection rather than a timer and a closure each.
        """
        deadline = asyncio.get_running_loop().time() + self.config.join_deadline_s
        self._unjoined.append((deadline, conn.id))  # the id: a closed one is not kept alive

    def _close_unjoined(self) -> None:
        """Close (4012) the seeker connections past their join deadline without a
        ``join`` or ``resume``; at most one tick (``TICK_S``) after the deadline."""
        unjoined = self._unjoined
        now = asyncio.get_running_loop().time()
        while unjoined and unjoined[0][0] <= now:
            conn_id = unjoined.popleft()[1]
            conn = self.connections.get(conn_id)
            if conn is not None and not self.switchboard.is_seeker_conn(conn_id):
                conn.close(CLOSE_NO_JOIN, "join or resume first")

    async def closed(self, conn: Connection) -> None:
        if self.connections.pop(conn.id, None) is not None and conn.role == SEEKER:
            self._seeker_connections -= 1
        self._staff_accounts.pop(conn.id, None)
        await conn.finish()
        self.run(self.switchboard.connection_lost(conn.id, self.clock()))

    # Delivery, in-process.
    def send(self, conn: ConnId, text: str) -> None:
        connection = self.connections.get(conn)
        if connection is not None:
            connection.send(text)

    def close(self, conn: ConnId, code: int, reason: str) -> None:
        connection = self.connections.get(conn)
        if connection is not None:
            connection.close(code, reason)

    # -- frames in -----------------------------------------------------------------

    # The relay's hot path: canonical relay and ack frames (nearly all the traffic) are
    # decoded by wire.decode_*_fast into plain tuples and go straight to the core; any
    # other text takes the full decoder. Both answer exactly alike (tests/wire).

    def seeker_text(self, conn: Connection, text: str) -> None:
        if conn.closing:
            return  # replaced or being closed: what it still sends no longer counts
        if not conn.flood.take(self.clock()):
            conn.abort(CLOSE_FLOODING, "flooding")
            return
        fast = wire.decode_seeker_fast(text, max_payload_bytes=self._max_payload_bytes)
        if fast is None:
            self._seeker_text(conn, text)
            return
        chat_id, seq, payload = fast
        try:
            if payload is None:
                effects = self.switchboard.seeker_ack(conn.id, chat_id, seq)
            else:
                effects = self.switchboard.seeker_relay(conn.id, chat_id, seq, payload)
        except ProtocolError as exc:
            self._refused(conn, exc, seq, chat_id)
            return
        self.run(effects)

    def staff_text(self, conn: Connection, text: str) -> None:
        if conn.closing:
            return  # replaced or being closed: what it still sends no longer counts
        if not conn.flood.take(self.clock()):
            conn.abort(CLOSE_FLOODING, "flooding")
            return
        fast = wire.decode_staff_fast(text, max_payload_bytes=self._max_payload_bytes)
        if fast is None:
            self._staff_text(conn, text)
            return
        chat_id, seq, payload = fast
        try:
            if payload is None:
                effects = self.switchboard.counsellor_ack(conn.id, chat_id, seq)
            else:
                effects = self.switchboard.counsellor_relay(conn.id, chat_id, seq, payload)
        except ProtocolError as exc:
            self._refused(conn, exc, seq, chat_id)
            return
        self.run(effects)

    def _seeker_text(self, conn: Connection, text: str) -> None:
        frame: wire.SeekerFrame | None = None
        try:
            frame = wire.decode_seeker_frame(text, max_payload_bytes=self._max_payload_bytes)
            self.run(self._seeker_frame(conn.id, frame))
        except ProtocolError as exc:
            self._refused(conn, exc, *_echo(frame, exc))

    def _staff_text(self, conn: Connection, text: str) -> None:
        frame: wire.StaffFrame | None = None
        try:
            frame = wire.decode_staff_frame(text, max_payload_bytes=self._max_payload_bytes)
            self.run(self._staff_frame(conn.id, frame))
        except ProtocolError as exc:
            self._refused(conn, exc, *_echo(frame, exc))

    def _refused(
        self, conn: Connection, exc: ProtocolError, seq: int | None, chat_id: str | None
    ) -> None:
        if isinstance(exc, AbuseError):
            conn.abort(exc.close_code, exc.message)
        else:
            self.refuse(conn, exc, seq, chat_id)

    def refuse(
        self,
        conn: Connection,
        exc: ProtocolError,
        seq: int | None = None,
        chat_id: str | None = None,
    ) -> None:
        """Answer a refused frame with an error frame; too many of them close the connection."""
        conn.errors += 1
        if conn.errors > self.config.max_errors:
            conn.abort(CLOSE_TOO_MANY_ERRORS, "too many errors")
            return
        if seq is not None and seq < 1:
            seq = None  # an ack of 0 (it acknowledges nothing): error frames echo seqs from 1
        error = wire.ErrorFrame(code=exc.code, message=exc.message, seq=seq, chat_id=chat_id)
        conn.send(error.serialize())

    def _seeker_frame(self, conn: ConnId, frame: wire.SeekerFrame) -> list[Effect]:
        sb = self.switchboard
        if isinstance(frame, wire.SeekerRelay):
            return sb.seeker_relay(conn, frame.chat_id, frame.seq, frame.payload)
        if isinstance(frame, wire.SeekerAck):
            return sb.seeker_ack(conn, frame.chat_id, frame.seq)
        if isinstance(frame, wire.Ping):
            self.send(conn, wire.Pong().serialize())
            return []
        now = self.clock()
        if isinstance(frame, wire.Join):
            fallback = frame.fallback_language
            queue = self.service.queues.get(frame.language)
            if fallback is None and queue is not None:
                fallback = queue.fallback  # the operator's, when the seeker named none
            if not sb.is_seeker_conn(conn):
                if not self._queue_open(frame.language, now):
                    raise ProtocolError("this queue is closed now", code="queue_closed")
                if fallback is not None and not self._queue_open(fallback, now):
                    fallback = None  # a closed fallback is ignored (§2.5 queue_closed)
            return sb.seeker_join(conn, frame.language, fallback, now)
        if isinstance(frame, wire.Resume):
            return sb.seeker_resume(conn, frame.token, now)
        assert isinstance(frame, wire.Leave)
        return sb.seeker_leave(conn, now)

    def set_service(self, service: Service) -> None:
        """New service settings: from now on for every frame; new queues open empty."""
        self.service = service
        for code in service.queues:
            self.switchboard.add_language(code)

    def _queue_open(self, language: str, now: float) -> bool:
        """Whether ``language``'s queue is open now; an unknown one is left to the core
        (``unknown_language``)."""
        queue = self.service.queues.get(language)
        return queue is None or hours.is_open(queue.hours, now)

    def _staff_frame(self, conn: ConnId, frame: wire.StaffFrame) -> list[Effect]:
        sb = self.switchboard
        if isinstance(frame, wire.StaffRelay):
            return sb.counsellor_relay(conn, frame.chat_id, frame.seq, frame.payload)
        if isinstance(frame, wire.StaffAck):
            return sb.counsellor_ack(conn, frame.chat_id, frame.seq)
        if isinstance(frame, wire.Ping):
            self.send(conn, wire.Pong().serialize())
            return []
        now = self.clock()
        if isinstance(frame, wire.SetStatus):
            if frame.status == "available":
                reason = self._refusal(conn, now)
                if reason is not None:
                    raise ProtocolError(reason, code="not_allowed")
            return sb.counsellor_status(conn, frame.status, frame.languages, frame.capacity, now)
        if isinstance(frame, wire.Accept):
            return sb.counsellor_accept(conn, frame.chat_id, now)
        if isinstance(frame, wire.Decline):
            return sb.counsellor_decline(conn, frame.chat_id, now)
        if isinstance(frame, wire.End):
            # A code no longer in the list (a supervisor changed it while the workspace
            # showed the old one) must not keep the chat open: the counsellor's page has
            # already told the seeker it ended. It ends, with no outcome recorded.
            outcome = frame.outcome if frame.outcome in self.service.outcomes else None
            return sb.counsellor_end(conn, frame.chat_id, outcome, now)
        if isinstance(frame, wire.Requeue):
            return sb.counsellor_requeue(conn, frame.chat_id, now)
        if isinstance(frame, wire.TransferTo):
            return sb.counsellor_transfer(
                conn, frame.chat_id, frame.to, frame.seq, frame.payload, now
            )
        if isinstance(frame, wire.TransferLanguage):
            if not self._queue_open(frame.language, now):  # hours, as for join
                raise ProtocolError("that queue is closed now", code="not_allowed")
            return sb.counsellor_transfer_language(conn, frame.chat_id, frame.language, now)
        if isinstance(frame, wire.Block):
            return sb.counsellor_block(conn, frame.chat_id, now)
        assert isinstance(frame, wire.HelpRequest)
        return sb.counsellor_help(conn, frame.on, now)

    def acknowledge_help(self, username: str) -> bool:
        """A supervisor acknowledged ``username``'s help request (§6.4); False: none open."""
        effects = self.switchboard.acknowledge_help(username)
        if effects is None:
            return False
        self.run(effects)
        return True

    def staff_connected(self, conn: Connection, account: StaffAccount) -> None:
        now = self.clock()
        self._staff_accounts[conn.id] = account.id
        # The core offers chats only to accounts the gate allows (a valid key): decided
        # here, before the core can match anyone to this connection.
        allowed = self.chat_gate is None or self.chat_gate(account.id, now) is None
        account = dataclasses.replace(account, can_take_chats=allowed)
        self.run(self.switchboard.counsellor_connect(conn.id, account, now))

    def recheck_staff(self, account_ids: list[int] | None = None) -> None:
        """Tell the core which accounts may take chats now (after a revocation, a new
        certificate, or as time passes certificates expire). None: every known one."""
        if self.chat_gate is None:
            return
        now = self.clock()
        wanted = self.switchboard.counsellor_ids() if account_ids is None else account_ids
        for account_id in wanted:
            allowed = self.chat_gate(account_id, now) is None
            self.run(self.switchboard.counsellor_allowed(account_id, allowed, now))

    def _refusal(self, conn: ConnId, now: float) -> str | None:
        account_id = self._staff_accounts.get(conn)
        if self.chat_gate is None or account_id is None:
            return None
        return self.chat_gate(account_id, now)

    # -- effects out ---------------------------------------------------------------

    def run(self, effects: list[Effect]) -> None:
        connections = self.connections
        for effect in effects:
            if type(effect) is Deliver:
                target = connections.get(effect.conn)
                if target is not None:
                    target.send(wire.relay_text(effect.chat_id, effect.seq, effect.payload))
            elif type(effect) is Delivered:
                target = connections.get(effect.conn)
                if target is not None:
                    target.send(wire.delivered_text(effect.chat_id, effect.seq))
            elif isinstance(effect, CloseConnection):
                self.close(effect.conn, effect.code, effect.reason)
            elif isinstance(effect, RecordChat):
                self._stats.put(effect.summary)
            else:
                # Only the kind of event: never ids, tokens, payloads or addresses.
                log.debug(
                    "%s for a %s connection", type(effect).__name__, _role(connections, effect.conn)
                )
                target = connections.get(effect.conn)
                if target is None:
                    continue
                if type(effect) is ChatClosed and target.role == SEEKER:
                    target.send(self._seeker_chat_ended(effect))
                else:
                    target.send(encode_effect(effect, target.role))

    def _seeker_chat_ended(self, effect: ChatClosed) -> str:
        """The seeker's ``chat_ended`` with a feedback ticket (null when feedback is off,
        and for a blocked chat: no ticket is made for it at all)."""
        ticket = None
        if self.service.feedback and effect.feedback:
            ticket = self.tickets.issue(effect.language, self.clock(), effect.chat_id)
        return wire.SeekerChatEnded(
            chat_id=effect.chat_id, reason=effect.reason, feedback=ticket
        ).serialize()

    # -- background ----------------------------------------------------------------

    def end_sessions(
        self, *, token: str | None = None, account_id: int | None = None, keep: str | None = None
    ) -> None:
        """Close staff connections whose session just ended (4001): the one opened with
        ``token`` (logout), or all of ``account_id``'s except the one with ``keep``
        (password change signs the other sessions out)."""
        for conn in list(self.connections.values()):
            if conn.role != STAFF or conn.session is None:
                continue
            if (token is not None and conn.session == token) or (
                account_id is not None
                and self._staff_accounts.get(conn.id) == account_id
                and conn.session != keep
            ):
                conn.close(CLOSE_SIGNED_OUT, "signed out")

    def take_off_duty(self, account_id: int) -> None:
        """The account was disabled, or its password reset (and its identity key with
        it): its chats cannot go on. A pending offer and its open chats go back to the
        front of their queues now, not after a grace period, the core forgets it
        (``Switchboard.counsellor_removed``), and its staff connections close with 4001.
        Its sessions are gone from the database already, so it cannot come back: a
        socket that was opening meanwhile looks its session up again once open."""
        self.run(self.switchboard.counsellor_removed(account_id, self.clock()))
        self.end_sessions(account_id=account_id)

    async def _session_ended(self, conn: Connection) -> None:
        """A staff connection's session is gone. If its account was disabled (from the
        CLI, or by another process), it is taken off duty as a disable on the staff
        pages does it: its chats go back to the queue now rather than wait out a
        grace period for someone who cannot come back. Otherwise (signed out, idle)
        the connection closes and its chats wait for it as for any dropped one."""
        account_id = self._staff_accounts.get(conn.id)
        if account_id is not None:
            try:
                found = await self.database.accounts.get(account_id)
            except StoreError as exc:
                log.warning("could not re-check a staff account: %s", exc.code)
                found = None
            if found is None or found.disabled:
                self.take_off_duty(account_id)
                return
        conn.close(CLOSE_SIGNED_OUT, "session ended")

    async def _session_loop(self) -> None:
        """Re-check every open staff connection's session (idle expiry, an account
        disabled from the CLI in another process): a WebSocket must not outlive it."""
        while True:
            await asyncio.sleep(self.config.session_check_s)
            for conn in list(self.connections.values()):
                if conn.role != STAFF or conn.session is None or conn.closing:
                    continue
                try:
                    account = await self.database.sessions.lookup(
                        conn.session, self.clock(), self.config.session_idle_s
                    )
                except StoreError as exc:
                    log.warning("could not re-check a staff session: %s", exc.code)
                    continue
                if account is None or account.disabled:
                    await self._session_ended(conn)
            self.recheck_staff()  # certificates expire as time passes
            if self.service_check is not None:
                try:
                    await self.service_check()
                except (StoreError, ConfigError) as exc:
                    log.warning("could not re-check the service settings: %s", exc.code)

    async def _tick_loop(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            try:
                self._close_unjoined()
                self.run(self.switchboard.tick(self.clock()))
            except Exception:
                log.exception("tick failed")


def _role(connections: dict[ConnId, Connection], conn: ConnId) -> str:
    target = connections.get(conn)
    return "closed" if target is None else target.role


def _echo(
    frame: wire.SeekerFrame | wire.StaffFrame | None, exc: ProtocolError
) -> tuple[int | None, str | None]:
    """The refused relay's (or ack's) seq and chat id, for the error frame (§2.5)."""
    if frame is None:  # refused while decoding: the decoder kept the seq if it could read it
        return (exc.seq if isinstance(exc, wire.FrameError) else None), None
    if isinstance(
        frame,
        wire.SeekerRelay | wire.StaffRelay | wire.SeekerAck | wire.StaffAck | wire.TransferTo,
    ):
        return frame.seq, frame.chat_id  # a refused transfer's envelope was not taken either
    return None, None
