"""The one exception of the package: :class:`CryptoError`, with a machine-readable ``code``.

Every failure, whatever its cause (a forged signature, a malformed frame, a wrong
passphrase), is a ``CryptoError``; third-party exceptions from PyNaCl are mapped
at the boundary (:mod:`crypto.primitives`) and never escape. The ``code`` is part
of the interface: the JavaScript implementation raises the same codes for the same
inputs (see ``crypto/vectors/hlp1.json``, section ``negative``).

Codes, by area:

    encoding    bad_encoding (base64url not canonical, wrong length)
    keys        small_order (a small-order Ed25519 or X25519 key), bad_key (non-canonical
                or not in the prime-order subgroup), zero_shared_secret (all-zero X25519)
    signatures  bad_signature
    certs       bad_cert, expired, bad_handle, revoked
    revocation  bad_revocation_list, stale_revocation_list, no_revocation_list
    handshake   bad_message (JSON shape), bad_flags, bad_commit, bad_epoch, unexpected,
                unauthorised_transfer, identity_changed, bad_state (saved seeker state)
    frames      bad_frame (truncated), bad_version, bad_type, wrong_chat, bad_epoch,
                wrong_direction, bad_length, replay, gap, bad_mac, bad_padding,
                bad_plaintext, bad_ack, too_large, bad_text (sending a lone
                surrogate), exhausted, closed
    records     bad_records
    secrets     bad_mac (unwrap), bad_password, bad_passphrase, bad_keyfile, file_exists,
                weak_kdf (a server's PBKDF2 iteration count out of range)
"""

from __future__ import annotations


class CryptoError(Exception):
    """Any failure in :mod:`crypto`; ``code`` says which (see the module docstring)."""

    code: str

    def __init__(self, code: str, message: str | None = None) -> None:
        self.code = code
        super().__init__(f"{code}: {message}" if message else code)
