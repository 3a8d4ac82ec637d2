"""Queues and matching (docs/protocol.md §4)."""

from __future__ import annotations

import pytest

from helpline.core.effects import (
    ChatClosed,
    ChatOpened,
    Offered,
    OfferWithdrawn,
    QueueFigures,
    QueuePosition,
    RecordChat,
    Requeued,
    SeekerWelcome,
    StaffStatus,
    StaffWelcome,
)
from helpline.errors import ProtocolError

from .helpers import Harness, assert_closed, assert_not_sent, assert_sent, kinds


def offered_seeker(h: Harness, offer: Offered) -> str:
    """The token of the seeker behind an offer (the protocol does not tell the counsellor)."""
    return h.sb._chats[offer.chat_id].seeker.token


def test_join_sends_welcome_then_position() -> None:
    h = Harness(resume_grace_s=120)
    first = h.seeker("en")
    assert kinds(first.effects) == ["SeekerWelcome", "QueuePosition"]
    welcome = assert_sent(first.effects, SeekerWelcome, conn=first.conn)
    assert len(welcome.token) == 43
    assert welcome.resume_grace_s == 120
    assert_sent(first.effects, QueuePosition, conn=first.conn, language="en", position=1)
    second = h.seeker("en")
    assert_sent(second.effects, QueuePosition, conn=second.conn, position=2)


def test_join_refuses_unknown_language_and_double_join() -> None:
    h = Harness(languages=("en",))
    with pytest.raises(ProtocolError) as err:
        h.sb.seeker_join(7, "xx", None, h.now)
    assert err.value.code == "unknown_language"
    with pytest.raises(ProtocolError) as err:
        h.sb.seeker_join(7, "en", "xx", h.now)
    assert err.value.code == "unknown_language"
    h.sb.seeker_join(7, "en", None, h.now)
    with pytest.raises(ProtocolError) as err:
        h.sb.seeker_join(7, "en", None, h.now)
    assert err.value.code == "already_joined"
    assert h.sb.waiting_count() == 1


def test_max_waiting_refuses_with_queue_full() -> None:
    h = Harness(max_waiting=2)
    h.seeker()
    h.seeker()
    with pytest.raises(ProtocolError) as err:
        h.seeker()
    assert err.value.code == "queue_full"
    assert h.sb.waiting_count() == 2


def test_fifo_within_a_language() -> None:
    h = Harness(languages=("en", "de"))
    first, _de, second = h.seeker("en"), h.seeker("de"), h.seeker("en")
    alice = h.counsellor(("en",), available=True)
    offer = alice.offer_in(alice.effects)
    assert offered_seeker(h, offer) == first.token
    alice.accept(offer.chat_id)
    bob = h.counsellor(("en",), available=True)
    assert offered_seeker(h, bob.offer_in(bob.effects)) == second.token


def test_counsellor_with_several_languages_gets_the_lowest_ticket_across_them() -> None:
    h = Harness(languages=("en", "de", "fr"))
    h.seeker("en")
    de = h.seeker("de")
    h.seeker("fr")
    h.seeker("en")
    alice = h.counsellor(("fr", "de"), available=True)
    offer = alice.offer_in(alice.effects)
    assert offer.language == "de"
    assert offered_seeker(h, offer) == de.token


def test_fewest_open_chats_wins_then_longest_free() -> None:
    h = Harness()
    busy = h.counsellor(capacity=2, available=True)
    h.clock.advance(10)
    idle_late = h.counsellor(capacity=2, available=True)
    h.clock.advance(10)
    # busy (free since t0) takes one chat: now it has 1 open chat.
    busy.take(h.seeker().effects)
    # idle_late has fewer chats, although busy has been free longer.
    s2 = h.seeker()
    assert_sent(s2.effects, Offered, conn=idle_late.conn)
    assert_not_sent(s2.effects, Offered, conn=busy.conn)
    idle_late.accept(idle_late.offer_in(s2.effects).chat_id)
    # Both have one chat now: the one free the longest (busy, since t0) is next.
    s3 = h.seeker()
    assert_sent(s3.effects, Offered, conn=busy.conn)


def test_longest_free_breaks_ties() -> None:
    h = Harness()
    early = h.counsellor(available=True)
    h.clock.advance(5)
    late = h.counsellor(available=True)
    s = h.seeker()
    assert_sent(s.effects, Offered, conn=early.conn)
    assert_not_sent(s.effects, Offered, conn=late.conn)


def test_ending_a_chat_makes_a_counsellor_free_since_now() -> None:
    h = Harness()
    a = h.counsellor(available=True)
    chat = a.take(h.seeker().effects)
    h.clock.advance(5)
    b = h.counsellor(available=True)
    h.clock.advance(5)
    a.end(chat)  # a is free again, but only since now; b has been free for 5 s
    s = h.seeker()
    assert_sent(s.effects, Offered, conn=b.conn)


def test_capacity_two_gets_two_chats_not_three() -> None:
    h = Harness(max_capacity=3)
    alice = h.counsellor(capacity=2, available=True)
    seekers = [h.seeker() for _ in range(3)]
    # One offer at a time: only the first seeker is offered.
    offer = alice.offer_in(seekers[0].effects)
    assert_not_sent(seekers[1].effects, Offered)
    opened = alice.accept(offer.chat_id)
    second = alice.offer_in(opened)
    assert offered_seeker(h, second) == seekers[1].token
    opened = alice.accept(second.chat_id)
    assert_not_sent(opened, Offered)
    assert len(h.sb._counsellors[alice.id].chats) == 2
    assert h.sb.waiting_count() == 1
    # A third counsellor slot appears only when a chat ends.
    closed = alice.end(offer.chat_id)
    assert offered_seeker(h, alice.offer_in(closed)) == seekers[2].token


def test_new_staff_connection_starts_away_and_status_needs_languages() -> None:
    h = Harness(languages=("en", "de"))
    alice = h.counsellor(("en", "de"), capacity=5)
    welcome = assert_sent(alice.effects, StaffWelcome, conn=alice.conn)
    assert welcome.status == "away"
    assert welcome.capacity == 3  # capped at max_capacity
    assert welcome.max_capacity == 3
    h.seeker("en")
    assert_not_sent(alice.effects, Offered)
    with pytest.raises(ProtocolError) as err:
        alice.available(languages=("fr",))
    assert err.value.code == "unknown_language"
    with pytest.raises(ProtocolError) as err:
        alice.available(languages=())
    assert err.value.code == "not_allowed"
    with pytest.raises(ProtocolError) as err:
        alice.available(capacity=4)
    assert err.value.code == "not_allowed"
    effects = alice.available(languages=("de",), capacity=1)
    assert_sent(effects, StaffStatus, conn=alice.conn, status="available", languages=("de",))
    assert_not_sent(effects, Offered)  # the seeker speaks en


def test_offer_timeout_returns_seeker_to_front_and_sets_counsellor_away() -> None:
    h = Harness(offer_timeout_s=30)
    slow = h.counsellor(available=True)
    first = h.seeker()
    second = h.seeker()
    offer = slow.offer_in(first.effects)
    assert offer.expires_in_s == 30
    assert [e for e in h.advance(29.9) if not isinstance(e, QueueFigures)] == []
    effects = h.advance(0.1)
    assert_sent(effects, OfferWithdrawn, conn=slow.conn, chat_id=offer.chat_id, reason="timeout")
    assert_sent(effects, StaffStatus, conn=slow.conn, status="away")
    assert h.sb._counsellors[slow.id].offer is None
    queue = [s.token for s in h.sb._queues["en"]]
    assert queue == [first.token, second.token]
    # The next counsellor at their desk gets the same seeker first.
    ready = h.counsellor(available=True)
    assert offered_seeker(h, ready.offer_in(ready.effects)) == first.token
    with pytest.raises(ProtocolError) as err:
        slow.accept(offer.chat_id)
    assert err.value.code == "unknown_chat"


def test_decline_returns_seeker_to_front_and_sets_counsellor_away() -> None:
    h = Harness()
    alice = h.counsellor(available=True)
    first, second = h.seeker(), h.seeker()
    offer = alice.offer_in(first.effects)
    effects = alice.decline(offer.chat_id)
    assert_sent(effects, StaffStatus, conn=alice.conn, status="away")
    assert_not_sent(effects, OfferWithdrawn)  # the counsellor knows: they declined
    assert_not_sent(effects, Offered)
    assert [s.token for s in h.sb._queues["en"]] == [first.token, second.token]
    bob = h.counsellor(available=True)
    assert offered_seeker(h, bob.offer_in(bob.effects)) == first.token


def test_accept_opens_the_chat_for_both() -> None:
    h = Harness()
    alice = h.counsellor(available=True)
    s = h.seeker()
    offer = alice.offer_in(s.effects)
    assert offer.language == "en"
    effects = alice.accept(offer.chat_id)
    assert_sent(effects, ChatOpened, conn=alice.conn, chat_id=offer.chat_id, language="en")
    assert_sent(effects, ChatOpened, conn=s.conn, chat_id=offer.chat_id, language="en")
    assert h.sb.active_chat_count() == 1


def test_accepting_someone_elses_offer_is_refused() -> None:
    h = Harness()
    alice = h.counsellor(available=True)
    bob = h.counsellor(available=True)
    offer = alice.offer_in(h.seeker().effects)
    with pytest.raises(ProtocolError) as err:
        bob.accept(offer.chat_id)
    assert err.value.code == "unknown_chat"
    with pytest.raises(ProtocolError) as err:
        bob.decline(offer.chat_id)
    assert err.value.code == "unknown_chat"


def test_seeker_leaving_while_offered_withdraws_the_offer() -> None:
    h = Harness()
    alice = h.counsellor(available=True)
    s = h.seeker()
    offer = alice.offer_in(s.effects)
    effects = s.leave()
    assert_sent(
        effects, OfferWithdrawn, conn=alice.conn, chat_id=offer.chat_id, reason="seeker_left"
    )
    assert_not_sent(effects, StaffStatus)  # not the counsellor's fault: they stay available
    nxt = h.seeker()
    assert_sent(nxt.effects, Offered, conn=alice.conn)


def test_waited_s_counts_from_joining_even_after_a_declined_offer() -> None:
    """Regression: a declined offer restarted the wait shown to the next counsellor."""
    h = Harness()
    h.clock.advance(0)
    s = h.seeker()
    h.clock.advance(100)
    alice = h.counsellor(available=True)
    offer = alice.offer_in(alice.effects)
    assert offer.waited_s == 100
    h.clock.advance(10)
    alice.decline(offer.chat_id)
    h.clock.advance(5)
    bob = h.counsellor(available=True)
    assert bob.offer_in(bob.effects).waited_s == 115
    assert offered_seeker(h, bob.offer_in(bob.effects)) == s.token


# -- requeue (handed back) ---------------------------------------------------------


def test_requeue_excludes_that_counsellor_but_others_can_take_the_seeker() -> None:
    h = Harness()
    alice = h.counsellor(available=True)
    s = h.seeker()
    chat = alice.take(s.effects)
    other = h.seeker()
    effects = alice.requeue(chat)
    assert_sent(effects, ChatClosed, conn=alice.conn, chat_id=chat, reason="handed_back")
    assert_sent(effects, Requeued, conn=s.conn, reason="handed_back")
    assert_sent(effects, QueuePosition, conn=s.conn, position=1)
    # alice is free again, but is not offered the seeker she handed back: the next one.
    assert offered_seeker(h, alice.offer_in(effects)) == other.token
    assert [x.token for x in h.sb._queues["en"]] == [s.token]
    bob = h.counsellor(available=True)
    assert offered_seeker(h, bob.offer_in(bob.effects)) == s.token


def test_requeued_seeker_waits_rather_than_go_back_to_the_same_counsellor() -> None:
    h = Harness()
    alice = h.counsellor(available=True)
    s = h.seeker()
    effects = alice.requeue(alice.take(s.effects))
    assert_not_sent(effects, Offered)
    assert h.sb.waiting_count() == 1


def test_counsellor_end_closes_the_seeker_and_records_the_outcome() -> None:
    h = Harness()
    alice = h.counsellor(available=True)
    s = h.seeker()
    chat = alice.take(s.effects)
    effects = alice.end(chat, outcome="resolved")
    assert_sent(effects, ChatClosed, conn=alice.conn, chat_id=chat, reason="counsellor_ended")
    assert_sent(effects, ChatClosed, conn=s.conn, chat_id=chat, reason="counsellor_ended")
    assert_closed(effects, s.live_conn, 1000)
    record = assert_sent(effects, RecordChat)
    assert record.summary.end_reason == "counsellor_ended"
    assert record.summary.outcome == "resolved"
    assert not h.sb.is_seeker_conn(s.live_conn)
    with pytest.raises(ProtocolError) as err:
        alice.end(chat)
    assert err.value.code == "unknown_chat"


def test_seeker_leaving_a_chat_tells_the_counsellor() -> None:
    h = Harness()
    alice = h.counsellor(available=True)
    s = h.seeker()
    chat = alice.take(s.effects)
    effects = s.leave()
    assert_sent(effects, ChatClosed, conn=s.conn, chat_id=chat, reason="seeker_left")
    assert_sent(effects, ChatClosed, conn=alice.conn, chat_id=chat, reason="seeker_left")
    assert_closed(effects, s.live_conn, 1000)
    assert assert_sent(effects, RecordChat).summary.end_reason == "seeker_left"
