"""TOTP second factor (RFC 6238) for staff: secrets, codes, sealing, the QR code.

Codes are 6 digits over 30-second steps (what every authenticator app does by
default); a code of the step before or after the current one is accepted too,
for clocks that drift. Which step a code matched is returned, so that the
store can accept each step once (docs/protocol.md §6.5).

Secrets are sealed (XSalsa20-Poly1305, PyNaCl's SecretBox) under
``HMAC-SHA256(server secret, "HLP1/totp-seal")`` before they are stored. The
server secret lives in the same database (``settings``), so this protects
against a copy of the TOTP table alone (an export, a partial backup), not of
the whole database: it is the one place the secret may be kept, since the
server must compute codes without anyone present.

The enrolment QR code is an SVG made here with segno, so the secret never goes
to a QR service or a script in the browser.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import re

import pyotp
import segno
from nacl.exceptions import CryptoError as NaclCryptoError
from nacl.secret import SecretBox

STEP_S = 30
DIGITS = 6
WINDOW = 1  # steps either side of now
ISSUER = "Helpline"
SEAL_LABEL = b"HLP1/totp-seal"
CODE_RE = re.compile(r"[0-9]{6}")


class SealError(Exception):
    """A stored secret does not open with this server's key (a changed server secret)."""


def sealing_key(server_secret: bytes) -> bytes:
    return hmac.new(server_secret, SEAL_LABEL, hashlib.sha256).digest()


def seal(key: bytes, secret: str) -> bytes:
    sealed: bytes = SecretBox(key).encrypt(secret.encode("ascii"))
    return sealed


def unseal(key: bytes, sealed: bytes) -> str:
    try:
        opened: bytes = SecretBox(key).decrypt(sealed)
    except NaclCryptoError:
        raise SealError("the TOTP secret does not open with this server's key") from None
    return opened.decode("ascii")


def new_secret() -> str:
    """160 random bits, base32 (32 characters), as RFC 4226 recommends."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S).provisioning_uri(
        name=username, issuer_name=ISSUER
    )


def is_code(code: str) -> bool:
    return CODE_RE.fullmatch(code) is not None


def matching_step(secret: str, code: str, now: float) -> int | None:
    """The time step whose code ``code`` is, within :data:`WINDOW` of ``now``; else None.

    Every candidate is compared in constant time, and all of them always.
    """
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S)
    current = int(now // STEP_S)
    found = None
    for step in range(current - WINDOW, current + WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def qr_svg(uri: str) -> bytes:
    """The URI as a QR code in SVG (black on white, a quiet zone of 4 modules)."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(
        out, kind="svg", scale=4, border=4, dark="#000", light="#fff", xmldecl=False
    )
    return out.getvalue()
