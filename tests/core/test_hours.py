"""Opening hours (helpline.core.hours): open or not, until when, from when; DST included."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpline.core.hours import (
    HORIZON_DAYS,
    HoursStatus,
    OpeningHours,
    Period,
    closes_at,
    intervals,
    is_open,
    opens_at,
    status,
)

AMS = ZoneInfo("Europe/Amsterdam")
UTC_ZONE = ZoneInfo("UTC")


def at(zone: ZoneInfo, y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> int:
    """Local wall-clock time in ``zone`` as Unix seconds (the clock tests move)."""
    return int(datetime(y, m, d, hh, mm, tzinfo=zone).timestamp())


def hm(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def week(**days: list[tuple[str, str]]) -> tuple[tuple[Period, ...], ...]:
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    return tuple(tuple(Period(hm(a), hm(b)) for a, b in days.get(name, [])) for name in names)


OFFICE = OpeningHours(
    AMS,
    week(
        mon=[("09:00", "17:00")],
        tue=[("09:00", "12:00"), ("13:00", "17:00")],
        fri=[("09:00", "17:00")],
    ),
)
# 2025-12-01 is a Monday.
MON = (2025, 12, 1)


def test_without_hours_a_queue_is_always_open() -> None:
    hours = OpeningHours(AMS)
    now = at(AMS, *MON, 3, 0)
    assert is_open(hours, now)
    assert status(hours, now) == HoursStatus(True, None, None)


def test_switched_off_is_never_open_and_never_opens() -> None:
    hours = OpeningHours(AMS, closed=True)
    now = at(AMS, *MON, 10, 0)
    assert not is_open(hours, now)
    assert opens_at(hours, now) is None
    assert closes_at(hours, now) is None
    assert status(hours, now) == HoursStatus(False, None, None)


def test_open_within_a_period_until_its_end() -> None:
    now = at(AMS, *MON, 10, 30)
    assert is_open(OFFICE, now)
    assert closes_at(OFFICE, now) == at(AMS, *MON, 17, 0)
    assert opens_at(OFFICE, now) is None
    assert status(OFFICE, now) == HoursStatus(True, None, at(AMS, *MON, 17, 0))


def test_start_is_included_and_end_excluded() -> None:
    assert is_open(OFFICE, at(AMS, *MON, 9, 0))
    assert not is_open(OFFICE, at(AMS, *MON, 9, 0) - 1)
    assert not is_open(OFFICE, at(AMS, *MON, 17, 0))
    assert is_open(OFFICE, at(AMS, *MON, 17, 0) - 1)


def test_before_opening_the_next_opening_is_today() -> None:
    now = at(AMS, *MON, 7, 0)
    assert status(OFFICE, now) == HoursStatus(False, at(AMS, *MON, 9, 0), None)


def test_lunch_break_reopens_the_same_day() -> None:
    now = at(AMS, 2025, 12, 2, 12, 30)  # Tuesday
    assert not is_open(OFFICE, now)
    assert opens_at(OFFICE, now) == at(AMS, 2025, 12, 2, 13, 0)


def test_days_not_listed_are_closed_until_the_next_listed_day() -> None:
    wednesday = at(AMS, 2025, 12, 3, 10, 0)
    assert not is_open(OFFICE, wednesday)
    assert opens_at(OFFICE, wednesday) == at(AMS, 2025, 12, 5, 9, 0)  # Friday
    saturday = at(AMS, 2025, 12, 6, 10, 0)
    assert opens_at(OFFICE, saturday) == at(AMS, 2025, 12, 8, 9, 0)  # next Monday


def test_a_holiday_is_closed_all_day_and_skipped() -> None:
    hours = OpeningHours(AMS, OFFICE.weekly, holidays=frozenset({date(2025, 12, 1)}))
    now = at(AMS, *MON, 10, 0)
    assert not is_open(hours, now)
    assert opens_at(hours, now) == at(AMS, 2025, 12, 2, 9, 0)


def test_a_holiday_ends_an_always_open_queue() -> None:
    hours = OpeningHours(AMS, holidays=frozenset({date(2025, 12, 25)}))
    now = at(AMS, 2025, 12, 24, 20, 0)
    assert status(hours, now) == HoursStatus(True, None, at(AMS, 2025, 12, 25))
    assert status(hours, at(AMS, 2025, 12, 25, 12, 0)) == HoursStatus(
        False, at(AMS, 2025, 12, 26), None
    )


def test_adjacent_periods_merge_across_midnight() -> None:
    hours = OpeningHours(
        AMS, week(mon=[("00:00", "24:00")], tue=[("00:00", "10:00")], fri=[("20:00", "24:00")])
    )
    now = at(AMS, *MON, 12, 0)
    assert closes_at(hours, now) == at(AMS, 2025, 12, 2, 10, 0)
    friday = at(AMS, 2025, 12, 5, 21, 0)
    assert closes_at(hours, friday) == at(AMS, 2025, 12, 6, 0, 0)
    # Back to back within a day: 09-12 and 12-17 are one opening.
    split = OpeningHours(AMS, week(wed=[("09:00", "12:00"), ("12:00", "17:00")]))
    assert closes_at(split, at(AMS, 2025, 12, 3, 10, 0)) == at(AMS, 2025, 12, 3, 17, 0)


def test_open_around_the_clock_has_no_closing_time() -> None:
    allday = [("00:00", "24:00")]
    hours = OpeningHours(
        AMS,
        week(mon=allday, tue=allday, wed=allday, thu=allday, fri=allday, sat=allday, sun=allday),
    )
    assert status(hours, at(AMS, *MON, 12, 0)) == HoursStatus(True, None, None)


def test_never_opening_within_the_horizon_is_none() -> None:
    hours = OpeningHours(AMS, week())  # hours given, no day listed: closed
    assert status(hours, at(AMS, *MON, 12, 0)) == HoursStatus(False, None, None)
    # An opening 20 days ahead is beyond the horizon; one 10 days ahead is found.
    start = date(2025, 12, 1)
    everything_off = frozenset(start + timedelta(days=i) for i in range(0, 20))
    always_but = OpeningHours(AMS, holidays=everything_off)
    assert opens_at(always_but, at(AMS, *MON, 12, 0)) is None
    ten = frozenset(start + timedelta(days=i) for i in range(0, 10))
    assert opens_at(OpeningHours(AMS, holidays=ten), at(AMS, *MON, 12, 0)) == at(AMS, 2025, 12, 11)


# Daylight saving time in Europe/Amsterdam: on Sunday 2026-03-29 the clock jumps from
# 02:00 to 03:00 (CET +01:00 to CEST +02:00); on Sunday 2025-10-26 it falls back from
# 03:00 to 02:00.


def test_hours_follow_the_wall_clock_across_spring_forward() -> None:
    hours = OpeningHours(AMS, week(sat=[("09:00", "17:00")], mon=[("09:00", "17:00")]))
    saturday_9 = at(AMS, 2026, 3, 28, 9, 0)
    monday_9 = at(AMS, 2026, 3, 30, 9, 0)
    assert saturday_9 == int(datetime(2026, 3, 28, 8, 0, tzinfo=UTC).timestamp())  # CET
    assert monday_9 == int(datetime(2026, 3, 30, 7, 0, tzinfo=UTC).timestamp())  # CEST
    assert opens_at(hours, at(AMS, 2026, 3, 28, 18, 0)) == monday_9
    assert is_open(hours, monday_9)
    assert not is_open(hours, monday_9 - 1)
    assert closes_at(hours, monday_9) == monday_9 + 8 * 3600


def test_the_short_day_has_23_hours() -> None:
    allday = OpeningHours(AMS, week(sun=[("00:00", "24:00")]))
    sunday = at(AMS, 2026, 3, 29, 0, 0)
    assert closes_at(allday, sunday) == sunday + 23 * 3600
    # A period that begins in the hour that does not exist begins when the clock jumps.
    gap = OpeningHours(AMS, week(sun=[("02:30", "05:00")]))
    jump = int(datetime(2026, 3, 29, 1, 0, tzinfo=UTC).timestamp())  # 03:00 CEST
    assert opens_at(gap, sunday) is not None
    assert is_open(gap, at(AMS, 2026, 3, 29, 3, 30))
    assert closes_at(gap, at(AMS, 2026, 3, 29, 4, 0)) == jump + 2 * 3600


def test_the_long_day_has_25_hours_and_the_repeated_hour_counts_once() -> None:
    allday = OpeningHours(AMS, week(sun=[("00:00", "24:00")]))
    sunday = at(AMS, 2025, 10, 26, 0, 0)
    assert closes_at(allday, sunday) == sunday + 25 * 3600
    night = OpeningHours(AMS, week(sun=[("01:00", "04:00")]))
    first_two = int(datetime(2025, 10, 26, 0, 0, tzinfo=UTC).timestamp())  # 02:00 CEST
    second_two = first_two + 3600  # 02:00 CET
    assert is_open(night, first_two)
    assert is_open(night, second_two)
    assert closes_at(night, first_two) == int(datetime(2025, 10, 26, 3, 0, tzinfo=UTC).timestamp())


def test_a_utc_queue_is_plain_arithmetic() -> None:
    hours = OpeningHours(UTC_ZONE, week(mon=[("09:00", "17:00")]))
    monday = at(UTC_ZONE, *MON)
    assert opens_at(hours, monday) == monday + 9 * 3600
    assert opens_at(hours, monday + 17 * 3600) == monday + 7 * 86400 + 9 * 3600


def test_a_bad_period_or_week_is_refused() -> None:
    with pytest.raises(ValueError, match="period"):
        Period(600, 600)
    with pytest.raises(ValueError, match="period"):
        Period(0, 1441)
    with pytest.raises(ValueError, match="weekday"):
        OpeningHours(AMS, ((),))


# Properties over random weeks, holidays and instants (two years around DST changes).

ZONES = st.sampled_from([AMS, UTC_ZONE, ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata")])


@st.composite
def periods(draw: st.DrawFn) -> tuple[Period, ...]:
    cuts = sorted(draw(st.sets(st.integers(0, 96), max_size=6)))
    pairs = [(a * 15, b * 15) for a, b in zip(cuts[::2], cuts[1::2], strict=False)]
    return tuple(Period(a, b) for a, b in pairs if a < b)


@st.composite
def opening_hours(draw: st.DrawFn) -> OpeningHours:
    zone = draw(ZONES)
    weekly = draw(st.one_of(st.none(), st.tuples(*[periods() for _ in range(7)])))
    holidays = draw(st.frozensets(st.dates(date(2025, 1, 1), date(2027, 1, 1)), max_size=20))
    return OpeningHours(zone, weekly, holidays, draw(st.sampled_from((False, False, False, True))))


INSTANTS = st.integers(
    int(datetime(2025, 1, 1, tzinfo=UTC).timestamp()),
    int(datetime(2027, 1, 1, tzinfo=UTC).timestamp()),
)


@settings(max_examples=300, deadline=None)
@given(opening_hours(), INSTANTS)
def test_status_agrees_with_the_separate_functions(hours: OpeningHours, now: int) -> None:
    state = status(hours, now)
    assert state.open == is_open(hours, now)
    assert state.opens_at == opens_at(hours, now)
    assert state.closes_at == closes_at(hours, now)
    if state.open:
        assert state.opens_at is None
    else:
        assert state.closes_at is None


@settings(max_examples=300, deadline=None)
@given(opening_hours(), INSTANTS)
def test_opening_and_closing_times_are_where_the_state_changes(
    hours: OpeningHours, now: int
) -> None:
    state = status(hours, now)
    if state.opens_at is not None:
        assert state.opens_at > now
        assert is_open(hours, state.opens_at)
        assert not is_open(hours, state.opens_at - 1)
        assert not is_open(hours, (now + state.opens_at) // 2)
    if state.closes_at is not None:
        assert state.closes_at > now
        assert not is_open(hours, state.closes_at)
        assert is_open(hours, state.closes_at - 1)
        assert is_open(hours, (now + state.closes_at) // 2)


@settings(max_examples=200, deadline=None)
@given(opening_hours(), INSTANTS)
def test_open_means_a_listed_period_of_a_local_working_day(hours: OpeningHours, now: int) -> None:
    """The definition, read off the wall clock, against the implementation."""
    local = datetime.fromtimestamp(now, hours.time_zone)
    minute = local.hour * 60 + local.minute
    if hours.closed or local.date() in hours.holidays:
        expected = False
    elif hours.weekly is None:
        expected = True
    else:
        expected = any(p.start <= minute < p.end for p in hours.weekly[local.weekday()])
    assert is_open(hours, now) == expected


def test_intervals_are_sorted_and_disjoint() -> None:
    found = intervals(OFFICE, at(AMS, *MON, 12, 0), HORIZON_DAYS)
    assert found == sorted(found)
    assert all(a[1] < b[0] for a, b in itertools.pairwise(found))
