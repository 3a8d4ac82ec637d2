"""Core effects to server frames (docs/protocol.md §2.3, §2.4).

The core speaks of events in the helpline (a chat opened, a seeker requeued);
this module picks the frame class for the receiving role. ``Deliver`` and
``Delivered``, the hot path, are serialized by the hub directly with
:func:`helpline.wire.relay_text` and :func:`helpline.wire.delivered_text`.
"""

from __future__ import annotations

from helpline import wire
from helpline.core import effects as fx

SEEKER = "seeker"
STAFF = "staff"


def encode_effect(effect: fx.Effect, role: str) -> str:
    """The frame text for one effect addressed to a connection of ``role``."""
    return _frame(effect, role).serialize()


def _frame(effect: fx.Effect, role: str) -> wire.ServerFrame:
    match effect:
        case fx.Deliver(chat_id=chat_id, seq=seq, payload=payload):
            return wire.RelayOut(chat_id=chat_id, seq=seq, payload=payload)
        case fx.Delivered(chat_id=chat_id, seq=seq):
            return wire.Delivered(chat_id=chat_id, seq=seq)
        case fx.SeekerWelcome(token=token, resume_grace_s=grace):
            return wire.SeekerWelcome(token=token, resume_grace_s=grace)
        case fx.SeekerResumed(state=state, chat_id=chat_id, accepted_seq=accepted):
            return wire.Resumed(state=state, chat_id=chat_id, accepted_seq=accepted)
        case fx.QueuePosition(language=language, position=position, estimated_wait_s=estimate):
            return wire.QueueUpdate(language=language, position=position, estimated_wait_s=estimate)
        case fx.ChatOpened(chat_id=chat_id, language=language, accepted_seq=accepted):
            if role == SEEKER:
                return wire.SeekerMatched(chat_id=chat_id)
            return wire.StaffMatched(chat_id=chat_id, language=language, accepted_seq=accepted)
        case fx.PeerPresence(chat_id=chat_id, connected=connected):
            return wire.Peer(chat_id=chat_id, connected=connected)
        case fx.Requeued(reason=reason):
            return wire.Requeued(reason=reason)
        case fx.ChatClosed(chat_id=chat_id, reason=reason):
            if role == SEEKER:
                return wire.SeekerChatEnded(chat_id=chat_id, reason=reason)
            return wire.StaffChatEnded(chat_id=chat_id, reason=reason)
        case fx.StaffWelcome():
            return wire.StaffWelcome(
                username=effect.username,
                languages=effect.languages,
                capacity=effect.capacity,
                max_capacity=effect.max_capacity,
                status=effect.status,
                resume_grace_s=effect.resume_grace_s,
                chats=tuple(
                    wire.ChatInfo(
                        chat_id=c.chat_id, language=c.language, accepted_seq=c.accepted_seq
                    )
                    for c in effect.chats
                ),
                wrap_up_s=effect.wrap_up_s,
            )
        case fx.StaffStatus(status=status, languages=languages, capacity=capacity):
            return wire.StatusUpdate(
                status=status, languages=languages, capacity=capacity, wrap_up_s=effect.wrap_up_s
            )
        case fx.Offered(chat_id=chat_id, language=language, waited_s=waited, expires_in_s=expires):
            return wire.Offer(
                chat_id=chat_id,
                language=language,
                waited_s=waited,
                expires_in_s=expires,
                transfer_from=effect.transfer_from,
            )
        case fx.QueueFigures(languages=figures):
            return wire.QueueFigures(
                languages=tuple(
                    wire.QueueFigure(
                        language=f.language, waiting=f.waiting, longest_wait_s=f.longest_wait_s
                    )
                    for f in figures
                )
            )
        case fx.HelpState(on=on, since=since, acknowledged=acknowledged):
            return wire.HelpState(on=on, since=since, acknowledged=acknowledged)
        case fx.OfferWithdrawn(chat_id=chat_id, reason=reason):
            return wire.OfferWithdrawn(chat_id=chat_id, reason=reason)
    raise TypeError(f"no frame for {type(effect).__name__}")
