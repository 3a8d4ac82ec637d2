"""Handshake messages by value, the key schedule, safety codes, tags (HLP1 "Handshake")."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto.encoding import b64u_encode
from crypto.errors import CryptoError
from crypto.handshake import (
    Accept,
    Hello,
    Reveal,
    check_flags,
    check_tag,
    decode_message,
    encode_message,
    rehello_tag,
    safety_code,
)

from .helpers import CHAT_ID, seed

C = b64u_encode(seed(1))


def test_by_value_not_by_bytes() -> None:
    expected = Hello(3, seed(1))
    for text in [
        f'{{"hlp":1,"kind":"hello","epoch":3,"commit":"{C}"}}',
        f'{{ "commit" : "{C}", "epoch" : 3.0, "kind" : "hello", "hlp" : 1 }}',
        f'{{"hlp":1e0,"kind":"hello","epoch":30e-1,"commit":"{C}"}}',
        f'{{"hlp":1,"kind":"h\\u0065llo","epoch":3,"commit":"{C}"}}',
    ]:
        assert decode_message(text.encode()) == expected


@given(
    st.integers(0, 2**32 - 1),
    st.binary(min_size=32, max_size=32),
    st.none() | st.binary(min_size=32, max_size=32),
)
def test_hello_round_trip(epoch: int, commit: bytes, tag: bytes | None) -> None:
    hello = Hello(epoch, commit, tag)
    assert decode_message(encode_message(hello)) == hello


def test_accept_and_reveal_round_trip() -> None:
    accept = Accept(1, seed(2), seed(3), b"cert" * 30, 1, bytes(64))
    assert decode_message(encode_message(accept)) == accept
    reveal = Reveal(7, seed(4))
    assert decode_message(encode_message(reveal)) == reveal


def test_oversized_message_refused() -> None:
    text = f'{{"hlp":1,"kind":"hello","epoch":3,"commit":"{C}"{" " * 3000}}}'
    with pytest.raises(CryptoError, match="bad_message"):
        decode_message(text.encode())


def test_reserved_flag_bits() -> None:
    assert check_flags(0) is False
    assert check_flags(1) is True
    for flags in (2, 3, 0x80, 0xFF):
        with pytest.raises(CryptoError, match="bad_flags"):
            check_flags(flags)


@given(st.binary(min_size=64, max_size=64))
def test_safety_code_format(th: bytes) -> None:
    assert re.fullmatch(r"\d{5} \d{5}", safety_code(th))


def test_rehello_tag() -> None:
    cont, commit = seed(8), seed(9)
    tag = rehello_tag(cont, CHAT_ID, 1, commit)
    assert check_tag(cont, CHAT_ID, Hello(1, commit, tag))
    assert not check_tag(seed(7), CHAT_ID, Hello(1, commit, tag))  # another cont
    assert not check_tag(cont, CHAT_ID, Hello(2, commit, tag))  # another epoch
    assert not check_tag(cont, CHAT_ID, Hello(1, seed(10), tag))  # another commitment
    assert not check_tag(cont, bytes(16), Hello(1, commit, tag))  # another chat
    assert not check_tag(cont, CHAT_ID, Hello(1, commit, None))
