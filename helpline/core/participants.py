"""The people and chats the switchboard keeps, and its settings.

Plain mutable records with slots, owned by
:class:`~helpline.core.switchboard.Switchboard` and changed only by it and the
modules of its machinery; nothing here has behaviour of its own beyond small
questions about its state.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass

from helpline.core.effects import ConnId
from helpline.core.lifecycle import ChatState, SeekerState
from helpline.core.relay import Direction
from helpline.core.staff import StaffAccount

MAX_EXCLUDED = 16  # counsellors a seeker remembers having been handed back by
RECENTLY_CLOSED = 8  # chat ids whose late acks are ignored quietly


def remember_closed(closed: tuple[str, ...], chat_id: str) -> tuple[str, ...]:
    """``closed`` with ``chat_id`` added, the oldest dropped beyond RECENTLY_CLOSED."""
    return (*closed, chat_id)[-RECENTLY_CLOSED:]


class Status(enum.StrEnum):
    AVAILABLE = "available"
    AWAY = "away"


@dataclass(frozen=True, slots=True)
class CoreSettings:
    languages: tuple[str, ...] = ("en",)
    fallback_after_s: float = 300.0
    offer_timeout_s: float = 30.0
    position_interval_s: float = 2.0
    # Position updates one tick may send in all. A pass over a long queue is spread
    # over several ticks instead of blocking the event loop for one burst; the rate
    # of position frames is bounded whatever the queue length (docs/protocol.md §4).
    positions_per_tick: int = 1000
    resume_grace_s: float = 120.0
    max_capacity: int = 3
    max_waiting: int = 20_000
    window_frames: int = 64
    window_bytes: int = 1024 * 1024
    # A counsellor's pause after each chat of theirs ends (0: none); no new offer
    # meanwhile, except a colleague's transfer (docs/protocol.md §4).
    wrap_up_s: float = 0.0


class Seeker:
    __slots__ = (
        "chat",
        "conn",
        "excluded",
        "fallback",
        "fallback_active",
        "joined_at",
        "language",
        "lingering",
        "lost_at",
        "position_at",
        "position_sent",
        "queued_at",
        "recently_closed",
        "state",
        "ticket",
        "token",
    )

    def __init__(self, token: str, conn: ConnId, language: str, fallback: str | None, now: float):
        self.token = token
        self.conn: ConnId | None = conn
        self.language = language
        self.fallback = fallback
        self.fallback_active = False
        self.joined_at = now
        self.queued_at = now
        self.ticket = 0
        self.state = SeekerState.WAITING
        self.chat: Chat | None = None
        self.lost_at: float | None = None
        self.position_sent = 0
        self.position_at = float("-inf")
        # Small and usually empty: a tuple (an empty set or deque would cost hundreds
        # of bytes for each of thousands of seekers).
        self.excluded: tuple[int, ...] = ()
        # A chat that ended while the seeker was disconnected, and its closing reason.
        self.lingering: tuple[Chat, str] | None = None
        self.recently_closed: tuple[str, ...] = ()


class Counsellor:
    __slots__ = (
        "account",
        "capacity",
        "chats",
        "conn",
        "figures_at",
        "figures_sent",
        "free_since",
        "languages",
        "lingering",
        "lost_at",
        "offer",
        "recently_closed",
        "status",
        "wrap_up_until",
    )

    def __init__(self, account: StaffAccount, languages: tuple[str, ...], capacity: int):
        self.account = account
        self.conn: ConnId | None = None
        self.status = Status.AWAY
        self.languages = languages
        self.capacity = capacity
        self.chats: dict[str, Chat] = {}
        self.offer: Chat | None = None
        self.free_since = 0.0
        self.lost_at: float | None = None
        self.lingering: list[tuple[Chat, str]] = []
        self.recently_closed: deque[str] = deque(maxlen=RECENTLY_CLOSED)
        # No offer from the queue before this time (the wrap-up pause after a chat).
        self.wrap_up_until = 0.0
        # The queue figures last sent to this counsellor, and when (helpline.core.figures).
        self.figures_sent: tuple[object, ...] | None = None
        self.figures_at = float("-inf")

    def has_room(self) -> bool:
        """Connected, below capacity, no pending offer: room for one more chat (a
        transfer may be offered to them whatever their status)."""
        return self.conn is not None and self.offer is None and len(self.chats) < self.capacity

    def wrap_up_left(self, now: float) -> float:
        return max(0.0, self.wrap_up_until - now)

    def is_free(self, now: float) -> bool:
        """Whether the queue may offer them a seeker now (§4)."""
        return (
            self.has_room()
            and self.status is Status.AVAILABLE
            and now >= self.wrap_up_until
            and self.account.can_take_chats
            and not self.account.disabled
        )


class Chat:
    __slots__ = (
        "answered_at",
        "counsellor",
        "id",
        "language",
        "offered_at",
        "outcome",
        "queued_at",
        "seeker",
        "state",
        "to_counsellor",
        "to_seeker",
        "transfer_from",
    )

    def __init__(self, chat_id: str, language: str, seeker: Seeker, counsellor: Counsellor):
        self.id = chat_id
        self.language = language
        self.seeker = seeker
        self.counsellor = counsellor
        self.state = ChatState.OFFERED
        self.queued_at = seeker.queued_at
        self.answered_at: float | None = None
        # When the current offer (first, or to a colleague) was made: the stamp of its timer.
        self.offered_at = 0.0
        self.outcome: str | None = None
        self.to_counsellor = Direction()
        self.to_seeker = Direction()
        # While TRANSFERRING: the username of the colleague who handed the chat over.
        self.transfer_from: str | None = None
