"""Data frames: padding buckets, size limits, receiver checks (HLP1 "Data frames")."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto.chains import ReceiveChain, SendChain
from crypto.errors import CryptoError
from crypto.frames import (
    BUCKETS,
    MAX_FRAME,
    MAX_PLAINTEXT,
    CloseBody,
    MessageBody,
    TypingBody,
    bucket_for,
    decode_body,
    pad,
    unpad,
)

from .helpers import CHAT_ID, seed


def test_bucket_boundaries() -> None:
    assert MAX_PLAINTEXT == 16_364
    assert MAX_FRAME == 16_411
    for bucket, previous in zip(BUCKETS, (0, *BUCKETS), strict=False):
        assert bucket_for(bucket - 20) == bucket
        if previous:
            assert bucket_for(previous - 19) == bucket
    with pytest.raises(CryptoError, match="too_large"):
        bucket_for(MAX_PLAINTEXT + 1)


@given(st.binary(max_size=MAX_PLAINTEXT))
def test_pad_round_trip(data: bytes) -> None:
    padded = pad(data)
    assert len(padded) + 16 in BUCKETS
    assert unpad(padded) == data


def test_bad_padding() -> None:
    padded = pad(b"abc")
    with pytest.raises(CryptoError, match="bad_padding"):
        unpad(padded[:-1] + b"\x01")
    with pytest.raises(CryptoError, match="bad_padding"):
        unpad((len(padded) - 3).to_bytes(4, "big") + padded[4:])


def chains() -> tuple[SendChain, ReceiveChain]:
    return SendChain(seed(1), CHAT_ID, 0, 0), ReceiveChain(seed(1), CHAT_ID, 0, 0)


def test_oversized_plaintext_is_refused_before_anything_changes() -> None:
    send, recv = chains()
    overhead = len('{"text":"","ack":null}')
    with pytest.raises(CryptoError, match="too_large"):
        send.seal(MessageBody("x" * (MAX_PLAINTEXT - overhead + 1), None))
    assert send.next_n == 0
    frame = send.seal(MessageBody("x" * (MAX_PLAINTEXT - overhead), None))
    assert len(frame) == MAX_FRAME
    opened = recv.open(frame)
    recv.commit(opened)
    assert opened.n == 0
    # Multi-byte characters count in bytes.
    with pytest.raises(CryptoError, match="too_large"):
        send.seal(MessageBody("é" * 8200, None))


def test_receiver_accepts_any_bucket() -> None:
    """A frame padded to a larger bucket than needed is still accepted."""
    from crypto.frames import Header, chain_step, encode_header, frame_nonce
    from crypto.primitives import secretbox_seal

    body = b'{"text":"hi","ack":null}'
    padded = len(body).to_bytes(4, "big") + body
    padded += bytes(4096 - 16 - len(padded))
    raw = encode_header(Header(1, CHAT_ID, 0, 0, 0))
    frame = raw + secretbox_seal(chain_step(seed(1))[0], frame_nonce(raw), padded)
    _send, recv = chains()
    assert recv.open(frame).body == MessageBody("hi", None)


def test_chain_only_advances_on_commit() -> None:
    send, recv = chains()
    f0, f1 = send.seal(TypingBody(True, None)), send.seal(CloseBody("bye", None))
    opened = recv.open(f0)
    assert recv.next_n == 0
    with pytest.raises(CryptoError, match="gap"):
        recv.open(f1)
    recv.commit(opened)
    with pytest.raises(CryptoError, match="replay"):
        recv.open(f0)
    assert recv.open(f1).body == CloseBody("bye", None)


def test_sender_exhaustion() -> None:
    send, _ = chains()
    send.next_n = 2**32 - 2
    send.seal(TypingBody(False, None))  # n = 2^32 − 2 is the last one
    with pytest.raises(CryptoError, match="exhausted"):
        send.seal(TypingBody(False, None))


@pytest.mark.parametrize(
    ("frame_type", "text", "expected"),
    [
        (1, b'{"ack":null,"text":"a"}', MessageBody("a", None)),
        (1, b'{"text":"a","ack":2.0}', MessageBody("a", 2)),
        (2, b'{"typing":false,"ack":0}', TypingBody(False, 0)),
        (5, b'{"reason":"","ack":4294967295}', CloseBody("", 2**32 - 1)),
    ],
)
def test_plaintext_by_value(frame_type: int, text: bytes, expected: object) -> None:
    assert decode_body(frame_type, text) == expected


@pytest.mark.parametrize(
    ("frame_type", "text"),
    [
        (2, b'{"typing":1,"ack":null}'),
        (2, b'{"typing":"true","ack":null}'),
        (5, b'{"reason":null,"ack":null}'),
        (3, b'{"ik2":"","cert2":"","sig":""}'),
        (1, b'{"text":"a","ack":null} x'),
        (1, b"\xef\xbb\xbf{}"),
    ],
)
def test_plaintext_shapes_refused(frame_type: int, text: bytes) -> None:
    with pytest.raises(CryptoError) as info:
        decode_body(frame_type, text)
    assert info.value.code in ("bad_plaintext", "bad_encoding")
