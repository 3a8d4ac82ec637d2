"""Delivery for one chat as a client sees it (docs/protocol.md §3), without any I/O.

:class:`ChatDelivery` numbers outgoing envelopes 1, 2, 3…, keeps every
envelope until the server says the peer has it (``delivered``), lets at most
``window_frames`` envelopes and ``window_bytes`` payload bytes be outstanding
(more wait locally and go out as ``delivered`` frees room), says what to send
again after a resume, and on the incoming side drops any ``relay`` whose
``seq`` is not above the last one processed and tracks the cumulative ``ack``
still owed. :mod:`helpline.client` only moves its answers onto the socket.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Envelope:
    """One outgoing ``relay``: its place in the chat's sequence and the ciphertext."""

    seq: int
    payload: str


class ChatDelivery:
    """§3 for one chat and one direction out, one direction in."""

    def __init__(
        self,
        chat_id: str,
        *,
        window_frames: int = 64,
        window_bytes: int = 1024 * 1024,
        record_payloads: bool = True,
    ) -> None:
        if window_frames < 1 or window_bytes < 1:
            raise ValueError("the window must allow at least one envelope")
        self.chat_id = chat_id
        self.window_frames = window_frames
        self.window_bytes = window_bytes
        self.closed = False
        # Outgoing.
        self.last_seq = 0  # the highest seq handed out
        self.delivered_seq = 0  # everything up to here reached the peer
        self._in_flight: deque[Envelope] = deque()  # sent (or to re-send), not delivered
        self._in_flight_bytes = 0
        self._waiting: deque[Envelope] = deque()  # numbered, held back by the window
        # Incoming.
        self.received_seq = 0  # the last relay processed
        self.acked_seq = 0  # the last ack written on the current connection
        self.duplicates = 0
        self._record = record_payloads
        self.received: list[str] = []

    # Outgoing ----------------------------------------------------------------------

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    @property
    def undelivered(self) -> int:
        """Envelopes the peer does not have yet, sent or not."""
        return len(self._in_flight) + len(self._waiting)

    def submit(self, payload: str) -> list[Envelope]:
        """Number a new envelope; return the envelopes to send now (maybe none)."""
        self.last_seq += 1
        self._waiting.append(Envelope(self.last_seq, payload))
        return self._release()

    def on_delivered(self, seq: int) -> list[Envelope]:
        """The peer has everything up to ``seq`` (cumulative); return what may go out now."""
        seq = min(seq, self.last_seq)
        if seq <= self.delivered_seq:
            return []
        self.delivered_seq = seq
        while self._in_flight and self._in_flight[0].seq <= seq:
            self._in_flight_bytes -= len(self._in_flight.popleft().payload)
        return self._release()

    def on_resume(self, accepted_seq: int) -> list[Envelope]:
        """After a reconnect: the server holds everything up to ``accepted_seq``.

        Returns every outstanding envelope after it (in order) followed by what
        the window now lets out: the server drops a lower ``seq`` silently, so
        sending one too many is harmless, and one too few would stall the chat.
        Envelopes up to ``accepted_seq`` stay outstanding until ``delivered``.
        """
        again = [envelope for envelope in self._in_flight if envelope.seq > accepted_seq]
        return again + self._release()

    def start_after(self, accepted_seq: int) -> None:
        """A chat taken over from a colleague (§2.2 transfer): the server already holds
        envelopes up to ``accepted_seq``, which were not ours; number from the next one."""
        if accepted_seq > self.last_seq and not self._in_flight and not self._waiting:
            self.last_seq = self.delivered_seq = accepted_seq

    def next_seq(self) -> int:
        """The seq the next envelope gets (for an envelope sent inside another frame)."""
        return self.last_seq + 1

    def _release(self) -> list[Envelope]:
        out: list[Envelope] = []
        while self._waiting:
            size = len(self._waiting[0].payload)
            if self._in_flight and (
                len(self._in_flight) >= self.window_frames
                or self._in_flight_bytes + size > self.window_bytes
            ):
                break
            envelope = self._waiting.popleft()
            self._in_flight.append(envelope)
            self._in_flight_bytes += size
            out.append(envelope)
        return out

    # Incoming ----------------------------------------------------------------------

    def on_relay(self, seq: int, payload: str) -> bool:
        """Process an incoming envelope; False for a replay already processed (§3)."""
        if seq <= self.received_seq:
            self.duplicates += 1
            return False
        self.received_seq = seq
        if self._record:
            self.received.append(payload)
        return True

    def ack_due(self) -> int | None:
        """The cumulative ack to send now, or None when the last one still holds."""
        return self.received_seq if self.received_seq > self.acked_seq else None

    def acked(self, seq: int) -> None:
        self.acked_seq = max(self.acked_seq, seq)

    def new_connection(self) -> None:
        """Acks written on a lost connection may never have arrived: owe them again."""
        self.acked_seq = 0
