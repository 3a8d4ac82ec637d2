"""Delivery: sequence numbers, windows and acknowledgements (docs/protocol.md §3)."""

from __future__ import annotations

from helpline.core.effects import Deliver, Delivered

from .helpers import CounsellorHandle, Harness, SeekerHandle, assert_sent, refused


def open_chat(**settings: object) -> tuple[Harness, SeekerHandle, CounsellorHandle, str]:
    h = Harness(**settings)
    alice = h.counsellor(available=True)
    s = h.seeker()
    chat = alice.take(s.effects)
    return h, s, alice, chat


def test_envelopes_are_delivered_in_both_directions() -> None:
    _h, s, alice, chat = open_chat()
    effects = s.relay(1, "c2s")
    assert effects == [Deliver(alice.live_conn, chat, 1, "c2s")]
    effects = alice.relay(chat, 1, "s2c")
    assert effects == [Deliver(s.live_conn, chat, 1, "s2c")]


def test_seeker_may_name_their_own_chat_but_no_other() -> None:
    _h, s, alice, chat = open_chat()
    assert_sent(s.relay(1, "p", chat_id=chat), Deliver, conn=alice.conn, seq=1)
    with refused("unknown_chat"):
        s.relay(2, "p", chat_id="someone-elses")
    with refused("unknown_chat"):
        s.ack(0, chat_id="someone-elses")


def test_seeker_relay_outside_a_chat_is_refused() -> None:
    h = Harness()
    s = h.seeker()
    with refused("no_chat"):
        s.relay(1, "p")
    with refused("no_chat"):
        s.ack(1)
    alice = h.counsellor(available=True)
    assert alice.offer_in(alice.effects)
    with refused("no_chat"):  # offered is not chatting yet
        s.relay(1, "p")
    with refused("handshake_required"):
        h.sb.seeker_relay(99, None, 1, "p")


def test_duplicate_is_dropped_silently_and_gap_is_bad_seq() -> None:
    _h, s, alice, chat = open_chat()
    s.relay(1)
    s.relay(2)
    assert s.relay(2) == []
    assert s.relay(1) == []
    with refused("bad_seq"):
        s.relay(4)
    assert_sent(s.relay(3), Deliver, conn=alice.conn, seq=3)
    with refused("bad_seq"):
        alice.relay(chat, 2)
    assert_sent(alice.relay(chat, 1), Deliver, conn=s.conn, seq=1)


def test_window_full_at_window_frames_and_ack_releases() -> None:
    _h, s, alice, chat = open_chat(window_frames=64)
    for seq in range(1, 65):
        s.relay(seq)
    with refused("window_full"):
        s.relay(65)
    assert s.relay(64) == []  # a duplicate is still just dropped
    effects = alice.ack(chat, 10)
    assert effects == [Delivered(s.live_conn, chat, 10)]
    for seq in range(65, 75):
        s.relay(seq)
    with refused("window_full"):
        s.relay(75)


def test_window_full_at_window_bytes() -> None:
    _h, s, alice, chat = open_chat(window_bytes=1000)
    s.relay(1, "a" * 600)
    with refused("window_full"):
        s.relay(2, "b" * 401)
    s.relay(2, "b" * 400)  # exactly the bound
    with refused("window_full"):
        s.relay(3, "c")
    alice.ack(chat, 1)
    assert_sent(s.relay(3, "c" * 600), Deliver, conn=alice.conn, seq=3)
    # The counsellor's direction has its own window.
    assert_sent(alice.relay(chat, 1, "d" * 1000), Deliver, conn=s.conn)


def test_refused_relay_changes_nothing() -> None:
    _h, s, alice, chat = open_chat(window_frames=1)
    s.relay(1, "one")
    with refused("window_full"):
        s.relay(2, "two")
    alice.ack(chat, 1)
    # seq 2 was not accepted: it can be sent again, and is the next one expected.
    assert_sent(s.relay(2, "two"), Deliver, seq=2, payload="two")


def test_ack_is_cumulative_and_delivered_goes_to_the_sender() -> None:
    _h, s, alice, chat = open_chat()
    for seq in (1, 2, 3):
        alice.relay(chat, seq)
    assert s.ack(2) == [Delivered(alice.live_conn, chat, 2)]
    assert s.ack(2) == []  # nothing new
    assert s.ack(1) == []  # behind: nothing new
    assert s.ack(3, chat_id=chat) == [Delivered(alice.live_conn, chat, 3)]
    assert h_pending(alice, chat) == 0


def h_pending(alice: CounsellorHandle, chat: str) -> int:
    return len(alice.h.sb._chats[chat].to_seeker.pending)


def test_ack_beyond_what_was_sent_is_bad_seq() -> None:
    _h, s, alice, chat = open_chat()
    s.relay(1)
    with refused("bad_seq"):
        alice.ack(chat, 2)
    with refused("bad_seq"):
        s.ack(1)  # the counsellor sent nothing yet
    assert alice.ack(chat, 1) == [Delivered(s.live_conn, chat, 1)]


def test_counsellor_relay_to_a_chat_not_theirs_is_unknown_chat() -> None:
    h, _s, alice, chat = open_chat()
    bob = h.counsellor(available=True)
    with refused("unknown_chat"):
        bob.relay(chat, 1)
    with refused("unknown_chat"):
        bob.ack(chat, 0)
    with refused("unknown_chat"):
        bob.end(chat)
    with refused("unknown_chat"):
        bob.requeue(chat)
    assert alice.relay(chat, 1)


def test_late_ack_after_the_chat_closed_is_ignored() -> None:
    _h, s, alice, chat = open_chat()
    s.relay(1)
    alice.end(chat)
    assert alice.ack(chat, 1) == []
