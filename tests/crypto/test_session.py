"""Seeker and counsellor sessions talking in memory: the whole protocol as a story."""

from __future__ import annotations

import dataclasses

import pytest

from crypto import frames
from crypto.certs import make_certificate
from crypto.encoding import b64u_decode, b64u_encode
from crypto.errors import CryptoError
from crypto.events import (
    Established,
    GapDetected,
    Message,
    PeerClosed,
    TransferRequested,
    Typing,
)
from crypto.handshake import (
    Accept,
    Reveal,
    accept_signed_message,
    commitment,
    decode_message,
    encode_accept,
    encode_reveal,
)
from crypto.primitives import ed25519_sign, x25519_public
from crypto.session import CounsellorSession, SeekerSession

from .helpers import (
    CHAT_ID,
    DAY,
    NOOR,
    NOW,
    ORG_PUB,
    REVOKED,
    SAM,
    Counsellor,
    Pair,
    connected_pair,
    counter_random,
    established,
    handshake,
    outgoing,
    revocations,
    seed,
)

SMALL_ORDER = bytes.fromhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800")


def new_seeker() -> SeekerSession:
    return SeekerSession(CHAT_ID, ORG_PUB, revocations(), random=counter_random(0))


def new_counsellor(c: Counsellor = SAM, transcripts: bool = False) -> CounsellorSession:
    return CounsellorSession(CHAT_ID, c.seed, c.cert, transcripts, random=counter_random(500))


def expect(code: str, call: object, *args: object) -> CryptoError:
    assert callable(call)
    with pytest.raises(CryptoError) as info:
        call(*args)
    assert info.value.code == code, info.value
    return info.value


# -- a whole conversation ---------------------------------------------------------------------


def test_full_conversation_in_every_bucket() -> None:
    pair = connected_pair(transcripts=True)
    s, c = pair.seeker, pair.counsellor
    assert s.established
    assert c.established
    assert pair.seeker_established == Established(0, s.safety_code or "", "Sam", True, None)
    assert pair.counsellor_established.safety_code == s.safety_code == c.safety_code
    assert pair.counsellor_established.same_person is None
    assert s.handle == "Sam"
    assert s.transcripts

    texts = ["hi", "é" * 400, "x" * 4000, "y" * 16_000, "👋" * 4000]
    for i, text in enumerate(texts):
        frame = s.send_message(text)
        ack = None if i == 0 else i - 1
        plaintext = frames.encode_body(frames.MessageBody(text, ack))
        assert len(frame) - 27 == frames.bucket_for(len(plaintext))
        (event,) = c.receive(frame, NOW)
        assert event == Message(i, text, ack)
        reply = c.send_message(text[::-1])
        (event,) = s.receive(reply, NOW)
        assert event == Message(i, text[::-1], i)
    buckets = set()
    for text in texts:
        frame = c.send_message(text)
        buckets.add(len(frame) - 27)
        s.receive(frame, NOW)
    assert buckets == set(frames.BUCKETS)

    (event,) = c.receive(s.send_typing(True), NOW)
    assert event == Typing(5, True, 9)
    assert c.peer_ack == 9
    (event,) = s.receive(c.send_typing(False), NOW)
    assert isinstance(event, Typing)
    assert event.on is False
    assert event.ack == 5

    close = s.send_close("seeker_left")
    assert s.closed
    assert not s.established
    expect("closed", s.send_message, "more")
    (event,) = c.receive(close, NOW)
    assert event == PeerClosed("seeker_left")
    assert c.closed
    expect("closed", c.receive, close, NOW)
    expect("closed", c.send_message, "hello?")


def test_oversized_message_is_refused_and_nothing_changes() -> None:
    pair = connected_pair()
    expect("too_large", pair.seeker.send_message, "x" * 16_343)
    frame = pair.seeker.send_message("x" * 16_342)
    assert len(frame) == frames.MAX_FRAME
    assert pair.counsellor.receive(frame, NOW) == [Message(0, "x" * 16_342, None)]
    expect("bad_text", pair.seeker.send_message, "\ud800")


# -- replay, gaps, reordering, tampering --------------------------------------------------------


def test_replayed_frame_is_dropped_silently() -> None:
    pair = connected_pair()
    frame = pair.seeker.send_message("once")
    assert pair.counsellor.receive(frame, NOW) == [Message(0, "once", None)]
    assert pair.counsellor.receive(frame, NOW) == []


def test_dropped_frame_is_a_gap_and_nothing_advances() -> None:
    pair = connected_pair()
    f0, f1 = pair.seeker.send_message("zero"), pair.seeker.send_message("one")
    assert pair.counsellor.receive(f1, NOW) == [GapDetected(expected=0, got=1)]
    assert pair.counsellor.receive(f1, NOW) == [GapDetected(expected=0, got=1)]
    assert pair.counsellor.receive(f0, NOW) == [Message(0, "zero", None)]
    assert pair.counsellor.receive(f1, NOW) == [Message(1, "one", None)]


def test_reordered_frames() -> None:
    pair = connected_pair()
    sent = [pair.counsellor.send_message(str(i)) for i in range(4)]
    got: list[object] = []
    for frame in (sent[2], sent[0], sent[3], sent[1], sent[2], sent[3]):
        got += pair.seeker.receive(frame, NOW)
    assert got == [
        GapDetected(0, 2),
        Message(0, "0", None),
        GapDetected(1, 3),
        Message(1, "1", None),
        Message(2, "2", None),
        Message(3, "3", None),
    ]


@pytest.mark.parametrize(
    ("index", "code"),
    [
        (1, "bad_mac"),  # type 1 → 5: a known type, so only the MAC can tell
        (10, "wrong_chat"),
        (20, "bad_epoch"),
        (22, "wrong_direction"),
        (26, "gap"),
        (27, "bad_mac"),  # the Poly1305 tag
        (40, "bad_mac"),
        (200, "bad_mac"),
    ],
)
def test_flipped_bit_is_rejected_and_the_genuine_frame_still_counts(index: int, code: str) -> None:
    pair = connected_pair()
    frame = pair.seeker.send_message("hello")
    bad = frame[:index] + bytes([frame[index] ^ 0x04]) + frame[index + 1 :]
    if code == "gap":
        assert pair.counsellor.receive(bad, NOW) == [GapDetected(0, 4)]
    else:
        expect(code, pair.counsellor.receive, bad, NOW)
    assert not pair.counsellor.closed
    assert pair.counsellor.receive(frame, NOW) == [Message(0, "hello", None)]


def test_header_field_checks() -> None:
    pair = connected_pair()
    frame = pair.seeker.send_message("hi")
    expect("bad_frame", pair.counsellor.receive, frame[:26], NOW)
    expect("bad_version", pair.counsellor.receive, b"\x02" + frame[1:], NOW)
    expect("bad_type", pair.counsellor.receive, frame[:1] + b"\x04" + frame[2:], NOW)
    expect("wrong_chat", pair.counsellor.receive, frame[:2] + bytes(16) + frame[18:], NOW)
    expect("bad_epoch", pair.counsellor.receive, frame[:21] + b"\x01" + frame[22:], NOW)
    expect("wrong_direction", pair.counsellor.receive, frame[:22] + b"\x01" + frame[23:], NOW)
    expect("wrong_direction", pair.seeker.receive, frame, NOW)  # its own frame echoed
    expect("bad_length", pair.counsellor.receive, frame[:-1], NOW)
    expect("bad_frame", pair.counsellor.receive, b"", NOW)
    assert pair.counsellor.receive(frame, NOW) == [Message(0, "hi", None)]


def test_frame_from_another_chat() -> None:
    a = connected_pair()
    b_seeker = SeekerSession(bytes(16), ORG_PUB, revocations(), random=counter_random(7))
    b_counsellor = CounsellorSession(bytes(16), SAM.seed, SAM.cert, random=counter_random(8))
    handshake(b_seeker, b_counsellor)
    expect("wrong_chat", a.counsellor.receive, b_seeker.send_message("hi"), NOW)


def test_broken_plaintext_ends_the_chat(monkeypatch: pytest.MonkeyPatch) -> None:
    pair = connected_pair()
    monkeypatch.setattr(frames, "encode_body", lambda body: b"not json")
    frame = pair.seeker.send_message("x")
    monkeypatch.undo()
    expect("bad_plaintext", pair.counsellor.receive, frame, NOW)
    assert pair.counsellor.closed
    expect("closed", pair.counsellor.receive, frame, NOW)


def test_malformed_transfer_body_ends_the_chat(monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: an authenticated transfer with bad base64url used to leave the chat open."""
    body = b'{"ik2":"not base64!","cert2":"AA","sig":"AA"}'
    pair = connected_pair()
    real_encode = frames.encode_body
    monkeypatch.setattr(
        frames,
        "encode_body",
        lambda b: body if isinstance(b, frames.TransferBody) else real_encode(b),
    )
    frame = pair.counsellor.send_transfer(NOOR.ik, NOOR.cert)
    monkeypatch.undo()
    expect("bad_encoding", pair.seeker.receive, frame, NOW)
    assert pair.seeker.closed


CANARY = "CANARY-7f3a"
_CANARY_PLAINTEXTS = [
    f"{CANARY} is not JSON",
    f'{{"{CANARY}":1,"{CANARY}":2}}',  # duplicate key
    f'{{"{CANARY}":"x","ack":null}}',  # wrong key set
    f'{{"text":"{CANARY}","text":"y","ack":null}}',
    f'{{"text":"{CANARY}\\ud800","ack":null}}',  # lone surrogate
    f'{{"text":"{CANARY}","ack":NaN}}',
    f'{{"text":"{CANARY}","ack":"{CANARY}"}}',
    f'{{"text":["{CANARY}"],"ack":null}}',
]


def _exception_chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or any(e is s for s in seen):
            continue
        seen.append(e)
        todo += [e.__cause__, e.__context__]
    return seen


@pytest.mark.parametrize(
    "plaintext", [t.encode() for t in _CANARY_PLAINTEXTS] + [CANARY.encode() + b"\xff"]
)
def test_plaintext_errors_never_quote_the_plaintext(
    plaintext: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A decrypted plaintext must not end up in an error (logs, error reports): neither
    in its message nor in a chained decoder exception (whose ``doc`` is the text)."""
    pair = connected_pair()
    monkeypatch.setattr(frames, "encode_body", lambda body: plaintext)
    frame = pair.seeker.send_message("x")
    monkeypatch.undo()
    error = expect("bad_plaintext", pair.counsellor.receive, frame, NOW)
    assert pair.counsellor.closed
    chain = _exception_chain(error)
    assert chain == [error]  # nothing chained
    for e in chain:
        for text in (str(e), repr(e), repr(e.args), repr(vars(e))):
            assert CANARY not in text, text


def test_close_drops_every_secret() -> None:
    pair = connected_pair()
    s, c = pair.seeker, pair.counsellor
    c.receive(s.hello(NOW + 1), NOW + 1)  # both sides have a pending handshake
    assert s._pending is not None
    assert c._pending is not None
    s.receive(c.send_close("bye"), NOW + 1)
    for session in (s, c):
        assert session.closed
        assert (session._send, session._recv, session._cont, session._pending) == (
            None,
            None,
            None,
            None,
        )
        assert session.safety_code is None
    expect("unexpected", s.export_state)


def test_fatal_frame_drops_every_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    pair = connected_pair()
    monkeypatch.setattr(frames, "encode_body", lambda body: b"not json")
    frame = pair.seeker.send_message("x")
    monkeypatch.undo()
    expect("bad_plaintext", pair.counsellor.receive, frame, NOW)
    c = pair.counsellor
    assert (c._send, c._recv, c._cont, c._pending) == (None, None, None, None)


def test_bad_padding_ends_the_chat(monkeypatch: pytest.MonkeyPatch) -> None:
    pair = connected_pair()
    real_pad = frames.pad
    monkeypatch.setattr(frames, "pad", lambda data: real_pad(data)[:-1] + b"\x01")
    frame = pair.seeker.send_message("x")
    monkeypatch.undo()
    expect("bad_padding", pair.counsellor.receive, frame, NOW)
    assert pair.counsellor.closed


def test_an_ack_for_a_frame_never_sent_ends_the_chat() -> None:
    pair = connected_pair()
    pair.seeker.receive(pair.counsellor.send_message("a"), NOW)
    pair.seeker.receive(pair.counsellor.send_message("b"), NOW)
    # The seeker acks 1, but the counsellor's session is told it sent nothing yet.
    frame = pair.seeker.send_message("ok")
    fresh = connected_pair()
    assert fresh.counsellor.sent == 0
    expect("bad_ack", fresh.counsellor.receive, frame, NOW)
    assert fresh.counsellor.closed


# -- the handshake, refused ----------------------------------------------------------------------


def accept_from(
    counsellor: Counsellor,
    hello: bytes,
    *,
    ec_secret: bytes = seed(0x21),
    ec_pub: bytes | None = None,
    flags: int = 0,
    cert: bytes | None = None,
    sign_epoch: int | None = None,
) -> bytes:
    message = decode_message(hello)
    ec = x25519_public(ec_secret) if ec_pub is None else ec_pub
    epoch = message.epoch if sign_epoch is None else sign_epoch
    assert not isinstance(message, Accept | Reveal)
    sig = ed25519_sign(
        counsellor.seed,
        accept_signed_message(CHAT_ID, epoch, message.commit, ec, counsellor.ik, flags),
    )
    return encode_accept(
        Accept(message.epoch, ec, counsellor.ik, cert or counsellor.cert, flags, sig)
    )


def test_good_handcrafted_accept_is_accepted() -> None:
    seeker = new_seeker()
    events = seeker.receive(accept_from(SAM, seeker.hello(NOW)), NOW)
    assert established(events).handle == "Sam"


@pytest.mark.parametrize(
    ("make_accept", "code"),
    [
        (lambda hello: accept_from(SAM, hello, sign_epoch=5), "bad_signature"),
        (lambda hello: accept_from(SAM, hello, cert=NOOR.cert), "bad_cert"),
        (
            lambda hello: accept_from(
                SAM, hello, cert=make_certificate(seed(0x12), SAM.ik, NOW + DAY, "Sam")
            ),
            "bad_signature",
        ),
        (
            lambda hello: accept_from(Counsellor(SAM.seed, "Sam", NOW - 1), hello),
            "expired",
        ),
        (lambda hello: accept_from(REVOKED, hello), "revoked"),
        (lambda hello: accept_from(SAM, hello, flags=0x81), "bad_flags"),
        (lambda hello: accept_from(SAM, hello, ec_pub=SMALL_ORDER), "zero_shared_secret"),
        (lambda hello: accept_from(SAM, hello, ec_pub=bytes(32)), "zero_shared_secret"),
    ],
    ids=[
        "bad_accept_signature",
        "ik_not_cert_key",
        "forged_certificate",
        "expired_certificate",
        "revoked_key",
        "reserved_flag_bits",
        "small_order_ec",
        "zero_ec",
    ],
)
def test_seeker_refuses_accept(make_accept: object, code: str) -> None:
    seeker = new_seeker()
    hello = seeker.hello(NOW)
    assert callable(make_accept)
    expect(code, seeker.receive, make_accept(hello), NOW)
    assert not seeker.established
    # The handshake is over: a good ACCEPT for it is no longer taken.
    expect("unexpected", seeker.receive, accept_from(SAM, hello), NOW)


def test_accept_for_wrong_epoch_leaves_the_handshake_pending() -> None:
    seeker = new_seeker()
    hello = seeker.hello(NOW)
    good = accept_from(SAM, hello)
    obj = decode_message(good)
    assert isinstance(obj, Accept)
    wrong = encode_accept(dataclasses.replace(obj, epoch=1))
    expect("bad_epoch", seeker.receive, wrong, NOW)
    assert established(seeker.receive(good, NOW)).epoch == 0


def test_stale_revocation_list_refuses_the_handshake() -> None:
    """The list is checked at HELLO (HLP1: without a current list the page does not
    start a chat) and again at ACCEPT."""
    seeker = new_seeker()
    expires = NOW - 3600 + 30 * DAY
    hello = seeker.hello(expires)
    expect("stale_revocation_list", seeker.receive, accept_from(SAM, hello), expires + 1)


def test_hello_fails_closed_without_a_current_revocation_list() -> None:
    seeker = new_seeker()
    expires = NOW - 3600 + 30 * DAY
    expect("stale_revocation_list", seeker.hello, expires + 1)
    expect("stale_revocation_list", seeker.hello, NOW - 3600 - 301)  # from the future
    # nothing was started: a current list lets the same session say HELLO at once
    seeker.update_revocations(revocations(issued_at=expires))
    counsellor = new_counsellor()
    accept = outgoing(counsellor.receive(seeker.hello(expires + 1), expires + 1))
    reveal = outgoing(seeker.receive(accept, expires + 1))
    counsellor.receive(reveal, expires + 1)
    assert seeker.established
    assert counsellor.established


def test_no_revocation_list() -> None:
    expect("no_revocation_list", SeekerSession, CHAT_ID, ORG_PUB, None)


def test_counsellor_refuses_bad_reveal() -> None:
    seeker, counsellor = new_seeker(), new_counsellor()
    accept = outgoing(counsellor.receive(seeker.hello(NOW), NOW))
    reveal = outgoing(seeker.receive(accept, NOW))
    parsed = decode_message(reveal)
    assert isinstance(parsed, Reveal)
    forged = encode_reveal(Reveal(0, x25519_public(seed(0x33))))
    expect("bad_commit", counsellor.receive, forged, NOW)
    assert not counsellor.established


def test_forged_reveal_keeps_the_pending_handshake() -> None:
    """A forged REVEAL (bad_commit) from the relay must not strand the counsellor on the
    old epoch while the seeker has moved on: the genuine REVEAL still completes it."""
    seeker, counsellor = new_seeker(), new_counsellor()
    handshake(seeker, counsellor, NOW)
    accept = outgoing(counsellor.receive(seeker.hello(NOW + 1), NOW + 1))
    reveal = outgoing(seeker.receive(accept, NOW + 1))
    assert seeker.epoch == 1
    for es in (x25519_public(seed(0x33)), bytes(range(32))):
        expect("bad_commit", counsellor.receive, encode_reveal(Reveal(1, es)), NOW + 1)
        assert counsellor.epoch == 0
    events = counsellor.receive(reveal, NOW + 1)
    assert isinstance(events[0], Established)
    assert counsellor.epoch == 1
    assert events[0].safety_code == seeker.safety_code
    assert counsellor.receive(seeker.send_message("hi"), NOW + 2) == [Message(0, "hi", None)]
    assert seeker.receive(counsellor.send_message("hello"), NOW + 2) == [Message(0, "hello", 0)]
    # a forged REVEAL after completion is refused without harm
    expect("unexpected", counsellor.receive, encode_reveal(Reveal(1, bytes(32))), NOW + 3)
    assert counsellor.established


def test_counsellor_refuses_small_order_es() -> None:
    """A malicious seeker commits to a small-order es: the counsellor aborts."""
    from crypto.handshake import Hello, encode_hello

    counsellor = new_counsellor()
    hello = encode_hello(Hello(0, commitment(SMALL_ORDER)))
    counsellor.receive(hello, NOW)
    expect("zero_shared_secret", counsellor.receive, encode_reveal(Reveal(0, SMALL_ORDER)), NOW)
    assert not counsellor.established


def test_handshake_messages_in_the_wrong_place() -> None:
    seeker, counsellor = new_seeker(), new_counsellor()
    hello = seeker.hello(NOW)
    expect("unexpected", seeker.receive, hello, NOW)
    accept = outgoing(counsellor.receive(hello, NOW))
    expect("unexpected", counsellor.receive, accept, NOW)
    expect("unexpected", counsellor.receive, encode_reveal(Reveal(0, seed(1))), NOW + 61)
    expect("unexpected", seeker.send_message, "too early")
    expect("unexpected", seeker.receive, b"\x01" + bytes(100), NOW)
    expect("bad_message", seeker.receive, b"{not json", NOW)


def test_one_transition_in_flight_and_the_timeout() -> None:
    seeker, counsellor = new_seeker(), new_counsellor()
    first = seeker.hello(NOW)
    expect("unexpected", seeker.hello, NOW + 59)
    accept = outgoing(counsellor.receive(first, NOW))
    expect("unexpected", seeker.receive, accept, NOW + 60)  # timed out
    second = seeker.hello(NOW + 60)
    assert decode_message(second) != decode_message(first)  # a fresh commitment
    assert decode_message(second).epoch == 0  # the epoch was not taken
    s_est, c_est = handshake_from(seeker, counsellor, second, NOW + 60)
    assert s_est.epoch == c_est.epoch == 0


def handshake_from(
    seeker: SeekerSession, counsellor: CounsellorSession, hello: bytes, now: int
) -> tuple[Established, Established]:
    accept = outgoing(counsellor.receive(hello, now))
    events = seeker.receive(accept, now)
    return established(events), established(counsellor.receive(outgoing(events), now))


def test_counsellor_rejects_hello_for_other_epochs() -> None:
    pair = connected_pair()
    from crypto.handshake import Hello, encode_hello

    for epoch in (0, 2, 7):
        expect("bad_epoch", pair.counsellor.receive, encode_hello(Hello(epoch, seed(1))), NOW)


# -- re-hello after a page reload ------------------------------------------------------------


def test_rehello_after_page_reload() -> None:
    pair = connected_pair()
    s, c = pair.seeker, pair.counsellor
    c.receive(s.send_message("before"), NOW)
    m0 = c.send_message("reply 0")
    s.receive(m0, NOW)
    s.receive(c.send_message("reply 1, never acknowledged"), NOW)
    c.receive(s.send_typing(False), NOW)  # acks 1
    unacked = c.send_message("reply 2, lost with the page")
    state = s.export_state()
    assert set(state) == {"v", "chat_id", "epoch", "cont", "ik", "rl_issued_at"}
    assert all(isinstance(v, str) for v in state.values())

    reloaded = SeekerSession.resume_from(state, ORG_PUB, revocations(), random=counter_random(99))
    assert reloaded.epoch == 0
    assert not reloaded.established
    expect("unexpected", reloaded.receive, unacked, NOW)  # no keys for epoch 0 any more
    hello = reloaded.hello(NOW)
    assert decode_message(hello).epoch == 1
    s_est, c_est = handshake_from(reloaded, c, hello, NOW)
    assert c_est.same_person is True
    assert (s_est.epoch, c_est.epoch) == (1, 1)
    assert s_est.safety_code == c_est.safety_code != pair.seeker_established.safety_code
    # The counsellor knows what to send again: its frames after the peer's last ack.
    assert (c_est.prev_epoch_ack, c_est.prev_epoch_sent) == (1, 3)
    resend = c.send_message("reply 2, lost with the page")
    assert reloaded.receive(resend, NOW) == [Message(0, "reply 2, lost with the page", None)]
    # Frames of the old epoch are rejected from now on, both ways.
    expect("bad_epoch", reloaded.receive, unacked, NOW)
    expect("bad_epoch", c.receive, s.send_message("old tab"), NOW)
    assert c.receive(reloaded.send_message("after"), NOW) == [Message(0, "after", 0)]


def test_wrong_rehello_tag_is_not_the_same_person() -> None:
    pair = connected_pair()
    state = pair.seeker.export_state()
    state["cont"] = b64u_encode(seed(0x44))
    impostor = SeekerSession.resume_from(state, ORG_PUB, revocations(), random=counter_random(5))
    _s_est, c_est = handshake_from(impostor, pair.counsellor, impostor.hello(NOW), NOW)
    assert c_est.same_person is False


def test_hello_without_tag_after_an_epoch_is_not_the_same_person() -> None:
    pair = connected_pair()
    stranger = new_seeker()
    stranger._epoch = 0  # a seeker that claims the next epoch without any continuity value
    hello = stranger.hello(NOW)
    assert "tag" not in hello.decode()
    _s, c_est = handshake_from(stranger, pair.counsellor, hello, NOW)
    assert c_est.same_person is False


def test_rehello_answered_by_another_identity_is_refused() -> None:
    pair = connected_pair()
    reloaded = SeekerSession.resume_from(pair.seeker.export_state(), ORG_PUB, revocations())
    hello = reloaded.hello(NOW)
    expect("identity_changed", reloaded.receive, accept_from(NOOR, hello), NOW)


@pytest.mark.parametrize(
    "change",
    [
        {"v": "2"},
        {"epoch": "01"},
        {"epoch": "-1"},
        {"epoch": "4294967296"},
        {"cont": "AAAA"},
        {"chat_id": "AAAA="},
        {"extra": "1"},
    ],
)
def test_saved_state_is_checked(change: dict[str, str]) -> None:
    state = connected_pair().seeker.export_state() | change
    with pytest.raises(CryptoError) as info:
        SeekerSession.resume_from(state, ORG_PUB, revocations())
    assert info.value.code in ("bad_state", "bad_encoding")


def test_saved_state_refuses_an_older_revocation_list() -> None:
    state = connected_pair().seeker.export_state()
    older = revocations(issued_at=NOW - 7200)
    expect("stale_revocation_list", SeekerSession.resume_from, state, ORG_PUB, older)
    s = new_seeker()
    expect("stale_revocation_list", s.update_revocations, older)
    s.update_revocations(revocations(issued_at=NOW))


def test_export_before_any_epoch() -> None:
    expect("unexpected", new_seeker().export_state)


# -- handover ---------------------------------------------------------------------------


def do_transfer(pair: Pair) -> list[object]:
    frame = pair.counsellor.send_transfer(NOOR.ik, NOOR.cert)
    assert frame[1] == frames.TYPE_TRANSFER
    return list(pair.seeker.receive(frame, NOW))


def test_handover_to_a_second_counsellor() -> None:
    pair = connected_pair()
    s = pair.seeker
    s.receive(pair.counsellor.send_message("I'll pass you to Noor"), NOW)
    assert do_transfer(pair) == [TransferRequested(NOOR.ik, "Noor")]
    # Until the new handshake completes the chat goes on in epoch 0.
    assert s.receive(pair.counsellor.send_message("one moment"), NOW) == [
        Message(2, "one moment", None)
    ]
    noor = new_counsellor(NOOR)
    hello = s.hello(NOW)
    assert "tag" not in hello.decode()
    s_est, c_est = handshake_from(s, noor, hello, NOW)
    assert (s_est.epoch, s_est.handle, c_est.same_person) == (1, "Noor", None)
    assert s.counsellor_ik == NOOR.ik
    assert s.handle == "Noor"
    assert noor.receive(s.send_message("hi Noor"), NOW) == [Message(0, "hi Noor", None)]
    assert s.receive(noor.send_message("hello"), NOW) == [Message(0, "hello", 0)]
    expect("bad_epoch", s.receive, pair.counsellor.send_message("still here?"), NOW)


def test_after_a_transfer_only_the_named_key_is_accepted() -> None:
    pair = connected_pair()
    do_transfer(pair)
    hello = pair.seeker.hello(NOW)
    for someone in (SAM, REVOKED):
        expect("unauthorised_transfer", pair.seeker.receive, accept_from(someone, hello), NOW)
        hello = pair.seeker.hello(NOW + 60)
    assert established(pair.seeker.receive(accept_from(NOOR, hello), NOW + 60)).handle == "Noor"


def forged_transfer(
    pair: Pair, ik2: bytes, cert2: bytes, signed_ik: bytes, epoch: int = 1
) -> bytes:
    from crypto.handshake import transfer_signed_message

    sig = ed25519_sign(SAM.seed, transfer_signed_message(CHAT_ID, epoch, signed_ik))
    send = pair.counsellor._chain()
    return send.seal(frames.TransferBody(ik2, cert2, sig))


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("signed_for_another_key", "unauthorised_transfer"),
        ("wrong_epoch", "unauthorised_transfer"),
        ("cert_for_another_key", "unauthorised_transfer"),
        ("revoked", "revoked"),
        ("expired", "expired"),
    ],
)
def test_transfer_to_an_unauthorised_key_ends_the_chat(who: str, code: str) -> None:
    pair = connected_pair()
    ik2, cert2, signed, epoch = NOOR.ik, NOOR.cert, NOOR.ik, 1
    if who == "signed_for_another_key":
        signed = REVOKED.ik
    elif who == "wrong_epoch":
        epoch = 0
    elif who == "cert_for_another_key":
        cert2 = SAM.cert
    elif who == "revoked":
        ik2, cert2, signed = REVOKED.ik, REVOKED.cert, REVOKED.ik
    else:
        cert2 = Counsellor(NOOR.seed, "Noor", NOW - 1).cert
    frame = forged_transfer(pair, ik2, cert2, signed, epoch)
    expect(code, pair.seeker.receive, frame, NOW)
    assert pair.seeker.closed


def test_counsellor_checks_its_own_transfer() -> None:
    pair = connected_pair()
    expect("unauthorised_transfer", pair.counsellor.send_transfer, NOOR.ik, SAM.cert)


def test_counsellor_session_checks_its_certificate() -> None:
    expect("bad_cert", CounsellorSession, CHAT_ID, SAM.seed, NOOR.cert)


def test_relay_payload_is_b64u_of_the_bytes() -> None:
    pair = connected_pair()
    frame = pair.seeker.send_message("hi")
    text = b64u_encode(frame)
    assert pair.counsellor.receive(b64u_decode(text), NOW) == [Message(0, "hi", None)]
    assert len(b64u_encode(bytes(frames.MAX_FRAME))) < 22_000
