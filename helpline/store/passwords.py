"""Staff password hashes: Argon2id through PyNaCl (libsodium).

What is hashed is the 32-byte *login secret* the client derives from the
password with PBKDF2 (``crypto.password``; docs/crypto.md): the server never
sees the password itself (:func:`hash_secret`, :func:`verify_secret`).

Hashing costs tens of milliseconds and 64 MiB (``interactive``) or about a
second and 256 MiB (``moderate``), so it runs in a worker thread and never
blocks the event loop; at most :data:`MAX_PARALLEL` hashes run at once, which
bounds the memory a burst of logins can take. ``min`` is for tests only.

The stored string is libsodium's ``$argon2id$v=19$m=…,t=…,p=…$salt$hash``: it
carries its own parameters, so raising the cost later does not break existing
hashes.
"""

from __future__ import annotations

import asyncio
import threading

import nacl.exceptions
import nacl.pwhash.argon2id as argon2id

from helpline.errors import ConfigError

COSTS: dict[str, tuple[int, int]] = {
    "interactive": (argon2id.OPSLIMIT_INTERACTIVE, argon2id.MEMLIMIT_INTERACTIVE),
    "moderate": (argon2id.OPSLIMIT_MODERATE, argon2id.MEMLIMIT_MODERATE),
    "min": (argon2id.OPSLIMIT_MIN, argon2id.MEMLIMIT_MIN),
}
PREFIX = "$argon2id$"
MAX_PARALLEL = 2
# libsodium's encoded hashes are about 100 characters; anything much longer
# is not one of ours and is refused without parsing.
_MAX_STORED = 512

_slots = threading.BoundedSemaphore(MAX_PARALLEL)


def _hash(password: bytes, opslimit: int, memlimit: int) -> str:
    with _slots:
        encoded: bytes = argon2id.str(password, opslimit=opslimit, memlimit=memlimit)
    return encoded.decode("ascii")


def _verify(stored: bytes, password: bytes) -> bool:
    with _slots:
        try:
            return bool(argon2id.verify(stored, password))
        except (nacl.exceptions.CryptoError, ValueError, TypeError):
            return False


async def hash_password(password: str, cost: str) -> str:
    """Hash ``password`` with the Argon2id ``cost`` preset (interactive, moderate, min)."""
    try:
        opslimit, memlimit = COSTS[cost]
    except KeyError:
        raise ConfigError(f"unknown password cost {cost!r}") from None
    return await asyncio.to_thread(_hash, password.encode("utf-8"), opslimit, memlimit)


async def verify_password(stored: str, password: str) -> bool:
    """True if ``password`` matches ``stored``; False if not or if ``stored`` is
    not an Argon2id hash. Never raises for bad input."""
    if not stored.startswith(PREFIX) or len(stored) > _MAX_STORED or not stored.isascii():
        return False
    try:
        secret = password.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates cannot be a stored password
        return False
    return await asyncio.to_thread(_verify, stored.encode("ascii"), secret)


async def hash_secret(secret: bytes, cost: str) -> str:
    """Hash a login secret (raw bytes) with the Argon2id ``cost`` preset."""
    try:
        opslimit, memlimit = COSTS[cost]
    except KeyError:
        raise ConfigError(f"unknown password cost {cost!r}") from None
    return await asyncio.to_thread(_hash, bytes(secret), opslimit, memlimit)


async def verify_secret(stored: str, secret: bytes) -> bool:
    """True if the login secret ``secret`` matches ``stored``. Never raises for bad input."""
    if not stored.startswith(PREFIX) or len(stored) > _MAX_STORED or not stored.isascii():
        return False
    return await asyncio.to_thread(_verify, stored.encode("ascii"), bytes(secret))
