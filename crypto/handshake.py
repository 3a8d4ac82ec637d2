"""The HLP1 handshake messages and key schedule (HLP1 "Handshake", "Reconnect, re-hello, handover").

Messages (UTF-8 JSON, parsed by value with :mod:`crypto.strictjson`, code ``bad_message``)::

    {"hlp":1,"kind":"hello","epoch":e,"commit":b64u}            (+ "tag":b64u on a re-hello)
    {"hlp":1,"kind":"accept","epoch":e,"ec":b64u,"ik":b64u,"cert":b64u,"flags":n,"sig":b64u}
    {"hlp":1,"kind":"reveal","epoch":e,"es":b64u}

- ``epoch`` is a u32 (``0 ≤ e ≤ 2^32 − 1``); ``commit``, ``tag``, ``ec``, ``ik``, ``es``
  are 32 bytes, ``sig`` 64; ``cert`` at most 512 bytes; the whole message at most
  :data:`MAX_MESSAGE_BYTES` (safest reading: a bound on what a peer may make us parse).
- ``flags`` is a u8; bit 0 means transcripts on; any other bit set is ``bad_flags``.
- ``commit = H(lbl("HLP1/commit") ‖ es_pub)[0:32]``; a REVEAL that does not match is
  ``bad_commit``.
- ``sig = Sign_IKc(lbl("HLP1/accept") ‖ chat_id ‖ u32(epoch) ‖ commit ‖ ec_pub ‖ IKc_pub ‖
  u8(flags))``.
- Key schedule: ``dh = X25519(own, peer)`` (all zero aborts), ``th = H(lbl("HLP1/th") ‖
  chat_id ‖ u32(epoch) ‖ es_pub ‖ ec_pub ‖ IKc_pub ‖ H(cert))``, ``prk = Extract(th, dh)``,
  ``ck_s2c``, ``ck_c2s``, ``cont`` = ``Expand(prk, "HLP1/ck/s2c" | "HLP1/ck/c2s" |
  "HLP1/cont", 32)``.
- Safety code: the first 5 bytes of ``H(lbl("HLP1/safety") ‖ th)``, each ``mod 100`` as
  two digits, in two groups of five: ``"12345 67890"``.
- Re-hello tag: ``HMAC(cont, lbl("HLP1/rehello") ‖ chat_id ‖ u32(epoch + 1) ‖
  commit)[0:32]`` where ``epoch + 1`` is the HELLO's epoch and ``cont`` that of the
  latest completed epoch.
- The seeker's checks of an ACCEPT (:func:`verify_accept`), in this order: the epoch is
  the pending one (``bad_epoch``); the certificate, strictly, against the pinned
  organisation key, with its handle rules and validity window
  (:func:`crypto.certs.verify_certificate`); ``ik`` equals the certificate's key
  (``bad_cert``); when the seeker expects a given key (after a transfer:
  ``unauthorised_transfer``; on a re-hello, safest reading, the key of the previous
  epoch: ``identity_changed``); the revocation list is current (``stale_revocation_list``)
  and does not list the key (``revoked``); ``sig`` (``bad_signature``); the reserved flag
  bits (``bad_flags``).
- Transfer signature: ``Sign_IKc1(lbl("HLP1/transfer") ‖ chat_id ‖ u32(epoch + 1) ‖
  IKc2_pub)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from crypto.certs import Certificate, RevocationList, cert_hash, verify_certificate
from crypto.encoding import b64u_encode, lbl, u8, u32
from crypto.errors import CryptoError
from crypto.primitives import (
    ct_equal,
    ed25519_verify,
    hkdf_expand,
    hkdf_extract,
    hmac512,
    sha512,
    x25519,
)
from crypto.strictjson import dumps, get_b64u, get_int, parse_object, require_keys

MAX_MESSAGE_BYTES = 2048
MAX_CERT_BYTES = 512
MAX_EPOCH = 2**32 - 1
CHAT_ID_BYTES = 16
FLAG_TRANSCRIPTS = 0x01
_CODE = "bad_message"


@dataclass(frozen=True, slots=True)
class Hello:
    epoch: int
    commit: bytes
    tag: bytes | None = None


@dataclass(frozen=True, slots=True)
class Accept:
    epoch: int
    ec: bytes
    ik: bytes
    cert: bytes
    flags: int
    sig: bytes


@dataclass(frozen=True, slots=True)
class Reveal:
    epoch: int
    es: bytes


HandshakeMessage = Hello | Accept | Reveal


@dataclass(frozen=True, slots=True)
class EpochKeys:
    """Everything derived for one epoch (the ephemeral secrets are not kept)."""

    th: bytes
    prk: bytes
    ck_s2c: bytes
    ck_c2s: bytes
    cont: bytes
    safety_code: str


def commitment(es_pub: bytes) -> bytes:
    return sha512(lbl("HLP1/commit"), es_pub)[:32]


def accept_signed_message(
    chat_id: bytes, epoch: int, commit: bytes, ec_pub: bytes, ik: bytes, flags: int
) -> bytes:
    return lbl("HLP1/accept") + chat_id + u32(epoch) + commit + ec_pub + ik + u8(flags)


def transfer_signed_message(chat_id: bytes, next_epoch: int, ik2: bytes) -> bytes:
    return lbl("HLP1/transfer") + chat_id + u32(next_epoch) + ik2


def rehello_tag(cont: bytes, chat_id: bytes, next_epoch: int, commit: bytes) -> bytes:
    return hmac512(cont, lbl("HLP1/rehello"), chat_id, u32(next_epoch), commit)[:32]


def transcript_hash(
    chat_id: bytes, epoch: int, es_pub: bytes, ec_pub: bytes, ik: bytes, cert: bytes
) -> bytes:
    return sha512(lbl("HLP1/th"), chat_id, u32(epoch), es_pub, ec_pub, ik, cert_hash(cert))


def safety_code(th: bytes) -> str:
    digits = "".join(f"{b % 100:02d}" for b in sha512(lbl("HLP1/safety"), th)[:5])
    return f"{digits[:5]} {digits[5:]}"


def derive_epoch_keys(
    own_secret: bytes,
    peer_public: bytes,
    chat_id: bytes,
    epoch: int,
    es_pub: bytes,
    ec_pub: bytes,
    ik: bytes,
    cert: bytes,
) -> EpochKeys:
    """Step 6 of the handshake; ``zero_shared_secret`` if X25519 gives all zeros."""
    dh = x25519(own_secret, peer_public)
    th = transcript_hash(chat_id, epoch, es_pub, ec_pub, ik, cert)
    prk = hkdf_extract(th, dh)
    return EpochKeys(
        th=th,
        prk=prk,
        ck_s2c=hkdf_expand(prk, b"HLP1/ck/s2c", 32),
        ck_c2s=hkdf_expand(prk, b"HLP1/ck/c2s", 32),
        cont=hkdf_expand(prk, b"HLP1/cont", 32),
        safety_code=safety_code(th),
    )


def check_tag(cont: bytes, chat_id: bytes, hello: Hello) -> bool:
    """Whether a re-hello's tag proves knowledge of ``cont``."""
    if hello.tag is None:
        return False
    return ct_equal(hello.tag, rehello_tag(cont, chat_id, hello.epoch, hello.commit))


# -- encoding ---------------------------------------------------------------------------


def encode_hello(hello: Hello) -> bytes:
    obj: dict[str, object] = {
        "hlp": 1,
        "kind": "hello",
        "epoch": hello.epoch,
        "commit": b64u_encode(hello.commit),
    }
    if hello.tag is not None:
        obj["tag"] = b64u_encode(hello.tag)
    return dumps(obj)


def encode_accept(accept: Accept) -> bytes:
    return dumps(
        {
            "hlp": 1,
            "kind": "accept",
            "epoch": accept.epoch,
            "ec": b64u_encode(accept.ec),
            "ik": b64u_encode(accept.ik),
            "cert": b64u_encode(accept.cert),
            "flags": accept.flags,
            "sig": b64u_encode(accept.sig),
        }
    )


def encode_reveal(reveal: Reveal) -> bytes:
    return dumps({"hlp": 1, "kind": "reveal", "epoch": reveal.epoch, "es": b64u_encode(reveal.es)})


def encode_message(message: HandshakeMessage) -> bytes:
    if isinstance(message, Hello):
        return encode_hello(message)
    if isinstance(message, Accept):
        return encode_accept(message)
    return encode_reveal(message)


def decode_message(data: bytes) -> HandshakeMessage:
    """Parse a handshake message by value (module rules)."""
    if len(data) > MAX_MESSAGE_BYTES:
        raise CryptoError(_CODE, "handshake message too long")
    obj = parse_object(data, _CODE)
    kind = obj.get("kind")
    if "hlp" not in obj or get_int(obj, "hlp", _CODE, 1, 1) != 1:
        raise CryptoError(_CODE, "hlp must be 1")
    if kind == "hello":
        tagged = "tag" in obj
        require_keys(
            obj, {"hlp", "kind", "epoch", "commit"} | ({"tag"} if tagged else set()), _CODE
        )
        return Hello(
            epoch=get_int(obj, "epoch", _CODE, 0, MAX_EPOCH),
            commit=get_b64u(obj, "commit", _CODE, 32),
            tag=get_b64u(obj, "tag", _CODE, 32) if tagged else None,
        )
    if kind == "accept":
        require_keys(obj, {"hlp", "kind", "epoch", "ec", "ik", "cert", "flags", "sig"}, _CODE)
        accept = Accept(
            epoch=get_int(obj, "epoch", _CODE, 0, MAX_EPOCH),
            ec=get_b64u(obj, "ec", _CODE, 32),
            ik=get_b64u(obj, "ik", _CODE, 32),
            cert=get_b64u(obj, "cert", _CODE, max_length=MAX_CERT_BYTES),
            flags=get_int(obj, "flags", _CODE, 0, 255),
            sig=get_b64u(obj, "sig", _CODE, 64),
        )
        return accept
    if kind == "reveal":
        require_keys(obj, {"hlp", "kind", "epoch", "es"}, _CODE)
        return Reveal(
            epoch=get_int(obj, "epoch", _CODE, 0, MAX_EPOCH),
            es=get_b64u(obj, "es", _CODE, 32),
        )
    raise CryptoError(_CODE, "unknown kind")


def check_flags(flags: int) -> bool:
    """``bad_flags`` if a reserved bit is set; else whether transcripts are on."""
    if flags & ~FLAG_TRANSCRIPTS:
        raise CryptoError("bad_flags", "reserved flag bits set")
    return bool(flags & FLAG_TRANSCRIPTS)


def verify_accept(
    accept: Accept,
    *,
    chat_id: bytes,
    epoch: int,
    commit: bytes,
    org_pub: bytes,
    revocations: RevocationList,
    now: int,
    expected_ik: bytes | None = None,
    transfer: bool = False,
) -> tuple[Certificate, bool]:
    """The seeker's step 4; returns the certificate and whether transcripts are on."""
    if accept.epoch != epoch:
        raise CryptoError("bad_epoch", f"ACCEPT for epoch {accept.epoch}, expected {epoch}")
    cert = verify_certificate(org_pub, accept.cert, now)
    if not ct_equal(cert.ik, accept.ik):
        raise CryptoError("bad_cert", "ik is not the certificate's key")
    if expected_ik is not None and not ct_equal(expected_ik, accept.ik):
        if transfer:
            raise CryptoError(
                "unauthorised_transfer", "ACCEPT from a key not named by the transfer"
            )
        raise CryptoError("identity_changed", "ACCEPT from another counsellor key")
    revocations.check_current(now)
    if accept.ik in revocations.revoked:
        raise CryptoError("revoked", "the counsellor key is revoked")
    signed = accept_signed_message(chat_id, epoch, commit, accept.ec, accept.ik, accept.flags)
    ed25519_verify(accept.ik, signed, accept.sig)
    return cert, check_flags(accept.flags)


def verify_transfer(
    *,
    ik2: bytes,
    cert2: bytes,
    sig: bytes,
    chat_id: bytes,
    epoch: int,
    current_ik: bytes,
    org_pub: bytes,
    revocations: RevocationList,
    now: int,
) -> Certificate:
    """The seeker's checks of a transfer frame (HLP1 "Handover").

    ``cert2`` exactly as in step 4 (certificate, handle, window, ``ik2`` equal to its
    key — else ``unauthorised_transfer`` —, current revocation list, not revoked), then
    ``sig`` by the current counsellor's key over the next epoch and ``ik2``
    (``unauthorised_transfer``).
    """
    if epoch >= MAX_EPOCH:
        raise CryptoError("bad_epoch", "no epoch left")
    cert = verify_certificate(org_pub, cert2, now)
    if not ct_equal(cert.ik, ik2):
        raise CryptoError("unauthorised_transfer", "ik2 is not the key of cert2")
    revocations.check_current(now)
    if ik2 in revocations.revoked:
        raise CryptoError("revoked", "the new counsellor's key is revoked")
    try:
        ed25519_verify(current_ik, transfer_signed_message(chat_id, epoch + 1, ik2), sig)
    except CryptoError as exc:
        raise CryptoError("unauthorised_transfer", "transfer not signed by the counsellor") from exc
    return cert
