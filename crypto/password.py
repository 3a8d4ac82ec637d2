"""Counsellor passwords: a login secret and a wrapping key from one password (issue 3, item 6).

- ``master = PBKDF2-HMAC-SHA256(NFC(password) as UTF-8, salt, iterations, 32)``
- ``login_secret = HMAC-SHA256(master, "HLP1/login-secret")`` — all the server receives
- ``wrapping_key = HMAC-SHA256(master, "HLP1/wrapping-key")`` — never leaves the client
  (labels are raw ASCII without a zero byte, as the browser computes them with WebCrypto).
- A wrapped identity seed is ``nonce(24) ‖ secretbox(seed, nonce, wrapping_key)``
  (72 bytes); unwrapping with the wrong key is ``bad_mac``.
- Salts are :data:`SALT_BYTES` (16) random bytes per account; 16 to 64 bytes are accepted.
- The iteration count comes from the server: every client calls :func:`check_iterations`
  on the server's answer before deriving (a hostile server could ask for 1, making a
  captured login secret cheap to guess). :func:`derive_password_keys` itself accepts any
  positive count (the test vectors use 1,000).
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from dataclasses import dataclass

from crypto.errors import CryptoError
from crypto.primitives import NONCE_BYTES, random_bytes, secretbox_open, secretbox_seal

PBKDF2_ITERATIONS = 600_000
MAX_ITERATIONS = 10_000_000
SALT_BYTES = 16
SEED_BYTES = 32
WRAPPED_BYTES = NONCE_BYTES + 16 + SEED_BYTES


@dataclass(frozen=True, slots=True)
class PasswordKeys:
    login_secret: bytes
    wrapping_key: bytes


def check_iterations(iterations: int, minimum: int = PBKDF2_ITERATIONS) -> int:
    """The server's iteration count if ``minimum ≤ iterations ≤`` :data:`MAX_ITERATIONS`.

    Anything else is ``weak_kdf`` (too few makes the login secret cheap to guess, too
    many is a denial of service on the client). Booleans are not counts.
    """
    if (
        isinstance(iterations, bool)
        or not isinstance(iterations, int)
        or not minimum <= iterations <= MAX_ITERATIONS
    ):
        raise CryptoError("weak_kdf", "the server's PBKDF2 iteration count is out of range")
    return iterations


def derive_password_keys(
    password: str, salt: bytes, iterations: int = PBKDF2_ITERATIONS
) -> PasswordKeys:
    """Both values derived from ``password`` (see the module docstring)."""
    if iterations < 1:
        raise CryptoError("bad_password", "iterations must be positive")
    if not SALT_BYTES <= len(salt) <= 64:
        raise CryptoError("bad_password", f"salt must be {SALT_BYTES} to 64 bytes")
    try:
        secret: bytes | None = unicodedata.normalize("NFC", password).encode("utf-8")
    except UnicodeEncodeError:
        secret = None  # raised below: the encoder's error keeps the password
    if secret is None:
        raise CryptoError("bad_password", "password is not valid Unicode") from None
    master = hashlib.pbkdf2_hmac("sha256", secret, salt, iterations, 32)
    return PasswordKeys(
        login_secret=hmac.new(master, b"HLP1/login-secret", hashlib.sha256).digest(),
        wrapping_key=hmac.new(master, b"HLP1/wrapping-key", hashlib.sha256).digest(),
    )


def wrap_seed(seed: bytes, wrapping_key: bytes, nonce: bytes | None = None) -> bytes:
    """``nonce ‖ secretbox(seed, nonce, wrapping_key)``; a random nonce unless given."""
    if len(seed) != SEED_BYTES:
        raise CryptoError("bad_key", "a seed is 32 bytes")
    nonce = random_bytes(NONCE_BYTES) if nonce is None else nonce
    return nonce + secretbox_seal(wrapping_key, nonce, seed)


def unwrap_seed(wrapped: bytes, wrapping_key: bytes) -> bytes:
    if len(wrapped) != WRAPPED_BYTES:
        raise CryptoError("bad_mac", "a wrapped seed is 72 bytes")
    return secretbox_open(wrapping_key, wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:])
