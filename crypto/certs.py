"""Organisation keys, counsellor certificates and revocation lists (HLP1 "Keys").

Certificate::

    cert_body = lbl("HLP1/cert") ‖ IKc_pub(32) ‖ u64(not_after) ‖ u8(len) ‖ handle
    cert      = cert_body ‖ Sign_ORG(cert_body)

- ``not_after`` is the last valid second; a verifier requires
  ``now ≤ not_after ≤ now + 90 days`` (``expired`` / ``bad_cert``).
- The signing tool (:func:`make_certificate`) refuses a handle that is empty, over 64
  bytes of UTF-8, not in NFC, or contains characters of the Unicode categories Cc, Cf,
  Zl or Zp (``bad_handle``), and a key that is not a canonical point of the
  prime-order subgroup (``small_order`` / ``bad_key``).
- Verifiers check the handle's length and UTF-8 only (``bad_handle``), so that
  clients with different Unicode tables agree, and (safest reading) also refuse an
  identity key that libsodium would refuse to verify with (``small_order`` /
  ``bad_key``), before checking the organisation's signature (``bad_signature``).
  The layout must be exact: no trailing bytes (``bad_cert``).

Revocation list::

    body = lbl("HLP1/revoked") ‖ u64(issued_at) ‖ u64(expires_at) ‖ u32(count) ‖ IKc_pub…
    list = body ‖ Sign_ORG(body)

- Keys sorted ascending as raw bytes, no duplicates; ``0 ≤ expires_at − issued_at ≤
  35 days`` (``bad_revocation_list``; a list that expires before it is issued is
  malformed, the safest reading).
- Current when ``issued_at − 300 ≤ now ≤ expires_at``, and not older than the newest
  ``issued_at`` already accepted (``stale_revocation_list``).

Fingerprint: ``H(lbl("HLP1/fingerprint") ‖ key)[0:16]`` as 8 groups of 4 lowercase hex
digits separated by single spaces.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from crypto.encoding import lbl, read_uint, u8, u32, u64
from crypto.errors import CryptoError
from crypto.primitives import (
    KEY_BYTES,
    SIG_BYTES,
    check_certifiable_key,
    check_peer_identity_key,
    ed25519_public,
    ed25519_sign,
    ed25519_verify,
    sha512,
    x25519_public,
)

DAY = 86_400
MAX_CERT_VALIDITY = 90 * DAY
MAX_REVOCATION_WINDOW = 35 * DAY
REVOCATION_CLOCK_SKEW = 300
MAX_HANDLE_BYTES = 64

CERT_LABEL = lbl("HLP1/cert")
REVOKED_LABEL = lbl("HLP1/revoked")
_CERT_FIXED = len(CERT_LABEL) + KEY_BYTES + 8 + 1
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def fingerprint(public_key: bytes) -> str:
    """``"3f2a 91c0 …"``: the first 16 bytes of ``H(lbl("HLP1/fingerprint") ‖ key)``."""
    digest = sha512(lbl("HLP1/fingerprint"), public_key)[:16].hex()
    return " ".join(digest[i : i + 4] for i in range(0, 32, 4))


def org_public_key(org_seed: bytes) -> bytes:
    """The organisation's Ed25519 public key for its 32-byte seed."""
    return ed25519_public(org_seed)


def identity_public_key(seed: bytes) -> bytes:
    """A counsellor's Ed25519 identity public key for its 32-byte seed."""
    return ed25519_public(seed)


def records_public_key(records_secret: bytes) -> bytes:
    """The organisation's X25519 records public key."""
    return x25519_public(records_secret)


# -- certificates ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Certificate:
    """A certificate that verified: the counsellor's key, validity and handle."""

    ik: bytes
    not_after: int
    handle: str
    raw: bytes


def check_handle_for_signing(handle: str) -> bytes:
    """The signing tool's handle rules; returns the UTF-8 bytes."""
    try:
        data = handle.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CryptoError("bad_handle", "handle is not valid Unicode") from exc
    if not 1 <= len(data) <= MAX_HANDLE_BYTES:
        raise CryptoError("bad_handle", "handle must be 1 to 64 bytes of UTF-8")
    if unicodedata.normalize("NFC", handle) != handle:
        raise CryptoError("bad_handle", "handle is not in NFC")
    if any(unicodedata.category(ch) in _FORBIDDEN_CATEGORIES for ch in handle):
        raise CryptoError("bad_handle", "handle contains control or format characters")
    return data


def make_certificate(org_seed: bytes, ik: bytes, not_after: int, handle: str) -> bytes:
    """Certify ``ik`` until ``not_after`` (inclusive) under ``handle``."""
    data = check_handle_for_signing(handle)
    check_certifiable_key(ik)
    if not 0 <= not_after < 2**64:
        raise CryptoError("bad_cert", "not_after out of range")
    body = CERT_LABEL + ik + u64(not_after) + u8(len(data)) + data
    return body + ed25519_sign(org_seed, body)


def parse_certificate(cert: bytes) -> Certificate:
    """The layout and handle rules only: no signature, no time (see :func:`verify_certificate`)."""
    if len(cert) < _CERT_FIXED + SIG_BYTES or not cert.startswith(CERT_LABEL):
        raise CryptoError("bad_cert", "not an HLP1 certificate")
    at = len(CERT_LABEL)
    ik = cert[at : at + KEY_BYTES]
    not_after = read_uint(cert[at + KEY_BYTES : at + KEY_BYTES + 8])
    handle_len = cert[_CERT_FIXED - 1]
    if not 1 <= handle_len <= MAX_HANDLE_BYTES:
        raise CryptoError("bad_handle", "handle must be 1 to 64 bytes")
    if len(cert) != _CERT_FIXED + handle_len + SIG_BYTES:
        raise CryptoError("bad_cert", "certificate length does not match its handle")
    try:
        handle = cert[_CERT_FIXED : _CERT_FIXED + handle_len].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CryptoError("bad_handle", "handle is not valid UTF-8") from exc
    check_peer_identity_key(ik)
    return Certificate(ik=ik, not_after=not_after, handle=handle, raw=cert)


def verify_certificate(org_pub: bytes, cert: bytes, now: int) -> Certificate:
    """Layout, handle, identity key, strict organisation signature, validity window."""
    parsed = parse_certificate(cert)
    ed25519_verify(org_pub, cert[:-SIG_BYTES], cert[-SIG_BYTES:])
    if now > parsed.not_after:
        raise CryptoError("expired", "certificate has expired")
    if parsed.not_after > now + MAX_CERT_VALIDITY:
        raise CryptoError("bad_cert", "certificate valid for more than 90 days")
    return parsed


def cert_hash(cert: bytes) -> bytes:
    """``H(cert)``, signature included."""
    return sha512(cert)


# -- revocation lists ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RevocationList:
    """A revocation list that verified."""

    issued_at: int
    expires_at: int
    revoked: frozenset[bytes]
    raw: bytes

    def check_current(self, now: int) -> None:
        """``issued_at − 300 ≤ now ≤ expires_at``, else ``stale_revocation_list``."""
        if not self.issued_at - REVOCATION_CLOCK_SKEW <= now <= self.expires_at:
            raise CryptoError("stale_revocation_list", "revocation list is not current")


def make_revocation_list(
    org_seed: bytes, issued_at: int, expires_at: int, revoked: Iterable[bytes]
) -> bytes:
    """Sign a list of revoked identity keys (sorted and deduplicated here)."""
    keys = sorted(set(revoked))
    if any(len(k) != KEY_BYTES for k in keys):
        raise CryptoError("bad_key", "revoked keys are 32 bytes")
    if not 0 <= expires_at - issued_at <= MAX_REVOCATION_WINDOW or issued_at < 0:
        raise CryptoError("bad_revocation_list", "expires_at − issued_at must be 0 to 35 days")
    body = REVOKED_LABEL + u64(issued_at) + u64(expires_at) + u32(len(keys)) + b"".join(keys)
    return body + ed25519_sign(org_seed, body)


def verify_revocation_list(
    org_pub: bytes, blob: bytes, now: int, newest_issued_at: int | None = None
) -> RevocationList:
    """Layout, order, strict signature, window, currency and monotonicity."""
    fixed = len(REVOKED_LABEL) + 8 + 8 + 4
    if len(blob) < fixed + SIG_BYTES or not blob.startswith(REVOKED_LABEL):
        raise CryptoError("bad_revocation_list", "not an HLP1 revocation list")
    at = len(REVOKED_LABEL)
    issued_at = read_uint(blob[at : at + 8])
    expires_at = read_uint(blob[at + 8 : at + 16])
    count = read_uint(blob[at + 16 : at + 20])
    if len(blob) != fixed + count * KEY_BYTES + SIG_BYTES:
        raise CryptoError("bad_revocation_list", "length does not match the count")
    keys = [blob[fixed + i * KEY_BYTES : fixed + (i + 1) * KEY_BYTES] for i in range(count)]
    if any(a >= b for a, b in itertools.pairwise(keys)):
        raise CryptoError("bad_revocation_list", "keys are not sorted and unique")
    ed25519_verify(org_pub, blob[:-SIG_BYTES], blob[-SIG_BYTES:])
    if not 0 <= expires_at - issued_at <= MAX_REVOCATION_WINDOW:
        raise CryptoError("bad_revocation_list", "window longer than 35 days")
    result = RevocationList(issued_at, expires_at, frozenset(keys), blob)
    result.check_current(now)
    if newest_issued_at is not None and issued_at < newest_issued_at:
        raise CryptoError("stale_revocation_list", "older than a list already accepted")
    return result
