"""The trust boundary: untrusted text is refused with exactly the codes of docs/protocol.md §2.5."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import helpline.wire.decode as decode_module
from helpline.core.ids import b64u
from helpline.errors import ProtocolError
from helpline.wire import (
    MAX_SEQ,
    Frame,
    FrameError,
    Join,
    RelayOut,
    SeekerAck,
    SeekerRelay,
    StaffAck,
    StaffRelay,
    decode_seeker_fast,
    decode_seeker_frame,
    decode_server_frame,
    decode_staff_fast,
    decode_staff_frame,
    relay_text,
)

CHAT = b64u(bytes(range(16)))
TOKEN = b64u(bytes(range(32)))
LIMIT = 1024


def seeker(text: str | bytes) -> Frame:
    return decode_seeker_frame(text, max_payload_bytes=LIMIT)


def staff(text: str | bytes) -> Frame:
    return decode_staff_frame(text, max_payload_bytes=LIMIT)


def frame(**fields: Any) -> str:
    return json.dumps({"v": 1, **fields})


def refused(decode: Callable[[str], object], text: str | bytes) -> FrameError:
    with pytest.raises(FrameError) as info:
        decode(text)  # type: ignore[arg-type]
    assert isinstance(info.value, ProtocolError)
    return info.value


# bad_json -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "{",
        "not json",
        "[]",
        '"relay"',
        "1",
        "null",
        '{"v":1,"type":"ping"} {}',
        '{"v":1,"type":"ping","type":"ping"}',
        '{"v":1,"type":"relay","seq":1,"payload":"QQ","payload":"QQ"}',
        '{"v":1,"type":"ack","seq":NaN}',
        '{"v":1,"type":"ack","seq":Infinity}',
        '{"v":1,"type":"ack","seq":-Infinity}',
        '{"v":1,"type":"ack","seq":1' + "0" * 5000 + "}",
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 50_000 + "1" + "}" * 50_000,
    ],
    ids=lambda text: repr(text[:40]),
)
def test_bad_json(text: str) -> None:
    assert refused(seeker, text).code == "bad_json"
    assert refused(staff, text).code == "bad_json"
    assert refused(decode_server_frame, text).code == "bad_json"


def test_bytes_must_be_utf8() -> None:
    assert refused(seeker, b'{"v":1,"type":"ping"}\xff').code == "bad_json"
    assert seeker(b'{"v":1,"type":"ping"}').TYPE == "ping"


def test_whitespace_and_escapes_are_plain_json() -> None:
    """Other layouts are fine: they just miss the fast path."""
    text = '\n { "type" : "relay", "payload" : "\\u0051Q", "v" : 1, "seq" : 3 } \n'
    assert seeker(text) == SeekerRelay(3, "QQ")


# bad_version ------------------------------------------------------------------------


@pytest.mark.parametrize("version", [None, 0, 2, True, 1.0, "1", [1]], ids=lambda v: f"v={v!r}")
def test_bad_version(version: object) -> None:
    text = json.dumps({"v": version, "type": "ping"})
    assert refused(seeker, text).code == "bad_version"
    assert refused(decode_server_frame, text).code == "bad_version"


def test_missing_version() -> None:
    assert refused(staff, '{"type":"ping"}').code == "bad_version"


# unknown_type -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind", [None, 1, ["relay"], {"a": 1}, "", "RELAY", "pong", "welcome", "accept", "status"]
)
def test_unknown_type_for_seekers(kind: object) -> None:
    fields = {} if kind is None else {"type": kind}
    assert refused(seeker, frame(**fields)).code == "unknown_type"


@pytest.mark.parametrize("kind", ["join", "resume", "leave", "pong", "offer", "matched"])
def test_unknown_type_for_counsellors(kind: str) -> None:
    assert refused(staff, frame(type=kind)).code == "unknown_type"


@pytest.mark.parametrize("kind", ["join", "relay_out", "accept"])
def test_unknown_type_from_the_server(kind: str) -> None:
    assert refused(decode_server_frame, frame(type=kind)).code == "unknown_type"


def test_server_frames_are_checked_against_the_role() -> None:
    offer = frame(type="offer", chat_id=CHAT, language="en", waited_s=1, expires_in_s=30)
    assert refused(lambda t: decode_server_frame(t, role="seeker"), offer).code == "unknown_type"
    queue = frame(type="queue", language="en", position=1, estimated_wait_s=None)
    assert refused(lambda t: decode_server_frame(t, role="staff"), queue).code == "unknown_type"


# missing_field ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decode", "fields", "missing"),
    [
        (seeker, {"type": "join"}, "language"),
        (seeker, {"type": "resume"}, "token"),
        (seeker, {"type": "relay", "payload": "QQ"}, "seq"),
        (seeker, {"type": "relay", "seq": 1}, "payload"),
        (seeker, {"type": "ack"}, "seq"),
        (staff, {"type": "status"}, "status"),
        (staff, {"type": "accept"}, "chat_id"),
        (staff, {"type": "decline"}, "chat_id"),
        (staff, {"type": "relay", "seq": 1, "payload": "QQ"}, "chat_id"),
        (staff, {"type": "ack", "seq": 1}, "chat_id"),
        (staff, {"type": "ack", "chat_id": CHAT}, "seq"),
        (staff, {"type": "end"}, "chat_id"),
        (staff, {"type": "requeue"}, "chat_id"),
        (decode_server_frame, {"type": "error", "code": "x", "message": "m"}, "seq"),
        (
            decode_server_frame,
            {"type": "resumed", "state": "waiting", "accepted_seq": 0},
            "chat_id",
        ),
        (
            decode_server_frame,
            {
                "type": "welcome",
                "username": "a",
                "languages": [],
                "capacity": 1,
                "max_capacity": 1,
                "status": "away",
                "resume_grace_s": 1,
            },
            "chats",
        ),
        (decode_server_frame, {"type": "delivered", "chat_id": CHAT}, "seq"),
    ],
    ids=lambda x: x if isinstance(x, str) else None,
)
def test_missing_field(
    decode: Callable[[str], object], fields: dict[str, Any], missing: str
) -> None:
    error = refused(decode, frame(**fields))
    assert error.code == "missing_field"
    assert repr(missing) in error.message


# bad_field --------------------------------------------------------------------------

BAD_SEEKER_FIELDS = [
    {"type": "ping", "extra": 1},
    {"type": "leave", "chat_id": CHAT},
    {"type": "join", "language": "en", "token": TOKEN},
    {"type": "join", "language": "EN"},
    {"type": "join", "language": "e"},
    {"type": "join", "language": "x" * 17},
    {"type": "join", "language": "en_gb"},
    {"type": "join", "language": 1},
    {"type": "join", "language": "en", "fallback_language": ""},
    {"type": "join", "language": "en", "fallback_language": ["de"]},
    {"type": "resume", "token": TOKEN[:-1]},
    {"type": "resume", "token": TOKEN + "A"},
    {"type": "resume", "token": TOKEN[:-1] + "B"},  # not canonical: unused bits set
    {"type": "resume", "token": TOKEN[:-1] + "="},
    {"type": "resume", "token": None},
    {"type": "relay", "seq": 0, "payload": "QQ"},
    {"type": "relay", "seq": -1, "payload": "QQ"},
    {"type": "relay", "seq": MAX_SEQ + 1, "payload": "QQ"},
    {"type": "relay", "seq": True, "payload": "QQ"},
    {"type": "relay", "seq": 1.0, "payload": "QQ"},
    {"type": "relay", "seq": "1", "payload": "QQ"},
    {"type": "relay", "seq": None, "payload": "QQ"},
    {"type": "relay", "seq": 1, "payload": ""},
    {"type": "relay", "seq": 1, "payload": "QQ=="},
    {"type": "relay", "seq": 1, "payload": "a+b/"},
    {"type": "relay", "seq": 1, "payload": "QQ QQ"},
    {"type": "relay", "seq": 1, "payload": "QQé"},
    {"type": "relay", "seq": 1, "payload": ["QQ"]},
    {"type": "relay", "seq": 1, "payload": None},
    {"type": "relay", "seq": 1, "payload": "QQ", "chat_id": CHAT[:-1]},
    {"type": "relay", "seq": 1, "payload": "QQ", "chat_id": CHAT[:-1] + "B"},
    {"type": "relay", "seq": 1, "payload": "QQ", "chat_id": CHAT + "AA"},
    {"type": "relay", "seq": 1, "payload": "QQ", "chat_id": 5},
    {"type": "relay", "seq": 1, "payload": "QQ", "extra": None},
    {"type": "ack", "seq": -1},
    {"type": "ack", "seq": False},
    {"type": "ack", "seq": 1, "chat_id": "x"},
]

BAD_STAFF_FIELDS = [
    {"type": "status", "status": "busy"},
    {"type": "status", "status": None},
    {"type": "status", "status": "available", "languages": "en"},
    {"type": "status", "status": "available", "languages": ["en", "en"]},
    {"type": "status", "status": "available", "languages": ["EN"]},
    {"type": "status", "status": "available", "languages": [f"l{i:02d}" for i in range(33)]},
    {"type": "status", "status": "available", "capacity": 0},
    {"type": "status", "status": "available", "capacity": 101},
    {"type": "status", "status": "available", "capacity": True},
    {"type": "status", "status": "available", "capacity": 2.0},
    {"type": "accept", "chat_id": TOKEN},
    {"type": "decline", "chat_id": None},
    {"type": "relay", "chat_id": CHAT, "seq": 0, "payload": "QQ"},
    {"type": "relay", "chat_id": None, "seq": 1, "payload": "QQ"},
    {"type": "relay", "chat_id": CHAT, "seq": 1, "payload": "Q\nQ"},
    {"type": "ack", "chat_id": CHAT, "seq": MAX_SEQ + 1},
    {"type": "end", "chat_id": CHAT, "outcome": ""},
    {"type": "end", "chat_id": CHAT, "outcome": "x" * 65},
    {"type": "end", "chat_id": CHAT, "outcome": "a\x00b"},
    {"type": "end", "chat_id": CHAT, "outcome": 3},
    {"type": "requeue", "chat_id": CHAT, "reason": "x"},
]


@pytest.mark.parametrize("fields", BAD_SEEKER_FIELDS, ids=str)
def test_bad_field_from_seekers(fields: dict[str, Any]) -> None:
    assert refused(seeker, frame(**fields)).code == "bad_field"


@pytest.mark.parametrize("fields", BAD_STAFF_FIELDS, ids=str)
def test_bad_field_from_counsellors(fields: dict[str, Any]) -> None:
    assert refused(staff, frame(**fields)).code == "bad_field"


BAD_SERVER_FIELDS = [
    {"type": "welcome", "token": TOKEN, "resume_grace_s": -1},
    {"type": "welcome", "token": TOKEN, "resume_grace_s": True},
    {"type": "resumed", "state": "chatting", "chat_id": "x", "accepted_seq": 0},
    {"type": "resumed", "state": "chatting", "chat_id": CHAT, "accepted_seq": -1},
    {"type": "queue", "language": "en", "position": 0, "estimated_wait_s": None},
    {"type": "queue", "language": "en", "position": 1, "estimated_wait_s": 1.5},
    {"type": "relay", "chat_id": CHAT, "seq": 1, "payload": ""},
    {"type": "peer", "chat_id": CHAT, "connected": 1},
    {"type": "requeued", "reason": "bored"},
    {"type": "error", "code": "", "message": "m", "seq": None},
    {"type": "error", "code": "bad_seq", "message": "m", "seq": 0},
    {"type": "error", "code": "bad_seq", "message": "m" * 5000, "seq": None},
    {"type": "offer", "chat_id": CHAT, "language": "en", "waited_s": "1", "expires_in_s": 1},
    {"type": "offer_withdrawn", "chat_id": CHAT, "reason": "declined"},
    {"type": "status", "status": "away", "languages": ["en"], "capacity": 0},
    {
        "type": "welcome",
        "username": "a",
        "languages": ["en"],
        "capacity": 1,
        "max_capacity": 3,
        "status": "away",
        "resume_grace_s": 120,
        "chats": [{"chat_id": CHAT, "language": "en", "accepted_seq": 0, "x": 1}],
    },
    {
        "type": "welcome",
        "username": "a",
        "languages": ["en"],
        "capacity": 1,
        "max_capacity": 3,
        "status": "away",
        "resume_grace_s": 120,
        "chats": [CHAT],
    },
    {
        "type": "welcome",
        "username": "a",
        "languages": ["en"],
        "capacity": 1,
        "max_capacity": 3,
        "status": "away",
        "resume_grace_s": 120,
        "chats": {},
    },
]


@pytest.mark.parametrize("fields", BAD_SERVER_FIELDS, ids=str)
def test_bad_field_from_the_server(fields: dict[str, Any]) -> None:
    assert refused(decode_server_frame, frame(**fields)).code == "bad_field"


def test_overflowing_floats_are_refused() -> None:
    text = frame(type="offer", chat_id=CHAT, language="en", waited_s=1, expires_in_s=2)
    assert refused(decode_server_frame, text.replace("2}", "1e400}")).code == "bad_field"


def test_welcome_chat_entries_need_every_field() -> None:
    fields = {
        "type": "welcome",
        "username": "a",
        "languages": ["en"],
        "capacity": 1,
        "max_capacity": 3,
        "status": "away",
        "resume_grace_s": 120,
        "chats": [{"chat_id": CHAT, "language": "en"}],
    }
    assert refused(decode_server_frame, frame(**fields)).code == "missing_field"


def test_extra_fields_are_refused_before_missing_ones() -> None:
    error = refused(staff, frame(type="accept", chat=CHAT))
    assert (error.code, "'chat'" in error.message) == ("bad_field", True)


def test_error_messages_do_not_echo_values() -> None:
    """Messages name fields only: a peer must not make the server log or echo its text."""
    error = refused(seeker, frame(type="join", language="<script>evil</script>"))
    assert "evil" not in error.message
    long_key = "k" * 1000
    assert len(refused(seeker, frame(type="ping", **{long_key: 1})).message) < 100


def test_null_is_the_same_as_absent_for_optional_fields() -> None:
    assert seeker(frame(type="join", language="en", fallback_language=None)) == Join("en")
    assert seeker(frame(type="ack", seq=0, chat_id=None)) == SeekerAck(0)


# payload_too_large and the seq echo ---------------------------------------------------


def test_payload_too_large() -> None:
    at_limit = "Q" * LIMIT
    assert seeker(frame(type="relay", seq=4, payload=at_limit)) == SeekerRelay(4, at_limit)
    error = refused(seeker, frame(type="relay", seq=4, payload=at_limit + "Q"))
    assert (error.code, error.seq) == ("payload_too_large", 4)
    error = refused(staff, frame(type="relay", chat_id=CHAT, seq=5, payload="!" * (LIMIT + 1)))
    assert (error.code, error.seq) == ("payload_too_large", 5)


def test_payload_too_large_on_the_fast_path() -> None:
    text = StaffRelay(CHAT, 9, "Q" * (LIMIT + 1)).serialize()
    error = refused(staff, text)
    assert (error.code, error.seq) == ("payload_too_large", 9)


def test_refused_relay_echoes_its_seq() -> None:
    """§2.5: the error frame echoes a refused relay's seq where there was one."""
    assert refused(seeker, frame(type="relay", seq=7, payload="+")).seq == 7
    assert refused(staff, frame(type="relay", chat_id="x", seq=8, payload="QQ")).seq == 8
    assert refused(seeker, frame(type="relay", seq=7, payload="QQ", x=1)).seq == 7
    assert refused(seeker, frame(type="relay", seq=0, payload="+")).seq is None
    assert refused(seeker, frame(type="relay", seq=True, payload="QQ")).seq is None
    assert refused(seeker, frame(type="join")).seq is None


# The fast path agrees with the full parse -----------------------------------------------


@pytest.fixture
def full_parse_only() -> Iterator[None]:
    decode_module._use_fast = False
    try:
        yield
    finally:
        decode_module._use_fast = True


def _outcome(decode: Callable[[str], object], text: str) -> object:
    try:
        return decode(text)
    except FrameError as exc:
        return (exc.code, exc.seq)


def _both_paths(decode: Callable[[str], object], text: str) -> tuple[object, object]:
    fast = _outcome(decode, text)
    decode_module._use_fast = False
    try:
        full = _outcome(decode, text)
    finally:
        decode_module._use_fast = True
    return fast, full


b64_text = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", max_size=40
)
canonical_relays = st.one_of(
    st.builds(
        relay_text,
        st.binary(min_size=16, max_size=16).map(b64u),
        st.integers(1, MAX_SEQ),
        st.binary(min_size=1, max_size=1200).map(b64u),
    ),
    st.builds(
        lambda seq, payload, chat: SeekerRelay(seq, payload, chat).serialize(),
        st.integers(1, MAX_SEQ),
        st.binary(min_size=1, max_size=1200).map(b64u),
        st.one_of(st.none(), st.binary(min_size=16, max_size=16).map(b64u)),
    ),
)
chat_ids = st.binary(min_size=16, max_size=16).map(b64u)
#: Counters (an ack's seq) around the edges: 0, the largest, one past it, long numbers.
ack_seqs = st.one_of(st.integers(0, MAX_SEQ), st.sampled_from([0, 1, MAX_SEQ, MAX_SEQ + 1, 10**16]))
canonical_acks = st.one_of(
    st.builds(
        lambda chat, seq: '{"v":1,"type":"ack","chat_id":"' + chat + '","seq":' + str(seq) + "}",
        chat_ids,
        ack_seqs,
    ),
    st.builds(
        lambda seq, chat: (
            '{"v":1,"type":"ack","seq":'
            + str(seq)
            + ("}" if chat is None else ',"chat_id":"' + chat + '"}')
        ),
        ack_seqs,
        st.one_of(st.none(), chat_ids),
    ),
)
_SPICE = ['"', "\\", '\\"', "}", '","chat_id":"' + CHAT, ",", " ", "0", "=", "é", '"}', "\x00"]


@st.composite
def mangled_relays(draw: st.DrawFn) -> str:
    """Canonical relay and ack frames with a few edits: deletions, insertions of JSON
    syntax."""
    text = draw(st.one_of(canonical_relays, canonical_acks))
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 3)))
        insert = draw(st.one_of(st.sampled_from(_SPICE), b64_text))
        text = text[:i] + insert + text[j:]
    return text


_EDGE_ACKS = [
    '{"v":1,"type":"ack","seq":0}',
    '{"v":1,"type":"ack","seq":00}',
    '{"v":1,"type":"ack","seq":-1}',
    '{"v":1,"type":"ack","seq":9007199254740992}',
    '{"v":1,"type":"ack","chat_id":"' + CHAT + '","seq":9007199254740991}',
    '{"v":1,"type":"ack","chat_id":"' + CHAT[:-1] + 'B","seq":1}',
    '{"v":1,"type":"ack","seq":1,"chat_id":"' + CHAT + '"} ',
    '{"v":1,"type":"ack","seq":1,"chat_id":null}',
    '{"v":1,"type":"ack","chat_id":"' + CHAT + '","seq":1,"seq":1}',
    '{"v":1,"type":"ack","chat_id":"' + CHAT + '","seq":1.0}',
]


def edge_acks(test: Callable[[str], None]) -> Callable[[str], None]:
    """Ack frames at the edges of the fast path's patterns, as explicit examples."""
    for text in _EDGE_ACKS:
        test = example(text)(test)
    return test


@edge_acks
@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=400)
@given(mangled_relays())
@example('{"v":1,"type":"relay","seq":1,"payload":"QQ","chat_id":"' + CHAT + '"}')
@example('{"v":1,"type":"relay","seq":1,"payload":"QQ","chat_id":"' + CHAT + '","x":"QQ"}')
@example('{"v":1,"type":"relay","seq":1,"payload":"QQ","chat_id":"' + CHAT[:-1] + 'B"}')
@example('{"v":1,"type":"relay","seq":1,"payload":"Q","payload":"Q"}')
@example('{"v":1,"type":"relay","seq":01,"payload":"QQ"}')
@example('{"v":1,"type":"relay","seq":9007199254740992,"payload":"QQ"}')
@example('{"v":1,"type":"relay","chat_id":"' + CHAT + '","seq":1,"payload":""}')
@example('{"v":1,"type":"relay","chat_id":"' + CHAT + '","seq":1,"payload":"Q"} ')
def test_fast_path_agrees_with_full_parse(text: str) -> None:
    for decode in (
        seeker,
        staff,
        lambda t: decode_server_frame(t, role="seeker"),
        lambda t: decode_server_frame(t),
    ):
        fast, full = _both_paths(decode, text)
        assert fast == full


@edge_acks
@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=400)
@given(mangled_relays())
def test_fast_decoders_agree_with_the_full_ones(text: str) -> None:
    """decode_*_fast (the hub's hot path) either declines or gives exactly the fields the
    full decoder's frame has; they never raise, so every refusal comes from the full one."""
    for fast_decode, full_decode in (
        (decode_seeker_fast, decode_seeker_frame),
        (decode_staff_fast, decode_staff_frame),
    ):
        fast = fast_decode(text, max_payload_bytes=LIMIT)
        if fast is None:
            continue
        decode_module._use_fast = False
        try:
            full = full_decode(text, max_payload_bytes=LIMIT)
        finally:
            decode_module._use_fast = True
        chat_id, seq, payload = fast
        if payload is None:
            assert isinstance(full, SeekerAck | StaffAck)
            assert (full.chat_id, full.seq) == (chat_id, seq)
        else:
            assert isinstance(full, SeekerRelay | StaffRelay)
            assert (full.chat_id, full.seq, full.payload) == (chat_id, seq, payload)


@given(st.text())
def test_fast_decoders_only_answer_or_decline(text: str) -> None:
    for fast_decode in (decode_seeker_fast, decode_staff_fast):
        fast = fast_decode(text, max_payload_bytes=LIMIT)
        assert fast is None or len(fast) == 3


def test_fast_decoders_take_canonical_relays_and_acks() -> None:
    relay = StaffRelay(CHAT, 2, "QQ").serialize()
    assert decode_staff_fast(relay, max_payload_bytes=LIMIT) == (CHAT, 2, "QQ")
    assert decode_seeker_fast(relay, max_payload_bytes=LIMIT) == (CHAT, 2, "QQ")
    relay = SeekerRelay(3, "QQ").serialize()
    assert decode_seeker_fast(relay, max_payload_bytes=LIMIT) == (None, 3, "QQ")
    assert decode_staff_fast(relay, max_payload_bytes=LIMIT) is None  # chat_id is required
    ack = StaffAck(CHAT, 0).serialize()
    assert decode_staff_fast(ack, max_payload_bytes=LIMIT) == (CHAT, 0, None)
    assert decode_seeker_fast(SeekerAck(5).serialize(), max_payload_bytes=LIMIT) == (None, 5, None)
    ack = SeekerAck(5, CHAT).serialize()
    assert decode_seeker_fast(ack, max_payload_bytes=LIMIT) == (CHAT, 5, None)
    # Over the limit, or anything else: declined, and the full decoder explains.
    too_big = StaffRelay(CHAT, 2, "Q" * (LIMIT + 1)).serialize()
    assert decode_staff_fast(too_big, max_payload_bytes=LIMIT) is None
    assert decode_seeker_fast('{"v":1,"type":"ping"}', max_payload_bytes=LIMIT) is None


def test_canonical_frames_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_json(text: str) -> None:
        raise AssertionError("the JSON parser ran")

    monkeypatch.setattr(decode_module, "_loads", no_json)
    assert staff(StaffRelay(CHAT, 2, "QQ").serialize()) == StaffRelay(CHAT, 2, "QQ")
    assert seeker(SeekerRelay(2, "QQ", CHAT).serialize()) == SeekerRelay(2, "QQ", CHAT)
    assert seeker(SeekerRelay(2, "QQ").serialize()) == SeekerRelay(2, "QQ")
    assert seeker(relay_text(CHAT, 2, "QQ")) == SeekerRelay(2, "QQ", CHAT)
    assert decode_server_frame(relay_text(CHAT, 2, "QQ")) == RelayOut(CHAT, 2, "QQ")
    assert staff(StaffAck(CHAT, 7).serialize()) == StaffAck(CHAT, 7)
    assert seeker(SeekerAck(7).serialize()) == SeekerAck(7)
    assert seeker(SeekerAck(0, CHAT).serialize()) == SeekerAck(0, CHAT)


def test_full_parse_alone_decodes_relays(full_parse_only: None) -> None:
    assert staff(StaffRelay(CHAT, 2, "QQ").serialize()) == StaffRelay(CHAT, 2, "QQ")
    assert seeker(SeekerRelay(2, "QQ").serialize()) == SeekerRelay(2, "QQ")


# Nothing but ProtocolError, whatever arrives ---------------------------------------------

DECODERS: list[Callable[[str], object]] = [
    seeker,
    staff,
    decode_server_frame,
    lambda t: decode_server_frame(t, role="seeker"),
    lambda t: decode_server_frame(t, role="staff"),
]


DECODE_CODES = {
    "bad_json",
    "bad_version",
    "unknown_type",
    "missing_field",
    "bad_field",
    "payload_too_large",
}


def _only_protocol_errors(text: str) -> None:
    errors: list[ProtocolError] = []
    for decode in DECODERS:
        try:
            decode(text)
        except ProtocolError as exc:
            errors.append(exc)
    for error in errors:
        assert isinstance(error, FrameError)
        assert error.code in DECODE_CODES


@given(st.text())
def test_arbitrary_text_raises_only_protocol_errors(text: str) -> None:
    _only_protocol_errors(text)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | b64_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_arbitrary_json_raises_only_protocol_errors(value: object) -> None:
    _only_protocol_errors(json.dumps(value))


FIELD_NAMES = [
    "language",
    "fallback_language",
    "token",
    "seq",
    "payload",
    "chat_id",
    "status",
    "languages",
    "capacity",
    "outcome",
    "resume_grace_s",
    "state",
    "accepted_seq",
    "position",
    "estimated_wait_s",
    "connected",
    "reason",
    "code",
    "message",
    "username",
    "max_capacity",
    "chats",
    "waited_s",
    "expires_in_s",
]
TYPES = [
    "join",
    "resume",
    "relay",
    "ack",
    "leave",
    "ping",
    "status",
    "accept",
    "decline",
    "end",
    "requeue",
    "welcome",
    "resumed",
    "queue",
    "matched",
    "delivered",
    "peer",
    "requeued",
    "chat_ended",
    "pong",
    "error",
    "offer",
    "offer_withdrawn",
]
field_values = st.one_of(
    json_values,
    st.just(CHAT),
    st.just(TOKEN),
    st.sampled_from(["en", "available", "away", "waiting", "seeker_left", "timeout"]),
    st.integers(-2, 2**54),
    st.lists(st.sampled_from(["en", "de", "EN"]), max_size=3),
    st.lists(
        st.fixed_dictionaries(
            {"chat_id": st.just(CHAT), "language": st.just("en"), "accepted_seq": st.integers()}
        ),
        max_size=2,
    ),
)


@settings(max_examples=500)
@given(st.sampled_from(TYPES), st.dictionaries(st.sampled_from(FIELD_NAMES), field_values))
def test_plausible_frames_raise_only_protocol_errors(kind: str, fields: dict[str, Any]) -> None:
    """Frames with real types and field names reach every constructor's checks."""
    _only_protocol_errors(json.dumps({"v": 1, "type": kind, **fields}))
