"""Delivery of envelopes and acknowledgements within a chat (docs/protocol.md §3).

Each direction of a chat is a :class:`~helpline.core.relay.Direction`: an
envelope is accepted in sequence and within the window, and passed on when the
other side is connected; what is not acknowledged is replayed on resume
(:mod:`helpline.core.reconnect`). While a colleague has not accepted a transfer
(``TRANSFERRING``) the seeker's envelopes and acknowledgements wait in the
chat. The caller has found the chat through its guards.
"""

from __future__ import annotations

from helpline.core.effects import Deliver, Delivered, Effect
from helpline.core.lifecycle import ChatState
from helpline.core.participants import Chat, CoreSettings


def to_counsellor(settings: CoreSettings, chat: Chat, seq: int, payload: str) -> list[Effect]:
    """An envelope from the seeker."""
    if chat.to_counsellor.accept(seq, payload, settings.window_frames, settings.window_bytes):
        staff_conn = chat.counsellor.conn
        # While a colleague has not accepted a transfer, envelopes wait in the window.
        if staff_conn is not None and chat.state is ChatState.ACTIVE:
            return [Deliver(staff_conn, chat.id, seq, payload)]
    return []


def seeker_acked(chat: Chat, seq: int) -> list[Effect]:
    """The seeker acknowledged the counsellor's envelopes up to ``seq``."""
    staff_conn = chat.counsellor.conn
    if chat.to_seeker.ack(seq) and staff_conn is not None and chat.state is ChatState.ACTIVE:
        return [Delivered(staff_conn, chat.id, seq)]
    return []


def to_seeker(settings: CoreSettings, chat: Chat, seq: int, payload: str) -> list[Effect]:
    """An envelope from the counsellor."""
    if chat.to_seeker.accept(seq, payload, settings.window_frames, settings.window_bytes):
        seeker_conn = chat.seeker.conn
        if seeker_conn is not None:
            return [Deliver(seeker_conn, chat.id, seq, payload)]
    return []


def counsellor_acked(chat: Chat, seq: int) -> list[Effect]:
    """The counsellor acknowledged the seeker's envelopes up to ``seq``."""
    if chat.to_counsellor.ack(seq) and chat.seeker.conn is not None:
        return [Delivered(chat.seeker.conn, chat.id, seq)]
    return []
