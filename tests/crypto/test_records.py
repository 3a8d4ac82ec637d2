"""Sealed transcripts: writer and offline opener (HLP1 "Records")."""

from __future__ import annotations

import json

import pytest

from crypto.certs import records_public_key
from crypto.errors import CryptoError
from crypto.records import RecordStream, RecordWriter, open_records, parse_record_lines

from .helpers import CHAT_ID, NOOR, NOW, ORG_PUB, SAM, seed

REC_SECRET = seed(0x02)
REC_PUB = records_public_key(REC_SECRET)


def writer() -> tuple[RecordWriter, list[tuple[int, bytes]]]:
    w = RecordWriter(CHAT_ID, 3, SAM.seed, SAM.cert, REC_PUB)
    entries = [w.entry(0, 1000, "hello"), w.entry(1, 2000, "hi, é 👋"), w.entry(0, 3000, "")]
    return w, entries


def test_round_trip_complete() -> None:
    w, entries = writer()
    entries.append(w.final(4000))
    opened = open_records(w.lines(entries), REC_SECRET, ORG_PUB, NOW)
    assert opened.complete
    assert not opened.cut_short
    assert (opened.chat_id, opened.epoch, opened.ik, opened.handle) == (CHAT_ID, 3, SAM.ik, "Sam")
    assert [(e.i, e.dir, e.unix_ms, e.text) for e in opened.entries] == [
        (0, 0, 1000, "hello"),
        (1, 1, 2000, "hi, é 👋"),
        (2, 0, 3000, ""),
    ]
    assert opened.final_unix_ms == 4000
    expect = expect_code
    expect("closed", w.entry, 0, 5000, "after the end")


def expect_code(code: str, call: object, *args: object) -> None:
    assert callable(call)
    with pytest.raises(CryptoError) as info:
        call(*args)
    assert info.value.code == code


def test_cut_short_stream() -> None:
    w, entries = writer()
    opened = open_records(w.lines(entries[:2]), REC_SECRET, ORG_PUB, NOW)
    assert opened.cut_short
    assert len(opened.entries) == 2
    assert open_records(w.lines([]), REC_SECRET, ORG_PUB, NOW).cut_short


def test_parts_and_mapping_forms() -> None:
    w, entries = writer()
    stream = parse_record_lines(w.lines(entries))
    assert open_records(stream, REC_SECRET, ORG_PUB, NOW).entries
    parts = {"hdr": w.header, "sig": w.signature, "cert": w.cert, "entries": tuple(entries)}
    assert open_records(parts, REC_SECRET, ORG_PUB, NOW).entries
    assert isinstance(stream, RecordStream)


def test_tampering_is_detected() -> None:
    w, entries = writer()
    final = w.final(9)
    swapped = [(0, entries[1][1]), (1, entries[0][1]), entries[2], final]
    expect_code("bad_mac", open_records, w.lines(swapped), REC_SECRET, ORG_PUB, NOW)
    skipped = [entries[0], (2, entries[2][1])]
    expect_code("bad_records", open_records, w.lines(skipped), REC_SECRET, ORG_PUB, NOW)
    dropped = [entries[0], entries[2], final]
    renumbered = [(i, e) for i, (_, e) in enumerate(dropped)]
    expect_code("bad_mac", open_records, w.lines(renumbered), REC_SECRET, ORG_PUB, NOW)
    early_final = [*entries[:2], (2, final[1])]
    expect_code("bad_mac", open_records, w.lines(early_final), REC_SECRET, ORG_PUB, NOW)
    after = [*entries, final, (4, entries[0][1])]
    expect_code("bad_records", open_records, w.lines(after), REC_SECRET, ORG_PUB, NOW)
    expect_code("bad_mac", open_records, w.lines(entries), seed(0x09), ORG_PUB, NOW)


def test_header_and_certificate_are_bound() -> None:
    w, entries = writer()
    lines = w.lines(entries).split(b"\n")
    head = json.loads(lines[0])
    other = RecordWriter(CHAT_ID, 3, NOOR.seed, NOOR.cert, REC_PUB)
    head_other_cert = dict(head, cert=other.header_line()["cert"])
    bad = b"\n".join([json.dumps(head_other_cert).encode(), *lines[1:]])
    expect_code("bad_records", open_records, bad, REC_SECRET, ORG_PUB, NOW)
    head_other_sig = dict(head, sig=other.header_line()["sig"])
    bad = b"\n".join([json.dumps(head_other_sig).encode(), *lines[1:]])
    expect_code("bad_signature", open_records, bad, REC_SECRET, ORG_PUB, NOW)
    expect_code("bad_signature", open_records, w.lines(entries), REC_SECRET, NOOR.ik, NOW)
    expect_code("bad_records", open_records, b"", REC_SECRET, ORG_PUB, NOW)
    expect_code("bad_records", open_records, b'{"hdr":"AA"}', REC_SECRET, ORG_PUB, NOW)


def test_writer_checks() -> None:
    expect_code("bad_cert", RecordWriter, CHAT_ID, 0, SAM.seed, NOOR.cert, REC_PUB)
    w = RecordWriter(CHAT_ID, 0, SAM.seed, SAM.cert, REC_PUB)
    expect_code("bad_records", w.entry, 2, 0, "x")
