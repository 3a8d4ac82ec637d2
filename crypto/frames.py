"""HLP1 data frames, stateless (HLP1 "Data frames"); :mod:`crypto.chains` keeps the counters.

Layout::

    header = u8(1) ‖ u8(type) ‖ chat_id(16) ‖ u32(epoch) ‖ u8(dir) ‖ u32(n)     (27 bytes)
    frame  = header ‖ secretbox(u32(len) ‖ plaintext ‖ zeros, nonce, mk)

- ``dir`` 0 is seeker → counsellor (chain ``ck_s2c``), 1 is counsellor → seeker (``ck_c2s``).
- ``type``: 1 message, 2 typing, 3 transfer, 5 close. 4 (reserved: in-chat rekey) and
  anything else is ``bad_type``; so is a transfer (3) from the seeker (safest reading:
  only a counsellor can hand a chat over).
- Chain step: ``o = HMAC(ck, "HLP1/step")``, ``mk = o[0:32]``, next ``ck = o[32:64]``.
- ``nonce = H(lbl("HLP1/nonce") ‖ header)[0:24]``: the header is bound to the MAC.
- Padding fills the smallest bucket of 256, 1024, 4096, 16384 so that the secretbox
  output (without nonce) is exactly that size: plaintext ≤ bucket − 20 bytes; over
  16,364 bytes it is refused before sending (``too_large``). Receivers accept any bucket.
- Receiver checks, in this order (:func:`check_header`, then :func:`open_body`): at
  least 27 bytes (``bad_frame``); version 1 (``bad_version``); known type
  (``bad_type``); chat_id (``wrong_chat``), epoch (``bad_epoch``), dir
  (``wrong_direction``); body length exactly a bucket (``bad_length``); ``n`` equal to
  the next expected (lower ``replay``, higher ``gap``: in :mod:`crypto.chains`);
  decrypt (``bad_mac``); padding (``len ≤ bucket − 20`` and zeros: ``bad_padding``);
  plaintext valid UTF-8 JSON of the type's shape (``bad_plaintext``).
- Plaintext shapes (by value, :mod:`crypto.strictjson`): type 1 ``{"text": string,
  "ack": n|null}``, type 2 ``{"typing": bool, "ack": n|null}``, type 3 ``{"ik2": b64u(32),
  "cert2": b64u, "sig": b64u(64)}``, type 5 ``{"reason": string, "ack": n|null}``; ``ack``
  is a u32.
"""

from __future__ import annotations

from dataclasses import dataclass

from crypto.encoding import b64u_encode, lbl, read_uint, u8, u32
from crypto.errors import CryptoError
from crypto.primitives import MAC_BYTES, hmac512, secretbox_open, secretbox_seal, sha512
from crypto.strictjson import (
    dumps,
    get_b64u,
    get_bool,
    get_optional_int,
    get_str,
    parse_object,
    require_keys,
)

VERSION = 1
HEADER_BYTES = 27
BUCKETS = (256, 1024, 4096, 16384)
LENGTH_PREFIX = 4
MAX_PLAINTEXT = BUCKETS[-1] - MAC_BYTES - LENGTH_PREFIX  # 16,364
MAX_FRAME = HEADER_BYTES + BUCKETS[-1]  # 16,411
MAX_N = 2**32 - 2  # a sender that would reach 2^32 − 1 ends the chat instead

TYPE_MESSAGE = 1
TYPE_TYPING = 2
TYPE_TRANSFER = 3
TYPE_REKEY_RESERVED = 4
TYPE_CLOSE = 5
KNOWN_TYPES = frozenset({TYPE_MESSAGE, TYPE_TYPING, TYPE_TRANSFER, TYPE_CLOSE})

DIR_S2C = 0  # seeker → counsellor, chain ck_s2c
DIR_C2S = 1  # counsellor → seeker, chain ck_c2s
_CODE = "bad_plaintext"


@dataclass(frozen=True, slots=True)
class Header:
    type: int
    chat_id: bytes
    epoch: int
    dir: int
    n: int


@dataclass(frozen=True, slots=True)
class MessageBody:
    text: str
    ack: int | None


@dataclass(frozen=True, slots=True)
class TypingBody:
    on: bool
    ack: int | None


@dataclass(frozen=True, slots=True)
class CloseBody:
    reason: str
    ack: int | None


@dataclass(frozen=True, slots=True)
class TransferBody:
    ik2: bytes
    cert2: bytes
    sig: bytes


Body = MessageBody | TypingBody | CloseBody | TransferBody


def encode_header(h: Header) -> bytes:
    return u8(VERSION) + u8(h.type) + h.chat_id + u32(h.epoch) + u8(h.dir) + u32(h.n)


def chain_step(ck: bytes) -> tuple[bytes, bytes]:
    """``(mk, next_ck)`` from ``HMAC(ck, "HLP1/step")``."""
    o = hmac512(ck, b"HLP1/step")
    return o[:32], o[32:]


def frame_nonce(header: bytes) -> bytes:
    return sha512(lbl("HLP1/nonce"), header)[:24]


def bucket_for(length: int) -> int:
    """The smallest bucket that holds a plaintext of ``length`` bytes (``too_large`` if none)."""
    for bucket in BUCKETS:
        if length <= bucket - MAC_BYTES - LENGTH_PREFIX:
            return bucket
    raise CryptoError("too_large", f"plaintext over {MAX_PLAINTEXT} bytes")


def pad(plaintext: bytes) -> bytes:
    bucket = bucket_for(len(plaintext))
    padded = u32(len(plaintext)) + plaintext
    return padded + bytes(bucket - MAC_BYTES - len(padded))


def unpad(padded: bytes) -> bytes:
    """Inverse of :func:`pad` for any bucket: ``len ≤ bucket − 20`` and zeros after it."""
    length = read_uint(padded[:LENGTH_PREFIX])
    if length > len(padded) - LENGTH_PREFIX:
        raise CryptoError("bad_padding", "length beyond the bucket")
    rest = padded[LENGTH_PREFIX + length :]
    if rest.count(0) != len(rest):
        raise CryptoError("bad_padding", "padding is not zero")
    return padded[LENGTH_PREFIX : LENGTH_PREFIX + length]


def encode_body(body: Body) -> bytes:
    if isinstance(body, MessageBody):
        return dumps({"text": body.text, "ack": body.ack})
    if isinstance(body, TypingBody):
        return dumps({"typing": body.on, "ack": body.ack})
    if isinstance(body, CloseBody):
        return dumps({"reason": body.reason, "ack": body.ack})
    return dumps(
        {
            "ik2": b64u_encode(body.ik2),
            "cert2": b64u_encode(body.cert2),
            "sig": b64u_encode(body.sig),
        }
    )


def body_type(body: Body) -> int:
    if isinstance(body, MessageBody):
        return TYPE_MESSAGE
    if isinstance(body, TypingBody):
        return TYPE_TYPING
    if isinstance(body, CloseBody):
        return TYPE_CLOSE
    return TYPE_TRANSFER


def decode_body(frame_type: int, data: bytes) -> Body:
    """The plaintext of a frame of ``frame_type``, by value (``bad_plaintext``)."""
    obj = parse_object(data, _CODE)
    if frame_type == TYPE_TRANSFER:
        require_keys(obj, {"ik2", "cert2", "sig"}, _CODE)
        return TransferBody(
            ik2=get_b64u(obj, "ik2", _CODE, 32),
            cert2=get_b64u(obj, "cert2", _CODE, max_length=512),
            sig=get_b64u(obj, "sig", _CODE, 64),
        )
    key = {TYPE_MESSAGE: "text", TYPE_TYPING: "typing", TYPE_CLOSE: "reason"}[frame_type]
    require_keys(obj, {key, "ack"}, _CODE)
    ack = get_optional_int(obj, "ack", _CODE, 0, 2**32 - 1)
    if frame_type == TYPE_TYPING:
        return TypingBody(on=get_bool(obj, key, _CODE), ack=ack)
    text = get_str(obj, key, _CODE)
    return MessageBody(text, ack) if frame_type == TYPE_MESSAGE else CloseBody(text, ack)


def seal(ck: bytes, header: Header, body: Body) -> tuple[bytes, bytes]:
    """``(frame, next_ck)``; ``too_large`` before anything is derived."""
    assert header.type == body_type(body)
    padded = pad(encode_body(body))
    mk, next_ck = chain_step(ck)
    raw_header = encode_header(header)
    return raw_header + secretbox_seal(mk, frame_nonce(raw_header), padded), next_ck


def check_header(frame: bytes, chat_id: bytes, epoch: int, direction: int) -> Header:
    """The receiver's checks up to the body length, in the order of the design."""
    if len(frame) < HEADER_BYTES:
        raise CryptoError("bad_frame", "shorter than a header")
    if frame[0] != VERSION:
        raise CryptoError("bad_version", "not an HLP1 data frame")
    frame_type = frame[1]
    if frame_type not in KNOWN_TYPES:
        raise CryptoError("bad_type", f"frame type {frame_type}")
    header = Header(
        type=frame_type,
        chat_id=frame[2:18],
        epoch=read_uint(frame[18:22]),
        dir=frame[22],
        n=read_uint(frame[23:27]),
    )
    if header.chat_id != chat_id:
        raise CryptoError("wrong_chat", "frame for another chat")
    if header.epoch != epoch:
        raise CryptoError("bad_epoch", f"frame for epoch {header.epoch}, expected {epoch}")
    if header.dir != direction:
        raise CryptoError("wrong_direction", "frame in the wrong direction")
    if frame_type == TYPE_TRANSFER and direction != DIR_C2S:
        raise CryptoError("bad_type", "only a counsellor hands a chat over")
    if len(frame) - HEADER_BYTES not in BUCKETS:
        raise CryptoError("bad_length", "body is not a bucket size")
    return header


def open_body(frame: bytes, header: Header, ck: bytes) -> tuple[Body, bytes]:
    """Decrypt, unpad and parse a frame whose header passed; ``(body, next_ck)``."""
    mk, next_ck = chain_step(ck)
    raw_header = frame[:HEADER_BYTES]
    padded = secretbox_open(mk, frame_nonce(raw_header), frame[HEADER_BYTES:])
    return decode_body(header.type, unpad(padded)), next_ck
