"""Endings and handovers: withdrawn offers, ended chats, requeues, transfers.

Rules, with the sections of docs/protocol.md they implement:

- §2.2 Transfers: to a colleague, the chat becomes an offer to them
  (``TRANSFERRING``, :mod:`helpline.core.lifecycle`) while the seeker stays in
  it; their envelopes wait in the chat's window until the colleague accepts
  (:func:`transfer`, :func:`accept_transfer`). To another language, the chat
  ends and the seeker stands at the front of that queue (:func:`end_active`
  with ``language``). A failed transfer sends the seeker to the front of the
  chat's language queue (:func:`transfer_failed`). A blocked chat ends and the
  seeker's token is forgotten at once.
- §4 Withdrawn offers and handed-back seekers go to the front of their queue,
  away from the counsellor who handed them back (:func:`requeue`).
- §4 Wrap-up: after each chat of a counsellor ends they get no offer from the
  queue for ``wrap_up_s`` (:func:`start_wrap_up`, a timer; ``status available``
  ends it early).
- Every chat that ends, and every seeker who leaves the queue unanswered, is
  recorded once (:func:`record`, :func:`record_abandoned`).

Plain functions over the :class:`~helpline.core.switchboard.Switchboard`'s state;
each appends the effects it produces to ``out``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from helpline.core.desk import status_effect
from helpline.core.effects import (
    ChatClosed,
    ChatOpened,
    CloseConnection,
    Deliver,
    Delivered,
    Effect,
    OfferWithdrawn,
    PeerPresence,
    RecordChat,
    Requeued,
)
from helpline.core.lifecycle import (
    ChatEvent,
    ChatState,
    SeekerEvent,
    SeekerState,
    next_chat_state,
    next_seeker_state,
)
from helpline.core.matching import match, offer_chat
from helpline.core.participants import (
    MAX_EXCLUDED,
    Chat,
    Counsellor,
    Seeker,
    Status,
    remember_closed,
)
from helpline.core.positions import compact_fallback, enqueue
from helpline.core.stats import ChatSummary, round_wait, to_minute
from helpline.errors import ProtocolError

if TYPE_CHECKING:
    from helpline.core.switchboard import Switchboard

CLOSE_NORMAL = 1000
CLOSE_REPLACED = 4010
TRANSFERRED = ChatEvent.TRANSFERRED.value  # counsellor 1's chat_ended reason, either transfer
TRANSFER_FAILED = "transfer_failed"
#: How a chat or a wait cut short by the server stopping is recorded (Switchboard.shutdown).
SERVER_STOPPED = "server_stopped"
BLOCKED_OUTCOME = "blocked"
_SEEKER_ENDS = (ChatEvent.SEEKER_LEFT, ChatEvent.SEEKER_GONE)
_WITHDRAW_REASONS = {
    ChatEvent.OFFER_TIMEOUT: "timeout",
    ChatEvent.COUNSELLOR_BARRED: "not_allowed",
}


def withdraw(sb: Switchboard, chat: Chat, event: ChatEvent, now: float, out: list[Effect]) -> None:
    """An offer that will not become a chat. The seeker goes back to the front."""
    if chat.state is ChatState.TRANSFERRING:
        transfer_failed(sb, chat, event, now, out)
        return
    chat.state = next_chat_state(chat.state, event)
    del sb._chats[chat.id]
    counsellor = chat.counsellor
    counsellor.offer = None
    staff_conn = counsellor.conn
    if staff_conn is not None and event is not ChatEvent.DECLINE:
        reason = _WITHDRAW_REASONS.get(event, "seeker_left")
        out.append(OfferWithdrawn(staff_conn, chat.id, reason))
    if event in (ChatEvent.DECLINE, ChatEvent.OFFER_TIMEOUT) and staff_conn is not None:
        counsellor.status = Status.AWAY  # not at their desk: don't offer them the next one
        out.append(status_effect(counsellor, now))
    seeker = chat.seeker
    seeker.chat = None
    if event not in (ChatEvent.SEEKER_LEFT, ChatEvent.SEEKER_GONE):
        seeker.state = next_seeker_state(seeker.state, SeekerEvent.OFFER_WITHDRAWN)
        enqueue(sb, seeker, front=True, now=now, out=out, offer_withdrawn=True)


def end_active(
    sb: Switchboard,
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
        transfer_failed(sb, chat, event, now, out)
        return
    chat.state = next_chat_state(chat.state, event)
    del sb._chats[chat.id]
    counsellor = chat.counsellor
    del counsellor.chats[chat.id]
    counsellor.free_since = now
    reason = event.value
    record(chat, reason, now, out)
    if event is not ChatEvent.COUNSELLOR_LOST:
        if counsellor.conn is not None:
            out.append(ChatClosed(counsellor.conn, chat.id, reason, chat.language))
            counsellor.recently_closed.append(chat.id)
        else:
            counsellor.lingering.append((chat, reason))
        start_wrap_up(sb, counsellor, now, out)
    seeker = chat.seeker
    if event in _SEEKER_ENDS:
        return  # the caller removes the seeker
    if event in (ChatEvent.HANDED_BACK, ChatEvent.COUNSELLOR_LOST, ChatEvent.TRANSFERRED):
        exclude = event is not ChatEvent.COUNSELLOR_LOST
        requeue(
            sb,
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
        forget_seeker(sb, seeker)
        return
    if seeker.conn is not None:
        out.append(ChatClosed(seeker.conn, chat.id, reason, chat.language))
        out.append(CloseConnection(seeker.conn, CLOSE_NORMAL, "chat ended"))
        if not chat.to_seeker.pending:
            forget_seeker(sb, seeker)
            return
        # Envelopes the seeker has not acknowledged: its connection may be half-open
        # (a phone that lost the network unnoticed), so these and chat_ended may never
        # arrive. Keep the token until the connection is gone and the grace period
        # has passed, so that a resume replays them (docs/protocol.md §3).
        seeker.recently_closed = remember_closed(seeker.recently_closed, chat.id)
    seeker.lingering = (chat, reason)  # told on resume; forgotten after the grace period


def requeue(
    sb: Switchboard,
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
    enqueue(sb, seeker, front=True, now=now, out=out)


def colleague(sb: Switchboard, counsellor: Counsellor, to: str, language: str) -> Counsellor:
    """The colleague a chat in ``language`` may be transferred to now, or not_allowed."""
    if to == counsellor.account.username:
        raise ProtocolError("a chat cannot be transferred to yourself", code="not_allowed")
    target = sb._by_username(to)
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


def transfer(
    sb: Switchboard,
    counsellor: Counsellor,
    chat: Chat,
    target: Counsellor,
    seq: int,
    payload: str,
    now: float,
    out: list[Effect],
) -> None:
    """Counsellor 1's last envelope goes to the seeker, their chat closes, and the
    chat becomes an offer to ``target``. The caller has checked everything."""
    assert counsellor.conn is not None
    settings = sb.settings
    chat.to_seeker.accept(seq, payload, settings.window_frames, settings.window_bytes)
    seeker = chat.seeker
    if seeker.conn is not None:
        out.append(Deliver(seeker.conn, chat.id, seq, payload))
    chat.state = next_chat_state(chat.state, ChatEvent.TRANSFER)
    del counsellor.chats[chat.id]
    counsellor.free_since = now
    out.append(ChatClosed(counsellor.conn, chat.id, TRANSFERRED, chat.language))
    counsellor.recently_closed.append(chat.id)
    start_wrap_up(sb, counsellor, now, out)
    if seeker.conn is not None:
        out.append(PeerPresence(seeker.conn, chat.id, False))
    chat.counsellor = target
    chat.transfer_from = counsellor.account.username
    offer_chat(sb, target, chat, 0, now, out)


def accept_transfer(
    sb: Switchboard, counsellor: Counsellor, chat: Chat, now: float
) -> list[Effect]:
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
    match(sb, now, out)
    return out


def transfer_failed(
    sb: Switchboard, chat: Chat, event: ChatEvent, now: float, out: list[Effect]
) -> None:
    """A transfer the colleague declined, let time out, or was lost or barred for, or
    that the seeker left: the chat ends; the seeker goes back to the front of the
    chat's language queue (``transfer_failed``)."""
    chat.state = next_chat_state(chat.state, event)
    del sb._chats[chat.id]
    target = chat.counsellor
    target.offer = None
    chat.transfer_from = None
    staff_conn = target.conn
    if staff_conn is not None and event is not ChatEvent.DECLINE:
        reason = _WITHDRAW_REASONS.get(event, "seeker_left")
        out.append(OfferWithdrawn(staff_conn, chat.id, reason))
    if event is ChatEvent.OFFER_TIMEOUT and staff_conn is not None:
        target.status = Status.AWAY  # not at their desk (a decline is an answer: no change)
        out.append(status_effect(target, now))
    if event in _SEEKER_ENDS:
        record(chat, event.value, now, out)
        return  # the caller removes the seeker
    record(chat, TRANSFER_FAILED, now, out)
    requeue(sb, chat, TRANSFER_FAILED, None, chat.language, now, out)


def start_wrap_up(sb: Switchboard, counsellor: Counsellor, now: float, out: list[Effect]) -> None:
    """A chat of theirs ended: no offer from the queue for ``wrap_up_s`` (§4)."""
    pause = sb.settings.wrap_up_s
    if pause <= 0:
        return
    counsellor.wrap_up_until = now + pause
    sb._timers.wrap_up(counsellor.wrap_up_until, counsellor.account.id)
    if counsellor.conn is not None:
        out.append(status_effect(counsellor, now))


def drop_seeker(
    sb: Switchboard, seeker: Seeker, event: ChatEvent, now: float, out: list[Effect]
) -> None:
    """The seeker left (or is gone after the grace period) in whatever state."""
    if seeker.state is SeekerState.WAITING:
        sb._queues[seeker.language].remove(seeker.token)
        record_abandoned(seeker, event.value, now, out)
        sb._waits.abandoned(seeker.language, now)  # O(1): the dashboard
    elif seeker.state is SeekerState.OFFERED:
        assert seeker.chat is not None
        withdraw(sb, seeker.chat, event, now, out)
        record_abandoned(seeker, event.value, now, out)
        sb._waits.abandoned(seeker.language, now)
    elif seeker.state is SeekerState.CHATTING:
        assert seeker.chat is not None
        end_active(sb, seeker.chat, event, now, out)
    if seeker.state is not SeekerState.GONE:
        seeker.state = next_seeker_state(seeker.state, SeekerEvent.LEFT)
    forget_seeker(sb, seeker)


def forget_seeker(sb: Switchboard, seeker: Seeker) -> None:
    sb._seekers.pop(seeker.token, None)
    if seeker.fallback is not None and seeker.fallback_active:
        # Its entry in the fallback line is stale now: forgotten seekers (and
        # their tokens) must not linger there.
        compact_fallback(sb, seeker.fallback)
    if seeker.conn is not None:
        sb._seeker_by_conn.pop(seeker.conn, None)
    seeker.chat = None
    seeker.lingering = None


def record(chat: Chat, reason: str, now: float, out: list[Effect]) -> None:
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


def record_abandoned(seeker: Seeker, reason: str, now: float, out: list[Effect]) -> None:
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
