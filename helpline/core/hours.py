"""Opening hours: is a queue open at an instant, when does it close, when does it open.

Pure functions of the hours and a Unix time passed in (no clock is read here),
so that every rule is tested with a manual clock (tests/core/test_hours.py).

The rules (docs/operations.md, "The service file"):

- Hours are **local wall-clock times** in the service's time zone, per weekday:
  a list of periods ``[start, end)`` in minutes after local midnight; ``end``
  may be 1440 ("24:00"), and periods never cross midnight. A weekday without
  periods is closed. Hours of ``None`` mean every day ``00:00``–``24:00``.
- A holiday (a local date) is closed all day.
- ``closed`` switches the queue off: never open, no next opening known.
- Each local day's periods become instants in UTC through the time zone, so a
  change to or from daylight saving time moves them with the wall clock: a
  day of 23 or 25 hours, a period that begins in the hour that does not exist
  (it begins when the clock jumps, as Python's ``zoneinfo`` maps a gap). Periods
  that touch or overlap (``mon 00:00-24:00`` and ``tue 00:00-12:00``) merge,
  so :func:`closes_at` gives the end of the whole stretch.
- Look-ahead is bounded: :data:`HORIZON_DAYS` (14) local days. A queue that
  does not close within them has ``closes_at`` None (open all the time as far
  as anyone needs to know); one that does not open within them has
  ``opens_at`` None.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 1440
HORIZON_DAYS = 14
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order


@dataclass(frozen=True, slots=True)
class Period:
    """``[start, end)`` in minutes after local midnight; ``end`` up to 1440 (24:00)."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= MINUTES_PER_DAY:
            raise ValueError(f"a period must have 00:00 <= start < end <= 24:00: {self}")


@dataclass(frozen=True, slots=True)
class OpeningHours:
    """A queue's hours. ``weekly``: seven tuples of periods, Monday first, or None
    (open every day all day). ``holidays``: local dates closed all day."""

    time_zone: ZoneInfo
    weekly: tuple[tuple[Period, ...], ...] | None = None
    holidays: frozenset[date] = frozenset()
    closed: bool = False

    def __post_init__(self) -> None:
        if self.weekly is not None and len(self.weekly) != len(WEEKDAYS):
            raise ValueError("weekly hours need one entry per weekday")


@dataclass(frozen=True, slots=True)
class HoursStatus:
    """What ``GET /api/service`` says about a queue at one instant (Unix seconds)."""

    open: bool
    opens_at: int | None  # the next opening when closed; None when open or none is known
    closes_at: int | None  # the end of the current opening when open; None: not within reach


ALWAYS = (Period(0, MINUTES_PER_DAY),)


def _instant(zone: ZoneInfo, day: date, minute: int) -> int:
    """Local ``day`` at ``minute`` after midnight (1440: the next midnight), as Unix seconds."""
    if minute == MINUTES_PER_DAY:
        day, minute = day + timedelta(days=1), 0
    local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)
    return int(local.timestamp())


def _periods(hours: OpeningHours, day: date) -> tuple[Period, ...]:
    if hours.closed or day in hours.holidays:
        return ()
    if hours.weekly is None:
        return ALWAYS
    return hours.weekly[day.weekday()]


def intervals(hours: OpeningHours, now: float, days: int = HORIZON_DAYS) -> list[tuple[int, int]]:
    """The opening intervals ``[start, end)`` in Unix seconds, merged where they touch,
    for the local days from the day before ``now``'s to ``days`` days after it."""
    zone = hours.time_zone
    today = datetime.fromtimestamp(now, zone).date()
    raw: list[tuple[int, int]] = []
    for offset in range(-1, days + 1):
        day = today + timedelta(days=offset)
        for period in _periods(hours, day):
            start = _instant(zone, day, period.start)
            end = _instant(zone, day, period.end)
            if start < end:  # a period wholly inside a skipped hour is empty
                raw.append((start, end))
    raw.sort()
    merged: list[tuple[int, int]] = []
    for start, end in raw:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _window_end(hours: OpeningHours, now: float, days: int) -> int:
    """The end of the last local day :func:`intervals` looked at."""
    today = datetime.fromtimestamp(now, hours.time_zone).date()
    return _instant(hours.time_zone, today + timedelta(days=days), MINUTES_PER_DAY)


def is_open(hours: OpeningHours, now: float) -> bool:
    """Whether the queue is open at ``now`` (Unix seconds)."""
    if hours.closed:
        return False
    if hours.weekly is None and not hours.holidays:
        return True  # the common case, without any time zone arithmetic
    return any(start <= now < end for start, end in intervals(hours, now, days=1))


def closes_at(hours: OpeningHours, now: float, days: int = HORIZON_DAYS) -> int | None:
    """When the opening that contains ``now`` ends; None when closed now or when it
    does not end within ``days`` days (open around the clock)."""
    if hours.closed:
        return None
    for start, end in intervals(hours, now, days):
        if start <= now < end:
            return None if end >= _window_end(hours, now, days) else end
    return None


def opens_at(hours: OpeningHours, now: float, days: int = HORIZON_DAYS) -> int | None:
    """The next opening after ``now`` when closed now; None when open now, switched
    off, or not opening within ``days`` days."""
    if hours.closed:
        return None
    for start, end in intervals(hours, now, days):
        if start <= now < end:
            return None
        if start > now:
            return start
    return None


def status(hours: OpeningHours, now: float, days: int = HORIZON_DAYS) -> HoursStatus:
    """:func:`is_open`, :func:`opens_at` and :func:`closes_at` in one pass."""
    if hours.closed:
        return HoursStatus(False, None, None)
    for start, end in intervals(hours, now, days):
        if start <= now < end:
            until = None if end >= _window_end(hours, now, days) else end
            return HoursStatus(True, None, until)
        if start > now:
            return HoursStatus(False, start, None)
    return HoursStatus(False, None, None)
