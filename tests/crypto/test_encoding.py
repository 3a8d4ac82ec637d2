"""Strict base64url and the integer/label encodings (HLP1 "Notation")."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto.encoding import b64u_decode, b64u_encode, lbl, u8, u32, u64
from crypto.errors import CryptoError


@given(st.binary(max_size=200))
def test_round_trip(data: bytes) -> None:
    text = b64u_encode(data)
    assert "=" not in text
    assert b64u_decode(text) == data
    assert text == base64.urlsafe_b64encode(data).decode().rstrip("=")


@given(
    st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", max_size=12
    )
)
def test_every_accepted_text_is_canonical(text: str) -> None:
    try:
        data = b64u_decode(text)
    except CryptoError as exc:
        code = exc.code
    else:
        code = "ok"
        assert b64u_encode(data) == text
    assert code in ("ok", "bad_encoding")


@pytest.mark.parametrize(
    "text", ["AAA=", "AA==", "A", "AB", "AAB", "A+A", "A/A", "AA A", "AAAA\n", "AAé", " AAA"]
)
def test_non_canonical_is_refused(text: str) -> None:
    with pytest.raises(CryptoError) as info:
        b64u_decode(text)
    assert info.value.code == "bad_encoding"


def test_length_is_enforced() -> None:
    assert b64u_decode(b64u_encode(bytes(32)), 32) == bytes(32)
    with pytest.raises(CryptoError, match="bad_encoding"):
        b64u_decode(b64u_encode(bytes(31)), 32)


def test_integers_and_labels() -> None:
    assert u8(255) == b"\xff"
    assert u32(1) == b"\x00\x00\x00\x01"
    assert u64(2**64 - 1) == b"\xff" * 8
    assert lbl("HLP1/th") == b"HLP1/th\x00"
