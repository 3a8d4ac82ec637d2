"""Dropped connections and coming back (docs/protocol.md §5).

A participant without a connection keeps everything for ``resume_grace_s``
(:func:`seeker_lost`, :func:`counsellor_lost`); a timer then removes them
(:func:`helpline.core.timers.fire`). One who comes back within
it is told where they stand and gets again what they have not acknowledged
(docs/protocol.md §3): a seeker their chat's envelopes, or the chat that ended
meanwhile, or their place in the queue; a counsellor their open chats and the
chats that ended while they were away.

Plain functions over the :class:`~helpline.core.switchboard.Switchboard`'s state;
each appends the effects it produces to ``out``. The caller has already tied the
participant to their new connection, or untied them from the lost one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from helpline.core.desk import max_capacity
from helpline.core.effects import (
    ChatClosed,
    CloseConnection,
    ConnId,
    Deliver,
    Delivered,
    Effect,
    OpenChat,
    PeerPresence,
    Requeued,
    SeekerResumed,
    StaffWelcome,
)
from helpline.core.handover import CLOSE_NORMAL, forget_seeker, withdraw
from helpline.core.lifecycle import ChatEvent, ChatState, SeekerState
from helpline.core.matching import match
from helpline.core.participants import Chat, Counsellor, Seeker
from helpline.core.positions import position_effect

if TYPE_CHECKING:
    from helpline.core.switchboard import Switchboard


def seeker_back(
    sb: Switchboard,
    seeker: Seeker,
    conn: ConnId,
    lingering: tuple[Chat, str] | None,
    now: float,
    out: list[Effect],
) -> None:
    """What a resumed seeker is told; ``lingering``: the chat that ended (or handed
    them back) while they were away, with its reason."""
    if seeker.state is SeekerState.GONE:
        # The chat ended while they were away: replay what they missed, then say so.
        assert lingering is not None
        ended, reason = lingering
        out.append(SeekerResumed(conn, "ended", ended.id, ended.to_counsellor.accepted))
        out.extend(Deliver(conn, ended.id, seq, p) for seq, p in ended.to_seeker.unacked())
        out.append(ChatClosed(conn, ended.id, reason, ended.language))
        out.append(CloseConnection(conn, CLOSE_NORMAL, "chat ended"))
        forget_seeker(sb, seeker)
        return
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
        return
    out.append(SeekerResumed(conn, "waiting", None, 0))
    if lingering is not None:
        # Handed back or lost while they were away. The next counsellor starts a new
        # conversation (HLP1: no history travels), so the old chat's envelopes go.
        out.append(Requeued(conn, lingering[1]))
    out.append(position_effect(sb, seeker, now))


def counsellor_back(
    sb: Switchboard,
    counsellor: Counsellor,
    conn: ConnId,
    was_lost: bool,
    now: float,
    out: list[Effect],
) -> None:
    """What a (re)connected counsellor is told, up to their queue figures: the welcome,
    their open chats' unacknowledged envelopes, and the chats that ended meanwhile."""
    account = counsellor.account
    out.append(
        StaffWelcome(
            conn,
            account.username,
            counsellor.languages,
            counsellor.capacity,
            max_capacity(sb.settings, account),
            counsellor.status.value,
            int(sb.settings.resume_grace_s),
            tuple(
                OpenChat(c.id, c.language, c.to_seeker.accepted) for c in counsellor.chats.values()
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


def seeker_lost(sb: Switchboard, seeker: Seeker, now: float, out: list[Effect]) -> None:
    """The seeker's connection is gone (the caller has untied it): their counsellor
    hears so, and the grace period starts."""
    seeker.conn = None
    seeker.lost_at = now
    sb._timers.seeker_gone(now + sb.settings.resume_grace_s, seeker.token, now)
    chat = seeker.chat
    if chat is not None and chat.state is ChatState.ACTIVE and chat.counsellor.conn is not None:
        out.append(PeerPresence(chat.counsellor.conn, chat.id, False))


def counsellor_lost(sb: Switchboard, counsellor: Counsellor, now: float, out: list[Effect]) -> None:
    """The counsellor's connection is gone (the caller has untied it): a pending offer
    is withdrawn, their seekers hear so, and the grace period starts."""
    counsellor.conn = None
    counsellor.lost_at = now
    if counsellor.offer is not None:
        withdraw(sb, counsellor.offer, ChatEvent.COUNSELLOR_LOST, now, out)
    for chat in counsellor.chats.values():
        if chat.seeker.conn is not None:
            out.append(PeerPresence(chat.seeker.conn, chat.id, False))
    sb._timers.counsellor_gone(now + sb.settings.resume_grace_s, counsellor.account.id, now)
    match(sb, now, out)
