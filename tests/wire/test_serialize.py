"""Frames serialize to the compact JSON of docs/protocol.md §2 and decode back to themselves."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpline.core.ids import b64u
from helpline.wire import (
    MAX_SEQ,
    Accept,
    Block,
    ChatInfo,
    Decline,
    Delivered,
    End,
    ErrorFrame,
    Frame,
    FrameError,
    HelpRequest,
    HelpState,
    Join,
    Leave,
    Offer,
    OfferWithdrawn,
    Peer,
    Ping,
    Pong,
    QueueFigure,
    QueueFigures,
    QueueUpdate,
    RelayOut,
    Requeue,
    Requeued,
    Resume,
    Resumed,
    SeekerAck,
    SeekerChatEnded,
    SeekerMatched,
    SeekerRelay,
    SeekerWelcome,
    SetStatus,
    StaffAck,
    StaffChatEnded,
    StaffMatched,
    StaffRelay,
    StaffWelcome,
    StatusUpdate,
    TransferLanguage,
    TransferTo,
    decode_seeker_frame,
    decode_server_frame,
    decode_staff_frame,
    delivered_text,
    relay_text,
)
from helpline.wire.client_frames import SEEKER_FRAMES, STAFF_FRAMES
from helpline.wire.server_frames import SEEKER_SERVER_FRAMES, STAFF_SERVER_FRAMES

CHAT = b64u(bytes(range(16)))
CHAT2 = b64u(bytes(range(100, 116)))
TOKEN = b64u(bytes(range(32)))
PAYLOAD = b64u(b"HLP1 ciphertext, opaque to the relay" * 3)
LIMIT = 64 * 1024

SEEKER_SENDS: list[Frame] = [
    Join("en"),
    Join("pt-br", fallback_language="en"),
    Resume(TOKEN),
    SeekerRelay(1, PAYLOAD),
    SeekerRelay(MAX_SEQ, "A", chat_id=CHAT),
    SeekerAck(0),
    SeekerAck(7, chat_id=CHAT),
    Leave(),
    Ping(),
]
STAFF_SENDS: list[Frame] = [
    SetStatus("available"),
    SetStatus("away", languages=("en", "de"), capacity=3),
    SetStatus("available", languages=()),
    Accept(CHAT),
    Decline(CHAT),
    StaffRelay(CHAT, 1, PAYLOAD),
    StaffAck(CHAT, 0),
    StaffAck(CHAT, 12),
    End(CHAT),
    End(CHAT, outcome="referred"),
    Requeue(CHAT),
    TransferTo(CHAT, "bob", 7, PAYLOAD),
    TransferLanguage(CHAT, "de"),
    Block(CHAT),
    HelpRequest(on=True),
    HelpRequest(on=False),
    Ping(),
]
SEEKER_RECEIVES: list[Frame] = [
    SeekerWelcome(TOKEN, 120),
    SeekerWelcome(TOKEN, 120.5),
    Resumed("waiting", None, 0),
    Resumed("chatting", CHAT, 5),
    Resumed("ended", CHAT, 5),
    QueueUpdate("en", 1, None),
    QueueUpdate("en", 12, 340),
    SeekerMatched(CHAT),
    RelayOut(CHAT, 3, PAYLOAD),
    Delivered(CHAT, 3),
    Peer(CHAT, connected=False),
    Requeued("counsellor_lost"),
    Requeued("handed_back"),
    Requeued("transfer_failed"),
    Requeued("transferred"),
    SeekerChatEnded(CHAT, "counsellor_ended"),
    SeekerChatEnded(CHAT, "seeker_left"),
    SeekerChatEnded(CHAT, "counsellor_ended", feedback=TOKEN),
    Pong(),
    ErrorFrame("bad_seq", "relay: seq skips ahead", 9),
    ErrorFrame("handshake_required", "join first"),
]
STAFF_RECEIVES: list[Frame] = [
    StaffWelcome("alice", ("en", "fi"), 2, 3, "away", 120, ()),
    StaffWelcome(
        "bob",
        ("en",),
        3,
        3,
        "available",
        120.0,
        (ChatInfo(CHAT, "en", 4), ChatInfo(CHAT2, "en", 0)),
    ),
    StatusUpdate("available", ("en",), 2),
    StatusUpdate("away", ("en",), 2, wrap_up_s=12.5),
    Offer(CHAT, "en", 31.5, 30),
    Offer(CHAT, "en", 0, 30, transfer_from="alice"),
    StaffMatched(CHAT, "en", accepted_seq=9),
    StaffChatEnded(CHAT, "transferred"),
    StaffChatEnded(CHAT, "blocked"),
    QueueFigures((QueueFigure("en", 3, 55), QueueFigure("de", 0, 0))),
    QueueFigures(()),
    HelpState(on=True, since=1_700_000_000),
    HelpState(on=False, since=None, acknowledged=True),
    OfferWithdrawn(CHAT, "timeout"),
    OfferWithdrawn(CHAT, "seeker_left"),
    StaffMatched(CHAT, "en"),
    RelayOut(CHAT, 1, PAYLOAD),
    Delivered(CHAT, 1),
    Peer(CHAT, connected=True),
    StaffChatEnded(CHAT, "seeker_gone"),
    StaffChatEnded(CHAT, "handed_back"),
    StaffChatEnded(CHAT, "seeker_left"),
    Pong(),
    ErrorFrame("window_full", "wait for delivered", None),
]


def _id(frame: Frame) -> str:
    return type(frame).__name__


@pytest.mark.parametrize("frame", SEEKER_SENDS, ids=_id)
def test_seeker_frames_round_trip(frame: Frame) -> None:
    assert decode_seeker_frame(frame.serialize(), max_payload_bytes=LIMIT) == frame


@pytest.mark.parametrize("frame", STAFF_SENDS, ids=_id)
def test_staff_frames_round_trip(frame: Frame) -> None:
    assert decode_staff_frame(frame.serialize(), max_payload_bytes=LIMIT) == frame


@pytest.mark.parametrize("frame", SEEKER_RECEIVES, ids=_id)
def test_server_frames_to_seekers_round_trip(frame: Frame) -> None:
    text = frame.serialize()
    assert decode_server_frame(text, role="seeker") == frame
    assert type(decode_server_frame(text)) is type(frame)


@pytest.mark.parametrize("frame", STAFF_RECEIVES, ids=_id)
def test_server_frames_to_counsellors_round_trip(frame: Frame) -> None:
    text = frame.serialize()
    assert decode_server_frame(text, role="staff") == frame
    assert type(decode_server_frame(text)) is type(frame)


def test_every_frame_type_is_covered() -> None:
    """Each class in the dispatch tables has a sample above, so every type is round-tripped."""
    sampled = {type(frame) for frame in SEEKER_SENDS + STAFF_SENDS}
    sampled |= {type(frame) for frame in SEEKER_RECEIVES + STAFF_RECEIVES}
    tables: list[Mapping[str, type[Frame]]] = [
        SEEKER_FRAMES,
        STAFF_FRAMES,
        SEEKER_SERVER_FRAMES,
        STAFF_SERVER_FRAMES,
    ]
    assert {cls for table in tables for cls in table.values()} <= sampled


@pytest.mark.parametrize(
    "frame", SEEKER_SENDS + STAFF_SENDS + SEEKER_RECEIVES + STAFF_RECEIVES, ids=_id
)
def test_serialization_is_compact_json_with_version_and_type_first(frame: Frame) -> None:
    text = frame.serialize()
    assert text == frame.serialize_json()
    assert text.startswith('{"v":1,"type":"' + frame.TYPE + '"')
    assert text == json.dumps(json.loads(text), separators=(",", ":"))
    assert list(json.loads(text))[2:] == list(frame.fields_json())


def test_documented_field_order() -> None:
    assert StaffRelay(CHAT, 2, "QQ").serialize() == (
        '{"v":1,"type":"relay","chat_id":"' + CHAT + '","seq":2,"payload":"QQ"}'
    )
    assert SeekerRelay(2, "QQ").serialize() == '{"v":1,"type":"relay","seq":2,"payload":"QQ"}'
    assert ErrorFrame("bad_json", "not JSON").serialize() == (
        '{"v":1,"type":"error","code":"bad_json","message":"not JSON","seq":null,"chat_id":null}'
    )


def test_optional_fields_are_left_out_and_nullable_ones_written() -> None:
    assert Join("en").serialize() == '{"v":1,"type":"join","language":"en"}'
    assert End(CHAT).to_json() == {"v": 1, "type": "end", "chat_id": CHAT}
    assert SetStatus("away").to_json() == {"v": 1, "type": "status", "status": "away"}
    assert Resumed("waiting", None, 0).to_json()["chat_id"] is None
    assert QueueUpdate("en", 1, None).to_json()["estimated_wait_s"] is None


def test_welcome_chats_are_objects() -> None:
    welcome = StaffWelcome("bob", ("en",), 1, 3, "away", 120, (ChatInfo(CHAT, "en", 4),))
    assert welcome.to_json()["chats"] == [{"chat_id": CHAT, "language": "en", "accepted_seq": 4}]
    assert welcome.to_json()["languages"] == ["en"]


chat_ids = st.binary(min_size=16, max_size=16).map(b64u)
payloads = st.binary(min_size=1, max_size=3000).map(b64u).filter(bool)
seqs = st.integers(1, MAX_SEQ)


@given(chat_ids, seqs, payloads)
def test_fast_serializers_equal_the_json_encoder(chat_id: str, seq: int, payload: str) -> None:
    """relay_text and the concatenating serialize() overrides must match json.dumps exactly."""
    out = RelayOut(chat_id, seq, payload)
    assert relay_text(chat_id, seq, payload) == out.serialize() == out.serialize_json()
    assert delivered_text(chat_id, seq) == Delivered(chat_id, seq).serialize_json()
    for frame in (
        StaffRelay(chat_id, seq, payload),
        SeekerRelay(seq, payload),
        SeekerRelay(seq, payload, chat_id),
        SeekerAck(seq),
        SeekerAck(seq, chat_id),
        StaffAck(chat_id, seq),
    ):
        assert frame.serialize() == frame.serialize_json()
    assert decode_server_frame(relay_text(chat_id, seq, payload), role="seeker") == out


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Join("EN"), "language"),
        (lambda: Join("en", fallback_language="x"), "fallback_language"),
        (lambda: Resume("short"), "token"),
        (lambda: SeekerRelay(0, "QQ"), "seq"),
        (lambda: SeekerRelay(1, ""), "payload"),
        (lambda: SeekerRelay(1, "a+b"), "payload"),
        (lambda: SeekerRelay(1, "QQ", chat_id="x" * 22), "chat_id"),
        (lambda: SeekerAck(-1), "seq"),
        (lambda: SetStatus("busy"), "status"),
        (lambda: SetStatus("away", languages=("en", "en")), "languages"),
        (lambda: SetStatus("away", capacity=0), "capacity"),
        (lambda: SetStatus("away", capacity=True), "capacity"),
        (lambda: StaffRelay(CHAT, MAX_SEQ + 1, "QQ"), "seq"),
        (lambda: End(CHAT, outcome="x" * 65), "outcome"),
        (lambda: End(CHAT, outcome="line\nbreak"), "outcome"),
        (lambda: Resumed("lost", None, 0), "state"),
        (lambda: QueueUpdate("en", 0, None), "position"),
        (lambda: Peer(CHAT, connected=1), "connected"),  # type: ignore[arg-type]
        (lambda: Offer(CHAT, "en", float("nan"), 30), "waited_s"),
        (lambda: ErrorFrame("Bad Code", "x"), "code"),
        (lambda: StaffWelcome("", ("en",), 1, 3, "away", 120), "username"),
        (lambda: StaffChatEnded(CHAT, "whatever"), "reason"),
        (lambda: SeekerChatEnded(CHAT, "seeker_left", feedback="short"), "feedback"),
    ],
)
def test_construction_validates(build: object, field: str) -> None:
    assert callable(build)
    with pytest.raises(FrameError, match=repr(field)) as info:
        build()
    assert info.value.code == "bad_field"


def test_lists_become_tuples() -> None:
    status = SetStatus("away", languages=["en", "de"])  # type: ignore[arg-type]
    assert status.languages == ("en", "de")
    assert hash(status) == hash(SetStatus("away", languages=("en", "de")))


def test_frames_are_frozen_and_slotted() -> None:
    frame = StaffRelay(CHAT, 1, "QQ")
    with pytest.raises(dataclasses.FrozenInstanceError):
        frame.seq = 2  # type: ignore[misc]
    assert not hasattr(frame, "__dict__")


def test_tokens_stay_out_of_reprs() -> None:
    """Resume tokens are the only key to a chat: never in logs."""
    assert TOKEN not in repr(Resume(TOKEN))
    assert TOKEN not in repr(SeekerWelcome(TOKEN, 120))
    assert TOKEN not in repr(SeekerChatEnded(CHAT, "seeker_left", feedback=TOKEN))


def test_the_seekers_chat_ended_always_carries_feedback() -> None:
    """§2.3: ``feedback`` is a ticket or null, always written; without it the frame is
    a counsellor's."""
    assert SeekerChatEnded(CHAT, "seeker_left").to_json()["feedback"] is None
    text = f'{{"v":1,"type":"chat_ended","chat_id":"{CHAT}","reason":"seeker_left"}}'
    with pytest.raises(FrameError) as info:
        decode_server_frame(text, role="seeker")
    assert info.value.code == "missing_field"
    assert type(decode_server_frame(text)) is StaffChatEnded
