"""Dropped connections, grace periods and resuming (docs/protocol.md §3, §5)."""

from __future__ import annotations

from helpline.core.effects import (
    ChatClosed,
    ChatOpened,
    CloseConnection,
    Deliver,
    Offered,
    OfferWithdrawn,
    PeerPresence,
    QueuePosition,
    RecordChat,
    Requeued,
    SeekerResumed,
    StaffWelcome,
)

from .helpers import (
    CounsellorHandle,
    Harness,
    SeekerHandle,
    assert_closed,
    assert_not_sent,
    assert_sent,
    kinds,
    refused,
    sent,
)


def open_chat(**settings: object) -> tuple[Harness, SeekerHandle, CounsellorHandle, str]:
    h = Harness(**settings)
    alice = h.counsellor(available=True)
    s = h.seeker()
    chat = alice.take(s.effects)
    return h, s, alice, chat


# -- seekers ---------------------------------------------------------------------------


def test_waiting_seeker_keeps_their_place_within_grace() -> None:
    h = Harness(resume_grace_s=120)
    first, second = h.seeker(), h.seeker()
    assert first.drop() == []
    h.advance(119)
    effects = first.resume()
    assert kinds(effects) == ["SeekerResumed", "QueuePosition"]
    assert_sent(effects, SeekerResumed, conn=first.conn, state="waiting", chat_id=None)
    assert_sent(effects, QueuePosition, conn=first.conn, position=1)
    assert [s.token for s in h.sb._queues["en"]] == [first.token, second.token]
    # The old timer, when it comes, does not remove the resumed seeker.
    h.advance(10)
    assert h.sb.waiting_count() == 2


def test_waiting_seeker_loses_their_place_after_grace() -> None:
    h = Harness(resume_grace_s=120)
    first, second = h.seeker(), h.seeker()
    first.drop()
    assert h.advance(119.9) == []
    effects = h.advance(0.1)
    record = assert_sent(effects, RecordChat).summary
    assert record.answered_minute is None  # abandoned: never answered
    assert record.wait_s is None
    assert record.end_reason == "seeker_gone"
    assert [s.token for s in h.sb._queues["en"]] == [second.token]
    assert_sent(effects, QueuePosition, conn=second.conn, position=1)  # same tick
    with refused("bad_token"):
        first.resume()


def test_resume_with_an_unknown_token_is_bad_token() -> None:
    h = Harness()
    s = h.seeker()
    with refused("bad_token"):
        s.resume(token="A" * 43)
    with refused("already_joined"):
        h.sb.seeker_resume(s.live_conn, s.token, h.now)


def test_seeker_who_left_cannot_resume() -> None:
    h = Harness()
    s = h.seeker()
    s.leave()
    with refused("bad_token"):
        s.resume()


def test_resume_elsewhere_closes_the_old_connection() -> None:
    h = Harness()
    s = h.seeker()
    old = s.live_conn
    effects = s.resume()
    assert_sent(effects, CloseConnection, conn=old, code=4010)
    assert not h.sb.is_seeker_conn(old)
    assert h.sb.connection_lost(old, h.now) == []  # the web layer reports the close: harmless
    assert h.sb.is_seeker_conn(s.live_conn)


def test_waiting_seeker_can_be_offered_while_disconnected() -> None:
    h = Harness()
    s = h.seeker()
    s.drop()
    alice = h.counsellor(available=True)
    offer = alice.offer_in(alice.effects)
    effects = alice.accept(offer.chat_id)
    assert_sent(effects, ChatOpened, conn=alice.conn, chat_id=offer.chat_id)
    assert_sent(effects, PeerPresence, conn=alice.conn, chat_id=offer.chat_id, connected=False)
    alice.relay(offer.chat_id, 1, "hello")
    effects = s.resume()
    assert kinds(effects) == ["SeekerResumed", "Deliver", "PeerPresence"]
    assert_sent(effects, SeekerResumed, state="chatting", chat_id=offer.chat_id, accepted_seq=0)
    assert_sent(effects, PeerPresence, conn=alice.conn, connected=True)


def test_chatting_seeker_drop_and_resume_replays_unacked_in_order() -> None:
    _h, s, alice, chat = open_chat()
    s.relay(1)
    s.relay(2)
    for seq in (1, 2, 3):
        alice.relay(chat, seq, f"m{seq}")
    s.ack(1)
    effects = s.drop()
    assert effects == [PeerPresence(alice.live_conn, chat, False)]
    alice.relay(chat, 4, "m4")  # kept for the seeker
    effects = s.resume()
    assert effects[0] == SeekerResumed(s.live_conn, "chatting", chat, 2)
    assert [(e.seq, e.payload) for e in sent(effects, Deliver)] == [
        (2, "m2"),
        (3, "m3"),
        (4, "m4"),
    ]
    assert_sent(effects, PeerPresence, conn=alice.conn, chat_id=chat, connected=True)
    # The seeker goes on where the server left off.
    assert_sent(s.relay(3), Deliver, conn=alice.conn, seq=3)


def test_chatting_seeker_gone_after_grace_ends_the_chat() -> None:
    h, s, alice, chat = open_chat(resume_grace_s=120)
    s.drop()
    effects = h.advance(120)
    assert_sent(effects, ChatClosed, conn=alice.conn, chat_id=chat, reason="seeker_gone")
    assert assert_sent(effects, RecordChat).summary.end_reason == "seeker_gone"
    with refused("bad_token"):
        s.resume()


def test_offered_seeker_gone_after_grace_withdraws_the_offer() -> None:
    h = Harness(resume_grace_s=10, offer_timeout_s=30)
    s = h.seeker()
    s.drop()
    alice = h.counsellor(available=True)
    offer = alice.offer_in(alice.effects)
    effects = h.advance(10)
    assert_sent(
        effects, OfferWithdrawn, conn=alice.conn, chat_id=offer.chat_id, reason="seeker_left"
    )
    assert_sent(effects, RecordChat)


def test_chat_ended_while_seeker_disconnected_is_told_on_resume() -> None:
    _h, s, alice, chat = open_chat()
    alice.relay(chat, 1, "bye")
    s.drop()
    effects = alice.end(chat, outcome="ok")
    assert_sent(effects, ChatClosed, conn=alice.conn, chat_id=chat)
    assert_not_sent(effects, CloseConnection)
    with refused("unknown_chat"):
        alice.relay(chat, 2)
    effects = s.resume()
    assert kinds(effects) == ["SeekerResumed", "Deliver", "ChatClosed", "CloseConnection"]
    assert_sent(effects, SeekerResumed, state="ended", chat_id=chat)
    assert_sent(effects, Deliver, seq=1, payload="bye")
    assert_sent(effects, ChatClosed, chat_id=chat, reason="counsellor_ended")
    assert_closed(effects, s.live_conn, 1000)
    with refused("bad_token"):
        s.resume()


def test_chat_ended_while_seeker_disconnected_is_forgotten_after_grace() -> None:
    h, s, alice, chat = open_chat(resume_grace_s=60)
    s.drop()
    h.clock.advance(30)
    alice.end(chat)
    assert sent(h.advance(30), RecordChat) == []  # recorded once, at the end
    with refused("bad_token"):
        s.resume()
    assert h.sb._seekers == {}


def test_handed_back_while_disconnected_is_told_on_resume() -> None:
    _h, s, alice, chat = open_chat()
    s.drop()
    alice.requeue(chat)
    effects = s.resume()
    assert kinds(effects) == ["SeekerResumed", "Requeued", "QueuePosition"]
    assert_sent(effects, Requeued, reason="handed_back")
    assert_sent(effects, QueuePosition, position=1)


# -- counsellors ---------------------------------------------------------------------


def test_counsellor_drop_mid_chat_and_reconnect_within_grace() -> None:
    h, s, alice, chat = open_chat(resume_grace_s=120)
    alice.relay(chat, 1, "from alice")
    s.relay(1, "from seeker 1")
    alice.ack(chat, 1)
    s.relay(2, "from seeker 2")
    effects = alice.drop()
    assert effects == [PeerPresence(s.live_conn, chat, False)]
    assert s.relay(3, "from seeker 3") == []  # kept for alice
    h.advance(119)
    effects = alice.connect()
    welcome = assert_sent(effects, StaffWelcome, conn=alice.conn)
    assert [(c.chat_id, c.accepted_seq) for c in welcome.chats] == [(chat, 1)]
    assert [(e.seq, e.payload) for e in sent(effects, Deliver, conn=alice.conn)] == [
        (2, "from seeker 2"),
        (3, "from seeker 3"),
    ]
    assert_sent(effects, PeerPresence, conn=s.conn, chat_id=chat, connected=True)
    h.advance(10)  # the old grace timer does nothing
    assert h.sb.active_chat_count() == 1
    assert_sent(alice.relay(chat, 2), Deliver, conn=s.conn, seq=2)


def test_counsellor_drop_returns_a_pending_offer_to_the_front() -> None:
    h = Harness()
    alice = h.counsellor(available=True)
    first, second = h.seeker(), h.seeker()
    offer = alice.offer_in(first.effects)
    effects = alice.drop()
    assert_not_sent(effects, OfferWithdrawn)  # nobody to tell
    assert [x.token for x in h.sb._queues["en"]] == [first.token, second.token]
    bob = h.counsellor(available=True)
    assert h.sb._chats[bob.offer_in(bob.effects).chat_id].seeker.token == first.token
    assert offer.chat_id not in h.sb._chats


def test_disconnected_counsellor_is_not_offered_new_chats() -> None:
    h = Harness()
    alice = h.counsellor(capacity=2, available=True)
    alice.take(h.seeker().effects)
    alice.drop()
    s = h.seeker()
    assert_not_sent(s.effects, Offered)
    effects = alice.connect()
    assert_sent(effects, Offered, conn=alice.conn)


def test_counsellor_gone_after_grace_requeues_the_seeker_at_the_front() -> None:
    h, s, alice, _chat = open_chat(resume_grace_s=120)
    other = h.seeker()
    alice.drop()
    effects = h.advance(120)
    assert_sent(effects, Requeued, conn=s.conn, reason="counsellor_lost")
    assert_sent(effects, QueuePosition, conn=s.conn, position=1)
    assert assert_sent(effects, RecordChat).summary.end_reason == "counsellor_lost"
    assert [x.token for x in h.sb._queues["en"]] == [s.token, other.token]
    # alice, connecting later, is a new session: away, no chats.
    welcome = assert_sent(alice.connect(), StaffWelcome)
    assert welcome.chats == ()
    assert welcome.status == "away"
    with refused("no_chat"):
        s.relay(1)


def test_seeker_leaving_while_counsellor_disconnected_is_told_on_reconnect() -> None:
    _h, s, alice, chat = open_chat()
    s.relay(1, "last words")
    alice.drop()
    effects = s.leave()
    assert_sent(effects, ChatClosed, conn=s.conn, chat_id=chat, reason="seeker_left")
    effects = alice.connect()
    assert assert_sent(effects, StaffWelcome).chats == ()
    assert [e.payload for e in sent(effects, Deliver)] == ["last words"]
    assert_sent(effects, ChatClosed, conn=alice.conn, chat_id=chat, reason="seeker_left")
    assert alice.ack(chat, 1) == []  # a late ack is ignored quietly


def test_counsellor_replaced_by_a_newer_connection() -> None:
    h, s, alice, _chat = open_chat()
    old = alice.live_conn
    effects = alice.connect()
    assert_closed(effects, old, 4010)
    assert_not_sent(effects, PeerPresence)  # the seeker never saw them go
    assert h.sb.connection_lost(old, h.now) == []
    assert_sent(s.relay(1), Deliver, conn=alice.conn)


def test_both_disconnected_counsellor_gone_first() -> None:
    h, s, alice, chat = open_chat(resume_grace_s=100)
    s.drop()
    h.clock.advance(10)
    alice.drop()
    h.advance(95)  # seeker's grace is over: the chat ends, alice is told later
    assert h.sb.active_chat_count() == 0
    effects = alice.connect()
    assert_sent(effects, ChatClosed, conn=alice.conn, chat_id=chat, reason="seeker_gone")


def test_falsy_connection_and_account_ids_work() -> None:
    """Regression guard: conn 0 and account id 0 must be ids like any other."""
    h = Harness(resume_grace_s=10)
    alice = h.counsellor(available=True)  # account 0, connection 0
    assert alice.id == 0
    assert alice.conn == 0
    s = h.seeker()
    chat = alice.take(s.effects)
    assert_sent(s.relay(1), Deliver, conn=0)
    assert alice.drop() == [PeerPresence(s.live_conn, chat, False)]
    effects = h.advance(10)
    assert_sent(effects, Requeued, conn=s.conn, reason="counsellor_lost")
    assert 0 not in h.sb._counsellors

    h2 = Harness()
    seeker0 = h2.seeker()
    assert seeker0.conn == 0
    bob = h2.counsellor(available=True)
    chat = bob.take(bob.effects)
    assert_sent(bob.relay(chat, 1), Deliver, conn=0)
    assert seeker0.drop() == [PeerPresence(bob.live_conn, chat, False)]
    assert_sent(seeker0.resume(), SeekerResumed, state="chatting")
