"""Transfers, blocking, help requests, the wrap-up pause, queue figures (§2.2, §2.4, §4).

Sans-I/O with a manual clock: every story is a few calls on the switchboard.
"""

from __future__ import annotations

from helpline.core.effects import (
    ChatClosed,
    ChatOpened,
    Deliver,
    Delivered,
    Effect,
    HelpState,
    Offered,
    OfferWithdrawn,
    PeerPresence,
    QueueFigures,
    QueuePosition,
    RecordChat,
    Requeued,
    SeekerResumed,
    StaffStatus,
    StaffWelcome,
)
from helpline.core.figures import round_longest_wait
from helpline.core.lifecycle import ChatState

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


def chatting(h: Harness, language: str = "en") -> tuple[CounsellorHandle, SeekerHandle, str]:
    alice = h.counsellor((language,), available=True, username="alice")
    seeker = h.seeker(language)
    chat_id = alice.take(seeker.effects)
    return alice, seeker, chat_id


def transfer(
    h: Harness, who: CounsellorHandle, chat_id: str, to: str, seq: int, payload: str = "VA"
) -> list[Effect]:
    return who._do(h.sb.counsellor_transfer(who.live_conn, chat_id, to, seq, payload, h.now))


# -- to a colleague ----------------------------------------------------------------


def test_transfer_to_a_colleague_hands_over_the_chat_and_its_unread_envelopes() -> None:
    h = Harness(languages=("en",))
    alice, seeker, chat_id = chatting(h)
    bob = h.counsellor(("en",), username="bob")  # away: a colleague may still be asked
    alice.relay(chat_id, 1, "a1")
    seeker.ack(1)
    alice.relay(chat_id, 2, "a2")  # not acknowledged by the seeker yet
    seeker.relay(1, "s1")
    alice.ack(chat_id, 1)
    seeker.relay(2, "s2")  # alice never reads this one

    effects = transfer(h, alice, chat_id, "bob", 3, "TRANSFER")
    assert_sent(effects, ChatClosed, conn=alice.conn, chat_id=chat_id, reason="transferred")
    assert_sent(effects, Deliver, conn=seeker.conn, seq=3, payload="TRANSFER")
    assert_sent(effects, PeerPresence, conn=seeker.conn, connected=False)
    offer = assert_sent(effects, Offered, conn=bob.conn, chat_id=chat_id)
    assert offer.transfer_from == "alice"
    assert_not_sent(effects, RecordChat)  # the chat goes on: recorded once, when it ends
    assert h.sb._chats[chat_id].state is ChatState.TRANSFERRING

    # The seeker's new HELLO waits in the window; alice cannot touch the chat any more.
    assert seeker.relay(3, "hello2") == []
    assert seeker.ack(3) == []
    with refused("unknown_chat"):
        alice.relay(chat_id, 4)
    assert alice.ack(chat_id, 2) == []  # a late ack for a closed chat: harmless

    effects = bob.accept(chat_id)
    opened = assert_sent(effects, ChatOpened, conn=bob.conn, chat_id=chat_id)
    assert opened.accepted_seq == 3
    replays = [(e.seq, e.payload) for e in sent(effects, Deliver, conn=bob.conn)]
    assert replays == [(2, "s2"), (3, "hello2")]
    assert_sent(effects, Delivered, conn=bob.conn, chat_id=chat_id, seq=3)
    assert_sent(effects, PeerPresence, conn=seeker.conn, connected=True)
    assert_not_sent(effects, ChatOpened, conn=seeker.conn)  # the seeker never left the chat
    assert kinds(effects)[:4] == ["ChatOpened", "Deliver", "Deliver", "Delivered"]

    assert_sent(bob.relay(chat_id, 4, "b4"), Deliver, conn=seeker.conn, seq=4)
    assert_sent(bob.ack(chat_id, 3), Delivered, conn=seeker.conn, seq=3)
    assert_sent(seeker.relay(4, "s4"), Deliver, conn=bob.conn, seq=4)
    end = bob.end(chat_id)
    record = assert_sent(end, RecordChat)
    assert record.summary.end_reason == "counsellor_ended"


def test_a_refused_transfer_changes_nothing_not_even_the_envelope() -> None:
    h = Harness(languages=("en", "de"))
    alice, _seeker, chat_id = chatting(h)
    h.counsellor(("de",), username="german")
    busy = h.counsellor(("en",), username="busy", available=True)
    busy.take(h.seeker("en").effects)  # capacity 1, full
    offline = h.counsellor(("en",), username="offline")
    offline.drop()
    barred = h.counsellor(("en",), username="barred")
    h.sb.counsellor_allowed(barred.id, False, h.now)
    h.counsellor(("en",), username="bob")
    for to in ("alice", "nobody", "german", "busy", "offline", "barred"):
        with refused("not_allowed"):
            transfer(h, alice, chat_id, to, 1)
    with refused("bad_seq"):
        transfer(h, alice, chat_id, "bob", 2)
    alice.relay(chat_id, 1)
    with refused("bad_seq"):  # a duplicate is no transfer
        transfer(h, alice, chat_id, "bob", 1)
    chat = h.sb._chats[chat_id]
    assert chat.state is ChatState.ACTIVE
    assert chat.counsellor.account.username == "alice"
    assert chat.to_seeker.accepted == 1
    # A full window refuses the transfer too.
    small = Harness(languages=("en",), window_frames=1)
    a2, _s2, c2 = chatting(small)
    small.counsellor(("en",), username="bob")
    a2.relay(c2, 1)
    with refused("window_full"):
        transfer(small, a2, c2, "bob", 2)
    assert small.sb._chats[c2].to_seeker.accepted == 1


def test_a_declined_transfer_requeues_the_seeker_at_the_front() -> None:
    h = Harness(languages=("en",))
    alice, seeker, chat_id = chatting(h)
    h.seeker("en")  # someone else waits: the seeker goes back before them
    carol = h.counsellor(("en",), username="carol")
    transfer(h, alice, chat_id, "carol", 1)
    effects = carol.decline(chat_id)
    assert_sent(effects, Requeued, conn=seeker.conn, reason="transfer_failed")
    assert_sent(effects, QueuePosition, conn=seeker.conn, position=1)
    assert_not_sent(effects, StaffStatus, conn=carol.conn)  # a decline is an answer
    assert_not_sent(effects, OfferWithdrawn)
    record = assert_sent(effects, RecordChat)
    assert record.summary.end_reason == "transfer_failed"
    assert chat_id not in h.sb._chats
    assert next(iter(h.sb._queues["en"])).token == seeker.token


def test_a_transfer_that_times_out_or_loses_the_colleague_fails() -> None:
    h = Harness(languages=("en",), offer_timeout_s=30)
    alice, seeker, chat_id = chatting(h)
    bob = h.counsellor(("en",), username="bob")
    h.advance(20)  # the chat's first offer timer (due at 30) must not touch the transfer
    transfer(h, alice, chat_id, "bob", 1)
    assert_not_sent(h.advance(15), OfferWithdrawn)
    assert h.sb._chats[chat_id].state is ChatState.TRANSFERRING
    effects = h.advance(15)
    assert_sent(effects, OfferWithdrawn, conn=bob.conn, chat_id=chat_id, reason="timeout")
    assert_sent(effects, StaffStatus, conn=bob.conn, status="away")
    assert_sent(effects, Requeued, conn=seeker.conn, reason="transfer_failed")

    h2 = Harness(languages=("en",))
    a2, s2, c2 = chatting(h2)
    b2 = h2.counsellor(("en",), username="bob")
    transfer(h2, a2, c2, "bob", 1)
    s2.drop()
    effects = b2.drop()
    assert_not_sent(effects, Requeued)  # the seeker is offline: told on resume
    effects = s2.resume()
    assert_sent(effects, SeekerResumed, state="waiting")
    assert_sent(effects, Requeued, reason="transfer_failed")


def test_the_seeker_leaving_during_a_transfer_withdraws_the_offer() -> None:
    h = Harness(languages=("en",))
    alice, seeker, chat_id = chatting(h)
    bob = h.counsellor(("en",), username="bob")
    transfer(h, alice, chat_id, "bob", 1)
    effects = seeker.leave()
    assert_sent(effects, OfferWithdrawn, conn=bob.conn, reason="seeker_left")
    assert_sent(effects, ChatClosed, conn=seeker.conn, reason="seeker_left")
    assert assert_sent(effects, RecordChat).summary.end_reason == "seeker_left"
    assert h.sb._counsellors[bob.id].offer is None
    assert not h.sb._seekers


def test_a_seeker_resuming_during_a_transfer_hears_the_counsellor_is_away() -> None:
    h = Harness(languages=("en",))
    alice, seeker, chat_id = chatting(h)
    bob = h.counsellor(("en",), username="bob")
    seeker.drop()
    transfer(h, alice, chat_id, "bob", 1, "T")
    effects = seeker.resume()
    assert_sent(effects, SeekerResumed, state="chatting", chat_id=chat_id)
    assert_sent(effects, Deliver, conn=seeker.conn, seq=1, payload="T")
    assert_sent(effects, PeerPresence, conn=seeker.conn, connected=False)
    assert_not_sent(effects, PeerPresence, conn=bob.conn)


# -- to another language ------------------------------------------------------------


def test_transfer_to_another_language_queue() -> None:
    h = Harness(languages=("en", "de"))
    alice, seeker, chat_id = chatting(h)
    h.seeker("de")  # already waiting in German: the transferred seeker goes before them
    with refused("not_allowed"):
        h.sb.counsellor_transfer_language(alice.live_conn, chat_id, "en", h.now)
    with refused("not_allowed"):
        h.sb.counsellor_transfer_language(alice.live_conn, chat_id, "xx", h.now)
    effects = h.sb.counsellor_transfer_language(alice.live_conn, chat_id, "de", h.now)
    assert_sent(effects, ChatClosed, conn=alice.conn, chat_id=chat_id, reason="transferred")
    assert_sent(effects, Requeued, conn=seeker.conn, reason="transferred")
    assert_sent(effects, QueuePosition, conn=seeker.conn, language="de", position=1)
    assert assert_sent(effects, RecordChat).summary.end_reason == "transferred"
    hans = h.counsellor(("de",), available=True)
    offer = hans.offer_in(hans.effects)
    assert h.sb._chats[offer.chat_id].seeker.token == seeker.token


# -- blocking -------------------------------------------------------------------------


def test_block_ends_the_chat_closes_the_seeker_and_forgets_the_token() -> None:
    h = Harness(languages=("en",))
    alice, seeker, chat_id = chatting(h)
    alice.relay(chat_id, 1)  # unacknowledged: dropped, not kept for a resume
    effects = alice._do(h.sb.counsellor_block(alice.live_conn, chat_id, h.now))
    assert_sent(effects, ChatClosed, conn=alice.conn, reason="blocked")
    closed = assert_sent(effects, ChatClosed, conn=seeker.conn, reason="counsellor_ended")
    assert closed.feedback is False
    assert_closed(effects, seeker.live_conn, 1000)
    summary = assert_sent(effects, RecordChat).summary
    assert (summary.end_reason, summary.outcome) == ("blocked", "blocked")
    with refused("bad_token"):
        seeker.resume()


def test_block_forgets_an_offline_seeker_at_once() -> None:
    h = Harness(languages=("en",))
    alice, seeker, chat_id = chatting(h)
    seeker.drop()
    effects = h.sb.counsellor_block(alice.live_conn, chat_id, h.now)
    assert_sent(effects, ChatClosed, conn=alice.conn, reason="blocked")
    assert not h.sb._seekers
    with refused("bad_token"):
        seeker.resume()


# -- help requests --------------------------------------------------------------------


def test_help_requests_one_per_counsellor_acknowledged_by_a_supervisor() -> None:
    h = Harness(languages=("en",))
    alice = h.counsellor(("en",), username="alice")
    bob = h.counsellor(("en",), username="bob")
    start = int(h.now)
    assert h.sb.counsellor_help(alice.live_conn, True, h.now) == [
        HelpState(alice.live_conn, True, start)
    ]
    h.clock.advance(5)
    again = h.sb.counsellor_help(alice.live_conn, True, h.now)  # still the one request
    assert again == [HelpState(alice.live_conn, True, start)]
    h.sb.counsellor_help(bob.live_conn, True, h.now)
    assert h.sb.help_requests() == [("alice", start), ("bob", start + 5)]
    assert h.sb.acknowledge_help("alice") == [
        HelpState(alice.live_conn, False, None, acknowledged=True)
    ]
    assert h.sb.acknowledge_help("alice") is None  # none open
    assert h.sb.acknowledge_help("nobody") is None
    assert h.sb.counsellor_help(bob.live_conn, False, h.now) == [
        HelpState(bob.live_conn, False, None)
    ]
    assert h.sb.help_requests() == []


def test_an_open_help_request_is_told_again_on_reconnect_and_dropped_with_the_counsellor() -> None:
    h = Harness(languages=("en",), resume_grace_s=10)
    alice = h.counsellor(("en",), username="alice")
    h.sb.counsellor_help(alice.live_conn, True, h.now)
    alice.drop()
    effects = alice.connect()
    assert_sent(effects, HelpState, conn=alice.conn, on=True)
    alice.drop()
    h.advance(11)
    assert h.sb.help_requests() == []


# -- wrap-up ---------------------------------------------------------------------------


def test_wrap_up_pause_after_a_chat_and_available_ends_it_early() -> None:
    h = Harness(languages=("en",), wrap_up_s=60)
    alice, _seeker, chat_id = chatting(h)
    h.seeker("en")
    h.seeker("en")
    effects = alice.end(chat_id)
    status = assert_sent(effects, StaffStatus, conn=alice.conn)
    assert status.wrap_up_s == 60
    assert_not_sent(effects, Offered)
    assert_not_sent(h.advance(30), Offered)
    assert assert_sent(alice.connect(), StaffWelcome).wrap_up_s == 30  # reconnect: time left
    effects = h.advance(30)
    assert assert_sent(effects, StaffStatus, conn=alice.conn).wrap_up_s == 0
    second = alice.take(effects)
    effects = alice.end(second)
    assert_not_sent(effects, Offered)
    effects = alice.available()  # "I'm ready"
    assert assert_sent(effects, StaffStatus, conn=alice.conn).wrap_up_s == 0
    alice.offer_in(effects)


def test_a_transfer_reaches_a_colleague_in_wrap_up() -> None:
    h = Harness(languages=("en",), wrap_up_s=60)
    bob = h.counsellor(("en",), username="bob", available=True)
    bob.end(bob.take(h.seeker("en").effects))
    alice, _seeker, chat_id = chatting(h)
    effects = transfer(h, alice, chat_id, "bob", 1)
    assert assert_sent(effects, Offered, conn=bob.conn).transfer_from == "alice"
    assert_sent(effects, StaffStatus, conn=alice.conn)  # alice's own wrap-up starts
    assert h.sb._counsellors[alice.id].wrap_up_until == h.now + 60


# -- queue figures ---------------------------------------------------------------------


def test_round_longest_wait() -> None:
    assert [round_longest_wait(s) for s in (0, 4.9, 5, 59, 60, 89, 90, 599, 600, 659, 3601)] == [
        0,
        0,
        5,
        55,
        60,
        60,
        90,
        570,
        600,
        600,
        3600,
    ]


def test_queue_figures_on_connect_then_when_changed_at_most_once_per_interval() -> None:
    h = Harness(languages=("en", "de", "fr"), position_interval_s=2)
    h.seeker("en")
    alice = h.counsellor(("en", "de"))
    figures = assert_sent(alice.effects, QueueFigures, conn=alice.conn)
    assert [(f.language, f.waiting, f.longest_wait_s) for f in figures.languages] == [
        ("en", 1, 0),
        ("de", 0, 0),
    ]
    h.seeker("fr")  # not alice's language: nothing for her
    assert_not_sent(h.advance(2), QueueFigures)
    h.seeker("de")
    assert_not_sent(h.advance(0.25), QueueFigures, conn=alice.conn)  # within the interval
    effects = h.advance(2)
    figures = assert_sent(effects, QueueFigures, conn=alice.conn)
    assert [(f.language, f.waiting) for f in figures.languages] == [("en", 1), ("de", 1)]
    assert [f.longest_wait_s for f in figures.languages] == [0, 0]
    figures = assert_sent(h.advance(2), QueueFigures, conn=alice.conn)
    assert [f.longest_wait_s for f in figures.languages] == [5, 0]  # 6.25 s waited


def test_no_queue_figures_while_nothing_changes() -> None:
    h = Harness(languages=("en",), position_interval_s=2)
    alice = h.counsellor(("en",))
    assert_sent(alice.effects, QueueFigures, conn=alice.conn)
    for _ in range(5):
        assert_not_sent(h.advance(2), QueueFigures)


def test_longest_wait_counts_seekers_handed_back_to_the_front() -> None:
    h = Harness(languages=("en",))
    alice, seeker, chat_id = chatting(h)
    h.clock.advance(100)
    newcomer = h.seeker("en")
    h.clock.advance(100)
    alice.away()
    alice.requeue(chat_id)  # the handed-back seeker's wait starts again, at the front
    queue = h.sb._queues["en"]
    assert [s.token for s in queue] == [seeker.token, newcomer.token]
    assert queue.longest_wait_s(h.now) == 100


def test_a_counsellor_taken_off_duty_hands_everything_back_at_once() -> None:
    """Disabled: the pending offer and the open chat go back to the front of the queue
    now, not after a grace period for someone who cannot come back."""
    h = Harness(languages=("en",), max_capacity=2)
    gone = h.counsellor(("en",), username="gone", available=True, capacity=2)
    first = h.seeker("en")
    chat_id = gone.take(first.effects)
    second = h.seeker("en")
    gone.offer_in(second.effects)
    h.sb.counsellor_help(gone.live_conn, True, h.now)
    effects = h.sb.counsellor_removed(gone.id, h.now)
    assert gone.id not in h.sb.counsellor_ids()
    assert h.sb.help_requests() == []
    assert h.sb.waiting_by_language() == {"en": 2}
    reasons = [e.summary.end_reason for e in effects if isinstance(e, RecordChat)]
    assert reasons == ["counsellor_lost"]
    assert chat_id not in h.sb._chats
    # A colleague gets the seeker whose chat ended first: they were at the front.
    colleague = h.counsellor(("en",), username="colleague", available=True)
    offer = colleague.offer_in(colleague.effects)
    assert h.sb._chats[offer.chat_id].seeker.token == first.token
    assert h.sb.counsellor_removed(gone.id, h.now) == []  # once only


def test_a_stopping_server_records_what_it_cuts_short() -> None:
    """Every waiting or offered seeker and every open chat gets a statistics row, so
    that a restart leaves no request uncounted."""
    h = Harness(languages=("en",))
    alice = h.counsellor(("en",), username="alice", available=True)
    chatting_seeker = h.seeker("en")
    alice.take(chatting_seeker.effects)
    bob = h.counsellor(("en",), username="bob", available=True)
    offered = h.seeker("en")
    bob.offer_in(offered.effects)
    h.seeker("en")  # waiting
    left = h.seeker("en")
    left.leave()  # already recorded: not again
    rows = [e.summary for e in h.sb.shutdown(h.now) if isinstance(e, RecordChat)]
    assert sorted((r.end_reason, r.answered_minute is not None) for r in rows) == [
        ("server_stopped", False),
        ("server_stopped", False),
        ("server_stopped", True),
    ]
