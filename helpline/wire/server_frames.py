"""Frames the server sends: to seekers (docs/protocol.md §2.3) and counsellors (§2.4).

``relay``, ``delivered``, ``peer``, ``pong`` and ``error`` look the same for
both roles and have one class each; ``welcome``, ``matched`` and
``chat_ended`` differ and have a class per role.

``relay`` and ``delivered`` serialize by string concatenation
(:func:`~helpline.wire.base.relay_text`), which the server may also call
directly with the fields of a decoded frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from helpline.wire import fields as f
from helpline.wire.base import Frame, Record, delivered_text, relay_text

SEEKER_END_REASONS = frozenset({"counsellor_ended", "seeker_left"})
STAFF_END_REASONS = frozenset(
    {"seeker_left", "seeker_gone", "counsellor_ended", "handed_back", "transferred", "blocked"}
)
REQUEUE_REASONS = frozenset({"counsellor_lost", "handed_back", "transfer_failed", "transferred"})
WITHDRAW_REASONS = frozenset({"timeout", "seeker_left", "not_allowed"})
#: §2.3 lists ``waiting`` and ``chatting``; the server also answers ``ended`` when the
#: chat ended while the seeker was away (§3: replays, then ``chat_ended``).
RESUME_STATES = frozenset({"waiting", "chatting", "ended"})

#: The error codes of §2.5. The decoder does not insist on them (a newer server
#: may add codes); it only checks the shape (a-z and ``_``).
ERROR_CODES = frozenset(
    {
        "bad_json",
        "bad_version",
        "unknown_type",
        "missing_field",
        "bad_field",
        "payload_too_large",
        "binary_not_allowed",
        "handshake_required",
        "already_joined",
        "bad_token",
        "unknown_language",
        "queue_full",
        "queue_closed",
        "unknown_chat",
        "no_chat",
        "bad_seq",
        "window_full",
        "not_allowed",
    }
)

# Shared by both roles ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RelayOut(Frame):
    """An envelope from the peer (§2.3, §2.4), always with its ``chat_id``."""

    TYPE: ClassVar[str] = "relay"
    WHAT: ClassVar[str] = "relay"

    chat_id: str
    seq: int
    payload: str

    def __post_init__(self) -> None:
        f.check_chat_id(self.WHAT, "chat_id", self.chat_id)
        f.check_seq(self.WHAT, "seq", self.seq)
        f.check_payload(self.WHAT, self.payload)

    def serialize(self) -> str:
        return relay_text(self.chat_id, self.seq, self.payload)


@dataclass(frozen=True, slots=True)
class Delivered(Frame):
    """The peer has acknowledged everything up to ``seq`` (§3); 0 is allowed."""

    TYPE: ClassVar[str] = "delivered"
    WHAT: ClassVar[str] = "delivered"

    chat_id: str
    seq: int

    def __post_init__(self) -> None:
        f.check_chat_id(self.WHAT, "chat_id", self.chat_id)
        f.check_seq(self.WHAT, "seq", self.seq, low=0)

    def serialize(self) -> str:
        return delivered_text(self.chat_id, self.seq)


@dataclass(frozen=True, slots=True)
class Peer(Frame):
    """The other side's connection dropped or came back (§5)."""

    TYPE: ClassVar[str] = "peer"
    WHAT: ClassVar[str] = "peer"

    chat_id: str
    connected: bool

    def __post_init__(self) -> None:
        f.check_chat_id(self.WHAT, "chat_id", self.chat_id)
        f.check_bool(self.WHAT, "connected", self.connected)


@dataclass(frozen=True, slots=True)
class Pong(Frame):
    """The answer to ``ping`` (§1)."""

    TYPE: ClassVar[str] = "pong"
    WHAT: ClassVar[str] = "pong"


@dataclass(frozen=True, slots=True)
class ErrorFrame(Frame):
    """A refused frame (§2.5).

    ``seq`` and ``chat_id`` echo a refused ``relay``'s (or ``ack``'s) sequence
    number and chat, else null: a counsellor with several chats needs both to
    know which envelope to send again.
    """

    TYPE: ClassVar[str] = "error"
    WHAT: ClassVar[str] = "error"
    JSON_REQUIRED: ClassVar[frozenset[str]] = frozenset({"seq"})  # "seq": n | null

    code: str
    message: str
    seq: int | None = None  # always written, as null when None
    chat_id: str | None = None  # omitted when None

    def __post_init__(self) -> None:
        f.check_code(self.WHAT, "code", self.code)
        f.check_message(self.WHAT, "message", self.message)
        if self.seq is not None:
            f.check_seq(self.WHAT, "seq", self.seq)
        if self.chat_id is not None:
            f.check_chat_id(self.WHAT, "chat_id", self.chat_id)


# Server → seeker (§2.3) ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SeekerWelcome(Frame):
    """After ``join``: the resume token, the only way back (§2.3, §5)."""

    TYPE: ClassVar[str] = "welcome"
    WHAT: ClassVar[str] = "welcome"

    token: str
    resume_grace_s: float

    def __post_init__(self) -> None:
        f.check_token(self.WHAT, "token", self.token)
        f.check_seconds(self.WHAT, "resume_grace_s", self.resume_grace_s)

    def __repr__(self) -> str:
        return f"SeekerWelcome(token=<hidden>, resume_grace_s={self.resume_grace_s!r})"


@dataclass(frozen=True, slots=True)
class Resumed(Frame):
    """After a good ``resume`` (§2.3, §3): re-send every envelope after ``accepted_seq``."""

    TYPE: ClassVar[str] = "resumed"
    WHAT: ClassVar[str] = "resumed"

    state: str
    chat_id: str | None  # always written, as null when None
    accepted_seq: int

    def __post_init__(self) -> None:
        f.check_choice(self.WHAT, "state", self.state, RESUME_STATES)
        f.check_opt_chat_id(self.WHAT, "chat_id", self.chat_id)
        f.check_count(self.WHAT, "accepted_seq", self.accepted_seq)


@dataclass(frozen=True, slots=True)
class QueueUpdate(Frame):
    """The seeker's place in the queue (§2.3, §4); ``estimated_wait_s`` may be null."""

    TYPE: ClassVar[str] = "queue"
    WHAT: ClassVar[str] = "queue"

    language: str
    position: int
    estimated_wait_s: int | None  # always written, as null when None

    def __post_init__(self) -> None:
        f.check_language(self.WHAT, "language", self.language)
        f.check_count(self.WHAT, "position", self.position, low=1)
        f.check_opt_count(self.WHAT, "estimated_wait_s", self.estimated_wait_s)


@dataclass(frozen=True, slots=True)
class SeekerMatched(Frame):
    """A counsellor accepted; the chat is open (§2.3)."""

    TYPE: ClassVar[str] = "matched"
    WHAT: ClassVar[str] = "matched"

    chat_id: str

    def __post_init__(self) -> None:
        f.check_chat_id(self.WHAT, "chat_id", self.chat_id)


@dataclass(frozen=True, slots=True)
class Requeued(Frame):
    """The chat ended without the seeker asking; back at the front of the queue (§2.3)."""

    TYPE: ClassVar[str] = "requeued"
    WHAT: ClassVar[str] = "requeued"

    reason: str

    def __post_init__(self) -> None:
        f.check_choice(self.WHAT, "reason", self.reason, REQUEUE_REASONS)


@dataclass(frozen=True, slots=True)
class SeekerChatEnded(Frame):
    """The chat is over for the seeker; the token is forgotten (§2.3).

    ``feedback`` is a one-use ticket for ``POST /api/feedback`` (§7), or null when
    the service asks for no feedback; always written.
    """

    TYPE: ClassVar[str] = "chat_ended"
    WHAT: ClassVar[str] = "chat_ended"
    JSON_REQUIRED: ClassVar[frozenset[str]] = frozenset({"feedback"})

    chat_id: str
    reason: str
    feedback: str | None = None

    def __post_init__(self) -> None:
        f.check_chat_id(self.WHAT, "chat_id", self.chat_id)
        f.check_choice(self.WHAT, "reason", self.reason, SEEKER_END_REASONS)
        if self.feedback is not None:
            f.check_token(self.WHAT, "feedback", self.feedback)

    def __repr__(self) -> str:
        shown = None if self.feedback is None else "<hidden>"
        return (
            f"SeekerChatEnded(chat_id={self.chat_id!r}, reason={self.reason!r}, feedback={shown})"
        )


# Server → counsellor (§2.4) -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChatInfo(Record):
    """One entry of ``welcome.chats`` (§2.4): an open chat and the last accepted seq."""

    WHAT: ClassVar[str] = "welcome.chats"

    chat_id: str
    language: str
    accepted_seq: int

    def __post_init__(self) -> None:
        f.check_chat_id(self.WHAT, "chat_id", self.chat_id)
        f.check_language(self.WHAT, "language", self.language)
        f.check_count(self.WHAT, "accepted_seq", self.accepted_seq)


@dataclass(frozen=True, slots=True)
class StaffWelcome(Frame):
    """Sent on every staff connection (§2.4); ``chats`` lists chats still open."""

    TYPE: ClassVar[str] = "welcome"
    WHAT: ClassVar[str] = "welcome"
    JSON_REQUIRED: ClassVar[frozenset[str]] = frozenset({"chats"})

    username: str
    languages: tuple[str, ...]
    capacity: int
    max_capacity: int
    status: str
    resume_grace_s: float
    chats: tuple[ChatInfo, ...] = ()
    wrap_up_s: float = 0  # seconds of wrap-up pause left (§2.4), 0 when none

    def __post_init__(self) -> None:
        f.check_text(self.WHAT, "username", self.username, f.MAX_USERNAME_CHARS)
        f.check_seconds(self.WHAT, "wrap_up_s", self.wrap_up_s)
        langs = f.check_languages(self.WHAT, "languages", self.languages)
        object.__setattr__(self, "languages", langs)
        f.check_capacity(self.WHAT, "capacity", self.capacity)
        f.check_capacity(self.WHAT, "max_capacity", self.max_capacity)
        f.check_status(self.WHAT, self.status)
        f.check_seconds(self.WHAT, "resume_grace_s", self.resume_grace_s)
        chats: object = self.chats
        if type(chats) is not tuple and type(chats) is not list:
            raise f.bad(self.WHAT, "chats", "must be a list")
        assert isinstance(chats, tuple | list)
        if len(chats) > f.MAX_CHATS:
            raise f.bad(self.WHAT, "chats", f"must have at most {f.MAX_CHATS} entries")
        for chat in chats:
            if not isinstance(chat, ChatInfo):
                raise f.bad(self.WHAT, "chats", "must hold chat entries")
        object.__setattr__(self, "chats", tuple(chats))

    @classmethod
    def prepare(cls, values: dict[str, Any]) -> dict[str, Any]:
        chats = values["chats"]
        if type(chats) is list and len(chats) <= f.MAX_CHATS:
            entries = []
            for item in chats:
                if type(item) is not dict:
                    raise f.bad(cls.WHAT, "chats", "must hold objects")
                entries.append(ChatInfo.from_json(item))
            values["chats"] = tuple(entries)
        return values


@dataclass(frozen=True, slots=True)
class StatusUpdate(Frame):
    """The counsellor's availability after every change (§2.4), with the wrap-up
    pause left (0 when none)."""

    TYPE: ClassVar[str] = "status"
    WHAT: ClassVar[str] = "status"

    status: str
    languages: tuple[str, ...]
    capacity: int
    wrap_up_s: float = 0

    def __post_init__(self) -> None:
        f.check_status(self.WHAT, self.status)
        langs = f.check_languages(self.WHAT, "languages", self.languages)
        object.__setattr__(self, "languages", langs)
        f.check_capacity(self.WHAT, "capacity", self.capacity)
        f.check_seconds(self.WHAT, "wrap_up_s", self.wrap_up_s)


@dataclass(frozen=True, slots=True)
class Offer(Frame):
    """A seeker is waiting for this counsellor (§2.4, §4); ``transfer_from`` names the
    colleague handing the chat over, null for a seeker from the queue (always written)."""

    TYPE: ClassVar[str] = "offer"
    WHAT: ClassVar[str] = "offer"

    chat_id: str
    language: str
    waited_s: float
    expires_in_s: float
    transfer_from: str | None = None

    def __post_init__(self) -> None:
        f.check_chat_id(self.WHAT, "chat_id", self.chat_id)
        f.check_language(self.WHAT, "language", self.language)
        f.check_seconds(self.WHAT, "waited_s", self.waited_s)
        f.check_seconds(self.WHAT, "expires_in_s", self.expires_in_s)
        if self.transfer_from is not None:
            f.check_text(self.WHAT, "transfer_from", self.transfer_from, f.MAX_USERNAME_CHARS)


@dataclass(frozen=True, slots=True)
class OfferWithdrawn(Frame):
    """The offer is gone (§2.4)."""

    TYPE: ClassVar[str] = "offer_withdrawn"
    WHAT: ClassVar[str] = "offer_withdrawn"

    chat_id: str
    reason: str

    def __post_init__(self) -> None:
        f.check_chat_id(self.WHAT, "chat_id", self.chat_id)
        f.check_choice(self.WHAT, "reason", self.reason, WITHDRAW_REASONS)


@dataclass(frozen=True, slots=True)
class StaffMatched(Frame):
    """The offer was accepted; the chat is open (§2.4). ``accepted_seq`` is the highest
    counsellor-to-seeker seq the server accepted in the chat (0 for a fresh chat; more
    after a transfer): this counsellor numbers from the next one."""

    TYPE: ClassVar[str] = "matched"
    WHAT: ClassVar[str] = "matched"

    chat_id: str
    language: str
    accepted_seq: int = 0

    def __post_init__(self) -> None:
        f.check_chat_id(self.WHAT, "chat_id", self.chat_id)
        f.check_language(self.WHAT, "language", self.language)
        f.check_count(self.WHAT, "accepted_seq", self.accepted_seq)


@dataclass(frozen=True, slots=True)
class StaffChatEnded(Frame):
    """The chat is over for this counsellor (§2.4)."""

    TYPE: ClassVar[str] = "chat_ended"
    WHAT: ClassVar[str] = "chat_ended"

    chat_id: str
    reason: str

    def __post_init__(self) -> None:
        f.check_chat_id(self.WHAT, "chat_id", self.chat_id)
        f.check_choice(self.WHAT, "reason", self.reason, STAFF_END_REASONS)


@dataclass(frozen=True, slots=True)
class QueueFigure(Record):
    """One entry of ``queues.languages`` (§2.4): a queue's live figures."""

    WHAT: ClassVar[str] = "queues.languages"

    language: str
    waiting: int
    longest_wait_s: int

    def __post_init__(self) -> None:
        f.check_language(self.WHAT, "language", self.language)
        f.check_count(self.WHAT, "waiting", self.waiting)
        f.check_count(self.WHAT, "longest_wait_s", self.longest_wait_s)


@dataclass(frozen=True, slots=True)
class QueueFigures(Frame):
    """Live figures of the counsellor's account languages (§2.4, §4)."""

    TYPE: ClassVar[str] = "queues"
    WHAT: ClassVar[str] = "queues"

    languages: tuple[QueueFigure, ...]

    def __post_init__(self) -> None:
        entries: object = self.languages
        if type(entries) is not tuple and type(entries) is not list:
            raise f.bad(self.WHAT, "languages", "must be a list")
        assert isinstance(entries, tuple | list)
        if len(entries) > f.MAX_LANGUAGES:
            raise f.bad(self.WHAT, "languages", f"must have at most {f.MAX_LANGUAGES} entries")
        for entry in entries:
            if not isinstance(entry, QueueFigure):
                raise f.bad(self.WHAT, "languages", "must hold queue entries")
        object.__setattr__(self, "languages", tuple(entries))

    @classmethod
    def prepare(cls, values: dict[str, Any]) -> dict[str, Any]:
        entries = values["languages"]
        if type(entries) is list and len(entries) <= f.MAX_LANGUAGES:
            items = []
            for item in entries:
                if type(item) is not dict:
                    raise f.bad(cls.WHAT, "languages", "must hold objects")
                items.append(QueueFigure.from_json(item))
            values["languages"] = tuple(items)
        return values


@dataclass(frozen=True, slots=True)
class HelpState(Frame):
    """The counsellor's help request (§2.4): open since ``since`` (unix seconds) or not;
    ``acknowledged`` when a supervisor closed it."""

    TYPE: ClassVar[str] = "help"
    WHAT: ClassVar[str] = "help"
    JSON_REQUIRED: ClassVar[frozenset[str]] = frozenset({"since", "acknowledged"})

    on: bool
    since: int | None = None
    acknowledged: bool = False

    def __post_init__(self) -> None:
        f.check_bool(self.WHAT, "on", self.on)
        f.check_opt_count(self.WHAT, "since", self.since)
        f.check_bool(self.WHAT, "acknowledged", self.acknowledged)


SeekerServerFrame = (
    SeekerWelcome
    | Resumed
    | QueueUpdate
    | SeekerMatched
    | RelayOut
    | Delivered
    | Peer
    | Requeued
    | SeekerChatEnded
    | Pong
    | ErrorFrame
)
StaffServerFrame = (
    StaffWelcome
    | StatusUpdate
    | Offer
    | OfferWithdrawn
    | StaffMatched
    | RelayOut
    | Delivered
    | Peer
    | StaffChatEnded
    | QueueFigures
    | HelpState
    | Pong
    | ErrorFrame
)
ServerFrame = SeekerServerFrame | StaffServerFrame
ClientRole = Literal["seeker", "staff"]

_SHARED: tuple[type[ServerFrame], ...] = (RelayOut, Delivered, Peer, Pong, ErrorFrame)
SEEKER_SERVER_FRAMES: dict[str, type[ServerFrame]] = {
    cls.TYPE: cls
    for cls in (
        *_SHARED,
        SeekerWelcome,
        Resumed,
        QueueUpdate,
        SeekerMatched,
        Requeued,
        SeekerChatEnded,
    )
}
STAFF_SERVER_FRAMES: dict[str, type[ServerFrame]] = {
    cls.TYPE: cls
    for cls in (
        *_SHARED,
        StaffWelcome,
        StatusUpdate,
        Offer,
        OfferWithdrawn,
        StaffMatched,
        StaffChatEnded,
        QueueFigures,
        HelpState,
    )
}


# Hot-path serializers -----------------------------------------------------------
