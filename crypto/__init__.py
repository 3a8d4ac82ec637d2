"""HLP1: the end-to-end protocol between a help-seeker's page and a counsellor.

A sans-I/O implementation on PyNaCl (libsodium), ``hashlib`` and ``hmac`` of the
design in ``docs/crypto.md`` / ``shared/design/e2e-protocol.md``. Bytes go in,
bytes and typed results come out; nothing here touches the network, the clock or
a file, except :mod:`crypto.keyfile`, whose job is a file.

Modules, one concept each:

    errors      the exception root :class:`~crypto.errors.CryptoError` and its codes
    encoding    base64url (strict), big-endian integers, labels
    primitives  SHA-512, HMAC/HKDF, X25519, strict Ed25519, secretbox and box
    strictjson  JSON parsed and compared by value (exact key sets, integers, b64u)
    certs       fingerprints, counsellor certificates, revocation lists
    handshake   HELLO / ACCEPT / REVEAL, the epoch key schedule, safety codes,
                the re-hello tag, the transfer signature
    frames      data frames: header, chain step, nonce, padding, plaintext shapes
    events      what a session reports
    session     SeekerSession and CounsellorSession, the state machines
    records     sealed transcripts (RecordWriter, open_records)
    password    PBKDF2 login secret / wrapping key, wrapped identity seeds
    keyfile     the organisation key file (Argon2id + secretbox)

This package never imports ``helpline``.

Safest readings where the design is silent or ambiguous (also in ``docs/crypto.md``):

1. Verifiers also refuse a certificate whose identity key is small-order
   (``small_order``) or non-canonical (``bad_key``), using libsodium's verification
   rules; the signing tool refuses any key outside the prime-order subgroup.
2. A certificate must be exactly as long as its handle says; trailing bytes are
   ``bad_cert``. ``not_after > now + 90 days`` is ``bad_cert``, ``now > not_after`` is
   ``expired``.
3. A revocation list with ``expires_at < issued_at`` is malformed; a list "from the
   future" (``now < issued_at − 300``) is refused like an expired one.
4. JSON is compared by value: ``1``, ``1.0`` and ``1e0`` are the same integer
   (JavaScript cannot tell them apart), booleans are never integers; duplicate keys,
   lone surrogates, ``NaN``/``Infinity`` and non-objects are refused. Bad base64url is
   ``bad_encoding`` wherever it appears. Handshake messages are at most 2048 bytes.
5. ``ack`` must name a frame actually sent in this epoch and never go backwards;
   otherwise the peer is broken (``bad_ack``, the chat ends).
6. A transfer frame (type 3) from the seeker is ``bad_type`` (checked with the header,
   before decryption); an invalid transfer from the counsellor (bad signature, bad or
   revoked ``cert2``) ends the chat, like any other bad authenticated plaintext.
7. Failures before authentication (header checks, ``bad_mac``) reject the frame
   without ending the chat (the relay could inject them; the genuine frame can still
   arrive); failures after it (padding, JSON shape, acks, transfer) end the chat.
8. A re-hello must be answered by the same identity key as the previous epoch
   (``identity_changed``); after a handover, by ``ik2`` only
   (``unauthorised_transfer``). The HELLO after a handover carries no tag.
9. The counsellor's ``same_person``: True when the tag checks against the ``cont``
   of its latest completed epoch; False when it has such a ``cont`` and the tag is
   wrong or missing; None when it has nothing to compare with (first HELLO, or a new
   counsellor after a handover).
10. A counsellor session that never completed a handshake accepts the first HELLO's
    epoch (a new counsellor after a handover joins at ``epoch + 1``). A new HELLO for
    ``current + 1`` replaces the counsellor's pending handshake; the seeker refuses to
    start another within 60 s, and an ACCEPT or REVEAL arriving 60 s or more after the
    handshake started is refused.
11. The seeker checks that the revocation list is current at every ACCEPT and
    transfer, not only when the page loads; ``update_revocations`` takes a newer one.
12. Records: the certificate's validity window is not checked against the opening
    time (records are opened long after the chat), only its signature, layout and
    ``not_after ≤ now + 90 days``; revocation is not checked offline. Entries must be
    numbered 0, 1, 2 …, and nothing may follow the final entry.
13. The sender's last frame number is ``2^32 − 2``; the next send is ``exhausted``
    and ends the chat. Epoch ``2^32 − 1`` is the last one.
"""

from crypto.errors import CryptoError

__all__ = ["CryptoError"]
