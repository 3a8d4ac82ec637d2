"""Frames the clients send: seekers (docs/protocol.md §2.1) and counsellors (§2.2).

Constructing a frame validates it (raising
:class:`~helpline.wire.fields.FrameError` with code ``bad_field``), so a frame
object in hand is always well formed. The payload size limit is configured and
is checked by the decoders, not here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from helpline.wire import fields as f
from helpline.wire.base import Frame, relay_text

# §2.1 Seeker → server -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Join(Frame):
    """Enter the queue of ``language`` (§2.1); must be the first frame, or ``resume``."""

    TYPE: ClassVar[str] = "join"
    WHAT: ClassVar[str] = "join"
    OMIT_NONE: ClassVar[frozenset[str]] = frozenset({"fallback_language"})

    language: str
    fallback_language: str | None = None

    def __post_init__(self) -> None:
        f.check_language(self.WHAT, "language", self.language)
        f.check_opt_language(self.WHAT, "fallback_language", self.fallback_language)


@dataclass(frozen=True, slots=True)
class Resume(Frame):
    """Take back a place or a chat with the token from ``welcome`` (§2.1, §5)."""

    TYPE: ClassVar[str] = "resume"
    WHAT: ClassVar[str] = "resume"

    token: str

    def __post_init__(self) -> None:
        f.check_token(self.WHAT, "token", self.token)

    def __repr__(self) -> str:
        return "Resume(token=<hidden>)"  # the token is a secret: keep it out of logs


@dataclass(frozen=True, slots=True)
class SeekerRelay(Frame):
    """An envelope from the seeker (§2.1, §3). ``chat_id`` is optional for seekers."""

    TYPE: ClassVar[str] = "relay"
    WHAT: ClassVar[str] = "relay"
    OMIT_NONE: ClassVar[frozenset[str]] = frozenset({"chat_id"})

    seq: int
    payload: str
    chat_id: str | None = None

    def __post_init__(self) -> None:
        f.check_seq(self.WHAT, "seq", self.seq)
        f.check_payload(self.WHAT, self.payload)
        f.check_opt_chat_id(self.WHAT, "chat_id", self.chat_id)

    def serialize(self) -> str:
        # Concatenation is safe: the fields are validated base64url and an int.
        head = '{"v":1,"type":"relay","seq":' + str(self.seq) + ',"payload":"' + self.payload
        if self.chat_id is None:
            return head + '"}'
        return head + '","chat_id":"' + self.chat_id + '"}'


@dataclass(frozen=True, slots=True)
class SeekerAck(Frame):
    """Cumulative acknowledgement of the counsellor's envelopes (§2.1, §3).

    ``seq`` may be 0 ("nothing yet"): it acknowledges nothing and is harmless.
    """

    TYPE: ClassVar[str] = "ack"
    WHAT: ClassVar[str] = "ack"
    OMIT_NONE: ClassVar[frozenset[str]] = frozenset({"chat_id"})

    seq: int
    chat_id: str | None = None

    def __post_init__(self) -> None:
        f.check_seq(self.WHAT, "seq", self.seq, low=0)
        f.check_opt_chat_id(self.WHAT, "chat_id", self.chat_id)

    def serialize(self) -> str:
        head = '{"v":1,"type":"ack","seq":' + str(self.seq)
        if self.chat_id is None:
            return head + "}"
        return head + ',"chat_id":"' + self.chat_id + '"}'


@dataclass(frozen=True, slots=True)
class Leave(Frame):
    """Leave the queue or end the chat, and forget the resume token (§2.1)."""

    TYPE: ClassVar[str] = "leave"
    WHAT: ClassVar[str] = "leave"


@dataclass(frozen=True, slots=True)
class Ping(Frame):
    """Application-level ping from either client role; answered with ``pong`` (§1)."""

    TYPE: ClassVar[str] = "ping"
    WHAT: ClassVar[str] = "ping"


# §2.2 Counsellor → server ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class SetStatus(Frame):
    """Change availability (§2.2). A list given for ``languages`` becomes a tuple."""

    TYPE: ClassVar[str] = "status"
    WHAT: ClassVar[str] = "status"
    OMIT_NONE: ClassVar[frozenset[str]] = frozenset({"languages", "capacity"})

    status: str
    languages: tuple[str, ...] | None = None
    capacity: int | None = None

    def __post_init__(self) -> None:
        f.check_status(self.WHAT, self.status)
        if self.languages is not None:
            langs = f.check_languages(self.WHAT, "languages", self.languages)
            object.__setattr__(self, "languages", langs)
        if self.capacity is not None:
            f.check_capacity(self.WHAT, "capacity", self.capacity)


@dataclass(frozen=True, slots=True)
class Accept(Frame):
    """Accept an offer (§2.2)."""

    TYPE: ClassVar[str] = "accept"
    WHAT: ClassVar[str] = "accept"

    chat_id: str

    def __post_init__(self) -> None:
        f.check_chat_id(self.WHAT, "chat_id", self.chat_id)


@dataclass(frozen=True, slots=True)
class Decline(Frame):
    """Decline an offer (§2.2)."""

    TYPE: ClassVar[str] = "decline"
    WHAT: ClassVar[str] = "decline"

    chat_id: str

    def __post_init__(self) -> None:
        f.check_chat_id(self.WHAT, "chat_id", self.chat_id)


@dataclass(frozen=True, slots=True)
class StaffRelay(Frame):
    """An envelope from the counsellor (§2.2, §3); ``chat_id`` is required."""

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
        # Concatenation is safe: the fields are validated base64url and an int.
        return relay_text(self.chat_id, self.seq, self.payload)


@dataclass(frozen=True, slots=True)
class StaffAck(Frame):
    """Cumulative acknowledgement of the seeker's envelopes (§2.2); ``seq`` may be 0."""

    TYPE: ClassVar[str] = "ack"
    WHAT: ClassVar[str] = "ack"

    chat_id: str
    seq: int

    def __post_init__(self) -> None:
        f.check_chat_id(self.WHAT, "chat_id", self.chat_id)
        f.check_seq(self.WHAT, "seq", self.seq, low=0)

    def serialize(self) -> str:
        return '{"v":1,"type":"ack","chat_id":"' + self.chat_id + '","seq":' + str(self.seq) + "}"


@dataclass(frozen=True, slots=True)
class End(Frame):
    """End a chat (§2.2), with an optional outcome code (at most 64 printable characters)."""

    TYPE: ClassVar[str] = "end"
    WHAT: ClassVar[str] = "end"
    OMIT_NONE: ClassVar[frozenset[str]] = frozenset({"outcome"})

    chat_id: str
    outcome: str | None = None

    def __post_init__(self) -> None:
        f.check_chat_id(self.WHAT, "chat_id", self.chat_id)
        if self.outcome is not None:
            f.check_text(self.WHAT, "outcome", self.outcome, f.MAX_OUTCOME_CHARS)


@dataclass(frozen=True, slots=True)
class Requeue(Frame):
    """Hand the chat back; the seeker returns to the front of the queue (§2.2)."""

    TYPE: ClassVar[str] = "requeue"
    WHAT: ClassVar[str] = "requeue"

    chat_id: str

    def __post_init__(self) -> None:
        f.check_chat_id(self.WHAT, "chat_id", self.chat_id)


@dataclass(frozen=True, slots=True)
class TransferTo(Frame):
    """Hand the chat to the colleague ``to`` (§2.2). ``seq``/``payload`` is the next
    envelope of the chat (the HLP1 TRANSFER frame); envelope and transfer are accepted
    together or not at all.

    ``transfer`` has two shapes; the decoder picks this one unless ``language`` is given.
    """

    TYPE: ClassVar[str] = "transfer"
    WHAT: ClassVar[str] = "transfer"

    chat_id: str
    to: str
    seq: int
    payload: str

    def __post_init__(self) -> None:
        f.check_chat_id(self.WHAT, "chat_id", self.chat_id)
        f.check_text(self.WHAT, "to", self.to, f.MAX_ACCOUNT_NAME_CHARS)
        f.check_seq(self.WHAT, "seq", self.seq)
        f.check_payload(self.WHAT, self.payload)


@dataclass(frozen=True, slots=True)
class TransferLanguage(Frame):
    """Hand the seeker to the front of another language's queue (§2.2)."""

    TYPE: ClassVar[str] = "transfer"
    WHAT: ClassVar[str] = "transfer"

    chat_id: str
    language: str

    def __post_init__(self) -> None:
        f.check_chat_id(self.WHAT, "chat_id", self.chat_id)
        f.check_language(self.WHAT, "language", self.language)


@dataclass(frozen=True, slots=True)
class Block(Frame):
    """End an abusive chat: the seeker's token is forgotten at once (§2.2)."""

    TYPE: ClassVar[str] = "block"
    WHAT: ClassVar[str] = "block"

    chat_id: str

    def __post_init__(self) -> None:
        f.check_chat_id(self.WHAT, "chat_id", self.chat_id)


@dataclass(frozen=True, slots=True)
class HelpRequest(Frame):
    """Ask a supervisor for help (``on``) or withdraw the request (§2.2). No content."""

    TYPE: ClassVar[str] = "help"
    WHAT: ClassVar[str] = "help"

    on: bool

    def __post_init__(self) -> None:
        f.check_bool(self.WHAT, "on", self.on)


Transfer = TransferTo | TransferLanguage
SeekerFrame = Join | Resume | SeekerRelay | SeekerAck | Leave | Ping
StaffFrame = (
    SetStatus
    | Accept
    | Decline
    | StaffRelay
    | StaffAck
    | End
    | Requeue
    | TransferTo
    | TransferLanguage
    | Block
    | HelpRequest
    | Ping
)
ClientFrame = SeekerFrame | StaffFrame

SEEKER_FRAMES: dict[str, type[SeekerFrame]] = {
    cls.TYPE: cls for cls in (Join, Resume, SeekerRelay, SeekerAck, Leave, Ping)
}
#: ``transfer`` maps to :class:`TransferTo`; the decoder takes :class:`TransferLanguage`
#: instead when the frame has a ``language`` field.
STAFF_FRAMES: dict[str, type[StaffFrame]] = {
    cls.TYPE: cls
    for cls in (
        SetStatus,
        Accept,
        Decline,
        StaffRelay,
        StaffAck,
        End,
        Requeue,
        TransferTo,
        Block,
        HelpRequest,
        Ping,
    )
}
