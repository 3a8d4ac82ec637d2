"""The two message chains of one epoch, with their counters (HLP1 "Data frames").

A :class:`SendChain` numbers frames from 0 and refuses to reach ``2^32 − 1``
(``exhausted``: the chat must end). A :class:`ReceiveChain` runs the receiver checks
of :mod:`crypto.frames` in order and compares ``n`` with the next expected counter
between the header checks and decryption: lower is ``replay``, higher is ``gap``.
Only a frame that passes every check (the plaintext shape included) advances the
chain; the message key is dropped as soon as it has been used.
"""

from __future__ import annotations

from dataclasses import dataclass

from crypto.errors import CryptoError
from crypto.frames import MAX_N, Body, Header, body_type, check_header, open_body, seal


@dataclass(frozen=True, slots=True)
class Opened:
    n: int
    type: int
    body: Body
    next_ck: bytes


class SendChain:
    def __init__(self, ck: bytes, chat_id: bytes, epoch: int, direction: int) -> None:
        self._ck, self._chat_id, self._epoch, self._dir = ck, chat_id, epoch, direction
        self.next_n = 0

    def seal(self, body: Body) -> bytes:
        if self.next_n > MAX_N:
            raise CryptoError("exhausted", "the chain is exhausted: end the chat")
        header = Header(body_type(body), self._chat_id, self._epoch, self._dir, self.next_n)
        frame, self._ck = seal(self._ck, header, body)
        self.next_n += 1
        return frame


class ReceiveChain:
    def __init__(self, ck: bytes, chat_id: bytes, epoch: int, direction: int) -> None:
        self._ck, self._chat_id, self._epoch, self._dir = ck, chat_id, epoch, direction
        self.next_n = 0

    def open(self, frame: bytes) -> Opened:
        """Check and decrypt the next frame; ``replay``/``gap`` leave the chain unchanged."""
        header = check_header(frame, self._chat_id, self._epoch, self._dir)
        if header.n < self.next_n:
            raise CryptoError("replay", f"frame {header.n} already received")
        if header.n > self.next_n:
            raise CryptoError("gap", f"frame {header.n} where {self.next_n} was expected")
        body, next_ck = open_body(frame, header, self._ck)
        return Opened(header.n, header.type, body, next_ck)

    def commit(self, opened: Opened) -> None:
        """Advance past a frame from :meth:`open` once the caller's own checks passed too."""
        assert opened.n == self.next_n
        self._ck = opened.next_ck
        self.next_n += 1
