"""The switchboard: seekers, counsellors, offers and chats, as one sans-I/O object.

Every public method is one event (a frame arrived, a connection dropped, time
passed) and returns the effects to carry out (:mod:`helpline.core.effects`).
Peer mistakes raise :class:`~helpline.errors.ProtocolError` *before* anything
changes, so a refused frame has no effect (docs/protocol.md §2.5).

Rules, with the sections of docs/protocol.md they implement:

- §4 Matching: a counsellor who is connected, ``available``, below capacity and
  without a pending offer is *free*. Whenever something changes that could
  pair someone, every free counsellor — fewest open chats first, then free the
  longest — is offered the lowest-ticket seeker among their languages
  (:mod:`helpline.core.queues`), skipping seekers who were handed back by that
  very counsellor. One offer per counsellor at a time.
- §3 Delivery: envelopes go through :class:`~helpline.core.relay.Direction`.
- §5 Dropped connections: a participant without a connection keeps everything
  for ``resume_grace_s``; a timer then removes them. Timers live in one heap
  and are checked by :meth:`Switchboard.tick`; a timer that no longer applies
  (the participant came back) is recognised by its stamp and ignored.
- §2.2 Transfers: to a colleague, the chat becomes an offer to them
  (``TRANSFERRING``, :mod:`helpline.core.lifecycle`) while the seeker stays in
  it; their envelopes wait in the chat's window until the colleague accepts.
  To another language, the chat ends and the seeker stands at the front of
  that queue. A blocked chat ends and the seeker's token is forgotten at once.
- §4 Wrap-up: after each chat of a counsellor ends they get no offer from the
  queue for ``wrap_up_s`` (a timer; ``status available`` ends it early). Queue
  figures for counsellors: :mod:`helpline.core.figures`; help requests:
  :mod:`helpline.core.help`.

Bounds (house habit 6): seekers waiting ≤ ``max_waiting`` (more: ``queue_full``);
envelopes per chat direction ≤ the window; lingering chats per counsellor ≤
their capacity; help requests ≤ one per known counsellor; the timer heap holds
at most one entry per pending grace period, offer, fallback and wrap-up, each
expiring within the longest of those delays.
"""

from __future__ import annotations

import enum
import heapq
import secrets
from dataclasses import replace

from helpline.core.effects import (
    ChatClosed,
    ChatOpened,
    CloseConnection,
    ConnId,
    Deliver,
    Delivered,
    Effect,
    HelpState,
    Offered,
    OfferWithdrawn,
    OpenChat,
    PeerPresence,
    QueuePosition,
    RecordChat,
    Requeued,
    SeekerResumed,
    SeekerWelcome,
    StaffStatus,
    StaffWelcome,
)
from helpline.core.figures import FigureBoard
from helpline.core.help import HelpRequests
from helpline.core.ids import IdSource, new_chat_id, new_token
from helpline.core.lifecycle import (
    ChatEvent,
    ChatState,
    SeekerEvent,
    SeekerState,
    next_chat_state,
    next_seeker_state,
)
from helpline.core.participants import (
    MAX_EXCLUDED,
    Chat,
    CoreSettings,
    Counsellor,
    Seeker,
    Status,
    remember_closed,
)
from helpline.core.queues import FallbackLine, LanguageQueue, Tickets
from helpline.core.staff import StaffAccount
from helpline.core.stats import ChatSummary, round_wait, to_minute
from helpline.errors import ProtocolError

CLOSE_NORMAL = 1000
CLOSE_REPLACED = 4010
TRANSFERRED = ChatEvent.TRANSFERRED.value  # counsellor 1's chat_ended reason, either transfer
TRANSFER_FAILED = "transfer_failed"
BLOCKED_OUTCOME = "blocked"
_SEEKER_ENDS = (ChatEvent.SEEKER_LEFT, ChatEvent.SEEKER_GONE)
_WITHDRAW_REASONS = {
    ChatEvent.OFFER_TIMEOUT: "timeout",
    ChatEvent.COUNSELLOR_BARRED: "not_allowed",
}


class _Timer(enum.Enum):
    SEEKER_GONE = 1
    COUNSELLOR_GONE = 2
    OFFER = 3
    FALLBACK = 4
    WRAP_UP = 5


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
        self._timers: list[tuple[float, int, _Timer, str, float | None]] = []
        self._timer_seq = 0
        self._figures = FigureBoard()
        self._help = HelpRequests()

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
        self._enqueue(seeker, front=False, now=now, out=out)
        if seeker.fallback is not None:
            self._schedule(
                now + self.settings.fallback_after_s, _Timer.FALLBACK, seeker.token, None
            )
        self._match(now, out)
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
        if seeker.state is SeekerState.GONE:
            # The chat ended while they were away: replay what they missed, then say so.
            assert lingering is not None
            ended, reason = lingering
            out.append(SeekerResumed(conn, "ended", ended.id, ended.to_counsellor.accepted))
            out.extend(Deliver(conn, ended.id, seq, p) for seq, p in ended.to_seeker.unacked())
            out.append(ChatClosed(conn, ended.id, reason, ended.language))
            out.append(CloseConnection(conn, CLOSE_NORMAL, "chat ended"))
            self._forget_seeker(seeker)
            return out
        if seeker.state is SeekerState.CHATTING:
            chat = seeker.chat
            assert chat is not None
            out.append(SeekerResumed(conn, "chatting", chat.id, chat.to_counsellor.accepted))
            out.extend(Deliver(conn, chat.id, seq, p) for seq, p in chat.to_seeker.unacked())
            if chat.to_counsellor.acked:  # acks that arrived while they were away
                out.append(Delivered(conn, chat.id, chat.to_counsellor.acked))
            staff_conn = chat.counsellor.conn
            if staff_conn is not None and chat.state is ChatState.ACTIVE:
                out.append(PeerPresence(staff_conn, chat.id, True))
            else:  # their counsellor is away, or a colleague has not accepted yet
                out.append(PeerPresence(conn, chat.id, False))
            return out
        out.append(SeekerResumed(conn, "waiting", None, 0))
        if lingering is not None:
            # Handed back or lost while they were away. The next counsellor starts a new
            # conversation (HLP1: no history travels), so the old chat's envelopes go.
            out.append(Requeued(conn, lingering[1]))
        out.append(self._position_effect(seeker, now))
        return out

    def seeker_leave(self, conn: ConnId, now: float) -> list[Effect]:
        seeker = self._seeker(conn)
        out: list[Effect] = []
        if seeker.state is SeekerState.CHATTING:
            assert seeker.chat is not None
            out.append(
                ChatClosed(conn, seeker.chat.id, ChatEvent.SEEKER_LEFT.value, seeker.chat.language)
            )
        self._drop_seeker(seeker, ChatEvent.SEEKER_LEFT, now, out)
        out.append(CloseConnection(conn, CLOSE_NORMAL, "left"))
        self._match(now, out)
        return out

    def seeker_relay(
        self, conn: ConnId, chat_id: str | None, seq: int, payload: str
    ) -> list[Effect]:
        chat = self._seeker_chat(conn, chat_id)
        if chat.to_counsellor.accept(
            seq, payload, self.settings.window_frames, self.settings.window_bytes
        ):
            staff_conn = chat.counsellor.conn
            # While a colleague has not accepted a transfer, envelopes wait in the window.
            if staff_conn is not None and chat.state is ChatState.ACTIVE:
                return [Deliver(staff_conn, chat.id, seq, payload)]
        return []

    def seeker_ack(self, conn: ConnId, chat_id: str | None, seq: int) -> list[Effect]:
        seeker = self._seeker(conn)
        if chat_id in seeker.recently_closed or (
            chat_id is None and seeker.chat is None and seeker.recently_closed
        ):
            return []  # a late ack for a chat that just closed: harmless
        chat = self._seeker_chat(conn, chat_id)
        staff_conn = chat.counsellor.conn
        if chat.to_seeker.ack(seq) and staff_conn is not None and chat.state is ChatState.ACTIVE:
            return [Delivered(staff_conn, chat.id, seq)]
        return []

    # -- counsellors -------------------------------------------------------------

    def counsellor_connect(self, conn: ConnId, account: StaffAccount, now: float) -> list[Effect]:
        out: list[Effect] = []
        counsellor = self._counsellors.get(account.id)
        if counsellor is None:
            languages = tuple(lang for lang in account.languages if lang in self._queues)
            capacity = max(1, min(account.capacity, self.settings.max_capacity))
            counsellor = Counsellor(account, languages, capacity)
            self._counsellors[account.id] = counsellor
        elif counsellor.conn is not None:
            del self._counsellor_by_conn[counsellor.conn]
            out.append(CloseConnection(counsellor.conn, CLOSE_REPLACED, "replaced"))
        # The account may have changed meanwhile (languages, capacity): stay within it.
        counsellor.account = account
        allowed = set(account.languages)
        counsellor.languages = tuple(lang for lang in counsellor.languages if lang in allowed)
        counsellor.capacity = min(counsellor.capacity, self._max_capacity(account))
        if not account.can_take_chats:
            counsellor.status = Status.AWAY  # e.g. revoked while disconnected
        counsellor.conn = conn
        was_lost = counsellor.lost_at is not None
        counsellor.lost_at = None
        self._counsellor_by_conn[conn] = counsellor
        out.append(
            StaffWelcome(
                conn,
                account.username,
                counsellor.languages,
                counsellor.capacity,
                self._max_capacity(account),
                counsellor.status.value,
                int(self.settings.resume_grace_s),
                tuple(
                    OpenChat(c.id, c.language, c.to_seeker.accepted)
                    for c in counsellor.chats.values()
                ),
                counsellor.wrap_up_left(now),
            )
        )
        for chat in counsellor.chats.values():
            out.extend(Deliver(conn, chat.id, s, p) for s, p in chat.to_counsellor.unacked())
            if chat.to_seeker.acked:  # acks that arrived while they were away
                out.append(Delivered(conn, chat.id, chat.to_seeker.acked))
            seeker_conn = chat.seeker.conn
            if seeker_conn is None:
                out.append(PeerPresence(conn, chat.id, False))
            elif was_lost:
                out.append(PeerPresence(seeker_conn, chat.id, True))
        for chat, reason in counsellor.lingering:
            out.extend(Deliver(conn, chat.id, s, p) for s, p in chat.to_counsellor.unacked())
            out.append(ChatClosed(conn, chat.id, reason, chat.language))
            counsellor.recently_closed.append(chat.id)
        counsellor.lingering.clear()
        out.append(self._figures.on_connect(counsellor, self._queues, now))
        since = self._help.since(account.id)
        if since is not None:
            out.append(HelpState(conn, True, since))
        self._match(now, out)
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
        new_status = Status(status)
        if languages is not None:
            allowed = set(counsellor.account.languages) & set(self._queues)
            if not set(languages) <= allowed:
                raise ProtocolError(
                    "language not allowed for this account", code="unknown_language"
                )
        langs = counsellor.languages if languages is None else tuple(languages)
        if capacity is not None and not 1 <= capacity <= self._max_capacity(counsellor.account):
            raise ProtocolError("capacity above this account's maximum", code="not_allowed")
        if new_status is Status.AVAILABLE and not langs:
            raise ProtocolError("choose at least one language", code="not_allowed")
        if new_status is Status.AVAILABLE and not counsellor.account.can_take_chats:
            raise ProtocolError("this account may not take chats now", code="not_allowed")
        if new_status is Status.AVAILABLE and counsellor.status is not Status.AVAILABLE:
            counsellor.free_since = now
        if new_status is Status.AVAILABLE:
            counsellor.wrap_up_until = 0.0  # "I'm ready": the wrap-up pause ends early
        counsellor.status = new_status
        counsellor.languages = langs
        if capacity is not None:
            counsellor.capacity = capacity
        out: list[Effect] = [self._status_effect(counsellor, now)]
        self._match(now, out)
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
                self._withdraw(counsellor.offer, ChatEvent.COUNSELLOR_BARRED, now, out)
            if counsellor.status is Status.AVAILABLE:
                counsellor.status = Status.AWAY
                if counsellor.conn is not None:
                    out.append(self._status_effect(counsellor, now))
        self._match(now, out)
        return out

    def counsellor_accept(self, conn: ConnId, chat_id: str, now: float) -> list[Effect]:
        counsellor = self._staff(conn)
        chat = counsellor.offer
        if chat is None or chat.id != chat_id:
            raise ProtocolError("no such offer", code="unknown_chat")
        if chat.state is ChatState.TRANSFERRING:
            return self._accept_transfer(counsellor, chat, now)
        chat.state = next_chat_state(chat.state, ChatEvent.ACCEPT)
        chat.answered_at = now
        counsellor.offer = None
        counsellor.chats[chat.id] = chat
        seeker = chat.seeker
        seeker.state = next_seeker_state(seeker.state, SeekerEvent.CHAT_OPENED)
        # The seeker left their own language's queue, whichever language serves them:
        # that queue's drain rate is what their followers' estimates need.
        self._queues[seeker.language].note_served(now)
        out: list[Effect] = [ChatOpened(conn, chat.id, chat.language)]
        if seeker.conn is not None:
            out.append(ChatOpened(seeker.conn, chat.id, chat.language))
        else:
            out.append(PeerPresence(conn, chat.id, False))
        self._match(now, out)
        return out

    def counsellor_decline(self, conn: ConnId, chat_id: str, now: float) -> list[Effect]:
        counsellor = self._staff(conn)
        chat = counsellor.offer
        if chat is None or chat.id != chat_id:
            raise ProtocolError("no such offer", code="unknown_chat")
        out: list[Effect] = []
        self._withdraw(chat, ChatEvent.DECLINE, now, out)
        self._match(now, out)
        return out

    def counsellor_end(
        self, conn: ConnId, chat_id: str, outcome: str | None, now: float
    ) -> list[Effect]:
        chat = self._staff_chat(conn, chat_id)
        chat.outcome = outcome
        out: list[Effect] = []
        self._end_active(chat, ChatEvent.COUNSELLOR_ENDED, now, out)
        self._match(now, out)
        return out

    def counsellor_requeue(self, conn: ConnId, chat_id: str, now: float) -> list[Effect]:
        chat = self._staff_chat(conn, chat_id)
        out: list[Effect] = []
        self._end_active(chat, ChatEvent.HANDED_BACK, now, out)
        self._match(now, out)
        return out

    def counsellor_transfer(
        self, conn: ConnId, chat_id: str, to: str, seq: int, payload: str, now: float
    ) -> list[Effect]:
        """Hand the chat to the colleague ``to`` with the envelope ``seq``/``payload``
        (the HLP1 TRANSFER frame): both are accepted, or neither (§2.2)."""
        counsellor = self._staff(conn)
        chat = self._staff_chat(conn, chat_id)
        target = self._colleague(counsellor, to, chat.language)
        settings = self.settings
        chat.to_seeker.check_new(seq, payload, settings.window_frames, settings.window_bytes)
        # Nothing below can fail.
        chat.to_seeker.accept(seq, payload, settings.window_frames, settings.window_bytes)
        out: list[Effect] = []
        seeker = chat.seeker
        if seeker.conn is not None:
            out.append(Deliver(seeker.conn, chat.id, seq, payload))
        chat.state = next_chat_state(chat.state, ChatEvent.TRANSFER)
        del counsellor.chats[chat.id]
        counsellor.free_since = now
        out.append(ChatClosed(conn, chat.id, TRANSFERRED, chat.language))
        counsellor.recently_closed.append(chat.id)
        self._start_wrap_up(counsellor, now, out)
        if seeker.conn is not None:
            out.append(PeerPresence(seeker.conn, chat.id, False))
        chat.counsellor = target
        chat.transfer_from = counsellor.account.username
        self._offer_chat(target, chat, 0, now, out)
        self._match(now, out)
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
        self._end_active(chat, ChatEvent.TRANSFERRED, now, out, language=language)
        self._match(now, out)
        return out

    def counsellor_block(self, conn: ConnId, chat_id: str, now: float) -> list[Effect]:
        """End an abusive chat: the seeker hears a neutral ``counsellor_ended`` without a
        feedback ticket, is closed with 1000 and their token is forgotten at once (§2.2)."""
        chat = self._staff_chat(conn, chat_id)
        chat.outcome = BLOCKED_OUTCOME
        out: list[Effect] = []
        self._end_active(chat, ChatEvent.BLOCKED, now, out)
        self._match(now, out)
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
        chat = self._staff_chat(conn, chat_id)
        if chat.to_seeker.accept(
            seq, payload, self.settings.window_frames, self.settings.window_bytes
        ):
            seeker_conn = chat.seeker.conn
            if seeker_conn is not None:
                return [Deliver(seeker_conn, chat.id, seq, payload)]
        return []

    def counsellor_ack(self, conn: ConnId, chat_id: str, seq: int) -> list[Effect]:
        counsellor = self._staff(conn)
        if chat_id in counsellor.recently_closed:
            return []
        chat = self._staff_chat(conn, chat_id)
        if chat.to_counsellor.ack(seq) and chat.seeker.conn is not None:
            return [Delivered(chat.seeker.conn, chat.id, seq)]
        return []

    # -- both ---------------------------------------------------------------------

    def connection_lost(self, conn: ConnId, now: float) -> list[Effect]:
        out: list[Effect] = []
        seeker = self._seeker_by_conn.pop(conn, None)
        if seeker is not None:
            seeker.conn = None
            seeker.lost_at = now
            self._schedule(
                now + self.settings.resume_grace_s, _Timer.SEEKER_GONE, seeker.token, now
            )
            chat = seeker.chat
            if (
                chat is not None
                and chat.state is ChatState.ACTIVE
                and chat.counsellor.conn is not None
            ):
                out.append(PeerPresence(chat.counsellor.conn, chat.id, False))
            return out
        counsellor = self._counsellor_by_conn.pop(conn, None)
        if counsellor is not None:
            counsellor.conn = None
            counsellor.lost_at = now
            if counsellor.offer is not None:
                self._withdraw(counsellor.offer, ChatEvent.COUNSELLOR_LOST, now, out)
            for chat in counsellor.chats.values():
                if chat.seeker.conn is not None:
                    out.append(PeerPresence(chat.seeker.conn, chat.id, False))
            self._schedule(
                now + self.settings.resume_grace_s,
                _Timer.COUNSELLOR_GONE,
                str(counsellor.account.id),
                now,
            )
            self._match(now, out)
        return out

    def tick(self, now: float) -> list[Effect]:
        """Fire due timers and send due queue positions. Call about once a second."""
        out: list[Effect] = []
        timers = self._timers
        while timers and timers[0][0] <= now:
            _, _, kind, key, stamp = heapq.heappop(timers)
            self._fire(kind, key, stamp, now, out)
        self._send_positions(now, out)
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

    def _max_capacity(self, account: StaffAccount) -> int:
        return max(1, min(account.capacity, self.settings.max_capacity))

    def _by_username(self, username: str) -> Counsellor | None:
        # A walk over the known counsellors (a few hundred at most), for rare frames.
        for counsellor in self._counsellors.values():
            if counsellor.account.username == username:
                return counsellor
        return None

    def _colleague(self, counsellor: Counsellor, to: str, language: str) -> Counsellor:
        """The colleague a chat in ``language`` may be transferred to now, or not_allowed."""
        if to == counsellor.account.username:
            raise ProtocolError("a chat cannot be transferred to yourself", code="not_allowed")
        target = self._by_username(to)
        if target is None or target.conn is None:
            raise ProtocolError("this colleague is not connected", code="not_allowed")
        if not target.account.can_take_chats or target.account.disabled:
            raise ProtocolError("this colleague has no valid identity key", code="not_allowed")
        if language not in target.account.languages:
            raise ProtocolError(
                "this colleague does not take chats in this language", code="not_allowed"
            )
        if not target.has_room():
            raise ProtocolError("this colleague has no free slot now", code="not_allowed")
        return target

    def _status_effect(self, counsellor: Counsellor, now: float) -> StaffStatus:
        assert counsellor.conn is not None
        return StaffStatus(
            counsellor.conn,
            counsellor.status.value,
            counsellor.languages,
            counsellor.capacity,
            counsellor.wrap_up_left(now),
        )

    def _start_wrap_up(self, counsellor: Counsellor, now: float, out: list[Effect]) -> None:
        """A chat of theirs ended: no offer from the queue for ``wrap_up_s`` (§4)."""
        pause = self.settings.wrap_up_s
        if pause <= 0:
            return
        counsellor.wrap_up_until = now + pause
        self._schedule(
            counsellor.wrap_up_until,
            _Timer.WRAP_UP,
            str(counsellor.account.id),
            counsellor.wrap_up_until,
        )
        if counsellor.conn is not None:
            out.append(self._status_effect(counsellor, now))

    def _schedule(self, at: float, kind: _Timer, key: str, stamp: float | None) -> None:
        self._timer_seq += 1
        heapq.heappush(self._timers, (at, self._timer_seq, kind, key, stamp))

    def _fire(
        self, kind: _Timer, key: str, stamp: float | None, now: float, out: list[Effect]
    ) -> None:
        if kind is _Timer.SEEKER_GONE:
            seeker = self._seekers.get(key)
            if seeker is not None and seeker.conn is None and seeker.lost_at == stamp:
                self._drop_seeker(seeker, ChatEvent.SEEKER_GONE, now, out)
                self._match(now, out)
        elif kind is _Timer.COUNSELLOR_GONE:
            counsellor = self._counsellors.get(int(key))
            if counsellor is not None and counsellor.conn is None and counsellor.lost_at == stamp:
                for open_chat in list(counsellor.chats.values()):
                    self._end_active(open_chat, ChatEvent.COUNSELLOR_LOST, now, out)
                del self._counsellors[counsellor.account.id]
                self._help.close(counsellor.account.id)
                self._match(now, out)
        elif kind is _Timer.OFFER:
            offer = self._chats.get(key)
            if (
                offer is not None
                and offer.state in (ChatState.OFFERED, ChatState.TRANSFERRING)
                and offer.offered_at == stamp
            ):
                self._withdraw(offer, ChatEvent.OFFER_TIMEOUT, now, out)
                self._match(now, out)
        elif kind is _Timer.FALLBACK:
            seeker = self._seekers.get(key)
            if seeker is not None and seeker.fallback is not None and not seeker.fallback_active:
                seeker.fallback_active = True
                if seeker.state is SeekerState.WAITING:
                    self._add_to_fallback(seeker, seeker.fallback)
                    self._match(now, out)
        elif kind is _Timer.WRAP_UP:
            counsellor = self._counsellors.get(int(key))
            if counsellor is not None and counsellor.wrap_up_until == stamp:
                if counsellor.conn is not None:
                    out.append(self._status_effect(counsellor, now))
                self._match(now, out)

    def _enqueue(
        self,
        seeker: Seeker,
        *,
        front: bool,
        now: float,
        out: list[Effect],
        offer_withdrawn: bool = False,
    ) -> None:
        """Queue a seeker. After a withdrawn offer their wait goes on (they were never told
        of the offer): ``queued_at`` is kept and the position is left to the next pass."""
        queue = self._queues[seeker.language]
        if not offer_withdrawn:
            seeker.queued_at = now
        if front:
            seeker.ticket = self._tickets.front()
            queue.push_front(seeker)
            position = 1
        else:
            seeker.ticket = self._tickets.back()
            position = queue.push_back(seeker)
        if seeker.fallback is not None and seeker.fallback_active:
            self._add_to_fallback(seeker, seeker.fallback)
        if seeker.conn is not None and not offer_withdrawn:
            out.append(self._position_effect(seeker, now, position))

    def _position_effect(
        self, seeker: Seeker, now: float, position: int | None = None
    ) -> QueuePosition:
        """The seeker's place; ``position`` when the caller knows it (saves a queue walk)."""
        assert seeker.conn is not None
        queue = self._queues[seeker.language]
        if seeker.state is SeekerState.WAITING:
            if position is None:
                position = 1
                for entry in queue:
                    if entry is seeker:
                        break
                    position += 1
            estimate = queue.estimate_wait_s(position, now)
        else:  # offered: a counsellor is about to answer
            position, estimate = 1, 0
        seeker.position_sent = position
        seeker.position_at = now
        return QueuePosition(seeker.conn, seeker.language, position, estimate)

    def _send_positions(self, now: float, out: list[Effect]) -> None:
        """One pass per changed queue at most every interval, and at most
        ``positions_per_tick`` updates in all: a pass cut short by that budget goes on
        at the next tick (``unfinished``), skipping whoever was told meanwhile."""
        interval = self.settings.position_interval_s
        budget = self.settings.positions_per_tick
        for queue in self._queues.values():
            if budget <= 0:
                return
            if not queue.unfinished and (not queue.changed or now - queue.last_pass < interval):
                continue
            if not queue.unfinished:
                queue.last_pass = now
            queue.changed = queue.unfinished = False
            rate = queue.rate_per_s(now)
            for position, entry in enumerate(queue, 1):
                seeker = entry
                assert isinstance(seeker, Seeker)
                if seeker.position_sent == position or seeker.conn is None:
                    continue
                if now - seeker.position_at < interval:
                    queue.changed = True  # try again next pass
                    continue
                if budget <= 0:
                    queue.unfinished = True
                    break
                budget -= 1
                seeker.position_sent = position
                seeker.position_at = now
                estimate = None if rate is None else queue.estimate_wait_s(position, now, rate)
                out.append(QueuePosition(seeker.conn, seeker.language, position, estimate))

    def _is_current(self, seeker: object, ticket: int) -> bool:
        assert isinstance(seeker, Seeker)
        return seeker.state is SeekerState.WAITING and seeker.ticket == ticket

    def _best_seeker_for(self, counsellor: Counsellor) -> tuple[Seeker, str] | None:
        account_id = counsellor.account.id

        def eligible(seeker: object) -> bool:
            assert isinstance(seeker, Seeker)
            return account_id not in seeker.excluded

        best: Seeker | None = None
        best_language = ""
        for language in counsellor.languages:
            for candidate in (
                self._queues[language].first(eligible),
                self._fallback[language].first(self._is_current, eligible),
            ):
                if candidate is not None and (best is None or candidate.ticket < best.ticket):
                    assert isinstance(candidate, Seeker)
                    best, best_language = candidate, language
        return None if best is None else (best, best_language)

    def _match(self, now: float, out: list[Effect]) -> None:
        if not self._seekers:
            return
        free = [c for c in self._counsellors.values() if c.is_free(now)]
        if not free:
            return
        free.sort(key=lambda c: (len(c.chats), c.free_since))
        for counsellor in free:
            found = self._best_seeker_for(counsellor)
            if found is not None:
                self._offer(counsellor, found[0], found[1], now, out)

    def _offer(
        self, counsellor: Counsellor, seeker: Seeker, language: str, now: float, out: list[Effect]
    ) -> None:
        chat = Chat(new_chat_id(self._ids), language, seeker, counsellor)
        self._queues[seeker.language].remove(seeker.token)
        seeker.state = next_seeker_state(seeker.state, SeekerEvent.OFFER)
        seeker.chat = chat
        self._chats[chat.id] = chat
        self._offer_chat(counsellor, chat, int(now - seeker.queued_at), now, out)

    def _offer_chat(
        self, counsellor: Counsellor, chat: Chat, waited_s: int, now: float, out: list[Effect]
    ) -> None:
        """Offer ``chat`` to ``counsellor``: a seeker from the queue, or a transfer."""
        assert counsellor.conn is not None
        counsellor.offer = chat
        chat.offered_at = now
        self._schedule(now + self.settings.offer_timeout_s, _Timer.OFFER, chat.id, now)
        out.append(
            Offered(
                counsellor.conn,
                chat.id,
                chat.language,
                waited_s,
                int(self.settings.offer_timeout_s),
                chat.transfer_from,
            )
        )

    def _withdraw(self, chat: Chat, event: ChatEvent, now: float, out: list[Effect]) -> None:
        """An offer that will not become a chat. The seeker goes back to the front."""
        if chat.state is ChatState.TRANSFERRING:
            self._transfer_failed(chat, event, now, out)
            return
        chat.state = next_chat_state(chat.state, event)
        del self._chats[chat.id]
        counsellor = chat.counsellor
        counsellor.offer = None
        staff_conn = counsellor.conn
        if staff_conn is not None and event is not ChatEvent.DECLINE:
            reason = _WITHDRAW_REASONS.get(event, "seeker_left")
            out.append(OfferWithdrawn(staff_conn, chat.id, reason))
        if event in (ChatEvent.DECLINE, ChatEvent.OFFER_TIMEOUT) and staff_conn is not None:
            counsellor.status = Status.AWAY  # not at their desk: don't offer them the next one
            out.append(self._status_effect(counsellor, now))
        seeker = chat.seeker
        seeker.chat = None
        if event not in (ChatEvent.SEEKER_LEFT, ChatEvent.SEEKER_GONE):
            seeker.state = next_seeker_state(seeker.state, SeekerEvent.OFFER_WITHDRAWN)
            self._enqueue(seeker, front=True, now=now, out=out, offer_withdrawn=True)

    def _end_active(
        self,
        chat: Chat,
        event: ChatEvent,
        now: float,
        out: list[Effect],
        *,
        language: str | None = None,
    ) -> None:
        """End an open chat; tell whoever did not cause it. ``language``: the queue a
        seeker transferred to another language goes to (``TRANSFERRED``)."""
        if chat.state is ChatState.TRANSFERRING:  # the seeker left while it was offered
            self._transfer_failed(chat, event, now, out)
            return
        chat.state = next_chat_state(chat.state, event)
        del self._chats[chat.id]
        counsellor = chat.counsellor
        del counsellor.chats[chat.id]
        counsellor.free_since = now
        reason = event.value
        self._record(chat, reason, now, out)
        if event is not ChatEvent.COUNSELLOR_LOST:
            if counsellor.conn is not None:
                out.append(ChatClosed(counsellor.conn, chat.id, reason, chat.language))
                counsellor.recently_closed.append(chat.id)
            else:
                counsellor.lingering.append((chat, reason))
            self._start_wrap_up(counsellor, now, out)
        seeker = chat.seeker
        if event in _SEEKER_ENDS:
            return  # the caller removes the seeker
        if event in (ChatEvent.HANDED_BACK, ChatEvent.COUNSELLOR_LOST, ChatEvent.TRANSFERRED):
            exclude = event is not ChatEvent.COUNSELLOR_LOST
            self._requeue(
                chat,
                reason,
                counsellor.account.id if exclude else None,
                language or seeker.language,
                now,
                out,
            )
            return
        seeker.chat = None
        seeker.state = next_seeker_state(seeker.state, SeekerEvent.CHAT_ENDED)
        if event is ChatEvent.BLOCKED:
            # A neutral goodbye without a feedback ticket; the token goes at once, even
            # when the seeker is offline, and with it the envelopes they did not get.
            if seeker.conn is not None:
                out.append(
                    ChatClosed(
                        seeker.conn,
                        chat.id,
                        ChatEvent.COUNSELLOR_ENDED.value,
                        chat.language,
                        feedback=False,
                    )
                )
                out.append(CloseConnection(seeker.conn, CLOSE_NORMAL, "chat ended"))
            self._forget_seeker(seeker)
            return
        if seeker.conn is not None:
            out.append(ChatClosed(seeker.conn, chat.id, reason, chat.language))
            out.append(CloseConnection(seeker.conn, CLOSE_NORMAL, "chat ended"))
            if not chat.to_seeker.pending:
                self._forget_seeker(seeker)
                return
            # Envelopes the seeker has not acknowledged: its connection may be half-open
            # (a phone that lost the network unnoticed), so these and chat_ended may never
            # arrive. Keep the token until the connection is gone and the grace period
            # has passed, so that a resume replays them (docs/protocol.md §3).
            seeker.recently_closed = remember_closed(seeker.recently_closed, chat.id)
        seeker.lingering = (chat, reason)  # told on resume; forgotten after the grace period

    def _requeue(
        self,
        chat: Chat,
        reason: str,
        exclude: int | None,
        language: str,
        now: float,
        out: list[Effect],
    ) -> None:
        """The chat is over but the seeker is not: back to the front of ``language``'s
        queue, away from counsellor ``exclude`` (who handed them on)."""
        seeker = chat.seeker
        seeker.chat = None
        seeker.state = next_seeker_state(seeker.state, SeekerEvent.REQUEUED)
        excluded = seeker.excluded
        if exclude is not None and exclude not in excluded and len(excluded) < MAX_EXCLUDED:
            seeker.excluded = (*excluded, exclude)
        if language != seeker.language:
            seeker.language = language
            if seeker.fallback == language:
                seeker.fallback = None
                seeker.fallback_active = False
        if seeker.conn is not None:
            out.append(Requeued(seeker.conn, reason))
            seeker.recently_closed = remember_closed(seeker.recently_closed, chat.id)
        else:
            seeker.lingering = (chat, reason)
        self._enqueue(seeker, front=True, now=now, out=out)

    def _accept_transfer(self, counsellor: Counsellor, chat: Chat, now: float) -> list[Effect]:
        """The colleague takes the chat over: same id, same sequence numbers (§2.4)."""
        assert counsellor.conn is not None
        conn = counsellor.conn
        chat.state = next_chat_state(chat.state, ChatEvent.ACCEPT)
        chat.transfer_from = None
        counsellor.offer = None
        counsellor.chats[chat.id] = chat
        out: list[Effect] = [ChatOpened(conn, chat.id, chat.language, chat.to_seeker.accepted)]
        # Everything the seeker sent that nobody acknowledged, including what counsellor 1
        # left unread (an older epoch: the colleague acknowledges it without reading it).
        out.extend(Deliver(conn, chat.id, s, p) for s, p in chat.to_counsellor.unacked())
        out.append(Delivered(conn, chat.id, chat.to_seeker.acked))
        seeker_conn = chat.seeker.conn
        if seeker_conn is not None:
            out.append(PeerPresence(seeker_conn, chat.id, True))
        else:
            out.append(PeerPresence(conn, chat.id, False))
        self._match(now, out)
        return out

    def _transfer_failed(self, chat: Chat, event: ChatEvent, now: float, out: list[Effect]) -> None:
        """A transfer the colleague declined, let time out, or was lost or barred for, or
        that the seeker left: the chat ends; the seeker goes back to the front of the
        chat's language queue (``transfer_failed``)."""
        chat.state = next_chat_state(chat.state, event)
        del self._chats[chat.id]
        target = chat.counsellor
        target.offer = None
        chat.transfer_from = None
        staff_conn = target.conn
        if staff_conn is not None and event is not ChatEvent.DECLINE:
            reason = _WITHDRAW_REASONS.get(event, "seeker_left")
            out.append(OfferWithdrawn(staff_conn, chat.id, reason))
        if event is ChatEvent.OFFER_TIMEOUT and staff_conn is not None:
            target.status = Status.AWAY  # not at their desk (a decline is an answer: no change)
            out.append(self._status_effect(target, now))
        if event in _SEEKER_ENDS:
            self._record(chat, event.value, now, out)
            return  # the caller removes the seeker
        self._record(chat, TRANSFER_FAILED, now, out)
        self._requeue(chat, TRANSFER_FAILED, None, chat.language, now, out)

    def _drop_seeker(self, seeker: Seeker, event: ChatEvent, now: float, out: list[Effect]) -> None:
        """The seeker left (or is gone after the grace period) in whatever state."""
        if seeker.state is SeekerState.WAITING:
            self._queues[seeker.language].remove(seeker.token)
            self._record_abandoned(seeker, event.value, now, out)
        elif seeker.state is SeekerState.OFFERED:
            assert seeker.chat is not None
            self._withdraw(seeker.chat, event, now, out)
            self._record_abandoned(seeker, event.value, now, out)
        elif seeker.state is SeekerState.CHATTING:
            assert seeker.chat is not None
            self._end_active(seeker.chat, event, now, out)
        if seeker.state is not SeekerState.GONE:
            seeker.state = next_seeker_state(seeker.state, SeekerEvent.LEFT)
        self._forget_seeker(seeker)

    def _add_to_fallback(self, seeker: Seeker, language: str) -> None:
        self._fallback[language].add(seeker)
        self._compact_fallback(language)

    def _compact_fallback(self, language: str) -> None:
        """Keep a fallback line's size within twice the live seekers (house habit 6)."""
        line = self._fallback[language]
        if len(line) > 2 * self.waiting_count() + 64:
            line.compact(self._is_current)

    def _forget_seeker(self, seeker: Seeker) -> None:
        self._seekers.pop(seeker.token, None)
        if seeker.fallback is not None and seeker.fallback_active:
            # Its entry in the fallback line is stale now: forgotten seekers (and
            # their tokens) must not linger there.
            self._compact_fallback(seeker.fallback)
        if seeker.conn is not None:
            self._seeker_by_conn.pop(seeker.conn, None)
        seeker.chat = None
        seeker.lingering = None

    def _record(self, chat: Chat, reason: str, now: float, out: list[Effect]) -> None:
        answered = chat.answered_at
        out.append(
            RecordChat(
                ChatSummary(
                    language=chat.language,
                    queued_minute=to_minute(chat.queued_at),
                    answered_minute=None if answered is None else to_minute(answered),
                    ended_minute=to_minute(now),
                    wait_s=None if answered is None else round_wait(answered - chat.queued_at),
                    end_reason=reason,
                    outcome=chat.outcome,
                )
            )
        )

    def _record_abandoned(self, seeker: Seeker, reason: str, now: float, out: list[Effect]) -> None:
        out.append(
            RecordChat(
                ChatSummary(
                    language=seeker.language,
                    queued_minute=to_minute(seeker.queued_at),
                    answered_minute=None,
                    ended_minute=to_minute(now),
                    wait_s=None,
                    end_reason=reason,
                    outcome=None,
                )
            )
        )
