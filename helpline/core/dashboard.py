"""The supervisors' live dashboard: recent waits, a snapshot, a per-minute series.

Sans-I/O like the rest of the core: time is passed in, nothing awaits.

- :class:`WaitLog` (kept by the switchboard): one entry per queue wait that
  ended in the last hour. *Answered*: a counsellor accepted an offer from the
  queue; the wait is accept time − the seeker's ``queued_at`` (a colleague's
  transfer is not a wait). *Abandoned*: the seeker left, or was lost for good,
  while waiting or offered. The language is the queue the seeker waited in.
  A seeker handed back and answered again counts again (a new wait). Entries
  older than :data:`WINDOW_S` are dropped as new ones arrive and whenever the log
  is read; at most :data:`WAIT_LOG_MAX` entries are kept, the oldest dropped
  first beyond that (a figure over the hour then covers its later part only).
  The hooks (:meth:`WaitLog.answered`, :meth:`WaitLog.abandoned`) are O(1)
  amortised and run on accept and on abandonment only, never on the relay path.
  Running totals per language (for Prometheus counters) are kept beside it.
- :func:`snapshot`: a pure function of the switchboard and ``now`` (plus the
  :class:`StatusClock` that remembers since when each counsellor shows their
  status). Its cost is linear in counsellors, open chats and languages, plus
  sorting the waits answered in the last hour; the longest wait looks at the
  queue's front only (:meth:`~helpline.core.queues.LanguageQueue.longest_wait_s`).
- :class:`Series`: one point per minute (waiting and active per language), at
  most :data:`SERIES_MAX` points (24 h), the oldest dropped first.

Figures (docs/protocol.md, the dashboard section):

- ``waiting``: seekers in the language's queue now (not those being offered).
- ``longest_wait_s``: floor(now − ``queued_at``) of the longest waiter, 0 when none.
- ``median_wait_s`` / ``p90_wait_s``: nearest-rank percentile (index
  ceil(p·n) − 1 of the sorted waits) of the waits answered in (now − 3600, now],
  floored to whole seconds; None when there are none.
- ``answered`` / ``abandoned``: counts over the same hour.
- ``service_level``: answered with a wait ≤ the target / (answered + abandoned);
  None when both are 0.
- ``active``: chats of that language ACTIVE or TRANSFERRING.
- counsellors per language, by the languages they chose for now, connected only:
  ``available`` (status available, room for a chat, no wrap-up, allowed),
  ``busy`` (status available but no room, an offer pending or in wrap-up),
  ``away`` (status away, or not allowed to take chats).

Nothing here names a seeker: the log holds a language, a time and a wait.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from helpline.core.lifecycle import ChatState
from helpline.core.participants import Counsellor, Status

if TYPE_CHECKING:
    from helpline.core.switchboard import Switchboard

WINDOW_S = 3600.0  # the hour the wait figures cover
WAIT_LOG_MAX = 100_000  # entries at most (some 28 answered or abandoned a second)
SERIES_STEP_S = 60
SERIES_MAX = 1440  # 24 h of minutes
STATUSES = ("available", "busy", "away", "offline")  # a counsellor's dashboard status


class WaitLog:
    """Queue waits that ended in the last hour: ``(at, language, wait_s | None)``,
    oldest first; ``None``: abandoned."""

    __slots__ = ("_entries", "abandoned_total", "answered_total")

    def __init__(self, max_entries: int = WAIT_LOG_MAX) -> None:
        self._entries: deque[tuple[float, str, float | None]] = deque(maxlen=max_entries)
        # Since start, per language (bounded by the queues): counters only grow, as
        # Prometheus ``_total`` series must.
        self.answered_total: dict[str, int] = {}
        self.abandoned_total: dict[str, int] = {}

    def answered(self, language: str, at: float, wait_s: float) -> None:
        self._entries.append((at, language, wait_s))
        self.answered_total[language] = self.answered_total.get(language, 0) + 1
        self._expire(at)

    def abandoned(self, language: str, at: float) -> None:
        self._entries.append((at, language, None))
        self.abandoned_total[language] = self.abandoned_total.get(language, 0) + 1
        self._expire(at)

    def _expire(self, now: float) -> None:
        entries = self._entries
        horizon = now - WINDOW_S
        while entries and entries[0][0] <= horizon:
            entries.popleft()

    def recent(self, now: float) -> list[tuple[float, str, float | None]]:
        """The entries in (now − 3600, now]."""
        self._expire(now)
        return [entry for entry in self._entries if entry[0] <= now]

    def __len__(self) -> int:
        return len(self._entries)


def nearest_rank(ordered: list[float], numerator: int, denominator: int) -> int | None:
    """The p = numerator/denominator percentile of ``ordered`` (sorted), by nearest
    rank: index ceil(p·n) − 1, floored to whole seconds; None when empty. Integer
    arithmetic: 0.9 · 30 in floating point is 27.000000000000004, one rank too far."""
    n = len(ordered)
    if n == 0:
        return None
    rank = -(-numerator * n // denominator)  # ceil without floating point
    return math.floor(ordered[max(rank, 1) - 1])


def counsellor_status(counsellor: Counsellor, now: float) -> str:
    """``available``, ``busy``, ``away`` or ``offline`` (known but disconnected)."""
    if counsellor.conn is None:
        return "offline"
    account = counsellor.account
    if counsellor.status is Status.AWAY or not account.can_take_chats or account.disabled:
        return "away"
    if (
        counsellor.offer is not None
        or len(counsellor.chats) >= counsellor.capacity
        or now < counsellor.wrap_up_until
    ):
        return "busy"
    return "available"


class StatusClock:
    """Since when each counsellor shows their dashboard status, as seen by the
    snapshots: a change is noticed at the next snapshot (so within one interval).
    Bounded by the switchboard's known counsellors (others are forgotten)."""

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: dict[int, tuple[str, int]] = {}

    def since(self, seen: Iterable[tuple[int, str]], now: float) -> dict[int, int]:
        """``account_id -> since`` for ``(account_id, status)`` seen at ``now``."""
        fresh: dict[int, tuple[str, int]] = {}
        for account_id, status in seen:
            before = self._seen.get(account_id)
            fresh[account_id] = before if before and before[0] == status else (status, int(now))
        self._seen = fresh
        return {account_id: since for account_id, (_, since) in fresh.items()}


@dataclass(frozen=True, slots=True)
class LanguageFigures:
    code: str
    waiting: int
    longest_wait_s: int
    median_wait_s: int | None
    p90_wait_s: int | None
    answered: int
    abandoned: int
    service_level: float | None
    active: int
    available: int
    busy: int
    away: int


@dataclass(frozen=True, slots=True)
class CounsellorFigures:
    username: str
    status: str
    languages: tuple[str, ...]
    chats: int
    status_since: int


@dataclass(frozen=True, slots=True)
class Snapshot:
    at: int  # whole unix seconds
    target_s: float
    languages: tuple[LanguageFigures, ...]
    counsellors: tuple[CounsellorFigures, ...]  # by username
    help: tuple[tuple[str, int], ...]  # (username, since), oldest first


def snapshot(sb: Switchboard, now: float, target_s: float, clock: StatusClock) -> Snapshot:
    """Every figure of the dashboard at ``now`` (languages in the switchboard's order);
    ``target_s``: the service level's "answered within"."""
    waits: dict[str, list[float]] = {lang: [] for lang in sb._queues}
    abandoned: dict[str, int] = dict.fromkeys(sb._queues, 0)
    within: dict[str, int] = dict.fromkeys(sb._queues, 0)
    for _, language, wait in sb._waits.recent(now):
        if language not in waits:
            continue  # a queue no longer offered
        if wait is None:
            abandoned[language] += 1
        else:
            waits[language].append(wait)
            if wait <= target_s:
                within[language] += 1
    active: dict[str, int] = dict.fromkeys(sb._queues, 0)
    for chat in sb._chats.values():
        if chat.state in (ChatState.ACTIVE, ChatState.TRANSFERRING) and chat.language in active:
            active[chat.language] += 1
    staff: dict[str, dict[str, int]] = {
        lang: dict.fromkeys(("available", "busy", "away"), 0) for lang in sb._queues
    }
    seen: list[tuple[int, str]] = []
    for counsellor in sb._counsellors.values():
        status = counsellor_status(counsellor, now)
        seen.append((counsellor.account.id, status))
        if status == "offline":
            continue
        for lang in counsellor.languages:
            if lang in staff:
                staff[lang][status] += 1
    since = clock.since(seen, now)
    figures = []
    for lang, queue in sb._queues.items():
        ordered = sorted(waits[lang])
        answered = len(ordered)
        ended = answered + abandoned[lang]
        figures.append(
            LanguageFigures(
                code=lang,
                waiting=len(queue),
                longest_wait_s=math.floor(queue.longest_wait_s(now)),
                median_wait_s=nearest_rank(ordered, 1, 2),
                p90_wait_s=nearest_rank(ordered, 9, 10),
                answered=answered,
                abandoned=abandoned[lang],
                service_level=None if ended == 0 else within[lang] / ended,
                active=active[lang],
                **staff[lang],
            )
        )
    counsellors = sorted(
        (
            CounsellorFigures(
                username=c.account.username,
                status=status,
                languages=c.languages,
                chats=len(c.chats),
                status_since=since[c.account.id],
            )
            for c, (_, status) in zip(sb._counsellors.values(), seen, strict=True)
        ),
        key=lambda figures: figures.username,
    )
    return Snapshot(
        at=int(now),
        target_s=target_s,
        languages=tuple(figures),
        counsellors=tuple(counsellors),
        help=tuple(sb.help_requests()),
    )


@dataclass(frozen=True, slots=True)
class Point:
    at: int  # the minute, unix seconds (a multiple of 60)
    waiting: Mapping[str, int]
    active: Mapping[str, int]


class Series:
    """One point per minute of the clock: the figures of the first snapshot seen in
    that minute. Minutes nobody looked at (the clock jumped) have no point."""

    __slots__ = ("_points",)

    def __init__(self, max_points: int = SERIES_MAX) -> None:
        self._points: deque[Point] = deque(maxlen=max_points)

    def note(self, snap: Snapshot) -> Point | None:
        """Add a point for ``snap``'s minute if it has none yet; the new point."""
        minute = snap.at - snap.at % SERIES_STEP_S
        if self._points and self._points[-1].at >= minute:
            return None
        point = Point(
            minute,
            {f.code: f.waiting for f in snap.languages},
            {f.code: f.active for f in snap.languages},
        )
        self._points.append(point)
        return point

    def points(self) -> list[Point]:
        return list(self._points)

    def __len__(self) -> int:
        return len(self._points)
