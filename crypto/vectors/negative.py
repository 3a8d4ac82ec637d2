"""The ``negative`` section of ``hlp1.json``: inputs every implementation must refuse.

Each case is ``{"name", "kind", "input": {...}, "code"}``; ``code`` is the
:class:`~crypto.errors.CryptoError` code both implementations raise. Cases marked
``"python_only": true`` concern the organisation's signing tool, which exists only in
Python. Kinds and their inputs (bytes as hex):

    b64u_decode            text
    ed25519_verify         public_key, message, signature
    verify_certificate     org_pub, cert, now
    make_certificate       org_seed, ik, not_after, handle            (python_only)
    verify_revocation_list org_pub, list, now, newest_issued_at (int or null)
    decode_message         message (hex of the bytes of a handshake message)
    verify_accept          chat_id, epoch (the pending one), commit, org_pub,
                           revocation_list, now, accept (hex), expected_ik (or null), transfer
    check_commit           commit, es_pub
    x25519                 secret, public
    open_frame             ck, chat_id, epoch, dir, expected_n, frame
    verify_transfer        ik2, cert2, sig, chat_id, epoch, current_ik, org_pub,
                           revocation_list, now
    open_records           lines (text), records_secret, org_pub, now
    unwrap_seed            wrapped, wrapping_key
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

from crypto.certs import records_public_key
from crypto.encoding import lbl, u8, u32, u64
from crypto.frames import (
    TYPE_MESSAGE,
    TYPE_TRANSFER,
    Header,
    MessageBody,
    chain_step,
    encode_header,
    frame_nonce,
    pad,
    seal,
)
from crypto.handshake import (
    Accept,
    accept_signed_message,
    commitment,
    encode_accept,
    transfer_signed_message,
)
from crypto.password import derive_password_keys, wrap_seed
from crypto.primitives import L, P, ed25519_public, ed25519_sign, secretbox_seal, x25519_public
from crypto.records import RecordWriter
from crypto.vectors.generate import (
    CERT1,
    CERT2,
    CERT3,
    CHAT_ID,
    IDENTITY_POINT,
    IK1,
    IK2,
    IK3,
    NOT_AFTER,
    NOW,
    ORG_PUB,
    RL,
    SEEDS,
)

ORG = SEEDS["org_seed"]
ATTACKER = SEEDS["attacker_org_seed"]
DAY = 86_400


def h(b: bytes) -> str:
    return b.hex()


def case(name: str, kind: str, code: str, python_only: bool = False, **inputs: Any) -> Any:
    out: dict[str, Any] = {"name": name, "kind": kind, "input": inputs, "code": code}
    if python_only:
        out["python_only"] = True
    return out


def _cert_body(ik: bytes, not_after: int, handle: bytes, length: int | None = None) -> bytes:
    n = len(handle) if length is None else length
    return lbl("HLP1/cert") + ik + u64(not_after) + u8(n) + handle


def _signed(seed: bytes, body: bytes) -> bytes:
    return body + ed25519_sign(seed, body)


def _clamped_scalar(seed: bytes) -> int:
    d = bytearray(hashlib.sha512(seed).digest()[:32])
    d[0] &= 248
    d[31] &= 127
    d[31] |= 64
    return int.from_bytes(d, "little")


def _small_order_r_signature(seed: bytes, message: bytes) -> bytes:
    """R = identity, S = k·a: passes a naive verifier, refused by the strict rules."""
    pub = ed25519_public(seed)
    k = int.from_bytes(hashlib.sha512(IDENTITY_POINT + pub + message).digest(), "little") % L
    s = (k * _clamped_scalar(seed)) % L
    return IDENTITY_POINT + s.to_bytes(32, "little")


def _s_plus_l(sig: bytes) -> bytes:
    s = int.from_bytes(sig[32:], "little") + L
    return sig[:32] + s.to_bytes(32, "little")


def signature_cases() -> list[Any]:
    msg = b"HLP1 strictness"
    good = ed25519_sign(SEEDS["ik1_seed"], msg)
    p_plus_1 = (P + 1).to_bytes(32, "little")
    return [
        case(
            "sig_s_not_below_l",
            "ed25519_verify",
            "bad_signature",
            public_key=h(IK1),
            message=h(msg),
            signature=h(_s_plus_l(good)),
        ),
        case(
            "sig_small_order_r",
            "ed25519_verify",
            "bad_signature",
            public_key=h(IK1),
            message=h(msg),
            signature=h(_small_order_r_signature(SEEDS["ik1_seed"], msg)),
        ),
        case(
            "sig_identity_public_key",
            "ed25519_verify",
            "bad_signature",
            public_key=h(IDENTITY_POINT),
            message=h(msg),
            signature=h(IDENTITY_POINT + bytes(32)),
        ),
        case(
            "sig_non_canonical_public_key",
            "ed25519_verify",
            "bad_signature",
            public_key=h(p_plus_1),
            message=h(msg),
            signature=h(IDENTITY_POINT + bytes(32)),
        ),
        case(
            "sig_non_canonical_r",
            "ed25519_verify",
            "bad_signature",
            public_key=h(IK1),
            message=h(msg),
            signature=h(p_plus_1 + good[32:]),
        ),
        case(
            "sig_wrong_message",
            "ed25519_verify",
            "bad_signature",
            public_key=h(IK1),
            message=h(msg + b"!"),
            signature=h(good),
        ),
    ]


def certificate_cases() -> list[Any]:
    def cert(name: str, c: bytes, code: str, now: int = NOW) -> Any:
        return case(name, "verify_certificate", code, org_pub=h(ORG_PUB), cert=h(c), now=now)

    handle = b"Sam"
    small_order_ik = IDENTITY_POINT
    non_canonical_ik = (P + 3).to_bytes(32, "little")
    return [
        cert(
            "cert_forged_by_other_org",
            _signed(ATTACKER, _cert_body(IK1, NOT_AFTER, handle)),
            "bad_signature",
        ),
        cert("cert_expired", CERT1, "expired", now=NOT_AFTER + 1),
        cert(
            "cert_validity_over_90_days",
            _signed(ORG, _cert_body(IK1, NOW + 90 * DAY + 1, handle)),
            "bad_cert",
        ),
        cert("cert_empty_handle", _signed(ORG, _cert_body(IK1, NOT_AFTER, b"")), "bad_handle"),
        cert(
            "cert_handle_not_utf8",
            _signed(ORG, _cert_body(IK1, NOT_AFTER, b"Sa\xff")),
            "bad_handle",
        ),
        cert(
            "cert_handle_65_bytes",
            _signed(ORG, _cert_body(IK1, NOT_AFTER, b"a" * 65)),
            "bad_handle",
        ),
        cert("cert_trailing_byte", CERT1 + b"\x00", "bad_cert"),
        cert("cert_truncated", CERT1[:-1], "bad_cert"),
        cert(
            "cert_wrong_label",
            _signed(ORG, b"HLP2" + _cert_body(IK1, NOT_AFTER, handle)[4:]),
            "bad_cert",
        ),
        cert(
            "cert_small_order_ik",
            _signed(ORG, _cert_body(small_order_ik, NOT_AFTER, handle)),
            "small_order",
        ),
        cert(
            "cert_non_canonical_ik",
            _signed(ORG, _cert_body(non_canonical_ik, NOT_AFTER, handle)),
            "bad_key",
        ),
        cert("cert_signature_s_plus_l", CERT1[:-64] + _s_plus_l(CERT1[-64:]), "bad_signature"),
        cert(
            "cert_flipped_bit_in_handle",
            CERT1[:-65] + bytes([CERT1[-65] ^ 1]) + CERT1[-64:],
            "bad_signature",
        ),
    ]


def make_certificate_cases() -> list[Any]:
    def mk(name: str, ik: bytes, handle: str, code: str) -> Any:
        return case(
            name,
            "make_certificate",
            code,
            python_only=True,
            org_seed=h(ORG),
            ik=h(ik),
            not_after=NOT_AFTER,
            handle=handle,
        )

    return [
        mk("certify_small_order_key", IDENTITY_POINT, "Sam", "small_order"),
        mk("certify_non_canonical_key", (P + 3).to_bytes(32, "little"), "Sam", "bad_key"),
        mk("certify_handle_not_nfc", IK1, "Cafe\u0301", "bad_handle"),
        mk("certify_handle_control", IK1, "Sam\n", "bad_handle"),
        mk("certify_handle_format_char", IK1, "Sam\u200b", "bad_handle"),
        mk("certify_handle_line_separator", IK1, "Sam\u2028", "bad_handle"),
        mk("certify_handle_empty", IK1, "", "bad_handle"),
        mk("certify_handle_too_long", IK1, "é" * 33, "bad_handle"),
    ]


def revocation_cases() -> list[Any]:
    issued = NOW - 3600

    def rl(name: str, blob: bytes, code: str, now: int = NOW, newest: int | None = None) -> Any:
        return case(
            name,
            "verify_revocation_list",
            code,
            org_pub=h(ORG_PUB),
            list=h(blob),
            now=now,
            newest_issued_at=newest,
        )

    def raw(
        keys: list[bytes],
        issued_at: int = issued,
        expires_at: int = issued + 30 * DAY,
        seed: bytes = ORG,
    ) -> bytes:
        body = (
            lbl("HLP1/revoked") + u64(issued_at) + u64(expires_at) + u32(len(keys)) + b"".join(keys)
        )
        return _signed(seed, body)

    a, b = sorted([IK3, bytes([0xAB]) * 32])
    return [
        rl("revocations_unsorted", raw([b, a]), "bad_revocation_list"),
        rl("revocations_duplicate", raw([a, a]), "bad_revocation_list"),
        rl(
            "revocations_window_over_35_days",
            raw([a], expires_at=issued + 35 * DAY + 1),
            "bad_revocation_list",
        ),
        rl("revocations_expired", RL, "stale_revocation_list", now=issued + 30 * DAY + 1),
        rl("revocations_from_the_future", RL, "stale_revocation_list", now=issued - 301),
        rl("revocations_older_than_accepted", RL, "stale_revocation_list", newest=issued + 1),
        rl("revocations_forged", raw([a], seed=ATTACKER), "bad_signature"),
        rl("revocations_count_mismatch", RL[:-96] + RL[-64:], "bad_revocation_list"),
    ]


def message_cases() -> list[Any]:
    c = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA"  # 32 bytes, canonical

    def msg(name: str, text: str, code: str = "bad_message") -> Any:
        return case(name, "decode_message", code, message=h(text.encode("utf-8", "surrogatepass")))

    return [
        msg("hello_extra_key", f'{{"hlp":1,"kind":"hello","epoch":0,"commit":"{c}","x":1}}'),
        msg("hello_missing_commit", '{"hlp":1,"kind":"hello","epoch":0}'),
        msg("hello_hlp_true", f'{{"hlp":true,"kind":"hello","epoch":0,"commit":"{c}"}}'),
        msg("hello_hlp_2", f'{{"hlp":2,"kind":"hello","epoch":0,"commit":"{c}"}}'),
        msg("hello_epoch_fraction", f'{{"hlp":1,"kind":"hello","epoch":0.5,"commit":"{c}"}}'),
        msg("hello_epoch_bool", f'{{"hlp":1,"kind":"hello","epoch":false,"commit":"{c}"}}'),
        msg("hello_epoch_negative", f'{{"hlp":1,"kind":"hello","epoch":-1,"commit":"{c}"}}'),
        msg("hello_epoch_2_32", f'{{"hlp":1,"kind":"hello","epoch":4294967296,"commit":"{c}"}}'),
        msg("hello_epoch_string", f'{{"hlp":1,"kind":"hello","epoch":"0","commit":"{c}"}}'),
        msg(
            "hello_duplicate_key", f'{{"hlp":1,"kind":"hello","epoch":0,"epoch":1,"commit":"{c}"}}'
        ),
        msg(
            "hello_commit_padded",
            f'{{"hlp":1,"kind":"hello","epoch":0,"commit":"{c}="}}',
            "bad_encoding",
        ),
        msg(
            "hello_commit_non_canonical",
            f'{{"hlp":1,"kind":"hello","epoch":0,"commit":"{c[:-1]}B"}}',
            "bad_encoding",
        ),
        msg(
            "hello_commit_standard_alphabet",
            f'{{"hlp":1,"kind":"hello","epoch":0,"commit":"{c[:-2]}+A"}}',
            "bad_encoding",
        ),
        msg(
            "hello_commit_31_bytes",
            f'{{"hlp":1,"kind":"hello","epoch":0,"commit":"{c[:-2]}"}}',
            "bad_encoding",
        ),
        msg("hello_kind_unknown", f'{{"hlp":1,"kind":"rekey","epoch":0,"commit":"{c}"}}'),
        msg("hello_not_object", "[1]"),
        msg("hello_nan", f'{{"hlp":1,"kind":"hello","epoch":NaN,"commit":"{c}"}}'),
        msg(
            "hello_lone_surrogate",
            f'{{"hlp":1,"kind":"hello","epoch":0,"commit":"{c}","x":"\\ud800"}}',
        ),
        msg("reveal_extra_tag", f'{{"hlp":1,"kind":"reveal","epoch":0,"es":"{c}","tag":"{c}"}}'),
        msg(
            "accept_flags_256",
            f'{{"hlp":1,"kind":"accept","epoch":0,"ec":"{c}","ik":"{c}","cert":"{c}",'
            f'"flags":256,"sig":"{c}{c}"}}',
        ),
    ]


def accept_cases() -> list[Any]:
    es_pub = x25519_public(SEEDS["es0_secret"])
    ec_pub = x25519_public(SEEDS["ec0_secret"])
    commit = commitment(es_pub)

    def accept(
        ik_seed: bytes,
        cert: bytes,
        flags: int = 0,
        *,
        epoch: int = 0,
        sign_commit: bytes = commit,
        ik: bytes | None = None,
    ) -> bytes:
        ik = ed25519_public(ik_seed) if ik is None else ik
        sig = ed25519_sign(
            ik_seed, accept_signed_message(CHAT_ID, epoch, sign_commit, ec_pub, ik, flags)
        )
        return encode_accept(Accept(epoch, ec_pub, ik, cert, flags, sig))

    def acc(
        name: str,
        data: bytes,
        code: str,
        *,
        now: int = NOW,
        expected: bytes | None = None,
        transfer: bool = False,
        rl: bytes = RL,
    ) -> Any:
        return case(
            name,
            "verify_accept",
            code,
            chat_id=h(CHAT_ID),
            epoch=0,
            commit=h(commit),
            org_pub=h(ORG_PUB),
            revocation_list=h(rl),
            now=now,
            accept=h(data),
            expected_ik=h(expected) if expected else None,
            transfer=transfer,
        )

    ik1 = SEEDS["ik1_seed"]
    forged = _signed(ATTACKER, _cert_body(IK1, NOT_AFTER, b"Sam"))
    return [
        acc("accept_bad_signature", accept(ik1, CERT1, sign_commit=bytes(32)), "bad_signature"),
        acc(
            "accept_signed_by_other_key", accept(SEEDS["ik2_seed"], CERT1, ik=IK1), "bad_signature"
        ),
        acc("accept_forged_certificate", accept(ik1, forged), "bad_signature"),
        acc("accept_expired_certificate", accept(ik1, CERT1), "expired", now=NOT_AFTER + 1),
        acc("accept_revoked_key", accept(SEEDS["ik3_seed"], CERT3), "revoked"),
        acc("accept_ik_not_certificate_key", accept(SEEDS["ik2_seed"], CERT1), "bad_cert"),
        acc("accept_reserved_flag_bit", accept(ik1, CERT1, flags=0x02), "bad_flags"),
        acc("accept_wrong_epoch", accept(ik1, CERT1, epoch=1), "bad_epoch"),
        acc(
            "accept_stale_revocation_list",
            accept(ik1, CERT1),
            "stale_revocation_list",
            now=NOW - 3600 + 30 * DAY + 1,
        ),
        acc(
            "accept_transfer_wrong_key",
            accept(ik1, CERT1),
            "unauthorised_transfer",
            expected=IK2,
            transfer=True,
        ),
        acc(
            "accept_rehello_other_identity",
            accept(SEEDS["ik2_seed"], CERT2),
            "identity_changed",
            expected=IK1,
        ),
    ]


def frame_cases() -> list[Any]:
    ck = bytes([0x42]) * 32

    def frame(h_: Header, body: Any = None, padded: bytes | None = None) -> bytes:
        if padded is None:
            return seal(ck, h_, body or MessageBody("hello", None))[0]
        mk, _ = chain_step(ck)
        raw = encode_header(h_)
        return raw + secretbox_seal(mk, frame_nonce(raw), padded)

    base = Header(TYPE_MESSAGE, CHAT_ID, 0, 0, 0)
    good = frame(base)

    def fr(name: str, data: bytes, code: str, *, expected_n: int = 0, direction: int = 0) -> Any:
        return case(
            name,
            "open_frame",
            code,
            ck=h(ck),
            chat_id=h(CHAT_ID),
            epoch=0,
            dir=direction,
            expected_n=expected_n,
            frame=h(data),
        )

    def flip(data: bytes, i: int, bit: int = 1) -> bytes:
        return data[:i] + bytes([data[i] ^ bit]) + data[i + 1 :]

    def plain(name: str, text: bytes) -> Any:
        return fr(name, frame(base, padded=pad(text)), "bad_plaintext")

    def with_header(**changes: Any) -> bytes:
        return encode_header(dataclasses.replace(base, **changes)) + good[27:]

    too_long = u32(237) + b"x" * 236
    nonzero = pad(b'{"text":"a","ack":null}')
    nonzero = nonzero[:-1] + b"\x01"
    return [
        fr("frame_truncated_header", good[:26], "bad_frame"),
        fr("frame_empty", b"", "bad_frame"),
        fr("frame_version_2", flip(good, 0, 3), "bad_version"),
        fr("frame_type_4_reserved", with_header(type=4), "bad_type"),
        fr("frame_type_0", with_header(type=0), "bad_type"),
        fr("frame_type_6", with_header(type=6), "bad_type"),
        fr("frame_transfer_from_seeker", with_header(type=TYPE_TRANSFER), "bad_type"),
        fr("frame_wrong_chat_id", with_header(chat_id=bytes(16)), "wrong_chat"),
        fr("frame_wrong_epoch", with_header(epoch=1), "bad_epoch"),
        fr("frame_wrong_direction", with_header(dir=1), "wrong_direction"),
        fr("frame_body_not_a_bucket", good[:-1], "bad_length"),
        fr("frame_body_too_long", good + b"\x00", "bad_length"),
        fr("frame_replay", good, "replay", expected_n=1),
        fr("frame_gap", with_header(n=1), "gap"),
        fr("frame_flipped_bit_in_header_type", with_header(type=5), "bad_mac"),
        fr("frame_flipped_bit_in_body", flip(good, 100), "bad_mac"),
        fr("frame_flipped_bit_in_mac", flip(good, 27), "bad_mac"),
        fr("frame_padding_length_too_long", frame(base, padded=too_long + bytes(0)), "bad_padding"),
        fr("frame_padding_not_zero", frame(base, padded=nonzero), "bad_padding"),
        plain("plaintext_not_json", b"hello"),
        plain("plaintext_not_utf8", b'{"text":"\xff","ack":null}'),
        plain("plaintext_extra_key", b'{"text":"a","ack":null,"x":1}'),
        plain("plaintext_missing_ack", b'{"text":"a"}'),
        plain("plaintext_ack_bool", b'{"text":"a","ack":true}'),
        plain("plaintext_ack_fraction", b'{"text":"a","ack":1.5}'),
        plain("plaintext_ack_negative", b'{"text":"a","ack":-1}'),
        plain("plaintext_ack_2_32", b'{"text":"a","ack":4294967296}'),
        plain("plaintext_text_number", b'{"text":1,"ack":null}'),
        plain("plaintext_duplicate_key", b'{"text":"a","text":"b","ack":null}'),
        plain("plaintext_lone_surrogate", b'{"text":"\\udc00","ack":null}'),
        plain("plaintext_array", b'["text"]'),
        plain("plaintext_typing_as_message", b'{"typing":true,"ack":null}'),
    ]


#: X25519 public values whose shared secret is all zero (small order, and the
#: non-canonical encodings of 0 and 1): both implementations must refuse them.
SMALL_ORDER_X25519 = [
    bytes(32),
    bytes([1]) + bytes(31),
    bytes.fromhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
    bytes.fromhex("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"),
    (P - 1).to_bytes(32, "little"),
    P.to_bytes(32, "little"),
    (P + 1).to_bytes(32, "little"),
]


def crypto_cases() -> list[Any]:
    es_pub = x25519_public(SEEDS["es0_secret"])
    small_order_x25519 = SMALL_ORDER_X25519
    out = [
        case(
            f"x25519_small_order_point_{i}",
            "x25519",
            "zero_shared_secret",
            secret=h(SEEDS["es0_secret"]),
            public=h(pt),
        )
        for i, pt in enumerate(small_order_x25519)
    ]
    out.append(
        case(
            "reveal_wrong_es",
            "check_commit",
            "bad_commit",
            commit=h(commitment(es_pub)),
            es_pub=h(x25519_public(SEEDS["ec0_secret"])),
        )
    )
    keys = derive_password_keys("password", SEEDS["password_salt"], 1000)
    wrapped = wrap_seed(SEEDS["ik1_seed"], keys.wrapping_key, SEEDS["wrap_nonce"])
    other = derive_password_keys("Password", SEEDS["password_salt"], 1000)
    out.append(
        case(
            "unwrap_wrong_password",
            "unwrap_seed",
            "bad_mac",
            wrapped=h(wrapped),
            wrapping_key=h(other.wrapping_key),
        )
    )
    out.append(
        case(
            "unwrap_flipped_bit",
            "unwrap_seed",
            "bad_mac",
            wrapped=h(wrapped[:-1] + bytes([wrapped[-1] ^ 1])),
            wrapping_key=h(keys.wrapping_key),
        )
    )
    out += [
        case(f"b64u_{name}", "b64u_decode", "bad_encoding", text=text)
        for name, text in [
            ("padding", "AAA="),
            ("length_1_mod_4", "A"),
            ("trailing_bits", "AB"),
            ("plus", "A+A"),
            ("slash", "A/A"),
            ("space", "AA A"),
            ("newline", "AAAA\n"),
            ("non_ascii", "AAé"),
        ]
    ]
    return out


def transfer_cases() -> list[Any]:
    def tr(name: str, ik2: bytes, cert2: bytes, sig: bytes, code: str, now: int = NOW) -> Any:
        return case(
            name,
            "verify_transfer",
            code,
            ik2=h(ik2),
            cert2=h(cert2),
            sig=h(sig),
            chat_id=h(CHAT_ID),
            epoch=0,
            current_ik=h(IK1),
            org_pub=h(ORG_PUB),
            revocation_list=h(RL),
            now=now,
        )

    def sig(seed: bytes, ik: bytes, next_epoch: int = 1) -> bytes:
        return ed25519_sign(seed, transfer_signed_message(CHAT_ID, next_epoch, ik))

    ik1 = SEEDS["ik1_seed"]
    forged2 = _signed(ATTACKER, _cert_body(IK2, NOT_AFTER, b"Noor"))
    return [
        tr("transfer_signed_for_other_key", IK2, CERT2, sig(ik1, IK3), "unauthorised_transfer"),
        tr(
            "transfer_signed_by_new_counsellor",
            IK2,
            CERT2,
            sig(SEEDS["ik2_seed"], IK2),
            "unauthorised_transfer",
        ),
        tr("transfer_wrong_epoch", IK2, CERT2, sig(ik1, IK2, 2), "unauthorised_transfer"),
        tr("transfer_ik2_not_cert2_key", IK2, CERT1, sig(ik1, IK2), "unauthorised_transfer"),
        tr("transfer_forged_cert2", IK2, forged2, sig(ik1, IK2), "bad_signature"),
        tr("transfer_expired_cert2", IK2, CERT2, sig(ik1, IK2), "expired", now=NOT_AFTER + 1),
        tr("transfer_to_revoked_key", IK3, CERT3, sig(ik1, IK3), "revoked"),
    ]


def records_cases() -> list[Any]:
    rec_pub = records_public_key(SEEDS["records_secret"])

    def stream(
        entries: list[tuple[int, bytes]] | None = None,
        *,
        seed: bytes = SEEDS["ik1_seed"],
        cert: bytes = CERT1,
    ) -> tuple[RecordWriter, list[tuple[int, bytes]]]:
        w = RecordWriter(
            CHAT_ID,
            0,
            seed,
            cert,
            rec_pub,
            r=SEEDS["records_r"],
            epk_secret=SEEDS["records_epk_secret"],
            nonce=SEEDS["records_nonce"],
        )
        written = [
            w.entry(0, NOW * 1000, "one"),
            w.entry(1, NOW * 1000, "two"),
            w.entry(0, NOW * 1000, "three"),
        ]
        written.append(w.final(NOW * 1000))
        return w, written

    def rec(name: str, lines: bytes, code: str) -> Any:
        return case(
            name,
            "open_records",
            code,
            lines=lines.decode(),
            records_secret=h(SEEDS["records_secret"]),
            org_pub=h(ORG_PUB),
            now=NOW,
        )

    w, e = stream()
    swapped = [(0, e[1][1]), (1, e[0][1]), e[2], e[3]]
    relabelled = [(0, e[0][1]), (2, e[2][1]), (3, e[3][1])]
    dropped = [e[0], e[1], (2, e[3][1])]
    duplicated = [e[0], e[1], e[1], e[2], e[3]]
    bad_sig = w.lines(e).replace(w.lines([]).split(b'"sig":"')[1][:4], b"AAAA", 1)
    header_other_cert = w.lines(e).replace(
        w.lines([]).split(b'"cert":"')[1].split(b'"')[0],
        RecordWriter(CHAT_ID, 0, SEEDS["ik2_seed"], CERT2, rec_pub)
        .lines([])
        .split(b'"cert":"')[1]
        .split(b'"')[0],
    )
    return [
        rec("records_entries_swapped", w.lines(swapped), "bad_mac"),
        rec("records_index_gap", w.lines(relabelled), "bad_records"),
        rec("records_entry_dropped", w.lines(dropped), "bad_mac"),
        rec("records_entry_duplicated", w.lines(duplicated), "bad_records"),
        rec("records_header_signature", bad_sig, "bad_signature"),
        rec("records_other_certificate", header_other_cert, "bad_records"),
        rec("records_after_final", w.lines([*e, (4, e[0][1])]), "bad_records"),
    ]


def cases() -> list[Any]:
    return [
        *signature_cases(),
        *certificate_cases(),
        *make_certificate_cases(),
        *revocation_cases(),
        *message_cases(),
        *accept_cases(),
        *frame_cases(),
        *crypto_cases(),
        *transfer_cases(),
        *records_cases(),
    ]
