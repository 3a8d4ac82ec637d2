"""What the core asks the outside world to do.

Every call into :class:`~helpline.core.switchboard.Switchboard` returns a list of
these. The web layer turns each ``To*`` effect into one server frame of
docs/protocol.md §2.3–2.4 for the connection ``conn``; :class:`CloseConnection`
closes a socket; :class:`RecordChat` writes a statistics row. The core never
learns whether a frame reached its socket: delivery guarantees come from the
sequence numbers and acknowledgements of §3.
"""

from __future__ import annotations

from dataclasses import dataclass

from helpline.core.stats import ChatSummary

#: A connection, numbered by the web layer. The core never sees a socket.
ConnId = int


@dataclass(frozen=True, slots=True)
class SeekerWelcome:
    conn: ConnId
    token: str
    resume_grace_s: int


@dataclass(frozen=True, slots=True)
class SeekerResumed:
    conn: ConnId
    state: str  # "waiting" or "chatting"
    chat_id: str | None
    accepted_seq: int


@dataclass(frozen=True, slots=True)
class QueuePosition:
    conn: ConnId
    language: str
    position: int
    estimated_wait_s: int | None


@dataclass(frozen=True, slots=True)
class ChatOpened:
    conn: ConnId
    chat_id: str
    language: str
    # The highest counsellor-to-seeker seq accepted so far: 0 for a fresh chat, more for a
    # chat transferred to this counsellor, who numbers from the next one (§2.4).
    accepted_seq: int = 0


@dataclass(frozen=True, slots=True)
class Deliver:
    """An envelope for the receiving side of a chat."""

    conn: ConnId
    chat_id: str
    seq: int
    payload: str


@dataclass(frozen=True, slots=True)
class Delivered:
    """The peer acknowledged everything up to ``seq``."""

    conn: ConnId
    chat_id: str
    seq: int


@dataclass(frozen=True, slots=True)
class PeerPresence:
    conn: ConnId
    chat_id: str
    connected: bool


@dataclass(frozen=True, slots=True)
class Requeued:
    conn: ConnId
    reason: str  # counsellor_lost, handed_back, transfer_failed, transferred


@dataclass(frozen=True, slots=True)
class ChatClosed:
    conn: ConnId
    chat_id: str
    reason: str
    language: str  # the chat's queue: the seeker's feedback ticket remembers it
    # False: the seeker's chat_ended carries no feedback ticket (a blocked chat).
    feedback: bool = True


@dataclass(frozen=True, slots=True)
class OpenChat:
    chat_id: str
    language: str
    accepted_seq: int


@dataclass(frozen=True, slots=True)
class StaffWelcome:
    conn: ConnId
    username: str
    languages: tuple[str, ...]
    capacity: int
    max_capacity: int
    status: str
    resume_grace_s: int
    chats: tuple[OpenChat, ...]
    wrap_up_s: float = 0.0


@dataclass(frozen=True, slots=True)
class StaffStatus:
    conn: ConnId
    status: str
    languages: tuple[str, ...]
    capacity: int
    wrap_up_s: float = 0.0  # seconds of wrap-up pause left


@dataclass(frozen=True, slots=True)
class Offered:
    conn: ConnId
    chat_id: str
    language: str
    waited_s: int
    expires_in_s: int
    transfer_from: str | None = None  # the colleague's username, for a transfer


@dataclass(frozen=True, slots=True)
class OfferWithdrawn:
    conn: ConnId
    chat_id: str
    reason: str  # timeout, seeker_left


@dataclass(frozen=True, slots=True)
class LanguageFigure:
    language: str
    waiting: int
    longest_wait_s: int  # rounded down (helpline.core.figures)


@dataclass(frozen=True, slots=True)
class QueueFigures:
    """Live queue figures for a counsellor's account languages."""

    conn: ConnId
    languages: tuple[LanguageFigure, ...]


@dataclass(frozen=True, slots=True)
class HelpState:
    """The counsellor's help request: open since ``since`` (unix seconds) or closed."""

    conn: ConnId
    on: bool
    since: int | None
    acknowledged: bool = False


@dataclass(frozen=True, slots=True)
class CloseConnection:
    conn: ConnId
    code: int
    reason: str


@dataclass(frozen=True, slots=True)
class RecordChat:
    summary: ChatSummary


Effect = (
    SeekerWelcome
    | SeekerResumed
    | QueuePosition
    | ChatOpened
    | Deliver
    | Delivered
    | PeerPresence
    | Requeued
    | ChatClosed
    | StaffWelcome
    | StaffStatus
    | Offered
    | OfferWithdrawn
    | QueueFigures
    | HelpState
    | CloseConnection
    | RecordChat
)
