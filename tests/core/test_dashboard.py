"""The supervisors' dashboard in the core: the wait log, the snapshot, the series.

A manual clock, no event loop. Every expected figure is computed here from what
the test did, not read back from the code under test.
"""

from __future__ import annotations

import math
from fractions import Fraction

from helpline.core.dashboard import (
    SERIES_STEP_S,
    WINDOW_S,
    Series,
    Snapshot,
    StatusClock,
    WaitLog,
    nearest_rank,
    snapshot,
)
from helpline.core.effects import Offered

from .helpers import Harness, assert_sent

TARGET = 60.0


def snap(h: Harness, clock: StatusClock | None = None) -> Snapshot:
    return snapshot(h.sb, h.now, TARGET, clock or StatusClock())


def row(s: Snapshot, code: str) -> dict[str, object]:
    (figures,) = [f for f in s.languages if f.code == code]
    return {
        name: getattr(figures, name)
        for name in (
            "waiting",
            "longest_wait_s",
            "median_wait_s",
            "p90_wait_s",
            "answered",
            "abandoned",
            "service_level",
            "active",
            "available",
            "busy",
            "away",
        )
    }


def reference_percentile(waits: list[float], p: Fraction) -> int | None:
    if not waits:
        return None
    ordered = sorted(waits)
    return math.floor(ordered[math.ceil(p * len(ordered)) - 1])


def test_nothing_happened_yet() -> None:
    h = Harness(languages=("en", "de"))
    s = snap(h)
    assert [f.code for f in s.languages] == ["en", "de"]
    assert row(s, "en") == {
        "waiting": 0,
        "longest_wait_s": 0,
        "median_wait_s": None,
        "p90_wait_s": None,
        "answered": 0,
        "abandoned": 0,
        "service_level": None,
        "active": 0,
        "available": 0,
        "busy": 0,
        "away": 0,
    }
    assert (s.counsellors, s.help, s.at, s.target_s) == ((), (), int(h.now), TARGET)


def test_waits_percentiles_service_level_and_abandonment() -> None:
    h = Harness(languages=("en", "de"), wrap_up_s=0)
    alice = h.counsellor(("en",), capacity=1, username="alice")
    waits: list[float] = []
    # Seekers arrive 7.5 s apart; alice answers them one by one, ever later.
    for n in range(11):
        seeker = h.seeker("en")
        joined = h.now
        h.clock.advance(7.5 * n + 0.25)
        effects = alice.available()
        chat = alice.take(effects)
        waits.append(h.now - joined)
        alice.end(chat)
        alice.away()
        assert seeker.token
    # One leaves while waiting, one is lost for good while offered.
    h.seeker("en").leave()
    offered = h.seeker("en")
    alice.available()
    assert_sent(alice.effects, Offered)
    offered.drop()
    h.advance(h.settings.resume_grace_s)
    alice.away()
    waiter = h.seeker("en")
    h.clock.advance(12.9)
    s = snap(h)
    en = row(s, "en")
    assert waiter.token
    within = sum(1 for w in waits if w <= TARGET)
    assert en == {
        "waiting": 1,
        "longest_wait_s": 12,
        "median_wait_s": reference_percentile(waits, Fraction(1, 2)),
        "p90_wait_s": reference_percentile(waits, Fraction(9, 10)),
        "answered": 11,
        "abandoned": 2,
        "service_level": within / 13,
        "active": 0,
        "available": 0,
        "busy": 0,
        "away": 1,
    }
    assert row(s, "de")["answered"] == 0
    # An hour after the last of them, the hour's figures are empty again.
    h.clock.advance(WINDOW_S)
    later = row(snap(h), "en")
    assert (later["answered"], later["abandoned"], later["median_wait_s"]) == (0, 0, None)
    assert later["service_level"] is None
    assert later["longest_wait_s"] == math.floor(12.9 + WINDOW_S)
    assert h.sb.waits.answered_total == {"en": 11}
    assert h.sb.waits.abandoned_total == {"en": 2}


def test_the_window_is_half_open() -> None:
    log = WaitLog()
    log.answered("en", 1000.0, 5.0)
    log.abandoned("en", 1500.0)
    assert len(log.recent(1000.0 + WINDOW_S - 0.001)) == 2
    assert log.recent(1000.0 + WINDOW_S) == [(1500.0, "en", None)]
    assert log.recent(1500.0 + WINDOW_S) == []


def test_the_wait_log_is_bounded_oldest_first() -> None:
    log = WaitLog(max_entries=3)
    for n in range(5):
        log.answered("en", 100.0 + n, float(n))
    assert [wait for _, _, wait in log.recent(200.0)] == [2.0, 3.0, 4.0]
    assert log.answered_total == {"en": 5}  # totals are counters: never dropped


def test_nearest_rank_uses_exact_arithmetic() -> None:
    waits = [float(n) + 0.5 for n in range(30)]
    # ceil(0.9 · 30) − 1 = 26; in floating point 0.9 · 30 would give 27.
    assert nearest_rank(waits, 9, 10) == 26
    assert nearest_rank(waits, 1, 2) == 14
    assert nearest_rank([42.9], 9, 10) == 42
    assert nearest_rank([], 1, 2) is None
    for n in range(1, 60):
        values = [float(v) for v in range(n)]
        assert nearest_rank(values, 9, 10) == reference_percentile(values, Fraction(9, 10))
        assert nearest_rank(values, 1, 2) == reference_percentile(values, Fraction(1, 2))


def test_a_wait_goes_on_after_a_declined_offer() -> None:
    h = Harness()
    alice = h.counsellor(username="alice", available=True)
    bob = h.counsellor(username="bob")
    seeker = h.seeker()
    offer = alice.offer_in(seeker.effects)
    h.clock.advance(25)
    alice.decline(offer.chat_id)
    h.clock.advance(50)
    bob.take(bob.available())
    s = row(snap(h), "en")
    assert (s["answered"], s["median_wait_s"], s["service_level"]) == (1, 75, 0.0)


def test_a_colleague_transfer_is_not_a_wait_and_stays_active() -> None:
    h = Harness()
    alice = h.counsellor(username="alice", available=True)
    bob = h.counsellor(username="bob")  # away: a transfer may reach them all the same
    seeker = h.seeker()
    chat = alice.take(seeker.effects)
    h.clock.advance(30)
    h.sb.counsellor_transfer(alice.live_conn, chat, "bob", 1, "bye", h.now)
    en = row(snap(h), "en")
    assert (en["answered"], en["active"]) == (1, 1)  # TRANSFERRING counts as active
    h.clock.advance(30)
    bob.accept(chat)
    en = row(snap(h), "en")
    assert (en["answered"], en["active"], en["median_wait_s"]) == (1, 1, 0)


def test_counsellor_states_per_language_and_status_since() -> None:
    h = Harness(languages=("en", "de"), wrap_up_s=30, resume_grace_s=100)
    clock = StatusClock()
    free = h.counsellor(("en", "de"), capacity=2, username="free", available=True)
    h.counsellor(("en",), username="away")
    gone = h.counsellor(("en",), username="gone", available=True)
    t0 = int(h.now)

    def states() -> dict[str, tuple[str, int, int]]:
        return {c.username: (c.status, c.status_since, c.chats) for c in snap(h, clock).counsellors}

    assert states() == {
        "away": ("away", t0, 0),
        "free": ("available", t0, 0),
        "gone": ("available", t0, 0),
    }
    h.clock.advance(10)
    first = h.seeker("de")
    gone.drop()
    assert states() == {
        "away": ("away", t0, 0),
        "free": ("busy", t0 + 10, 0),  # an offer is pending
        "gone": ("offline", t0 + 10, 0),
    }
    h.clock.advance(5)
    chat = free.take(first.effects)
    full = h.counsellor(("de",), capacity=1, username="full", available=True)
    full.take(h.seeker("de").effects)  # fewer chats than free: offered first
    assert states() == {
        "away": ("away", t0, 0),
        "free": ("available", t0 + 15, 1),
        "full": ("busy", t0 + 15, 1),
        "gone": ("offline", t0 + 10, 0),
    }
    s = snap(h, clock)
    en, de = row(s, "en"), row(s, "de")
    assert (en["available"], en["busy"], en["away"], en["active"]) == (1, 0, 1, 0)
    assert (de["available"], de["busy"], de["away"], de["active"]) == (1, 1, 0, 2)
    # After a chat ends: busy during the wrap-up, available again after it.
    h.clock.advance(5)
    free.end(chat)
    assert states()["free"] == ("busy", t0 + 20, 0)
    h.advance(30)
    assert states()["free"] == ("available", t0 + 50, 0)
    # Not allowed to take chats (a revoked key): away.
    h.sb.counsellor_allowed(free.id, False, h.now)
    assert states()["free"] == ("away", t0 + 50, 0)
    # Forgotten after the grace period: gone from the list.
    h.advance(100)
    assert "gone" not in states()


def test_help_requests_oldest_first() -> None:
    h = Harness()
    anna = h.counsellor(username="anna")
    ben = h.counsellor(username="ben")
    h.sb.counsellor_help(ben.live_conn, True, h.now)
    h.clock.advance(3)
    h.sb.counsellor_help(anna.live_conn, True, h.now)
    assert snap(h).help == (("ben", int(h.now) - 3), ("anna", int(h.now)))


def test_series_one_point_a_minute_bounded() -> None:
    h = Harness(languages=("en", "de"))
    series = Series(max_points=3)
    base = h.now - h.now % SERIES_STEP_S
    h.seeker("de")
    first = series.note(snap(h))
    assert first is not None
    assert (first.at, dict(first.waiting)) == (base, {"en": 0, "de": 1})
    assert dict(first.active) == {"en": 0, "de": 0}
    h.seeker("de")
    assert series.note(snap(h)) is None  # the same minute: the first look counts
    h.clock.advance(SERIES_STEP_S)
    point = series.note(snap(h))
    assert point is not None
    assert (point.at, point.waiting["de"]) == (base + 60, 2)
    h.clock.advance(10 * SERIES_STEP_S)  # minutes nobody looked at have no point
    h.seeker("en")
    assert series.note(snap(h)) is not None
    h.clock.advance(SERIES_STEP_S)
    assert series.note(snap(h)) is not None
    assert [p.at - base for p in series.points()] == [60, 660, 720]
    assert len(series) == 3


def test_a_wait_of_exactly_the_target_is_within_it() -> None:
    h = Harness()
    alice = h.counsellor(username="alice")
    bob = h.counsellor(username="bob")
    h.seeker()
    h.clock.advance(TARGET)
    alice.take(alice.available())  # waited exactly the target
    h.seeker()
    h.clock.advance(TARGET + 0.001)
    bob.take(bob.available())  # a millisecond more
    en = row(snap(h), "en")
    assert (en["answered"], en["service_level"], en["median_wait_s"], en["p90_wait_s"]) == (
        2,
        0.5,
        60,
        60,
    )


def test_a_queue_added_while_running_has_figures_at_once() -> None:
    h = Harness(languages=("en",))
    h.sb.add_language("pt-BR")
    h.seeker("pt-BR")
    h.clock.advance(3.5)
    s = snap(h)
    assert [f.code for f in s.languages] == ["en", "pt-BR"]
    assert (row(s, "pt-BR")["waiting"], row(s, "pt-BR")["longest_wait_s"]) == (1, 3)
