"""The primitives HLP1 is built from, with PyNaCl's exceptions mapped to :class:`CryptoError`.

Rules enforced here (HLP1 "Notation", "Signatures", "Handshake" step 6):

- ``H`` is SHA-512, ``HMAC`` is HMAC-SHA-512, ``Extract(salt, ikm) = HMAC(salt, ikm)``
  and ``Expand`` is RFC 5869 HKDF-Expand with HMAC-SHA-512.
- Ed25519 verification is strict, with the exact rules of libsodium's
  ``crypto_sign_verify_detached``, checked here explicitly before libsodium checks
  them again (so that the rules do not depend on how libsodium was built, and so the
  JavaScript side has one place to copy them from):
  the public key must be canonical (``y < p``) and not one of the small-order
  encodings; ``R`` must not be a small-order encoding; ``S`` must be below the group
  order ``L``. A non-canonical ``R`` cannot match the recomputed one and fails.
  A failure is ``bad_signature``.
- :func:`check_certifiable_key` is stricter still, for the signing tool: the key must
  be a valid point of the prime-order subgroup (libsodium's
  ``crypto_core_ed25519_is_valid_point``): ``small_order`` for one of the eight
  small-order points, ``bad_key`` for anything else that is not such a point.
- X25519 is raw ``crypto_scalarmult`` (not ``box.before``); an all-zero output
  (a small-order peer key) aborts with ``zero_shared_secret``.
- ``secretbox`` results are the ciphertext without the nonce (16-byte MAC first);
  a failed open is ``bad_mac``.
"""

from __future__ import annotations

import hashlib
import hmac
import os

import nacl.bindings as sodium
import nacl.exceptions

from crypto.errors import CryptoError

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493

# The y coordinates (sign bit ignored) of the eight small-order Edwards points, plus
# the non-canonical encodings p and p + 1 of 0 and 1: libsodium's blacklist.
_SMALL_ORDER_Y = frozenset(
    {
        0,
        1,
        2707385501144840649318225287225658788936804267575313519463743609750303402022,
        55188659117513257062467267217118295137698188065244968500265048394206261417927,
        P - 1,
        P,
        P + 1,
    }
)

KEY_BYTES = 32
SIG_BYTES = 64
NONCE_BYTES = 24
MAC_BYTES = 16


def random_bytes(n: int) -> bytes:
    """``n`` bytes from the operating system's CSPRNG."""
    return os.urandom(n)


def sha512(*parts: bytes) -> bytes:
    """``H(parts[0] ‖ parts[1] ‖ ...)``."""
    h = hashlib.sha512()
    for part in parts:
        h.update(part)
    return h.digest()


def hmac512(key: bytes, *parts: bytes) -> bytes:
    """``HMAC-SHA-512(key, parts[0] ‖ ...)``."""
    return hmac.new(key, b"".join(parts), hashlib.sha512).digest()


def hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac512(salt, ikm)


def hkdf_expand(prk: bytes, info: bytes, length: int) -> bytes:
    """RFC 5869 HKDF-Expand with HMAC-SHA-512."""
    assert 0 < length <= 255 * 64
    out, block, i = b"", b"", 1
    while len(out) < length:
        block = hmac512(prk, block, info, bytes([i]))
        out += block
        i += 1
    return out[:length]


def ct_equal(a: bytes, b: bytes) -> bool:
    """Constant-time comparison."""
    return hmac.compare_digest(a, b)


# -- X25519 ------------------------------------------------------------------------


def x25519_public(secret: bytes) -> bytes:
    _need(secret, KEY_BYTES, "X25519 secret")
    return bytes(sodium.crypto_scalarmult_base(secret))


def x25519(secret: bytes, public: bytes) -> bytes:
    """Raw X25519; an all-zero result (a small-order peer key) is ``zero_shared_secret``."""
    _need(secret, KEY_BYTES, "X25519 secret")
    _need(public, KEY_BYTES, "X25519 public key")
    try:
        out = bytes(sodium.crypto_scalarmult(secret, public))
    except nacl.exceptions.RuntimeError as exc:  # libsodium refuses an all-zero result
        raise CryptoError("zero_shared_secret", "X25519 output is all zero") from exc
    if ct_equal(out, bytes(KEY_BYTES)):
        raise CryptoError("zero_shared_secret", "X25519 output is all zero")
    return out


# -- Ed25519 -----------------------------------------------------------------------


def ed25519_public(seed: bytes) -> bytes:
    _need(seed, KEY_BYTES, "Ed25519 seed")
    pk, _sk = sodium.crypto_sign_seed_keypair(seed)
    return bytes(pk)


def ed25519_sign(seed: bytes, message: bytes) -> bytes:
    """A detached Ed25519 signature (64 bytes) by the key with this 32-byte seed."""
    _need(seed, KEY_BYTES, "Ed25519 seed")
    _pk, sk = sodium.crypto_sign_seed_keypair(seed)
    return bytes(sodium.crypto_sign(message, sk)[:SIG_BYTES])


def _y(encoding: bytes) -> int:
    return int.from_bytes(encoding, "little") & ((1 << 255) - 1)


def is_small_order_encoding(encoding: bytes) -> bool:
    """libsodium's ``ge25519_has_small_order``: the sign bit is ignored."""
    return _y(encoding) in _SMALL_ORDER_Y


def is_canonical_encoding(encoding: bytes) -> bool:
    """libsodium's ``ge25519_is_canonical``: ``y < p`` (the sign bit is ignored)."""
    return _y(encoding) < P


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> None:
    """Strict verification (module docstring); ``bad_signature`` on any failure."""
    if len(public_key) != KEY_BYTES or len(signature) != SIG_BYTES:
        raise CryptoError("bad_signature", "wrong key or signature length")
    if not is_canonical_encoding(public_key) or is_small_order_encoding(public_key):
        raise CryptoError("bad_signature", "non-canonical or small-order public key")
    if is_small_order_encoding(signature[:32]):
        raise CryptoError("bad_signature", "small-order R")
    if int.from_bytes(signature[32:], "little") >= L:
        raise CryptoError("bad_signature", "S is not below L")
    try:
        sodium.crypto_sign_open(signature + message, public_key)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError) as exc:
        raise CryptoError("bad_signature", "signature does not verify") from exc


def check_certifiable_key(public_key: bytes) -> None:
    """Refuse a key the organisation must not certify (small order, non-canonical, mixed order)."""
    if len(public_key) != KEY_BYTES:
        raise CryptoError("bad_key", "an Ed25519 public key is 32 bytes")
    if is_small_order_encoding(public_key):
        raise CryptoError("small_order", "small-order Ed25519 key")
    if not is_canonical_encoding(public_key) or not sodium.crypto_core_ed25519_is_valid_point(
        public_key
    ):
        raise CryptoError("bad_key", "not a canonical point of the prime-order subgroup")


def check_peer_identity_key(public_key: bytes) -> None:
    """A verifier's check of an identity key: libsodium's verification rules for keys."""
    if len(public_key) != KEY_BYTES:
        raise CryptoError("bad_key", "an Ed25519 public key is 32 bytes")
    if is_small_order_encoding(public_key):
        raise CryptoError("small_order", "small-order Ed25519 key")
    if not is_canonical_encoding(public_key):
        raise CryptoError("bad_key", "non-canonical Ed25519 key")


# -- secretbox and box ----------------------------------------------------------------


def secretbox_seal(key: bytes, nonce: bytes, message: bytes) -> bytes:
    """XSalsa20-Poly1305; the result is MAC ‖ ciphertext, without the nonce."""
    _need(key, KEY_BYTES, "secretbox key")
    _need(nonce, NONCE_BYTES, "secretbox nonce")
    return bytes(sodium.crypto_secretbox_easy(message, nonce, key))


def secretbox_open(key: bytes, nonce: bytes, ciphertext: bytes) -> bytes:
    _need(key, KEY_BYTES, "secretbox key")
    _need(nonce, NONCE_BYTES, "secretbox nonce")
    if len(ciphertext) < MAC_BYTES:
        raise CryptoError("bad_mac", "ciphertext shorter than its MAC")
    try:
        return bytes(sodium.crypto_secretbox_open_easy(ciphertext, nonce, key))
    except nacl.exceptions.CryptoError as exc:
        raise CryptoError("bad_mac", "secretbox authentication failed") from exc


def box_seal(message: bytes, nonce: bytes, peer_public: bytes, own_secret: bytes) -> bytes:
    """NaCl ``box`` (X25519 + HSalsa20 + XSalsa20-Poly1305), without the nonce."""
    _need(nonce, NONCE_BYTES, "box nonce")
    try:
        return bytes(sodium.crypto_box_easy(message, nonce, peer_public, own_secret))
    except nacl.exceptions.RuntimeError as exc:
        raise CryptoError("zero_shared_secret", "box with a small-order key") from exc


def box_open(ciphertext: bytes, nonce: bytes, peer_public: bytes, own_secret: bytes) -> bytes:
    _need(nonce, NONCE_BYTES, "box nonce")
    try:
        return bytes(sodium.crypto_box_open_easy(ciphertext, nonce, peer_public, own_secret))
    except (nacl.exceptions.CryptoError, nacl.exceptions.RuntimeError) as exc:
        raise CryptoError("bad_mac", "box authentication failed") from exc


def _need(value: bytes, length: int, what: str) -> None:
    if not isinstance(value, bytes) or len(value) != length:
        raise CryptoError("bad_key", f"{what} must be {length} bytes")
