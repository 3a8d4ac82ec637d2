"""Write ``crypto/vectors/hlp1.json``: HLP1 known-answer vectors from fixed seeds.

Run ``python -m crypto.vectors.generate`` (``--check`` compares with the committed file
instead of writing it). Every value derives from the fixed inputs in :data:`SEEDS`
(byte ``0x01`` repeated 32 times for the organisation key, ``0x02`` for the records
key, and so on), with deterministic nonces where the protocol lets the sender pick
them (records ``epk``/``nonce``/``R`` and the wrapped-seed nonce). All bytes are
lowercase hex; JSON texts are given both as strings and as hex of their UTF-8.

The schema (section names and field names) is stable: fields may be added, never
renamed. Sections: ``seeds``, ``encoding``, ``keys``, ``certificate``,
``revocation_list``, ``handshake``, ``frames``, ``transfer``, ``rehello``, ``records``,
``password``, ``negative``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from crypto import frames
from crypto.certs import (
    cert_hash,
    fingerprint,
    make_certificate,
    make_revocation_list,
    records_public_key,
)
from crypto.encoding import b64u_encode, lbl, u8, u32, u64
from crypto.frames import (
    CloseBody,
    Header,
    MessageBody,
    TransferBody,
    TypingBody,
    chain_step,
    encode_body,
    encode_header,
    frame_nonce,
)
from crypto.handshake import (
    Accept,
    Hello,
    Reveal,
    accept_signed_message,
    commitment,
    derive_epoch_keys,
    encode_accept,
    encode_hello,
    encode_reveal,
    rehello_tag,
    transfer_signed_message,
)
from crypto.password import derive_password_keys, wrap_seed
from crypto.primitives import (
    ed25519_public,
    ed25519_sign,
    x25519,
    x25519_public,
)
from crypto.records import RecordWriter, entry_nonce

PATH = Path(__file__).with_name("hlp1.json")

NOW = 1_700_000_000
DAY = 86_400


def _fill(b: int) -> bytes:
    return bytes([b]) * 32


SEEDS: dict[str, bytes] = {
    "org_seed": _fill(0x01),
    "records_secret": _fill(0x02),
    "ik1_seed": _fill(0x03),
    "ik2_seed": _fill(0x04),
    "es0_secret": _fill(0x05),
    "ec0_secret": _fill(0x06),
    "chat_id": bytes([0x07]) * 16,
    "rehello_es_secret": _fill(0x08),
    "rehello_ec_secret": _fill(0x09),
    "transfer_es_secret": _fill(0x0A),
    "transfer_ec_secret": _fill(0x0B),
    "records_r": _fill(0x0C),
    "records_epk_secret": _fill(0x0D),
    "records_nonce": bytes([0x0E]) * 24,
    "password_salt": bytes([0x0F]) * 16,
    "wrap_nonce": bytes([0x10]) * 24,
    "ik3_seed": _fill(0x11),  # a revoked counsellor
    "attacker_org_seed": _fill(0x12),
}

HANDLE1 = "Sam (she/her) · Équipe 2"
HANDLE2 = "Noor"
HANDLE3 = "Alex"
PASSWORD = "Cafe\u0301 au lait ✓ correct horse"  # noqa: S105  (not in NFC on purpose)
ORG_PUB = ed25519_public(SEEDS["org_seed"])
IK1 = ed25519_public(SEEDS["ik1_seed"])
IK2 = ed25519_public(SEEDS["ik2_seed"])
IK3 = ed25519_public(SEEDS["ik3_seed"])
CHAT_ID = SEEDS["chat_id"]
NOT_AFTER = NOW + 30 * DAY
CERT1 = make_certificate(SEEDS["org_seed"], IK1, NOT_AFTER, HANDLE1)
CERT2 = make_certificate(SEEDS["org_seed"], IK2, NOT_AFTER, HANDLE2)
CERT3 = make_certificate(SEEDS["org_seed"], IK3, NOT_AFTER, HANDLE3)
RL_ISSUED = NOW - 3600
RL_EXPIRES = RL_ISSUED + 30 * DAY
RL = make_revocation_list(SEEDS["org_seed"], RL_ISSUED, RL_EXPIRES, [IK3, bytes([0xAB]) * 32])
IDENTITY_POINT = bytes([1]) + bytes(31)


def h(b: bytes) -> str:
    return b.hex()


def text_entry(name: str, data: bytes) -> dict[str, str]:
    return {name: data.decode("utf-8"), f"{name}_hex": h(data)}


# -- sections ---------------------------------------------------------------------------


def encoding_section() -> dict[str, Any]:
    samples = [b"", b"\x00", b"\xff\xfe", b"\xfb\xff\xbf", bytes(range(32)), b"HLP1"]
    return {
        "b64u": [{"hex": h(s), "b64u": b64u_encode(s)} for s in samples],
        "labels": {s: h(lbl(s)) for s in ("HLP1/cert", "HLP1/revoked", "HLP1/th")},
        "u32_0x01020304": h(u32(0x01020304)),
        "u64_now": h(u64(NOW)),
    }


def keys_section() -> dict[str, Any]:
    rec_pub = records_public_key(SEEDS["records_secret"])
    out: dict[str, Any] = {
        "org_seed": h(SEEDS["org_seed"]),
        "org_pub": h(ORG_PUB),
        "org_fingerprint": fingerprint(ORG_PUB),
        "records_secret": h(SEEDS["records_secret"]),
        "records_pub": h(rec_pub),
        "records_fingerprint": fingerprint(rec_pub),
    }
    for name in ("ik1", "ik2", "ik3"):
        pub = ed25519_public(SEEDS[f"{name}_seed"])
        out[f"{name}_seed"] = h(SEEDS[f"{name}_seed"])
        out[f"{name}_pub"] = h(pub)
        out[f"{name}_fingerprint"] = fingerprint(pub)
    out["attacker_org_seed"] = h(SEEDS["attacker_org_seed"])
    out["attacker_org_pub"] = h(ed25519_public(SEEDS["attacker_org_seed"]))
    return out


def certificate_section() -> dict[str, Any]:
    body = CERT1[:-64]
    return {
        "now": NOW,
        "ik": h(IK1),
        "not_after": NOT_AFTER,
        "handle": HANDLE1,
        "handle_hex": h(HANDLE1.encode()),
        "body": h(body),
        "signature": h(CERT1[-64:]),
        "cert": h(CERT1),
        "cert_hash": h(cert_hash(CERT1)),
        "cert2": {"ik": h(IK2), "not_after": NOT_AFTER, "handle": HANDLE2, "cert": h(CERT2)},
        "cert3_revoked": {
            "ik": h(IK3),
            "not_after": NOT_AFTER,
            "handle": HANDLE3,
            "cert": h(CERT3),
        },
    }


def revocation_section() -> dict[str, Any]:
    return {
        "issued_at": RL_ISSUED,
        "expires_at": RL_EXPIRES,
        "revoked": sorted(h(k) for k in (IK3, bytes([0xAB]) * 32)),
        "list": h(RL),
        "now": NOW,
    }


def run_handshake(
    epoch: int,
    es_secret: bytes,
    ec_secret: bytes,
    ik_seed: bytes,
    cert: bytes,
    flags: int,
    cont: bytes | None = None,
) -> dict[str, Any]:
    es_pub, ec_pub = x25519_public(es_secret), x25519_public(ec_secret)
    ik = ed25519_public(ik_seed)
    commit = commitment(es_pub)
    tag = rehello_tag(cont, CHAT_ID, epoch, commit) if cont is not None else None
    hello = encode_hello(Hello(epoch, commit, tag))
    signed = accept_signed_message(CHAT_ID, epoch, commit, ec_pub, ik, flags)
    sig = ed25519_sign(ik_seed, signed)
    accept = encode_accept(Accept(epoch, ec_pub, ik, cert, flags, sig))
    reveal = encode_reveal(Reveal(epoch, es_pub))
    keys = derive_epoch_keys(es_secret, ec_pub, CHAT_ID, epoch, es_pub, ec_pub, ik, cert)
    keys_c = derive_epoch_keys(ec_secret, es_pub, CHAT_ID, epoch, es_pub, ec_pub, ik, cert)
    assert keys == keys_c
    out: dict[str, Any] = {
        "chat_id": h(CHAT_ID),
        "epoch": epoch,
        "now": NOW,
        "es_secret": h(es_secret),
        "es_pub": h(es_pub),
        "ec_secret": h(ec_secret),
        "ec_pub": h(ec_pub),
        "ik_seed": h(ik_seed),
        "ik": h(ik),
        "cert": h(cert),
        "cert_hash": h(cert_hash(cert)),
        "commit": h(commit),
        "flags": flags,
    }
    if tag is not None:
        out["cont_previous"] = h(cont or b"")
        out["tag"] = h(tag)
    out |= text_entry("hello", hello)
    out |= {"accept_signed": h(signed), "sig": h(sig)}
    out |= text_entry("accept", accept)
    out |= text_entry("reveal", reveal)
    out |= {
        "dh": h(x25519(es_secret, ec_pub)),
        "th": h(keys.th),
        "prk": h(keys.prk),
        "ck_s2c": h(keys.ck_s2c),
        "ck_c2s": h(keys.ck_c2s),
        "cont": h(keys.cont),
        "safety_code": keys.safety_code,
    }
    return out


def _filled_text(prefix: str, ack: int | None, bucket: int) -> str:
    """A message text whose plaintext JSON exactly fills ``bucket``."""
    limit = bucket - 20
    base = len(encode_body(MessageBody(prefix, ack)))
    return prefix + "x" * (limit - base)


def _frame_plan(direction: int) -> list[frames.Body]:
    if direction == 0:
        return [
            MessageBody('Hi, I need someone to talk to. Ça va ? 👋 "quoted"\n', None),
            TypingBody(True, 0),
            MessageBody(_filled_text("1024 bucket, full: ", 1, 1024), 1),
            MessageBody(_filled_text("4096 bucket, full: ", 1, 4096), 1),
            MessageBody(_filled_text("16384 bucket, full: ", 2, 16384), 2),
            MessageBody("just over 256: " + "y" * (256 - 20 - 40 + 1), 2),
            CloseBody("seeker_left", 3),
        ]
    return [
        MessageBody("Hello, I'm here. Take your time.", 0),
        TypingBody(False, 0),
        MessageBody(_filled_text("1024: ", 1, 1024), 1),
        MessageBody(_filled_text("4096: ", 1, 4096), 1),
        MessageBody(_filled_text("16384: ", 4, 16384), 4),
    ]


def chain_frames(
    ck: bytes, epoch: int, direction: int, plan: list[frames.Body], start_n: int = 0
) -> list[Any]:
    out = []
    for n, body in enumerate(plan, start=start_n):
        header = Header(frames.body_type(body), CHAT_ID, epoch, direction, n)
        frame, next_ck = frames.seal(ck, header, body)
        mk, _ = chain_step(ck)
        raw_header = encode_header(header)
        plaintext = encode_body(body)
        out.append(
            {
                "dir": direction,
                "epoch": epoch,
                "n": n,
                "type": header.type,
                "bucket": len(frame) - frames.HEADER_BYTES,
                "ck": h(ck),
                "message_key": h(mk),
                "next_ck": h(next_ck),
                "header": h(raw_header),
                "nonce": h(frame_nonce(raw_header)),
                "plaintext": plaintext.decode("utf-8"),
                "plaintext_hex": h(plaintext),
                "frame": h(frame),
            }
        )
        ck = next_ck
    return out


def records_section() -> dict[str, Any]:
    rec_pub = records_public_key(SEEDS["records_secret"])
    writer = RecordWriter(
        CHAT_ID,
        0,
        SEEDS["ik1_seed"],
        CERT1,
        rec_pub,
        r=SEEDS["records_r"],
        epk_secret=SEEDS["records_epk_secret"],
        nonce=SEEDS["records_nonce"],
    )
    plan = [
        (0, NOW * 1000 + 1, "Hi, I need someone to talk to."),
        (1, NOW * 1000 + 2500, "Hello, I'm here. Ça va ?"),
        (0, NOW * 1000 + 9000, ""),
    ]
    written = []
    entries = []
    for direction, ms, text in plan:
        i, sealed = writer.entry(direction, ms, text)
        written.append((i, sealed))
        entries.append(
            {
                "i": i,
                "dir": direction,
                "unix_ms": ms,
                "text": text,
                "nonce": h(entry_nonce(CHAT_ID, 0, i)),
                "plaintext": h(u8(direction) + u64(ms) + text.encode()),
                "entry": h(sealed),
            }
        )
    fi, final = writer.final(NOW * 1000 + 60_000)
    written.append((fi, final))
    return {
        "chat_id": h(CHAT_ID),
        "epoch": 0,
        "ik_seed": h(SEEDS["ik1_seed"]),
        "cert": h(CERT1),
        "records_pub": h(rec_pub),
        "r": h(SEEDS["records_r"]),
        "epk_secret": h(SEEDS["records_epk_secret"]),
        "epk_pub": h(x25519_public(SEEDS["records_epk_secret"])),
        "nonce": h(SEEDS["records_nonce"]),
        "header": h(writer.header),
        "signature": h(writer.signature),
        "entries": entries,
        "final": {
            "i": fi,
            "unix_ms": NOW * 1000 + 60_000,
            "nonce": h(entry_nonce(CHAT_ID, 0, fi)),
            "entry": h(final),
        },
        "lines": writer.lines(written).decode("utf-8"),
    }


def password_section() -> dict[str, Any]:
    keys = derive_password_keys(PASSWORD, SEEDS["password_salt"], 1000)
    wrapped = wrap_seed(SEEDS["ik1_seed"], keys.wrapping_key, SEEDS["wrap_nonce"])
    return {
        "password": PASSWORD,
        "password_nfc_utf8": h(PASSWORD.replace("e\u0301", "é").encode()),
        "salt": h(SEEDS["password_salt"]),
        "iterations": 1000,
        "login_secret": h(keys.login_secret),
        "wrapping_key": h(keys.wrapping_key),
        "seed": h(SEEDS["ik1_seed"]),
        "wrap_nonce": h(SEEDS["wrap_nonce"]),
        "wrapped": h(wrapped),
    }


def transfer_section(ck_c2s: bytes, n: int) -> dict[str, Any]:
    signed = transfer_signed_message(CHAT_ID, 1, IK2)
    sig = ed25519_sign(SEEDS["ik1_seed"], signed)
    body = TransferBody(IK2, CERT2, sig)
    frame = chain_frames(ck_c2s, 0, 1, [body], start_n=n)[0]
    return {
        "chat_id": h(CHAT_ID),
        "epoch": 0,
        "next_epoch": 1,
        "ik1": h(IK1),
        "ik2": h(IK2),
        "cert2": h(CERT2),
        "signed": h(signed),
        "sig": h(sig),
        "frame": frame,
        "handshake": run_handshake(
            1, SEEDS["transfer_es_secret"], SEEDS["transfer_ec_secret"], SEEDS["ik2_seed"], CERT2, 0
        ),
    }


def build() -> dict[str, Any]:
    hs = run_handshake(0, SEEDS["es0_secret"], SEEDS["ec0_secret"], SEEDS["ik1_seed"], CERT1, 1)
    s2c = chain_frames(bytes.fromhex(hs["ck_s2c"]), 0, 0, _frame_plan(0))
    c2s = chain_frames(bytes.fromhex(hs["ck_c2s"]), 0, 1, _frame_plan(1))
    cont0 = bytes.fromhex(hs["cont"])
    rehello = run_handshake(
        1,
        SEEDS["rehello_es_secret"],
        SEEDS["rehello_ec_secret"],
        SEEDS["ik1_seed"],
        CERT1,
        1,
        cont=cont0,
    )
    rehello["same_person"] = True
    from crypto.vectors import negative  # the negative cases import this module

    return {
        "description": (
            "HLP1 known-answer vectors. All bytes lowercase hex. Fixed inputs: see 'seeds' "
            "(byte 0x01 x32 = organisation seed, 0x02 x32 = records secret, 0x03 x32 = "
            "counsellor 1 identity seed, ...). Timestamps: now = 1700000000. "
            "Regenerate with: python -m crypto.vectors.generate"
        ),
        "version": 1,
        "seeds": {k: h(v) for k, v in SEEDS.items()},
        "encoding": encoding_section(),
        "keys": keys_section(),
        "certificate": certificate_section(),
        "revocation_list": revocation_section(),
        "handshake": hs,
        "frames": s2c + c2s,
        "transfer": transfer_section(bytes.fromhex(c2s[-1]["next_ck"]), len(c2s)),
        "rehello": rehello,
        "records": records_section(),
        "password": password_section(),
        "negative": negative.cases(),
    }


def render() -> str:
    return json.dumps(build(), indent=1, ensure_ascii=True) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if PATH.read_text(encoding="utf-8") != text:
            print(f"{PATH} is out of date", file=sys.stderr)
            return 1
        return 0
    PATH.write_text(text, encoding="utf-8")
    print(f"wrote {PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
