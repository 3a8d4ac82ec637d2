"""What a session reports from :meth:`receive` (frozen, slotted dataclasses).

- :class:`Outgoing`: bytes to send to the peer through the relay (as ``b64u``).
- :class:`Established`: an epoch's keys are in place; show the safety code, the
  counsellor's handle and, when ``transcripts`` is true, say so before the first
  message. ``same_person`` (counsellor side) is True when a re-hello's tag checked,
  False when this session had a completed epoch and the HELLO did not prove it is the
  same seeker (wrong or missing tag), None when there was nothing to compare with
  (first HELLO, or a fresh session after a handover). ``prev_epoch_ack`` and
  ``prev_epoch_sent`` tell the application which of its frames of the previous epoch
  the peer never acknowledged (``n > prev_epoch_ack``, up to ``prev_epoch_sent − 1``):
  it sends those messages again in the new epoch.
- :class:`Message`, :class:`Typing`: a frame ``n`` of the current epoch; ``ack`` is the
  highest ``n`` the peer has received from us in this epoch (None before any).
- :class:`TransferRequested`: the counsellor hands the chat over to ``ik2``; the
  application calls ``SeekerSession.hello(now)`` at once (the relay holds the HELLO until
  the new counsellor accepts the chat), whose ACCEPT is then accepted only from ``ik2``.
- :class:`PeerClosed`: the peer ended the chat; the session is closed.
- :class:`GapDetected`: frames are missing; ask the relay to resend from ``expected``.
  Nothing advanced. (Replays produce no event at all.)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Outgoing:
    payload: bytes


@dataclass(frozen=True, slots=True)
class Established:
    epoch: int
    safety_code: str
    handle: str
    transcripts: bool
    same_person: bool | None
    prev_epoch_ack: int | None = None
    prev_epoch_sent: int = 0


@dataclass(frozen=True, slots=True)
class Message:
    n: int
    text: str
    ack: int | None


@dataclass(frozen=True, slots=True)
class Typing:
    n: int
    on: bool
    ack: int | None


@dataclass(frozen=True, slots=True)
class TransferRequested:
    ik2: bytes
    handle2: str


@dataclass(frozen=True, slots=True)
class PeerClosed:
    reason: str


@dataclass(frozen=True, slots=True)
class GapDetected:
    expected: int
    got: int


Event = Outgoing | Established | Message | Typing | TransferRequested | PeerClosed | GapDetected
