"""The switchboard: seekers, counsellors, offers and chats, as one sans-I/O object.

Every public method is one event (a frame arrived, a connection dropped, time
passed) and returns the effects to carry out (:mod:`helpline.core.effects`).
Peer mistakes raise :class:`~helpline.errors.ProtocolError` *before* anything
changes, so a refused frame has no effect (docs/protocol.md §2.5).

:class:`Switchboard` holds all the state and the public events; its private
machinery lives in small modules of plain functions that take the switchboard
(or the state they need) and the ``out`` list of effects:
:mod:`~helpline.core.matching` (matching, offers), :mod:`~helpline.core.handover`
(withdrawn offers, ended chats, requeues, transfers, wrap-up, records),
:mod:`~helpline.core.reconnect` (dropped connections, resuming),
:mod:`~helpline.core.positions` (queue places, fallback lines),
:mod:`~helpline.core.timers` (the timer heap and what each timer does),
:mod:`~helpline.core.delivery` (envelopes, acks) and :mod:`~helpline.core.desk`
(a counsellor's status, languages and capacity).

Rules, with the sections of docs/protocol.md they implement:

- §4 Matching: a counsellor who is connected, ``available``, below capacity and
  without a pending offer is *free*. Whenever something changes that could
  pair someone, every free counsellor — fewest open chats first, then free the
  longest — is offered the lowest-ticket seeker among their languages
  (:mod:`helpline.core.queues`), skipping seekers who were handed back by that
  very counsellor. One offer per counsellor at a time
  (:mod:`helpline.core.matching`).
- §3 Delivery: envelopes go through :class:`~helpline.core.relay.Direction`
  (:mod:`helpline.core.delivery`).
- §5 Dropped connections: a participant without a connection keeps everything
  for ``resume_grace_s``; a timer then removes them. Timers live in one heap
  (:mod:`helpline.core.timers`) and are checked by :meth:`Switchboard.tick`; a
  timer that no longer applies (the participant came back) is recognised by its
  stamp and ignored. Resuming: :mod:`helpline.core.reconnect`.
- §2.2 Transfers: to a colleague, the chat becomes an offer to them
  (``TRANSFERRING``, :mod:`helpline.core.lifecycle`) while the seeker stays in
  it; their envelopes wait in the chat's window until the colleague accepts.
  To another language, the chat ends and the seeker stands at the front of
  that queue. A blocked chat ends and the seeker's token is forgotten at once
  (:mod:`helpline.core.handover`).
- §4 Wrap-up: after each chat of a counsellor ends they get no offer from the
  queue for ``wrap_up_s`` (a timer, :func:`helpline.core.handover.start_wrap_up`;
  ``status available`` ends it early, :func:`helpline.core.desk.set_status`). Queue positions:
  :mod:`helpline.core.positions`; queue figures for counsellors:
  :mod:`helpline.core.figures`; help requests: :mod:`helpline.core.help`.

Bounds (house habit 6): seekers waiting ≤ ``max_waiting`` (more: ``queue_full``);
envelopes per chat direction ≤ the window; lingering chats per counsellor ≤
their capacity; help requests ≤ one per known counsellor; the timer heap holds
at most one entry per pending grace period, offer, fallback and wrap-up, each
expiring within the longest of those delays; the wait log of the dashboard
(:mod:`helpline.core.dashboard`) ≤ 100,000 entries of the last hour.
"""

from __future__ import annotations

import secrets
from dataclasses import replace

from helpline.core.dashboard import WaitLog
from helpline.core.delivery import counsellor_acked, seeker_acked, to_counsellor, to_seeker
from helpline.core.desk import fit_account, new_counsellor, set_status, status_effect
from helpline.core.effects import (
    ChatClosed,
    CloseConnection,
    ConnId,
    Effect,
    HelpState,
    SeekerWelcome,
)
from helpline.core.figures import FigureBoard
from helpline.core.handover import (
    BLOCKED_OUTCOME,
    CLOSE_NORMAL,
    CLOSE_REPLACED,
    SERVER_STOPPED,
    accept_transfer,
    colleague,
    drop_seeker,
    end_active,
    record,
    record_abandoned,
    transfer,
    withdraw,
)
from helpline.core.help import HelpRequests
from helpline.core.ids import IdSource, new_token
from helpline.core.lifecycle import ChatEvent, ChatState, SeekerState
from helpline.core.matching import accept_offer, match, offer
from helpline.core.participants import Chat, CoreSettings, Counsellor, Seeker, Status
from helpline.core.positions import enqueue, send_positions
from helpline.core.queues import FallbackLine, LanguageQueue, Tickets
from helpline.core.reconnect import counsellor_back, counsellor_lost, seeker_back, seeker_lost
from helpline.core.staff import StaffAccount
from helpline.core.timers import TimerHeap, fire
from helpline.errors import ProtocolError


class Switchboard:
    def __init__(self, settings: CoreSettings, ids: IdSource = secrets.token_bytes) -> None:
        self.settings = settings
        self._ids = ids
        self._queues = {lang: LanguageQueue(lang) for lang in settings.languages}
        self._fallback = {lang: FallbackLine() for lang in settings.languages}
        self._tickets = Tickets()
        self._seekers: dict[str, Seeker] = {}
        self._seeker_by_conn: dict[ConnId, Seeker] = {}
        self._counsellors: dict[int, Counsellor] = {}
        self._counsellor_by_conn: dict[ConnId, Counsellor] = {}
        self._chats: dict[str, Chat] = {}
        self._timers = TimerHeap()
        self._figures = FigureBoard()
        self._help = HelpRequests()
        # Queue waits of the last hour for the supervisors' dashboard (core/dashboard.py):
        # written on accept and abandonment only, never on the relay path.
        self._waits = WaitLog()

    def add_language(self, language: str) -> None:
        """A queue added while running (administration): empty, like those made at start.
        Queues are never removed (a supervisor switches one off instead), so nothing
        waiting in one can be stranded."""
        if language not in self._queues:
            self._queues[language] = LanguageQueue(language)
            self._fallback[language] = FallbackLine()

    # -- seekers ---------------------------------------------------------------

    def seeker_join(
        self, conn: ConnId, language: str, fallback: str | None, now: float
    ) -> list[Effect]:
        if conn in self._seeker_by_conn:
            raise ProtocolError("this connection already joined", code="already_joined")
        if language not in self._queues or (fallback is not None and fallback not in self._queues):
            raise ProtocolError("no queue for this language", code="unknown_language")
        if self.waiting_count() >= self.settings.max_waiting:
            raise ProtocolError("all queues are full; please try again soon", code="queue_full")
        seeker = Seeker(new_token(self._ids), conn, language, None, now)
        if fallback != language:
            seeker.fallback = fallback
        self._seekers[seeker.token] = seeker
        self._seeker_by_conn[conn] = seeker
        out: list[Effect] = [SeekerWelcome(conn, seeker.token, int(self.settings.resume_grace_s))]
        enqueue(self, seeker, front=False, now=now, out=out)
        if seeker.fallback is not None:
            self._timers.fallback(now + self.settings.fallback_after_s, seeker.token)
        match(self, now, out)
        return out

    def seeker_resume(self, conn: ConnId, token: str, now: float) -> list[Effect]:
        if conn in self._seeker_by_conn:
            raise ProtocolError("this connection already joined", code="already_joined")
        seeker = self._seekers.get(token)
        if seeker is None:
            raise ProtocolError("unknown or expired token", code="bad_token")
        out: list[Effect] = []
        if seeker.conn is not None:
            del self._seeker_by_conn[seeker.conn]
            out.append(CloseConnection(seeker.conn, CLOSE_REPLACED, "resumed elsewhere"))
        seeker.conn = conn
        seeker.lost_at = None
        self._seeker_by_conn[conn] = seeker
        lingering, seeker.lingering = seeker.lingering, None
        seeker_back(self, seeker, conn, lingering, now, out)
        return out

    def seeker_leave(self, conn: ConnId, now: float) -> list[Effect]:
        seeker = self._seeker(conn)
        out: list[Effect] = []
        if seeker.state is SeekerState.CHATTING:
            assert seeker.chat is not None
            out.append(
                ChatClosed(conn, seeker.chat.id, ChatEvent.SEEKER_LEFT.value, seeker.chat.language)
            )
        drop_seeker(self, seeker, ChatEvent.SEEKER_LEFT, now, out)
        out.append(CloseConnection(conn, CLOSE_NORMAL, "left"))
        match(self, now, out)
        return out

    def seeker_relay(
        self, conn: ConnId, chat_id: str | None, seq: int, payload: str
    ) -> list[Effect]:
        return to_counsellor(self.settings, self._seeker_chat(conn, chat_id), seq, payload)

    def seeker_ack(self, conn: ConnId, chat_id: str | None, seq: int) -> list[Effect]:
        seeker = self._seeker(conn)
        if chat_id in seeker.recently_closed or (
            chat_id is None and seeker.chat is None and seeker.recently_closed
        ):
            return []  # a late ack for a chat that just closed: harmless
        return seeker_acked(self._seeker_chat(conn, chat_id), seq)

    # -- counsellors -------------------------------------------------------------

    def counsellor_connect(self, conn: ConnId, account: StaffAccount, now: float) -> list[Effect]:
        out: list[Effect] = []
        counsellor = self._counsellors.get(account.id)
        if counsellor is None:
            counsellor = new_counsellor(self, account)
        elif counsellor.conn is not None:
            del self._counsellor_by_conn[counsellor.conn]
            out.append(CloseConnection(counsellor.conn, CLOSE_REPLACED, "replaced"))
        fit_account(self.settings, counsellor, account)
        counsellor.conn = conn
        was_lost = counsellor.lost_at is not None
        counsellor.lost_at = None
        self._counsellor_by_conn[conn] = counsellor
        counsellor_back(self, counsellor, conn, was_lost, now, out)
        out.append(self._figures.on_connect(counsellor, self._queues, now))
        since = self._help.since(account.id)
        if since is not None:
            out.append(HelpState(conn, True, since))
        match(self, now, out)
        return out

    def counsellor_status(
        self,
        conn: ConnId,
        status: str,
        languages: tuple[str, ...] | None,
        capacity: int | None,
        now: float,
    ) -> list[Effect]:
        counsellor = self._staff(conn)
        set_status(self, counsellor, status, languages, capacity, now)
        out: list[Effect] = [status_effect(counsellor, now)]
        match(self, now, out)
        return out

    def counsellor_allowed(self, account_id: int, allowed: bool, now: float) -> list[Effect]:
        """The web layer's verdict changed (key revoked or expired, or good again).

        Barred: the counsellor goes ``away`` (connected or not) and a pending offer
        goes back to the front of its queue, so no new seeker reaches them. Open
        chats are left to the counsellor to close (the seeker's page checks the
        certificate itself at every handshake).
        """
        counsellor = self._counsellors.get(account_id)
        if counsellor is None or counsellor.account.can_take_chats == allowed:
            return []
        counsellor.account = replace(counsellor.account, can_take_chats=allowed)
        out: list[Effect] = []
        if not allowed:
            if counsellor.offer is not None:
                withdraw(self, counsellor.offer, ChatEvent.COUNSELLOR_BARRED, now, out)
            if counsellor.status is Status.AVAILABLE:
                counsellor.status = Status.AWAY
                if counsellor.conn is not None:
                    out.append(status_effect(counsellor, now))
        match(self, now, out)
        return out

    def counsellor_removed(self, account_id: int, now: float) -> list[Effect]:
        """The account was disabled (taken off duty): a pending offer goes back to the
        front of its queue and open chats end at once as for a counsellor lost for good
        (``counsellor_lost``: the seekers stand at the front of their queue again rather
        than wait out a grace period for someone who cannot come back). The counsellor
        is forgotten; closing the account's connections is the web layer's part."""
        counsellor = self._counsellors.get(account_id)
        if counsellor is None:
            return []
        counsellor.account = replace(counsellor.account, can_take_chats=False, disabled=True)
        out: list[Effect] = []
        if counsellor.offer is not None:
            withdraw(self, counsellor.offer, ChatEvent.COUNSELLOR_BARRED, now, out)
        for chat in list(counsellor.chats.values()):
            end_active(self, chat, ChatEvent.COUNSELLOR_LOST, now, out)
        if counsellor.conn is not None:
            del self._counsellor_by_conn[counsellor.conn]
        del self._counsellors[account_id]
        self._help.close(account_id)
        match(self, now, out)
        return out

    def counsellor_accept(self, conn: ConnId, chat_id: str, now: float) -> list[Effect]:
        counsellor = self._staff(conn)
        chat = counsellor.offer
        if chat is None or chat.id != chat_id:
            raise ProtocolError("no such offer", code="unknown_chat")
        if chat.state is ChatState.TRANSFERRING:
            return accept_transfer(self, counsellor, chat, now)
        return accept_offer(self, conn, counsellor, chat, now)

    def counsellor_decline(self, conn: ConnId, chat_id: str, now: float) -> list[Effect]:
        counsellor = self._staff(conn)
        chat = counsellor.offer
        if chat is None or chat.id != chat_id:
            raise ProtocolError("no such offer", code="unknown_chat")
        out: list[Effect] = []
        withdraw(self, chat, ChatEvent.DECLINE, now, out)
        match(self, now, out)
        return out

    def counsellor_end(
        self, conn: ConnId, chat_id: str, outcome: str | None, now: float
    ) -> list[Effect]:
        chat = self._staff_chat(conn, chat_id)
        chat.outcome = outcome
        out: list[Effect] = []
        end_active(self, chat, ChatEvent.COUNSELLOR_ENDED, now, out)
        match(self, now, out)
        return out

    def counsellor_requeue(self, conn: ConnId, chat_id: str, now: float) -> list[Effect]:
        chat = self._staff_chat(conn, chat_id)
        out: list[Effect] = []
        end_active(self, chat, ChatEvent.HANDED_BACK, now, out)
        match(self, now, out)
        return out

    def counsellor_transfer(
        self, conn: ConnId, chat_id: str, to: str, seq: int, payload: str, now: float
    ) -> list[Effect]:
        """Hand the chat to the colleague ``to`` with the envelope ``seq``/``payload``
        (the HLP1 TRANSFER frame): both are accepted, or neither (§2.2)."""
        counsellor = self._staff(conn)
        chat = self._staff_chat(conn, chat_id)
        target = colleague(self, counsellor, to, chat.language)
        settings = self.settings
        chat.to_seeker.check_new(seq, payload, settings.window_frames, settings.window_bytes)
        # Nothing below can fail.
        out: list[Effect] = []
        transfer(self, counsellor, chat, target, seq, payload, now, out)
        match(self, now, out)
        return out

    def counsellor_transfer_language(
        self, conn: ConnId, chat_id: str, language: str, now: float
    ) -> list[Effect]:
        """Hand the seeker to the front of ``language``'s queue (§2.2). Whether that
        queue is open now is the caller's question (hours: the web layer knows)."""
        chat = self._staff_chat(conn, chat_id)
        if language not in self._queues:
            raise ProtocolError("no queue for this language", code="not_allowed")
        if language == chat.language:
            raise ProtocolError("the chat is in this language already", code="not_allowed")
        out: list[Effect] = []
        end_active(self, chat, ChatEvent.TRANSFERRED, now, out, language=language)
        match(self, now, out)
        return out

    def counsellor_block(self, conn: ConnId, chat_id: str, now: float) -> list[Effect]:
        """End an abusive chat: the seeker hears a neutral ``counsellor_ended`` without a
        feedback ticket, is closed with 1000 and their token is forgotten at once (§2.2)."""
        chat = self._staff_chat(conn, chat_id)
        chat.outcome = BLOCKED_OUTCOME
        out: list[Effect] = []
        end_active(self, chat, ChatEvent.BLOCKED, now, out)
        match(self, now, out)
        return out

    def counsellor_help(self, conn: ConnId, on: bool, now: float) -> list[Effect]:
        """Ask a supervisor for help, or withdraw the request (§2.2)."""
        counsellor = self._staff(conn)
        if on:
            return [HelpState(conn, True, self._help.open(counsellor.account.id, now))]
        self._help.close(counsellor.account.id)
        return [HelpState(conn, False, None)]

    def acknowledge_help(self, username: str) -> list[Effect] | None:
        """A supervisor saw the request of ``username``; None when none is open."""
        counsellor = self._by_username(username)
        if counsellor is None or not self._help.close(counsellor.account.id):
            return None
        if counsellor.conn is None:
            return []
        return [HelpState(counsellor.conn, False, None, acknowledged=True)]

    def counsellor_relay(self, conn: ConnId, chat_id: str, seq: int, payload: str) -> list[Effect]:
        return to_seeker(self.settings, self._staff_chat(conn, chat_id), seq, payload)

    def counsellor_ack(self, conn: ConnId, chat_id: str, seq: int) -> list[Effect]:
        counsellor = self._staff(conn)
        if chat_id in counsellor.recently_closed:
            return []
        return counsellor_acked(self._staff_chat(conn, chat_id), seq)

    # -- both ---------------------------------------------------------------------

    def connection_lost(self, conn: ConnId, now: float) -> list[Effect]:
        out: list[Effect] = []
        seeker = self._seeker_by_conn.pop(conn, None)
        if seeker is not None:
            seeker_lost(self, seeker, now, out)
            return out
        counsellor = self._counsellor_by_conn.pop(conn, None)
        if counsellor is not None:
            counsellor_lost(self, counsellor, now, out)
        return out

    def shutdown(self, now: float) -> list[Effect]:
        """The server is stopping: a statistics row (``server_stopped``) for every seeker
        still waiting or offered and every open chat, so that a restart leaves no request
        uncounted in the history. Nothing else changes; the caller closes connections."""
        out: list[Effect] = []
        for seeker in self._seekers.values():
            if seeker.state in (SeekerState.WAITING, SeekerState.OFFERED):
                record_abandoned(seeker, SERVER_STOPPED, now, out)
        for chat in self._chats.values():
            if chat.state in (ChatState.ACTIVE, ChatState.TRANSFERRING):
                record(chat, SERVER_STOPPED, now, out)
        return out

    def tick(self, now: float) -> list[Effect]:
        """Fire due timers and send due queue positions. Call about once a second."""
        out: list[Effect] = []
        for kind, key, stamp in self._timers.due(now):
            fire(self, kind, key, stamp, now, out)
        send_positions(self, now, out)
        out.extend(
            self._figures.due(
                self._counsellors.values(), self._queues, now, self.settings.position_interval_s
            )
        )
        return out

    # -- read-only views ------------------------------------------------------------

    def waiting_count(self) -> int:
        return sum(len(q) for q in self._queues.values())

    def waiting_by_language(self) -> dict[str, int]:
        return {lang: len(q) for lang, q in self._queues.items()}

    def active_chat_count(self) -> int:
        return sum(
            1
            for chat in self._chats.values()
            if chat.state in (ChatState.ACTIVE, ChatState.TRANSFERRING)
        )

    def counsellor_ids(self) -> list[int]:
        return list(self._counsellors)

    def help_requests(self) -> list[tuple[str, int]]:
        """``(username, since)`` of every open help request, oldest first."""
        return [
            (self._counsellors[account_id].account.username, since)
            for account_id, since in self._help.listing()
            if account_id in self._counsellors
        ]

    def presence(self, account_id: int) -> tuple[str, bool]:
        """``(status, free)`` of an account for colleagues: status ``available``, ``away``
        or ``offline``; free when connected, below capacity and without a pending offer
        (a transfer could be offered to them now)."""
        counsellor = self._counsellors.get(account_id)
        if counsellor is None or counsellor.conn is None:
            return "offline", False
        return counsellor.status.value, counsellor.has_room()

    def is_seeker_conn(self, conn: ConnId) -> bool:
        return conn in self._seeker_by_conn

    @property
    def waits(self) -> WaitLog:
        """The queue waits of the last hour and the running totals (dashboard, metrics)."""
        return self._waits

    # -- internals ------------------------------------------------------------------

    def _seeker(self, conn: ConnId) -> Seeker:
        seeker = self._seeker_by_conn.get(conn)
        if seeker is None:
            raise ProtocolError("send join or resume first", code="handshake_required")
        return seeker

    def _seeker_chat(self, conn: ConnId, chat_id: str | None) -> Chat:
        chat = self._seeker(conn).chat
        if chat_id is not None and (chat is None or chat_id != chat.id):
            raise ProtocolError("not your chat", code="unknown_chat")
        if chat is None or chat.state not in (ChatState.ACTIVE, ChatState.TRANSFERRING):
            raise ProtocolError("not in a chat", code="no_chat")
        return chat

    def _staff(self, conn: ConnId) -> Counsellor:
        counsellor = self._counsellor_by_conn.get(conn)
        if counsellor is None:  # a frame still in flight on a connection just replaced
            raise ProtocolError("this connection was replaced", code="not_allowed")
        return counsellor

    def _staff_chat(self, conn: ConnId, chat_id: str) -> Chat:
        chat = self._staff(conn).chats.get(chat_id)
        if chat is None:
            raise ProtocolError("not your chat", code="unknown_chat")
        return chat

    def _by_username(self, username: str) -> Counsellor | None:
        # A walk over the known counsellors (a few hundred at most), for rare frames.
        for counsellor in self._counsellors.values():
            if counsellor.account.username == username:
                return counsellor
        return None

    def _offer(
        self, counsellor: Counsellor, seeker: Seeker, language: str, now: float, out: list[Effect]
    ) -> None:
        """Offer ``seeker`` to ``counsellor`` (:func:`helpline.core.matching.offer`). Every
        match goes through this method, so a subclass can check each offer as it is made
        (tests/core/test_properties.py does)."""
        offer(self, counsellor, seeker, language, now, out)
