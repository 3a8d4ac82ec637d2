"""Byte-level encodings of HLP1 (section "Notation").

- ``b64u`` is base64url without padding. The decoder is strict: it rejects ``=``,
  any character outside ``A-Z a-z 0-9 - _``, a length of 1 modulo 4 and non-zero
  unused trailing bits, so that every byte string has exactly one text form and
  JSON can be compared by value.
- Integers are unsigned big-endian: ``u8``, ``u32``, ``u64``.
- ``lbl(s)`` is the ASCII string followed by one zero byte (domain separation for
  hashes and signatures). HKDF ``info`` strings and ``"HLP1/step"`` are raw ASCII
  without the zero byte: they are written as plain ``b"..."`` literals.
"""

from __future__ import annotations

import base64
import re

from crypto.errors import CryptoError

_B64U = re.compile(r"[A-Za-z0-9_-]*")


def b64u_encode(b: bytes) -> str:
    """base64url without padding."""
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode("ascii")


def b64u_decode(s: str, length: int | None = None) -> bytes:
    """Strict base64url (canonical, no padding); ``length`` also fixes the decoded size."""
    if not isinstance(s, str) or not _B64U.fullmatch(s) or len(s) % 4 == 1:
        raise CryptoError("bad_encoding", "not canonical base64url")
    raw = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
    if b64u_encode(raw) != s:
        raise CryptoError("bad_encoding", "non-zero trailing bits")
    if length is not None and len(raw) != length:
        raise CryptoError("bad_encoding", f"expected {length} bytes, got {len(raw)}")
    return raw


def lbl(s: str) -> bytes:
    """The label ``s`` as ASCII followed by one zero byte."""
    return s.encode("ascii") + b"\x00"


def u8(n: int) -> bytes:
    return n.to_bytes(1, "big")


def u32(n: int) -> bytes:
    return n.to_bytes(4, "big")


def u64(n: int) -> bytes:
    return n.to_bytes(8, "big")


def read_uint(b: bytes) -> int:
    """An unsigned big-endian integer."""
    return int.from_bytes(b, "big")
