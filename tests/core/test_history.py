"""Hourly counts, periods in a time zone, and small-count suppression (no event loop)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from helpline.core.history import (
    END_REASONS,
    FEEDBACK_LAYOUT,
    HourlyCount,
    Layout,
    Table,
    build_table,
    chat_layout,
    days,
    fold,
    group,
    hour_of,
    hours_to_read,
    local_day,
    period_days,
    suppress,
    wait_bucket,
)
from helpline.core.stats import ChatSummary

HOUR = 1_764_158_400  # 2025-11-26 12:00 UTC, a multiple of 3600
LAYOUT = chat_layout(["referred", "other"], ["seeker_left", "counsellor_ended"], 60)


def chat(
    queued: int = HOUR,
    wait: int | None = 10,
    end: str = "counsellor_ended",
    outcome: str | None = None,
    language: str = "en",
) -> ChatSummary:
    answered = None if wait is None else queued + wait // 60 * 60
    return ChatSummary(language, queued, answered, queued + 600, wait, end, outcome)


def test_fold_counts_every_metric_in_the_hour_the_chat_was_queued() -> None:
    summaries = [
        chat(wait=0, outcome="referred"),
        chat(wait=60, outcome=None),  # within the 60 s target: the edge counts
        chat(wait=65, outcome="other"),
        chat(wait=None, end="seeker_left"),
        chat(wait=None, end="seeker_gone"),
        chat(wait=None, end="counsellor_lost"),  # unanswered, but not given up: not abandoned
        chat(queued=HOUR + 3540, wait=1205),  # 12:59: still the 12:00 hour
        chat(queued=HOUR + 3600, language="de", wait=None, end="seeker_left"),
    ]
    counts = fold(summaries, target_s=60)
    en = {(m, b): n for (h, lang, m, b), n in counts.items() if (h, lang) == (HOUR, "en")}
    assert en == {
        ("requests", ""): 7,
        ("answered", ""): 4,
        ("within_target", ""): 2,
        ("abandoned", ""): 2,
        ("wait", "0-30"): 1,
        ("wait", "30-60"): 1,
        ("wait", "60-120"): 1,
        ("wait", "1200+"): 1,
        ("outcome", "referred"): 1,
        ("outcome", "other"): 1,
        ("end", "counsellor_ended"): 4,
        ("end", "seeker_left"): 1,
        ("end", "seeker_gone"): 1,
        ("end", "counsellor_lost"): 1,
    }
    assert counts[(HOUR + 3600, "de", "abandoned", "")] == 1
    assert {h for h, *_ in counts} == {HOUR, HOUR + 3600}


def test_wait_buckets_include_their_upper_edge() -> None:
    cases = {0: "0-30", 30: "0-30", 35: "30-60", 60: "30-60", 120: "60-120", 300: "120-300"}
    cases |= {600: "300-600", 1200: "600-1200", 1205: "1200+"}
    assert {w: wait_bucket(w) for w in cases} == cases
    assert hour_of(HOUR + 3599) == HOUR


def test_periods_are_iso_weeks_and_calendar_months() -> None:
    assert period_days("day", date(2026, 3, 1)) == (date(2026, 3, 1), date(2026, 3, 1))
    # 2026-01-01 is a Thursday: its ISO week began on Monday 2025-12-29.
    assert period_days("week", date(2026, 1, 1)) == (date(2025, 12, 29), date(2026, 1, 4))
    assert period_days("week", date(2026, 1, 4)) == (date(2025, 12, 29), date(2026, 1, 4))
    assert period_days("month", date(2028, 2, 15)) == (date(2028, 2, 1), date(2028, 2, 29))
    assert period_days("month", date(2026, 12, 31)) == (date(2026, 12, 1), date(2026, 12, 31))
    assert len(days(*period_days("month", date(2026, 2, 3)))) == 28


def test_hours_belong_to_the_local_day_of_their_start() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # 2026-10-25: summer time ends in Berlin, the day has 25 hours.
    since, until = hours_to_read(date(2026, 10, 25), date(2026, 10, 25))
    day = [h for h in range(since, until, 3600) if local_day(h, berlin) == date(2026, 10, 25)]
    assert len(day) == 25
    assert datetime.fromtimestamp(day[0], UTC) == datetime(2026, 10, 24, 22, tzinfo=UTC)
    spring = date(2026, 3, 29)
    since, until = hours_to_read(spring, spring)
    assert sum(local_day(h, berlin) == spring for h in range(since, until, 3600)) == 23
    # Kolkata is UTC+5:30: 18:00 UTC starts at 23:30 the same day, 19:00 UTC on the next.
    kolkata = ZoneInfo("Asia/Kolkata")
    evening = int(datetime(2026, 5, 4, 18, tzinfo=UTC).timestamp())
    assert local_day(evening, kolkata) == date(2026, 5, 4)
    assert local_day(evening + 3600, kolkata) == date(2026, 5, 5)
    # Far east and far west: the hours to read hold the whole local day.
    for zone in (ZoneInfo("Pacific/Kiritimati"), ZoneInfo("Pacific/Pago_Pago")):
        since, until = hours_to_read(spring, spring)
        assert sum(local_day(h, zone) == spring for h in range(since, until, 3600)) == 24


def test_small_counts_are_hidden_and_a_lone_one_gets_a_complement() -> None:
    # total 20 = 3 + 9 + 8: hiding the 3 alone would let 20 - 9 - 8 give it back.
    values = {"t": 20, "a": 3, "b": 9, "c": 8}
    assert suppress(values, [("t", ["a", "b", "c"])], 5) == {"a", "c"}  # the smallest shown
    # Two small ones protect each other when each could still be 5: 16 - 10 = 6 = a + b
    # leaves each of them from 1 to 5.
    values = {"t": 16, "a": 3, "b": 3, "c": 10}
    assert suppress(values, [("t", ["a", "b", "c"])], 5) == {"a", "b"}
    # 3 + 2 = 5 is not enough: each would be at most 4, so a reader knows both are small.
    values = {"t": 16, "a": 3, "b": 2, "c": 11}
    assert suppress(values, [("t", ["a", "b", "c"])], 5) == {"a", "b", "c"}
    # Two small ones adding up to less than 5 (1 + 1: both would be known) need a third.
    values = {"t": 12, "a": 1, "b": 1, "c": 10}
    assert suppress(values, [("t", ["a", "b", "c"])], 5) == {"a", "b", "c"}
    # With no shown cell left to hide, the total goes.
    values = {"t": 7, "a": 7, "b": 0}
    assert suppress(values, [("t", ["a", "b"]), ("u", ["a"])], 5) == set()
    values = {"t": 3, "a": 3}
    assert suppress(values, [("t", ["a"])], 5) == {"a", "t"}
    values = {"t": 9, "a": 9, "u": 12, "b": 3}
    # a is hidden to protect b in u; then t (= a alone) must go too.
    assert suppress(values, [("u", ["a", "b"]), ("t", ["a"])], 5) == {"a", "b", "t"}


def test_a_complement_is_chosen_where_it_breaks_no_other_line() -> None:
    """c (7) is smaller, but hiding it would leave it alone in w; b (8) shares u with
    the hidden d, so it protects both lines at once."""
    values = {"t": 18, "a": 3, "b": 8, "c": 7, "u": 30, "d": 2, "e": 20, "w": 37, "f": 30}
    lines = [("t", ["a", "b", "c"]), ("u", ["b", "d", "e"]), ("w", ["c", "f"])]
    assert suppress(values, lines, 5) == {"a", "b", "d"}


def test_a_complement_is_carried_across_lines() -> None:
    """A complement hidden in one line may break another line: both are fixed."""
    rows = {
        (0, "en"): {("requests", ""): 3},
        (1, "en"): {("requests", ""): 10},
        (0, "de"): {("requests", ""): 12},
        (1, "de"): {("requests", ""): 20},
    }
    table = build_table(rows, [0, 1], ["en", "de"], LAYOUT, 5)
    req = ("requests", "")
    assert table.get(0, "en", req) is None
    assert table.get(1, "en", req) is None  # the complement in en's line
    assert table.get(0, "de", req) is None  # the complement in time 0's line
    assert table.get(1, "de", req) is None  # and in de's and time 1's
    assert table.get(None, None, req) == 45
    assert table.get(None, "en", req) == 13
    assert_every_line_safe(table_lines(table), table.values, table.hidden, 5)


def test_row_lines_protect_a_small_bucket_inside_a_row() -> None:
    counts = {("requests", ""): 30, ("answered", ""): 26, ("abandoned", ""): 4}
    counts |= {("within_target", ""): 20, ("wait", "0-30"): 13, ("wait", "30-60"): 7}
    counts |= {("wait", "60-120"): 6, ("end", "seeker_left"): 4, ("end", "counsellor_ended"): 26}
    counts |= {("outcome", "referred"): 26}
    table = build_table({(0, "en"): counts}, [0], ["en"], LAYOUT, 5)
    # abandoned (4) in requests = answered + abandoned: answered goes with it, and then
    # in answered = within_target + waits over 60, and so on.
    assert table.get(0, "en", ("abandoned", "")) is None
    assert table.get(0, "en", ("answered", "")) is None
    assert table.get(0, "en", ("end", "seeker_left")) is None
    assert table.get(0, "en", ("requests", "")) == 30
    assert table.service_level(0, "en") is None
    assert_every_line_safe(table_lines(table), table.values, table.hidden, 5)


def test_random_tables_never_leave_a_line_that_gives_a_hidden_count_back() -> None:
    rng = random.Random(7)
    for _ in range(60):
        times = list(range(rng.randint(1, 24)))
        languages = ["en", "de", "fr"][: rng.randint(1, 3)]
        rows = {}
        for t in times:
            for lang in languages:
                if rng.random() < 0.3:
                    continue
                rows[(t, lang)] = random_counts(rng)
        min_count = rng.choice([2, 5, 10])
        table = build_table(rows, times, languages, LAYOUT, min_count)
        for cell, v in table.values.items():
            if 0 < v < min_count:
                assert cell in table.hidden
        assert_every_line_safe(table_lines(table), table.values, table.hidden, min_count)
        assert_no_hidden_count_worked_out(table, min_count, 60)


def test_random_chats_leave_no_hidden_count_an_attacker_can_work_out() -> None:
    """Tables folded from random chats (every metric, every end reason), attacked by
    bound propagation over everything the answer says: no hidden count is pinned to
    one value, and none is bounded below min_count."""
    rng = random.Random(11)
    outcomes = ["a", "b"]
    for trial in range(150):
        times = list(range(rng.choice([1, 1, 2, 3, 7, 24])))
        languages = ["en", "fr", "de"][: rng.randint(1, 3)]
        target = rng.choice([60, 60, 45, 300])
        min_count = rng.choice([3, 5, 5, 10])
        summaries = [
            random_chat(rng, HOUR + t * 3600, lang, outcomes)
            for t in times
            for lang in languages
            for _ in range(rng.choice([0, 0, 1, 2, 3, 4, 6, 9, 15]))
        ]
        counts = fold(summaries, target)
        rows = group(
            [HourlyCount(h, lang, m, b, n) for (h, lang, m, b), n in counts.items()],
            lambda hour: (hour - HOUR) // 3600,
        )
        layout = chat_layout(outcomes, END_REASONS, target)
        table = build_table(rows, times, languages, layout, min_count)
        for cell, v in table.values.items():
            assert v >= min_count or v == 0 or cell in table.hidden, trial
        assert_no_hidden_count_worked_out(table, min_count, target)


def test_one_quiet_hour_gives_no_hidden_count_back_by_adding_up() -> None:
    """The reviewer's example: 6 requests in one hour and language; 5 answered, each in
    a wait bucket of its own, 1 abandoned. Showing the 6 let a reader work it out: the
    five buckets are each at least 1, so answered is at least 5, and 6 requests leave
    room for at most 5 answered besides the abandoned one: answered = 5, abandoned = 1,
    every bucket 1."""

    def one(wait: int | None, end: str, outcome: str | None = None) -> ChatSummary:
        answered = None if wait is None else HOUR + 60
        return ChatSummary("en", HOUR, answered, HOUR + 600, wait, end, outcome)

    summaries = [
        one(5, "counsellor_lost", "a"),
        one(40, "counsellor_lost"),
        one(70, "seeker_gone"),
        one(400, "seeker_gone"),
        one(800, "seeker_gone"),
        one(None, "seeker_left"),
    ]
    counts = fold(summaries, 60)
    rows = group([HourlyCount(*key, n) for key, n in counts.items()], lambda hour: hour)
    table = build_table(rows, [HOUR], ["en"], chat_layout(["a"], END_REASONS, 60), 5)
    for at in (HOUR, None):
        for language in ("en", None):
            assert table.get(at, language, ("requests", "")) is None
            assert table.get(at, language, ("answered", "")) is None
            assert table.get(at, language, ("abandoned", "")) is None
            assert table.get(at, language, ("wait", "120-300")) == 0  # zeros are shown
    assert_no_hidden_count_worked_out(table, 5, 60)


def test_feedback_layout_hides_small_answers() -> None:
    rows = {
        (date(2026, 1, 5), "en"): {("answers", ""): 12, ("answer", "helpful"): 10},
        (date(2026, 1, 6), "en"): {("answers", ""): 2, ("answer", "not_helpful"): 2},
    }
    rows[(date(2026, 1, 5), "en")][("answer", "somewhat")] = 2
    table = build_table(rows, days(date(2026, 1, 5), date(2026, 1, 6)), ["en"], FEEDBACK_LAYOUT, 5)
    assert table.get(date(2026, 1, 5), "en", ("answer", "somewhat")) is None
    assert table.get(date(2026, 1, 6), "en", ("answers", "")) is None
    # The 2 of the 6th alone in en's line of answers: the 5th's total goes with it.
    assert table.get(date(2026, 1, 5), "en", ("answers", "")) is None
    assert table.get(None, "en", ("answers", "")) == 14
    # 14 = helpful + somewhat (2) + not_helpful (2): 2 + 2 is too small, so helpful too.
    assert table.get(None, "en", ("answer", "helpful")) is None
    assert_every_line_safe(table_lines(table), table.values, table.hidden, 5)


# -- helpers ----------------------------------------------------------------------------


def random_chat(rng: random.Random, queued: int, language: str, outcomes: list[str]) -> ChatSummary:
    if rng.random() < 0.7:
        wait = rng.choice([0, 5, 30, 40, 45, 60, 70, 200, 300, 400, 800, 2000])
        end = rng.choice(END_REASONS)
        outcome = rng.choice([None, *outcomes])
        return ChatSummary(language, queued, queued + 60, queued + 900, wait, end, outcome)
    end = rng.choice(["seeker_left", "seeker_gone", "counsellor_lost"])
    return ChatSummary(language, queued, None, queued + 300, None, end, None)


Cell = tuple[object, object, tuple[str, str]]
Bound = tuple[list[Cell], list[Cell], bool]  # sum(first) >= sum(second), == if exact


def reader_knows(table: Table[Any], target: float) -> list[Bound]:
    """Everything an answer tells a reader about its counts, written out here apart
    from history.py: every total over the times and the languages (exact), and inside
    every row the definitions of the metrics (helpline.core.history.fold)."""
    keys = table.layout.keys
    times: list[object | None] = [*table.times, None]
    languages: list[str | None] = [*table.languages, None]
    known: list[Bound] = []
    for key in keys:
        for t in times:
            known.append(([(t, None, key)], [(t, lang, key) for lang in table.languages], True))
        for lang in languages:
            known.append(([(None, lang, key)], [(t, lang, key) for t in table.times], True))
    edges = {"0-30": (0, 30), "30-60": (30, 60), "60-120": (60, 120), "120-300": (120, 300)}
    edges |= {"300-600": (300, 600), "600-1200": (600, 1200), "1200+": (1200, 10**9)}
    for t in times:
        for lang in languages:

            def c(metric: str, bucket: str = "", t: object = t, lang: str | None = lang) -> Cell:
                return (t, lang, (metric, bucket))

            ends = [c(m, b) for m, b in keys if m == "end"]
            waits = [c(m, b) for m, b in keys if m == "wait"]
            outcomes = [c(m, b) for m, b in keys if m == "outcome"]
            known.append(([c("requests")], ends, True))
            known.append(([c("requests")], [c("answered"), c("abandoned")], False))
            known.append(([c("answered")], waits, True))
            known.append(([c("answered")], outcomes, False))
            known.append(([c("answered")], [c("within_target")], False))
            if {("end", "seeker_left"), ("end", "seeker_gone")} <= set(keys):
                seeker = [c("end", "seeker_left"), c("end", "seeker_gone")]
                known.append((seeker, [c("abandoned")], False))
            surely = [w for w in waits if edges[w[2][1]][1] <= target]
            maybe = [w for w in waits if edges[w[2][1]][0] < target or w[2][1] == "0-30"]
            known.append(([c("within_target")], surely, False))
            known.append((maybe, [c("within_target")], False))
    return known


def attack(
    values: dict[Cell, int], hidden: frozenset[Cell], known: list[Bound]
) -> dict[Cell, tuple[int, float]]:
    """Interval bounds of every hidden count from what a reader knows: a hidden count is
    at least 1 (0 is shown); sweep every relation until nothing changes."""
    inf = float("inf")
    lo: dict[Cell, float] = {}
    hi: dict[Cell, float] = {}
    for big, small, _ in known:
        for cell in (*big, *small):
            lo[cell], hi[cell] = (1, inf) if cell in hidden else (values.get(cell, 0),) * 2
    for _sweep in range(10_000):
        changed = False

        def tighten(cell: Cell, low: float, high: float) -> None:
            nonlocal changed
            if low > lo[cell]:
                lo[cell], changed = low, True
            if high < hi[cell]:
                hi[cell], changed = high, True

        for big, small, exact in known:
            big_lo, big_hi = sum(lo[x] for x in big), sum(hi[x] for x in big)
            small_lo, small_hi = sum(lo[x] for x in small), sum(hi[x] for x in small)
            for x in big:  # x >= small - (the rest of big)
                rest_hi = big_hi - hi[x] if hi[x] < inf else sum(hi[y] for y in big if y != x)
                tighten(x, small_lo - rest_hi, inf)
                if exact:  # x <= small - (the rest of big)
                    tighten(x, -inf, small_hi - (big_lo - lo[x]))
            for x in small:  # x <= big - (the rest of small)
                tighten(x, -inf, big_hi - (small_lo - lo[x]))
                if exact:
                    rest_hi = (
                        small_hi - hi[x] if hi[x] < inf else sum(hi[y] for y in small if y != x)
                    )
                    tighten(x, big_lo - rest_hi, inf)
        if not changed:
            break
    else:
        raise AssertionError("the attack did not settle")
    return {cell: (int(lo[cell]), hi[cell]) for cell in hidden if cell in lo}


def assert_no_hidden_count_worked_out(table: Table[Any], min_count: int, target: float) -> None:
    values: dict[Any, int] = dict(table.values)
    bounds = attack(values, table.hidden, reader_knows(table, target))
    for cell, (low, high) in bounds.items():
        assert low <= values.get(cell, 0) <= high, ("the attack is wrong", cell)
        assert low < high, ("pinned", cell, values.get(cell, 0))
        assert high >= min_count, ("known to be small", cell, values.get(cell, 0), high)


def random_counts(rng: random.Random) -> dict[tuple[str, str], int]:
    waits = [rng.choice([0, 0, 1, 2, 3, 6, 12]) for _ in range(7)]
    answered = sum(waits)
    outcome = rng.randint(0, answered)
    abandoned = rng.choice([0, 1, 2, 4, 7])
    counts = {("requests", ""): answered + abandoned, ("answered", ""): answered}
    counts[("abandoned", "")] = abandoned
    counts[("within_target", "")] = waits[0] + waits[1]
    names = ["0-30", "30-60", "60-120", "120-300", "300-600", "600-1200", "1200+"]
    counts |= {("wait", name): n for name, n in zip(names, waits, strict=True)}
    counts |= {("outcome", "referred"): outcome, ("outcome", "other"): answered - outcome}
    counts |= {("end", "seeker_left"): abandoned, ("end", "counsellor_ended"): answered}
    return counts


def table_lines(table: object) -> list[tuple[Cell, list[Cell]]]:
    """Every line of a table, written out again independently of build_table."""
    from helpline.core.history import Table

    assert isinstance(table, Table)
    layout: Layout = table.layout
    times: Sequence[object] = table.times
    lines: list[tuple[Cell, list[Cell]]] = []
    for key in layout.keys:
        for t in [*times, None]:
            lines.append(((t, None, key), [(t, lang, key) for lang in table.languages]))
        for lang in [*table.languages, None]:
            lines.append(((None, lang, key), [(t, lang, key) for t in times]))
    for t in [*times, None]:
        for lang in [*table.languages, None]:
            for total, parts in layout.lines:
                lines.append(((t, lang, total), [(t, lang, k) for k in parts]))
    return lines


def assert_every_line_safe(
    lines: list[tuple[Cell, list[Cell]]],
    values: object,
    hidden: frozenset[object] | set[object],
    min_count: int,
) -> None:
    """For every line whose total is shown, the total minus the shown cells is a sum of
    no hidden cell, or of two or more adding up to at least ``min_count``; a hidden
    total is never the sum of shown cells alone."""
    assert isinstance(values, dict)
    for total, parts in lines:
        secret = [values.get(p, 0) for p in parts if p in hidden]
        if total in hidden:  # not the sum of shown cells alone
            assert secret or not any(values.get(p, 0) for p in parts), total
        else:
            assert not secret or (len(secret) >= 2 and sum(secret) >= min_count), (total, secret)
