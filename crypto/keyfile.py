"""The organisation key file, kept off the server (issue 3, item 5).

A JSON object, written once with mode 0600 (an existing file is never overwritten:
``file_exists``)::

    {"format": "helpline-org-key", "version": 1,
     "kdf": {"alg": "argon2id13", "opslimit": n, "memlimit": n, "salt": b64u(16)},
     "nonce": b64u(24), "ciphertext": b64u,
     "signing_public_key": b64u, "signing_fingerprint": "xxxx xxxx …",
     "records_public_key": b64u | null, "records_fingerprint": "…" | null}

- The key is ``argon2id(NFC(passphrase) as UTF-8, salt, opslimit, memlimit)`` (libsodium's
  "moderate" limits unless the caller chooses others), the ciphertext
  ``secretbox(signing_seed ‖ records_secret?, nonce, key)`` (32 or 64 bytes inside).
- The public keys and fingerprints are in clear so an operator can check them without
  the passphrase; on reading they must match the decrypted secrets (``bad_keyfile``),
  so a swapped public key in the file cannot mislead the tooling.
- Reading uses the parameters stored in the file, within libsodium's range and at most
  4 GiB of memory (``bad_keyfile``), so a tampered file cannot exhaust memory. Weaker
  parameters cannot be slipped in either: without the passphrase nobody can re-encrypt
  the secrets under them, and other parameters derive another key (``bad_passphrase``).
  Tests write files with :data:`MIN_OPSLIMIT` / :data:`MIN_MEMLIMIT` to stay fast.
- A wrong passphrase (or a tampered ciphertext) is ``bad_passphrase``.
"""

from __future__ import annotations

import json
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nacl.pwhash

from crypto.certs import fingerprint, org_public_key, records_public_key
from crypto.encoding import b64u_encode
from crypto.errors import CryptoError
from crypto.primitives import NONCE_BYTES, random_bytes, secretbox_open, secretbox_seal
from crypto.strictjson import get_b64u, get_int, parse_object, require_keys

FORMAT = "helpline-org-key"
VERSION = 1
OPSLIMIT: int = nacl.pwhash.argon2id.OPSLIMIT_MODERATE
MEMLIMIT: int = nacl.pwhash.argon2id.MEMLIMIT_MODERATE
# libsodium's floor: for files written in tests only.
MIN_OPSLIMIT: int = nacl.pwhash.argon2id.OPSLIMIT_MIN
MIN_MEMLIMIT: int = nacl.pwhash.argon2id.MEMLIMIT_MIN
MAX_MEMLIMIT = 4 * 1024**3
SALT_BYTES: int = nacl.pwhash.argon2id.SALTBYTES
_CODE = "bad_keyfile"


@dataclass(frozen=True, slots=True)
class OrgKeyFile:
    signing_seed: bytes
    records_secret: bytes | None

    def __post_init__(self) -> None:
        if len(self.signing_seed) != 32:
            raise CryptoError("bad_key", "the signing seed is 32 bytes")
        if self.records_secret is not None and len(self.records_secret) != 32:
            raise CryptoError("bad_key", "the records secret is 32 bytes")


def generate_org_keys(with_records: bool) -> OrgKeyFile:
    """A new organisation signing key and, optionally, a records key."""
    return OrgKeyFile(random_bytes(32), random_bytes(32) if with_records else None)


def _derive(
    passphrase: str, salt: bytes, opslimit: int, memlimit: int, *, nfc: bool = True
) -> bytes:
    # NFC first, as crypto.password does, so that the same passphrase typed on another
    # system (macOS input methods produce NFD) opens the file.
    try:
        text = unicodedata.normalize("NFC", passphrase) if nfc else passphrase
        secret: bytes | None = text.encode("utf-8")
    except UnicodeEncodeError:
        secret = None  # raised below: the encoder's error keeps the passphrase
    if secret is None:
        raise CryptoError("bad_passphrase", "passphrase is not valid Unicode") from None
    key: bytes = nacl.pwhash.argon2id.kdf(32, secret, salt, opslimit=opslimit, memlimit=memlimit)
    return key


def write_org_keyfile(
    path: Path,
    passphrase: str,
    keys: OrgKeyFile,
    *,
    opslimit: int = OPSLIMIT,
    memlimit: int = MEMLIMIT,
) -> None:
    """Encrypt ``keys`` under ``passphrase`` into a new file at ``path`` (mode 0600)."""
    if not passphrase:
        raise CryptoError("bad_passphrase", "an empty passphrase protects nothing")
    salt = random_bytes(SALT_BYTES)
    nonce = random_bytes(NONCE_BYTES)
    secret = keys.signing_seed + (keys.records_secret or b"")
    ciphertext = secretbox_seal(_derive(passphrase, salt, opslimit, memlimit), nonce, secret)
    signing_pub = org_public_key(keys.signing_seed)
    records_pub = records_public_key(keys.records_secret) if keys.records_secret else None
    document = {
        "format": FORMAT,
        "version": VERSION,
        "kdf": {
            "alg": "argon2id13",
            "opslimit": opslimit,
            "memlimit": memlimit,
            "salt": b64u_encode(salt),
        },
        "nonce": b64u_encode(nonce),
        "ciphertext": b64u_encode(ciphertext),
        "signing_public_key": b64u_encode(signing_pub),
        "signing_fingerprint": fingerprint(signing_pub),
        "records_public_key": b64u_encode(records_pub) if records_pub else None,
        "records_fingerprint": fingerprint(records_pub) if records_pub else None,
    }
    data = (json.dumps(document, indent=2) + "\n").encode("utf-8")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise CryptoError("file_exists", f"{path} exists; refusing to overwrite it") from exc
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def read_keyfile_document(path: Path) -> dict[str, Any]:
    """The file's JSON, checked for shape only (the public parts are usable as they are)."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise CryptoError(_CODE, f"cannot read {path}: {exc.strerror}") from exc
    doc = parse_object(raw, _CODE)
    require_keys(
        doc,
        {
            "format",
            "version",
            "kdf",
            "nonce",
            "ciphertext",
            "signing_public_key",
            "signing_fingerprint",
            "records_public_key",
            "records_fingerprint",
        },
        _CODE,
    )
    if doc["format"] != FORMAT or get_int(doc, "version", _CODE, 1, 1) != VERSION:
        raise CryptoError(_CODE, "not a Helpline organisation key file")
    if not isinstance(doc["kdf"], dict):
        raise CryptoError(_CODE, "kdf must be an object")
    return doc


def read_org_keyfile(path: Path, passphrase: str) -> OrgKeyFile:
    """Decrypt the key file; ``bad_passphrase`` when the passphrase is wrong."""
    doc = read_keyfile_document(path)
    kdf = doc["kdf"]
    require_keys(kdf, {"alg", "opslimit", "memlimit", "salt"}, _CODE)
    if kdf["alg"] != "argon2id13":
        raise CryptoError(_CODE, "unknown key derivation")
    opslimit = get_int(kdf, "opslimit", _CODE, MIN_OPSLIMIT, 64)
    memlimit = get_int(kdf, "memlimit", _CODE, MIN_MEMLIMIT, MAX_MEMLIMIT)
    salt = get_b64u(kdf, "salt", _CODE, SALT_BYTES)
    nonce = get_b64u(doc, "nonce", _CODE, NONCE_BYTES)
    ciphertext = get_b64u(doc, "ciphertext", _CODE)
    key = _derive(passphrase, salt, opslimit, memlimit)
    try:
        secret = secretbox_open(key, nonce, ciphertext)
    except CryptoError:
        secret = None
    if secret is None and unicodedata.normalize("NFC", passphrase) != passphrase:
        # A file written before passphrases were normalised, from a non-NFC passphrase.
        key = _derive(passphrase, salt, opslimit, memlimit, nfc=False)
        try:
            secret = secretbox_open(key, nonce, ciphertext)
        except CryptoError:
            secret = None
    if secret is None:
        raise CryptoError("bad_passphrase", "wrong passphrase (or a damaged file)") from None
    if len(secret) not in (32, 64):
        raise CryptoError(_CODE, "unexpected secret length")
    keys = OrgKeyFile(secret[:32], secret[32:] or None)
    signing_pub = org_public_key(keys.signing_seed)
    rec_pub = records_public_key(keys.records_secret) if keys.records_secret else None
    if (
        doc["signing_public_key"] != b64u_encode(signing_pub)
        or doc["signing_fingerprint"] != fingerprint(signing_pub)
        or doc["records_public_key"] != (b64u_encode(rec_pub) if rec_pub else None)
        or doc["records_fingerprint"] != (fingerprint(rec_pub) if rec_pub else None)
    ):
        raise CryptoError(_CODE, "the public keys in the file do not match its secrets")
    return keys
