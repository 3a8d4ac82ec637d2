"""The lifecycle of a chat and of a seeker, as transition tables.

Rules (docs/protocol.md §4, §5):

- A chat begins as an *offer* to one counsellor. Accepting makes it *active*.
  Declining, the offer timing out, the counsellor's connection being lost, or
  the seeker leaving *withdraws* it; a withdrawn offer never becomes a chat.
- An active chat *ends* exactly once: the seeker leaves or is gone after the
  grace period, the counsellor ends it, hands it back, transfers the seeker to
  another language's queue, blocks the seeker, or is gone after the grace
  period. Nothing leaves the ended state.
- An active chat handed to a colleague (§2.2 ``transfer`` with ``to``) is
  *transferring*: it is an offer to that colleague while the seeker stays in
  the chat. The colleague accepting makes it *active* again, with the same id
  and sequence numbers; declining, the offer timing out, the colleague being
  lost or barred *ends* it (the seeker is requeued: ``transfer_failed``), and so
  does the seeker leaving or being gone.
- A seeker *waits*, is *offered*, *chats*, and is *gone*. A withdrawn offer
  (other than by the seeker leaving) and a chat handed back, lost by the
  counsellor, transferred to another language or whose transfer to a colleague
  failed put the seeker back to *waiting*, at the front of the queue. A blocked
  seeker is *gone* at once.

Any pair (state, event) missing from a table is a bug in the caller, not a
peer's mistake: peers' frames are checked before they reach the tables, so a
failed lookup raises ``AssertionError``-like :class:`IllegalTransition`.
"""

from __future__ import annotations

import enum


class ChatState(enum.Enum):
    OFFERED = "offered"
    ACTIVE = "active"
    TRANSFERRING = "transferring"
    WITHDRAWN = "withdrawn"
    ENDED = "ended"


class ChatEvent(enum.Enum):
    ACCEPT = "accept"
    DECLINE = "decline"
    OFFER_TIMEOUT = "offer_timeout"
    SEEKER_LEFT = "seeker_left"
    SEEKER_GONE = "seeker_gone"
    COUNSELLOR_ENDED = "counsellor_ended"
    HANDED_BACK = "handed_back"
    COUNSELLOR_LOST = "counsellor_lost"
    COUNSELLOR_BARRED = "counsellor_barred"  # key revoked or expired, account disabled
    TRANSFER = "transfer"  # to a colleague: an offer to them while the seeker stays
    TRANSFERRED = "transferred"  # to another language's queue
    BLOCKED = "blocked"


class SeekerState(enum.Enum):
    WAITING = "waiting"
    OFFERED = "offered"
    CHATTING = "chatting"
    GONE = "gone"


class SeekerEvent(enum.Enum):
    OFFER = "offer"
    OFFER_WITHDRAWN = "offer_withdrawn"
    CHAT_OPENED = "chat_opened"
    REQUEUED = "requeued"
    CHAT_ENDED = "chat_ended"
    LEFT = "left"


CHAT_TRANSITIONS: dict[ChatState, dict[ChatEvent, ChatState]] = {
    ChatState.OFFERED: {
        ChatEvent.ACCEPT: ChatState.ACTIVE,
        ChatEvent.DECLINE: ChatState.WITHDRAWN,
        ChatEvent.OFFER_TIMEOUT: ChatState.WITHDRAWN,
        ChatEvent.COUNSELLOR_LOST: ChatState.WITHDRAWN,
        ChatEvent.COUNSELLOR_BARRED: ChatState.WITHDRAWN,
        ChatEvent.SEEKER_LEFT: ChatState.WITHDRAWN,
        ChatEvent.SEEKER_GONE: ChatState.WITHDRAWN,
    },
    ChatState.ACTIVE: {
        ChatEvent.SEEKER_LEFT: ChatState.ENDED,
        ChatEvent.SEEKER_GONE: ChatState.ENDED,
        ChatEvent.COUNSELLOR_ENDED: ChatState.ENDED,
        ChatEvent.HANDED_BACK: ChatState.ENDED,
        ChatEvent.COUNSELLOR_LOST: ChatState.ENDED,
        ChatEvent.TRANSFER: ChatState.TRANSFERRING,
        ChatEvent.TRANSFERRED: ChatState.ENDED,
        ChatEvent.BLOCKED: ChatState.ENDED,
    },
    ChatState.TRANSFERRING: {
        ChatEvent.ACCEPT: ChatState.ACTIVE,
        ChatEvent.DECLINE: ChatState.ENDED,
        ChatEvent.OFFER_TIMEOUT: ChatState.ENDED,
        ChatEvent.COUNSELLOR_LOST: ChatState.ENDED,
        ChatEvent.COUNSELLOR_BARRED: ChatState.ENDED,
        ChatEvent.SEEKER_LEFT: ChatState.ENDED,
        ChatEvent.SEEKER_GONE: ChatState.ENDED,
    },
    ChatState.WITHDRAWN: {},
    ChatState.ENDED: {},
}

SEEKER_TRANSITIONS: dict[SeekerState, dict[SeekerEvent, SeekerState]] = {
    SeekerState.WAITING: {
        SeekerEvent.OFFER: SeekerState.OFFERED,
        SeekerEvent.LEFT: SeekerState.GONE,
    },
    SeekerState.OFFERED: {
        SeekerEvent.CHAT_OPENED: SeekerState.CHATTING,
        SeekerEvent.OFFER_WITHDRAWN: SeekerState.WAITING,
        SeekerEvent.LEFT: SeekerState.GONE,
    },
    SeekerState.CHATTING: {
        SeekerEvent.REQUEUED: SeekerState.WAITING,
        SeekerEvent.CHAT_ENDED: SeekerState.GONE,
        SeekerEvent.LEFT: SeekerState.GONE,
    },
    SeekerState.GONE: {},
}


class IllegalTransition(Exception):
    """A state/event pair the tables do not allow: a bug in the core, never a peer's fault."""


def next_chat_state(state: ChatState, event: ChatEvent) -> ChatState:
    try:
        return CHAT_TRANSITIONS[state][event]
    except KeyError:
        raise IllegalTransition(f"chat: {event.value} in state {state.value}") from None


def next_seeker_state(state: SeekerState, event: SeekerEvent) -> SeekerState:
    try:
        return SEEKER_TRANSITIONS[state][event]
    except KeyError:
        raise IllegalTransition(f"seeker: {event.value} in state {state.value}") from None
