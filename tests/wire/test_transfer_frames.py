"""The frames of transfers, blocking, help requests and queue figures (§2.2, §2.4)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from helpline.wire import (
    Block,
    FrameError,
    HelpRequest,
    HelpState,
    Offer,
    QueueFigures,
    StaffMatched,
    StatusUpdate,
    TransferLanguage,
    TransferTo,
    decode_server_frame,
    decode_staff_frame,
)

CHAT = "AAECAwQFBgcICQoLDA0ODw"
LIMIT = 64


def staff(**fields: Any) -> object:
    return decode_staff_frame(json.dumps({"v": 1, **fields}), max_payload_bytes=LIMIT)


def refused(**fields: Any) -> FrameError:
    with pytest.raises(FrameError) as err:
        staff(**fields)
    return err.value


def test_transfer_has_two_shapes() -> None:
    to = staff(type="transfer", chat_id=CHAT, to="bob", seq=4, payload="QUJD")
    assert to == TransferTo(CHAT, "bob", 4, "QUJD")
    lang = staff(type="transfer", chat_id=CHAT, language="de")
    assert lang == TransferLanguage(CHAT, "de")


def test_transfer_shapes_do_not_mix() -> None:
    err = refused(type="transfer", chat_id=CHAT, language="de", to="bob")
    assert err.code == "bad_field"
    err = refused(type="transfer", chat_id=CHAT, to="bob", seq=4)
    assert err.code == "missing_field"
    err = refused(type="transfer", chat_id=CHAT)
    assert err.code == "missing_field"


def test_transfer_envelope_follows_the_relay_rules_and_echoes_its_seq() -> None:
    err = refused(type="transfer", chat_id=CHAT, to="bob", seq=5, payload="Q" * (LIMIT + 1))
    assert (err.code, err.seq) == ("payload_too_large", 5)
    err = refused(type="transfer", chat_id=CHAT, to="bob", seq=5, payload="not base64!")
    assert (err.code, err.seq) == ("bad_field", 5)
    err = refused(type="transfer", chat_id=CHAT, to="", seq=5, payload="QQ")
    assert err.code == "bad_field"
    err = refused(type="transfer", chat_id=CHAT, to="b" * 65, seq=5, payload="QQ")
    assert err.code == "bad_field"


def test_block_and_help() -> None:
    assert staff(type="block", chat_id=CHAT) == Block(CHAT)
    assert staff(type="help", on=True) == HelpRequest(True)
    assert refused(type="help", on=1).code == "bad_field"
    assert refused(type="help").code == "missing_field"
    assert refused(type="help", on=True, chat_id=CHAT).code == "bad_field"


def test_new_server_fields_round_trip_and_default_when_absent() -> None:
    offer = Offer(CHAT, "en", 0, 30, transfer_from="alice")
    assert decode_server_frame(offer.serialize(), role="staff") == offer
    assert '"transfer_from":null' in Offer(CHAT, "en", 3, 30).serialize()
    matched = StaffMatched(CHAT, "en", 12)
    assert '"accepted_seq":12' in matched.serialize()
    assert decode_server_frame(matched.serialize(), role="staff") == matched
    status = StatusUpdate("available", ("en",), 2, 4.5)
    assert decode_server_frame(status.serialize(), role="staff") == status
    old = '{"v":1,"type":"matched","chat_id":"' + CHAT + '","language":"en"}'
    assert decode_server_frame(old, role="staff") == StaffMatched(CHAT, "en", 0)


def test_queues_and_help_from_the_server() -> None:
    text = '{"v":1,"type":"queues","languages":[{"language":"en","waiting":2,"longest_wait_s":30}]}'
    figures = decode_server_frame(text, role="staff")
    assert isinstance(figures, QueueFigures)
    assert figures.languages[0].waiting == 2
    with pytest.raises(FrameError):
        decode_server_frame(
            '{"v":1,"type":"queues","languages":[{"language":"en","waiting":-1,'
            '"longest_wait_s":0}]}',
            role="staff",
        )
    help_text = '{"v":1,"type":"help","on":false,"since":null,"acknowledged":true}'
    assert decode_server_frame(help_text, role="staff") == HelpState(False, None, True)
    with pytest.raises(FrameError):
        decode_server_frame('{"v":1,"type":"help","on":true}', role="staff")
    with pytest.raises(FrameError) as err:
        decode_server_frame(help_text, role="seeker")
    assert err.value.code == "unknown_type"
