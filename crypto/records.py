"""Sealed transcripts, written by the counsellor's client and opened offline (HLP1 "Records").

Per chat epoch, with a fresh random key ``R``::

    hdr     = lbl("HLP1/rec") ‖ chat_id(16) ‖ u32(epoch) ‖ H(cert)(64) ‖ epk_pub(32) ‖ nonce(24)
              ‖ box(R, nonce, ORG_rec_pub, epk_secret)(48)                        (197 bytes)
    sig     = Sign_IKc(hdr)
    entry_i = secretbox(u8(dir) ‖ u64(unix_ms) ‖ text, nonce_i, R)
    nonce_i = H(lbl("HLP1/rec/nonce") ‖ chat_id ‖ u32(epoch) ‖ u32(i))[0:24]

``dir`` is 0 (seeker → counsellor) or 1 (counsellor → seeker), ``text`` the message text
in UTF-8; the last entry has ``dir = 255`` and the text ``u32(count of entries before
it)``.

File form (JSON lines, one object a line, by value as in :mod:`crypto.strictjson`)::

    {"hdr": b64u, "sig": b64u, "cert": b64u}
    {"i": 0, "entry": b64u}
    {"i": 1, "entry": b64u}
    ...

:func:`open_records` checks, failing with ``bad_records`` unless said otherwise: the
header layout; the certificate's layout, handle and organisation signature
(``bad_signature``; its validity window is *not* checked against the opening time,
since records are opened long after the chat, but ``not_after ≤ now + 90 days`` must
hold as for any certificate); ``H(cert)`` equals the header's; the header signature by
the certificate's key (``bad_signature``); ``R`` opens (``bad_mac``); indexes are
0, 1, 2, … with no gap or repeat; every entry opens under its own index (``bad_mac``:
entries cannot be swapped or moved); ``dir`` is 0, 1 or 255; the final entry's count
equals its index and nothing follows it. A stream without a final entry is returned
with ``complete = False``: it was cut short (a closed tab, a crash, or truncation,
which cannot be told apart). Revocation is not checked here (the offline tool has no
current list).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from crypto.certs import cert_hash, parse_certificate
from crypto.encoding import b64u_encode, lbl, read_uint, u8, u32, u64
from crypto.errors import CryptoError
from crypto.primitives import (
    KEY_BYTES,
    NONCE_BYTES,
    SIG_BYTES,
    box_open,
    box_seal,
    ed25519_public,
    ed25519_sign,
    ed25519_verify,
    random_bytes,
    secretbox_open,
    secretbox_seal,
    sha512,
    x25519_public,
)
from crypto.strictjson import dumps, get_b64u, get_int, parse_object, require_keys

REC_LABEL = lbl("HLP1/rec")
HEADER_BYTES = len(REC_LABEL) + 16 + 4 + 64 + KEY_BYTES + NONCE_BYTES + KEY_BYTES + 16
FINAL_DIR = 255
MAX_ENTRY_BYTES = 64 * 1024
_CODE = "bad_records"


def entry_nonce(chat_id: bytes, epoch: int, i: int) -> bytes:
    return sha512(lbl("HLP1/rec/nonce"), chat_id, u32(epoch), u32(i))[:24]


class RecordWriter:
    """The counsellor's side: one writer per chat epoch with transcripts on.

    ``r``, ``epk_secret`` and ``nonce`` are random unless given (test vectors only).
    """

    def __init__(
        self,
        chat_id: bytes,
        epoch: int,
        identity_seed: bytes,
        cert: bytes,
        records_pub: bytes,
        *,
        r: bytes | None = None,
        epk_secret: bytes | None = None,
        nonce: bytes | None = None,
    ) -> None:
        if len(chat_id) != 16 or not 0 <= epoch < 2**32:
            raise CryptoError("bad_records", "bad chat id or epoch")
        if parse_certificate(cert).ik != ed25519_public(identity_seed):
            raise CryptoError("bad_cert", "certificate is not for this identity key")
        self._chat_id, self._epoch, self._cert = chat_id, epoch, cert
        self._r = random_bytes(KEY_BYTES) if r is None else r
        epk_secret = random_bytes(KEY_BYTES) if epk_secret is None else epk_secret
        nonce = random_bytes(NONCE_BYTES) if nonce is None else nonce
        boxed = box_seal(self._r, nonce, records_pub, epk_secret)
        self.header = (
            (REC_LABEL + chat_id + u32(epoch) + cert_hash(cert) + x25519_public(epk_secret))
            + nonce
            + boxed
        )
        self.signature = ed25519_sign(identity_seed, self.header)
        self._next = 0
        self._finished = False

    @property
    def cert(self) -> bytes:
        return self._cert

    @property
    def count(self) -> int:
        """Entries written so far (the final entry included)."""
        return self._next

    def header_line(self) -> dict[str, str]:
        return {
            "hdr": b64u_encode(self.header),
            "sig": b64u_encode(self.signature),
            "cert": b64u_encode(self._cert),
        }

    @staticmethod
    def entry_line(i: int, entry: bytes) -> dict[str, Any]:
        return {"i": i, "entry": b64u_encode(entry)}

    def _seal(self, direction: int, unix_ms: int, text: bytes) -> tuple[int, bytes]:
        if self._finished:
            raise CryptoError("closed", "the record stream is finished")
        i = self._next
        nonce = entry_nonce(self._chat_id, self._epoch, i)
        sealed = secretbox_seal(self._r, nonce, u8(direction) + u64(unix_ms) + text)
        self._next += 1
        return i, sealed

    def entry(self, direction: int, unix_ms: int, text: str) -> tuple[int, bytes]:
        """``(i, entry)`` for one message in ``direction`` (0 or 1)."""
        if direction not in (0, 1):
            raise CryptoError("bad_records", "direction is 0 or 1")
        return self._seal(direction, unix_ms, text.encode("utf-8"))

    def final(self, unix_ms: int) -> tuple[int, bytes]:
        """The final entry (``dir = 255``, text ``u32(count)``); nothing can follow."""
        result = self._seal(FINAL_DIR, unix_ms, u32(self._next))
        self._finished = True
        return result

    def lines(self, entries: Iterable[tuple[int, bytes]]) -> bytes:
        """The JSON-lines file for ``entries`` (as returned by :meth:`entry`/:meth:`final`)."""
        out = [dumps(self.header_line())]
        out += [dumps(self.entry_line(i, e)) for i, e in entries]
        return b"\n".join(out) + b"\n"


@dataclass(frozen=True, slots=True)
class RecordEntry:
    i: int
    dir: int
    unix_ms: int
    text: str


@dataclass(frozen=True, slots=True)
class OpenedRecords:
    chat_id: bytes
    epoch: int
    ik: bytes
    handle: str
    not_after: int
    entries: tuple[RecordEntry, ...]
    complete: bool
    final_unix_ms: int | None

    @property
    def cut_short(self) -> bool:
        return not self.complete


@dataclass(frozen=True, slots=True)
class RecordStream:
    """A record stream already split into its parts."""

    hdr: bytes
    sig: bytes
    cert: bytes
    entries: tuple[tuple[int, bytes], ...]


def parse_record_lines(data: bytes | str) -> RecordStream:
    """The JSON-lines file form (module docstring)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    lines = [line for line in raw.split(b"\n") if line.strip()]
    if not lines:
        raise CryptoError(_CODE, "empty record stream")
    head = parse_object(lines[0], _CODE)
    require_keys(head, {"hdr", "sig", "cert"}, _CODE)
    entries = []
    for line in lines[1:]:
        obj = parse_object(line, _CODE)
        require_keys(obj, {"i", "entry"}, _CODE)
        entries.append(
            (
                get_int(obj, "i", _CODE, 0, 2**32 - 1),
                get_b64u(obj, "entry", _CODE, max_length=MAX_ENTRY_BYTES),
            )
        )
    return RecordStream(
        hdr=get_b64u(head, "hdr", _CODE, HEADER_BYTES),
        sig=get_b64u(head, "sig", _CODE, SIG_BYTES),
        cert=get_b64u(head, "cert", _CODE, max_length=512),
        entries=tuple(entries),
    )


def open_records(
    blob_or_parts: bytes | str | RecordStream | Mapping[str, Any],
    records_secret: bytes,
    org_pub: bytes,
    now: int,
) -> OpenedRecords:
    """Check and decrypt one record stream (module docstring for the checks)."""
    if isinstance(blob_or_parts, Mapping):
        blob_or_parts = RecordStream(**blob_or_parts)
    stream = (
        blob_or_parts
        if isinstance(blob_or_parts, RecordStream)
        else parse_record_lines(blob_or_parts)
    )
    hdr = stream.hdr
    if len(hdr) != HEADER_BYTES or not hdr.startswith(REC_LABEL):
        raise CryptoError(_CODE, "not an HLP1 records header")
    at = len(REC_LABEL)
    chat_id, epoch = hdr[at : at + 16], read_uint(hdr[at + 16 : at + 20])
    at += 20
    hcert, epk_pub = hdr[at : at + 64], hdr[at + 64 : at + 96]
    nonce, boxed = hdr[at + 96 : at + 120], hdr[at + 120 :]
    cert = parse_certificate(stream.cert)
    ed25519_verify(org_pub, stream.cert[:-SIG_BYTES], stream.cert[-SIG_BYTES:])
    if cert.not_after > now + 90 * 86_400:
        raise CryptoError("bad_cert", "certificate valid for more than 90 days")
    if cert_hash(stream.cert) != hcert:
        raise CryptoError(_CODE, "header is for another certificate")
    ed25519_verify(cert.ik, hdr, stream.sig)
    r = box_open(boxed, nonce, epk_pub, records_secret)
    if len(r) != KEY_BYTES:
        raise CryptoError(_CODE, "records key is not 32 bytes")
    entries: list[RecordEntry] = []
    final_ms: int | None = None
    for position, (i, sealed) in enumerate(stream.entries):
        if i != position:
            raise CryptoError(_CODE, f"entry {i} where {position} was expected")
        if final_ms is not None:
            raise CryptoError(_CODE, "entries after the final entry")
        plain = secretbox_open(r, entry_nonce(chat_id, epoch, i), sealed)
        if len(plain) < 9:
            raise CryptoError(_CODE, "entry too short")
        direction, unix_ms, text = plain[0], read_uint(plain[1:9]), plain[9:]
        if direction == FINAL_DIR:
            if len(text) != 4 or read_uint(text) != i:
                raise CryptoError(_CODE, "final count does not match")
            final_ms = unix_ms
            continue
        if direction not in (0, 1):
            raise CryptoError(_CODE, f"direction {direction}")
        try:
            decoded: str | None = text.decode("utf-8")
        except UnicodeDecodeError:
            decoded = None  # raised below: the decoder's error keeps the whole text
        if decoded is None:
            raise CryptoError(_CODE, "entry text is not UTF-8") from None
        entries.append(RecordEntry(i, direction, unix_ms, decoded))
    return OpenedRecords(
        chat_id=chat_id,
        epoch=epoch,
        ik=cert.ik,
        handle=cert.handle,
        not_after=cert.not_after,
        entries=tuple(entries),
        complete=final_ms is not None,
        final_unix_ms=final_ms,
    )
