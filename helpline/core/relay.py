"""One direction of a chat: sequence numbers, acknowledgements and the bounded buffer.

Rules (docs/protocol.md §3): the sender numbers envelopes 1, 2, 3…; the relay
accepts exactly ``accepted + 1``, drops a lower number silently (a re-send of
something it has) and refuses a higher one (``bad_seq``). Accepted envelopes
wait here, in memory only, until the receiver acknowledges them; at most
``window_frames`` envelopes and ``window_bytes`` payload bytes wait at once, and
more is refused (``window_full``) so that a chat's memory stays bounded whatever
the peers do.
"""

from __future__ import annotations

from helpline.errors import ProtocolError


class Direction:
    """``pending`` is a plain list, not a deque: an empty deque takes about 600 bytes
    and every open chat has two directions, mostly empty; the window keeps the list
    short (64 by default), so dropping from its front costs nothing that shows."""

    __slots__ = ("accepted", "acked", "pending", "pending_bytes")

    def __init__(self) -> None:
        self.accepted = 0  # highest seq accepted from the sender
        self.acked = 0  # highest seq acknowledged by the receiver
        self.pending: list[tuple[int, str]] = []
        self.pending_bytes = 0

    def accept(self, seq: int, payload: str, window_frames: int, window_bytes: int) -> bool:
        """Take an envelope; False for a duplicate. Raises ProtocolError when refused."""
        if seq != self.accepted + 1:
            if seq <= self.accepted:
                return False
            raise ProtocolError(f"expected seq {self.accepted + 1}", code="bad_seq")
        size = len(payload)  # inline, not check_room: this is the relay's hot path
        if len(self.pending) >= window_frames or self.pending_bytes + size > window_bytes:
            raise ProtocolError("the peer has not acknowledged enough yet", code="window_full")
        self.accepted = seq
        self.pending.append((seq, payload))
        self.pending_bytes += size
        return True

    def check_new(self, seq: int, payload: str, window_frames: int, window_bytes: int) -> None:
        """Raise unless :meth:`accept` would take this envelope as a new one; changes
        nothing. For a step that must accept an envelope together with something else
        (a transfer, §2.2): a duplicate is refused here, as ``bad_seq``."""
        if seq != self.accepted + 1:
            raise ProtocolError(f"expected seq {self.accepted + 1}", code="bad_seq")
        self.check_room(payload, window_frames, window_bytes)

    def check_room(self, payload: str, window_frames: int, window_bytes: int) -> None:
        if len(self.pending) >= window_frames or self.pending_bytes + len(payload) > window_bytes:
            raise ProtocolError("the peer has not acknowledged enough yet", code="window_full")

    def ack(self, seq: int) -> bool:
        """Acknowledge up to ``seq``; True if that released anything."""
        if seq > self.accepted:
            raise ProtocolError("ack beyond what was sent", code="bad_seq")
        if seq <= self.acked:
            return False
        self.acked = seq
        pending = self.pending
        released = 0
        for pending_seq, payload in pending:
            if pending_seq > seq:
                break
            self.pending_bytes -= len(payload)
            released += 1
        del pending[:released]
        return True

    def unacked(self) -> list[tuple[int, str]]:
        return list(self.pending)
