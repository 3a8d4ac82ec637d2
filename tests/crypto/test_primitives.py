"""Strict Ed25519, X25519 with the all-zero check, HKDF (HLP1 "Signatures", step 6)."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from crypto.errors import CryptoError
from crypto.primitives import (
    L,
    P,
    box_open,
    box_seal,
    check_certifiable_key,
    ed25519_public,
    ed25519_sign,
    ed25519_verify,
    hkdf_expand,
    secretbox_open,
    secretbox_seal,
    x25519,
    x25519_public,
)
from crypto.vectors.negative import SMALL_ORDER_X25519

from .helpers import seed


@pytest.mark.parametrize("point", SMALL_ORDER_X25519, ids=range(len(SMALL_ORDER_X25519)))
def test_all_zero_shared_secret_aborts(point: bytes) -> None:
    with pytest.raises(CryptoError) as info:
        x25519(seed(5), point)
    assert info.value.code == "zero_shared_secret"


def test_x25519_agrees() -> None:
    a, b = seed(5), seed(6)
    assert x25519(a, x25519_public(b)) == x25519(b, x25519_public(a))


def test_signature_round_trip_and_strictness() -> None:
    pub, msg = ed25519_public(seed(3)), b"message"
    sig = ed25519_sign(seed(3), msg)
    ed25519_verify(pub, msg, sig)
    s_plus_l = sig[:32] + (int.from_bytes(sig[32:], "little") + L).to_bytes(32, "little")
    identity = bytes([1]) + bytes(31)
    for bad_pub, bad_sig in [
        (pub, s_plus_l),
        (identity, identity + bytes(32)),
        ((P + 1).to_bytes(32, "little"), identity + bytes(32)),
        (pub, sig[:-1]),
        (pub[:31], sig),
    ]:
        with pytest.raises(CryptoError) as info:
            ed25519_verify(bad_pub, msg, bad_sig)
        assert info.value.code == "bad_signature"


def test_certifiable_keys() -> None:
    check_certifiable_key(ed25519_public(seed(3)))
    with pytest.raises(CryptoError, match="small_order"):
        check_certifiable_key(bytes([1]) + bytes(31))
    with pytest.raises(CryptoError, match="bad_key"):
        check_certifiable_key((P + 3).to_bytes(32, "little"))
    # A point with a small-order component (not in the prime-order subgroup).
    order8 = bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")
    with pytest.raises(CryptoError, match="small_order"):
        check_certifiable_key(order8)


def test_hkdf_matches_rfc5869_structure() -> None:
    prk, info = bytes(range(64)), b"HLP1/ck/s2c"
    t1 = hmac.new(prk, info + b"\x01", hashlib.sha512).digest()
    t2 = hmac.new(prk, t1 + info + b"\x02", hashlib.sha512).digest()
    assert hkdf_expand(prk, info, 32) == t1[:32]
    assert hkdf_expand(prk, info, 100) == (t1 + t2)[:100]


def test_secretbox_and_box() -> None:
    key, nonce = seed(9), bytes(24)
    ct = secretbox_seal(key, nonce, b"hi")
    assert len(ct) == 18
    assert secretbox_open(key, nonce, ct) == b"hi"
    with pytest.raises(CryptoError, match="bad_mac"):
        secretbox_open(key, nonce, ct[:-1] + bytes([ct[-1] ^ 1]))
    with pytest.raises(CryptoError, match="bad_mac"):
        secretbox_open(key, nonce, b"short")
    boxed = box_seal(b"R" * 32, nonce, x25519_public(seed(2)), seed(13))
    assert box_open(boxed, nonce, x25519_public(seed(13)), seed(2)) == b"R" * 32
    with pytest.raises(CryptoError, match="bad_mac"):
        box_open(boxed, nonce, x25519_public(seed(14)), seed(2))
    with pytest.raises(CryptoError, match="bad_key"):
        secretbox_seal(key[:31], nonce, b"")
