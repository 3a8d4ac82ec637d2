"""Queue positions, wait estimates and the fallback language (docs/protocol.md §4)."""

from __future__ import annotations

from helpline.core.effects import Offered, QueuePosition

from .helpers import Harness, assert_not_sent, assert_sent, sent


def positions(effects: list) -> dict[int, int]:  # type: ignore[type-arg]
    return {e.conn: e.position for e in sent(effects, QueuePosition)}


def test_positions_are_sent_on_change_at_most_once_per_interval() -> None:
    h = Harness(position_interval_s=2)
    a, b, c = h.seeker(), h.seeker(), h.seeker()
    alice = h.counsellor(available=True)
    alice.accept(alice.offer_in(alice.effects).chat_id)  # a is served; b and c move up
    # b and c were told their places when they joined, just now: not yet.
    assert sent(h.tick(), QueuePosition) == []
    assert sent(h.advance(1.9), QueuePosition) == []
    effects = h.advance(0.1)
    assert positions(effects) == {b.conn: 1, c.conn: 2}
    assert a.conn not in positions(effects)
    # Nothing changed since: nothing is sent, however long we wait.
    assert sent(h.advance(10), QueuePosition) == []
    # c leaves... b is unaffected (ahead of c): still nothing.
    c.leave()
    assert sent(h.advance(10), QueuePosition) == []


def test_a_second_change_within_the_interval_waits_for_the_next_pass() -> None:
    h = Harness(position_interval_s=2)
    a, b, c = h.seeker(), h.seeker(), h.seeker()
    h.advance(5)
    a.leave()
    assert positions(h.advance(0)) == {b.conn: 1, c.conn: 2}
    b.leave()
    assert positions(h.advance(1)) == {}
    assert positions(h.advance(1)) == {c.conn: 1}


def test_disconnected_seekers_get_no_positions_but_learn_theirs_on_resume() -> None:
    h = Harness(position_interval_s=2)
    a, b = h.seeker(), h.seeker()
    b.drop()
    h.advance(5)
    a.leave()
    assert positions(h.advance(5)) == {}
    assert_sent(b.resume(), QueuePosition, conn=b.conn, position=1)


def test_position_pass_is_linear_in_the_number_waiting() -> None:
    h = Harness(position_interval_s=2, max_waiting=10_000, positions_per_tick=10_000)
    waiting = [h.seeker() for _ in range(2_000)]
    h.advance(3)
    counsellors = [h.counsellor(available=True) for _ in range(100)]
    matched = 0
    for c in counsellors:
        c.accept(c.offer_in(c.effects).chat_id)
        matched += 1
        # Each match is inside the same interval: no position effects outside tick().
        assert_not_sent(c.effects, QueuePosition)
    effects = h.tick()
    updates = sent(effects, QueuePosition)
    assert len(updates) <= h.sb.waiting_count() == 1_900
    assert len({u.conn for u in updates}) == len(updates)
    assert positions(effects)[waiting[matched].live_conn] == 1
    assert positions(effects)[waiting[-1].live_conn] == 1_900
    # And the second pass in the interval costs nothing.
    assert sent(h.advance(1), QueuePosition) == []


def test_a_long_pass_is_spread_over_ticks_by_the_budget() -> None:
    """At most positions_per_tick updates a tick: the rest of the pass goes on at the
    next ticks, front first, nobody told twice, then the interval rules again."""
    h = Harness(position_interval_s=2, max_waiting=10_000, positions_per_tick=500)
    waiting = [h.seeker() for _ in range(1_201)]
    h.advance(3)
    waiting[0].leave()  # everyone behind moves up one
    told: dict[int, int] = {}
    for expected in (500, 500, 200):
        batch = positions(h.advance(0.1))
        assert len(batch) == expected
        assert not told.keys() & batch.keys()
        assert min(batch.values()) == len(told) + 1  # front first, where the last stopped
        told |= batch
    assert told == {s.live_conn: n for n, s in enumerate(waiting[1:], 1)}
    assert positions(h.advance(0.1)) == {}  # done: nothing more until something changes
    waiting[1].leave()
    assert positions(h.advance(0.5)) == {}  # the interval since the pass began
    assert len(positions(h.advance(1.5))) == 500


def test_withdrawn_offer_does_not_resend_an_unchanged_position() -> None:
    """Regression: a declined offer re-sent position 1 to a seeker already told 1."""
    h = Harness(position_interval_s=2)
    s = h.seeker()
    h.advance(10)
    alice = h.counsellor(available=True)
    effects = alice.decline(alice.offer_in(alice.effects).chat_id)
    assert_not_sent(effects, QueuePosition)
    assert sent(h.advance(10), QueuePosition) == []
    assert s.effects  # still there
    assert [x.token for x in h.sb._queues["en"]] == [s.token]


def test_withdrawn_offer_sends_a_changed_position_on_the_next_pass() -> None:
    h = Harness(position_interval_s=2)
    first = h.seeker()
    second = h.seeker()  # told position 2
    alice = h.counsellor(available=True)
    chat = alice.take(alice.effects)
    # first is handed back, so alice skips them and is offered second.
    effects = alice.requeue(chat)
    offer = alice.offer_in(effects)
    assert h.sb._chats[offer.chat_id].seeker.token == second.token
    first.leave()
    h.clock.advance(5)
    effects = alice.decline(offer.chat_id)
    # second was last told 2; now 1, and is told on the next pass (tick), like any change.
    assert_not_sent(effects, QueuePosition)
    assert positions(h.advance(0)) == {second.conn: 1}
    assert positions(h.advance(5)) == {}


def test_estimated_wait_is_none_until_two_matches_then_a_positive_integer() -> None:
    h = Harness(position_interval_s=2)
    assert_sent(h.seeker().effects, QueuePosition, estimated_wait_s=None)
    alice = h.counsellor(capacity=3, available=True)
    alice.accept(alice.offer_in(alice.effects).chat_id)
    s = h.seeker()
    assert_sent(s.effects, QueuePosition, estimated_wait_s=None)  # only one served
    h.clock.advance(60)
    alice.accept(alice.offer_in(s.effects).chat_id)
    # Two served, 60 s apart: one per minute.
    late = h.seeker()
    first_waiting = h.seeker()
    assert_sent(late.effects, Offered, conn=alice.conn)
    estimate = assert_sent(first_waiting.effects, QueuePosition).estimated_wait_s
    assert estimate == 60
    assert isinstance(estimate, int)
    second_waiting = h.seeker()
    assert assert_sent(second_waiting.effects, QueuePosition).estimated_wait_s == 120


def test_estimate_forgets_matches_older_than_an_hour() -> None:
    h = Harness()
    alice = h.counsellor(capacity=3, available=True)
    for _ in range(2):
        alice.accept(alice.offer_in(h.seeker().effects).chat_id)
        h.clock.advance(30)
    h.clock.advance(3_600)
    for chat in list(h.sb._counsellors[alice.id].chats):
        alice.end(chat)
    alice.away()
    assert assert_sent(h.seeker().effects, QueuePosition).estimated_wait_s is None


# -- fallback language -----------------------------------------------------------------


def test_fallback_language_applies_only_after_the_delay() -> None:
    h = Harness(languages=("en", "de"), fallback_after_s=300)
    de = h.seeker("de", fallback="en")
    alice = h.counsellor(("en",), available=True)
    assert_not_sent(alice.effects, Offered)
    assert sent(h.advance(299), Offered) == []
    effects = h.advance(1)
    offer = alice.offer_in(effects)
    assert offer.language == "en"  # the chat is in the language of the counsellor's queue
    assert offer.waited_s == 300
    assert h.sb._chats[offer.chat_id].seeker.token == de.token


def test_fallback_seekers_keep_their_ticket_order_against_the_fallback_queue() -> None:
    h = Harness(languages=("en", "de"), fallback_after_s=300)
    en_early = h.seeker("en")
    h.clock.advance(10)
    de = h.seeker("de", fallback="en")
    h.clock.advance(10)
    en_late = h.seeker("en")
    h.advance(300)  # de's fallback is active now
    alice = h.counsellor(("en",), capacity=3, available=True)
    order = []
    effects = alice.effects
    for _ in range(3):
        offer = alice.offer_in(effects)
        order.append(h.sb._chats[offer.chat_id].seeker.token)
        effects = alice.accept(offer.chat_id)
    assert order == [en_early.token, de.token, en_late.token]


def test_fallback_same_as_language_is_ignored() -> None:
    h = Harness(languages=("en",), fallback_after_s=1)
    s = h.seeker("en", fallback="en")
    assert h.sb._seekers[s.token].fallback is None
    h.advance(5)
    alice = h.counsellor(available=True)
    assert alice.offer_in(alice.effects).language == "en"


def test_fallback_seeker_served_in_primary_language_first_if_possible() -> None:
    h = Harness(languages=("en", "de"), fallback_after_s=10)
    de = h.seeker("de", fallback="en")
    h.advance(20)
    both = h.counsellor(("en", "de"), available=True)
    offer = both.offer_in(both.effects)
    assert h.sb._chats[offer.chat_id].seeker.token == de.token
    # Offered through either queue is fine, but exactly once.
    assert len(sent(both.effects, Offered)) == 1
