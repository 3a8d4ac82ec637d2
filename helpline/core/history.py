"""Anonymous statistics: hourly counts, history tables, small-count suppression.

What a chat leaves behind (:class:`~helpline.core.stats.ChatSummary`, one row
per chat) is folded into counts per UTC hour, language, metric and bucket
(:func:`fold`); the per-chat rows are then deleted after the retention. The
history pages and the CSV export read only these counts (docs/privacy.md).

Suppression (docs/protocol.md §6): every count from 1 to ``min_count`` − 1 is
hidden (primary suppression). A table is a cube of cells (time × language ×
metric) with *lines*: a total and the cells it adds up (a language's day is
the sum of its hours; ``requests`` is the sum of the end reasons; …). Each line
must keep two rules, or a subtraction gives a hidden count back:

- a shown total hides none of its cells, or k >= 2 of them adding up to S with
  S - (k - 1) >= ``min_count`` (each, at least 1, could still be ``min_count``);
- a hidden total hides at least one of its non-zero cells.

Where a line breaks one, another of its shown non-zero cells is hidden too
(complementary suppression): the one whose hiding leaves the fewest other lines
unsafe, then the smallest; with none left, its total. Until every line keeps
both. Lines checked one by one miss chains of them, so an audit follows
(:class:`_Audit`): bound propagation over every relation a reader knows, and
more cells hidden until no hidden count is pinned to one value or bounded below
``min_count``. Each answer is protected on its own (docs/privacy.md says what
this does not cover).

Sans-I/O: the caller passes the counts, the time zone and the threshold.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from helpline.core.stats import ChatSummary

HOUR_S = 3600
#: Waiting times (seconds) by histogram bucket: ``lo-hi`` holds waits above ``lo`` up to
#: and including ``hi`` (the first also 0), ``1200+`` those above 1200 s. Upper edges are
#: inclusive like the service level's "answered within 60 s" (``wait_s <= target``).
WAIT_BUCKETS: tuple[tuple[str, int], ...] = (
    ("0-30", 30),
    ("30-60", 60),
    ("60-120", 120),
    ("120-300", 300),
    ("300-600", 600),
    ("600-1200", 1200),
)
WAIT_OVER = "1200+"
WAIT_BUCKET_NAMES = (*(name for name, _ in WAIT_BUCKETS), WAIT_OVER)
#: How a chat ended (helpline.core.lifecycle); unanswered ones ending so were abandoned.
END_REASONS = ("seeker_left", "seeker_gone", "counsellor_ended", "handed_back", "counsellor_lost")
ABANDON_REASONS = frozenset({"seeker_left", "seeker_gone"})
#: Metrics whose bucket is empty: one count per hour and language each.
SINGLE_METRICS = ("requests", "answered", "abandoned", "within_target")
#: The values of the column ``stats_hourly.metric``.
METRICS = (*SINGLE_METRICS, "wait", "outcome", "end")
FEEDBACK_ANSWERS = ("helpful", "somewhat", "not_helpful")

Key = tuple[str, str]  # (metric, bucket): ("requests", ""), ("wait", "0-30"), …
HourKey = tuple[int, str, str, str]  # (UTC hour, language, metric, bucket)


@dataclass(frozen=True, slots=True)
class HourlyCount:
    """One row of ``stats_hourly``: how many chats of ``language`` queued in the UTC
    ``hour`` (Unix seconds, a multiple of 3600) counted for ``metric``/``bucket``."""

    hour: int
    language: str
    metric: str
    bucket: str
    count: int


def hour_of(unix_s: int) -> int:
    return unix_s // HOUR_S * HOUR_S


def wait_bucket(wait_s: int) -> str:
    for name, upper in WAIT_BUCKETS:
        if wait_s <= upper:
            return name
    return WAIT_OVER


def fold(summaries: Iterable[ChatSummary], target_s: float) -> dict[HourKey, int]:
    """The hourly counts that ``summaries`` add, by (hour, language, metric, bucket).

    A chat counts in the hour it was queued in, whenever it ended."""
    counts: dict[HourKey, int] = defaultdict(int)
    for s in summaries:
        base = (hour_of(s.queued_minute), s.language)
        counts[(*base, "requests", "")] += 1
        counts[(*base, "end", s.end_reason)] += 1
        if s.wait_s is not None:
            counts[(*base, "answered", "")] += 1
            counts[(*base, "wait", wait_bucket(s.wait_s))] += 1
            if s.wait_s <= target_s:
                counts[(*base, "within_target", "")] += 1
            if s.outcome is not None:
                counts[(*base, "outcome", s.outcome)] += 1
        elif s.answered_minute is None and s.end_reason in ABANDON_REASONS:
            counts[(*base, "abandoned", "")] += 1
    return dict(counts)


# -- periods in the service's time zone ----------------------------------------------

PERIODS = ("day", "week", "month")


def period_days(period: str, day: date) -> tuple[date, date]:
    """The first and last day of the ``period`` (day, ISO week Monday to Sunday,
    calendar month) that contains ``day``."""
    if period == "day":
        return day, day
    if period == "week":
        first = day - timedelta(days=day.weekday())
        return first, first + timedelta(days=6)
    if period == "month":
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return first, following - timedelta(days=1)
    raise ValueError(f"unknown period {period!r}")


def local_day(hour: int, zone: ZoneInfo) -> date:
    """The day (in ``zone``) an hour belongs to: the day its start falls on. Where the
    offset is not a whole number of hours (India, Nepal) days begin at the first UTC
    hour that starts after local midnight."""
    return datetime.fromtimestamp(hour, zone).date()


def hours_to_read(first: date, last: date) -> tuple[int, int]:
    """UTC hours from..until (until excluded) that hold every hour of the local days
    ``first``..``last`` in any time zone (offsets stay within ±26 hours)."""
    start = datetime(first.year, first.month, first.day, tzinfo=UTC) - timedelta(hours=26)
    end = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(hours=24 + 26)
    return hour_of(int(start.timestamp())), hour_of(int(end.timestamp()))


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


# -- tables and suppression ------------------------------------------------------------


T = TypeVar("T", bound=Hashable)
R = TypeVar("R", bound=Hashable)
#: What a reader knows of some counts: ``sum(greater) >= sum(lesser)``, or ``==`` when
#: the flag is set.
Relation = tuple[tuple[R, ...], tuple[R, ...], bool]


@dataclass(frozen=True, slots=True)
class Layout:
    """The cells of one row of a table, the lines inside a row: (total, parts), and
    the relations a reader knows between the cells of a row.

    The parts of a line need not add up to its total: the rest (chats neither answered
    nor abandoned, answered chats without an outcome) is not shown anywhere. Checking
    a shown total treats it as known to the reader all the same, which only hides
    more; a hidden total whose parts are all 0 is that rest alone, and stays hidden.
    ``relations`` say which lines are exact and add what else is true (``abandoned``
    is at most the seeker's end reasons): the audit of :func:`suppress` uses them."""

    keys: tuple[Key, ...]
    lines: tuple[tuple[Key, tuple[Key, ...]], ...]
    relations: tuple[Relation[Key], ...] = ()


def chat_layout(outcomes: Sequence[str], ends: Sequence[str], target_s: float) -> Layout:
    single = tuple((name, "") for name in SINGLE_METRICS)
    waits = tuple(("wait", name) for name in WAIT_BUCKET_NAMES)
    outcome_keys = tuple(("outcome", code) for code in outcomes)
    end_keys = tuple(("end", reason) for reason in ends)
    requests, answered, abandoned, within = single
    lines = [
        (requests, (answered, abandoned)),
        (requests, end_keys),
        (answered, waits),
        (answered, outcome_keys),
    ]
    relations: list[Relation[Key]] = [
        ((requests,), (answered, abandoned), False),
        ((requests,), end_keys, True),
        ((answered,), waits, True),
        ((answered,), outcome_keys, False),
    ]
    if set(ends) >= ABANDON_REASONS:
        relations.append((tuple(("end", r) for r in sorted(ABANDON_REASONS)), (abandoned,), False))
    edges = [upper for _, upper in WAIT_BUCKETS]
    if target_s in edges:  # within_target is then the sum of the buckets up to it
        n = edges.index(int(target_s)) + 1
        lines += [(within, waits[:n]), (answered, (within, *waits[n:]))]
        relations += [((within,), waits[:n], True), ((answered,), (within, *waits[n:]), True)]
    else:  # at least the buckets wholly within, at most those that start below the target
        lowers = [0, *edges]
        below = tuple(w for w, upper in zip(waits, edges, strict=False) if upper <= target_s)
        some = tuple(w for i, w in enumerate(waits) if i == 0 or lowers[i] < target_s)
        relations += [((within,), below, False), (some, (within,), False)]
    return Layout((*single, *waits, *outcome_keys, *end_keys), tuple(lines), tuple(relations))


_ANSWERS = tuple(("answer", a) for a in FEEDBACK_ANSWERS)
FEEDBACK_LAYOUT = Layout(
    (("answers", ""), *_ANSWERS),
    ((("answers", ""), _ANSWERS),),
    (((("answers", ""),), _ANSWERS, True),),
)

C = TypeVar("C", bound=Hashable)
# A cell: (time or None for all times, language or None for all languages, key).
Cell = tuple[T | None, str | None, Key]
#: An upper bound the audit does not know ("no upper bound"); any bound from half of it
#: up counts as none, so sums of unknown bounds never look like a real count.
_UNBOUNDED = 1 << 60
#: At most this many rounds of audit and repair (each hides at least one more count).
MAX_AUDIT_ROUNDS = 200
#: At most this many narrowings per relation and round, on average: bounds move by
#: whole numbers towards the true counts, so propagation ends anyway, but a chain of
#: relations can move them one by one; a year's export measured about 3 (docs/privacy.md).
AUDIT_WORK = 50


def suppress(
    values: Mapping[C, int],
    lines: Sequence[tuple[C, Sequence[C]]],
    min_count: int,
    relations: Sequence[Relation[C]] | None = None,
) -> set[C]:
    """The cells to hide: small counts, then complements until every line keeps the
    two rules of the module's docstring, then more until the audit finds every hidden
    count safe (see :class:`_Audit`). ``relations`` are what a reader knows (by
    default every line, as exact). Deterministic."""
    run = _Suppression[C](values, lines, min_count)
    run.run()
    audit = _Audit[C](
        values,
        [((t,), tuple(p), True) for t, p in lines] if relations is None else relations,
        min_count,
    )
    for _ in range(MAX_AUDIT_ROUNDS):
        more = [cell for cell in audit.repairs(run.hidden) if cell not in run.hidden]
        if not more:
            break
        for cell in more:
            run.add(cell)
    return run.hidden


class _Suppression(Generic[C]):
    """One run of the line rules of :func:`suppress`, with each line's count of hidden
    parts kept up to date so that choosing a complement costs little even in a year's
    export."""

    def __init__(
        self, values: Mapping[C, int], lines: Sequence[tuple[C, Sequence[C]]], min_count: int
    ) -> None:
        self.values = values
        self.lines = lines
        self.min_count = min_count
        self.hidden: set[C] = set()
        self.hidden_parts = [0] * len(lines)
        self.hidden_sum = [0] * len(lines)
        # cell -> (line, whether the cell is that line's total)
        self.lines_of: dict[C, list[tuple[int, bool]]] = defaultdict(list)
        for i, (total, parts) in enumerate(lines):
            self.lines_of[total].append((i, True))
            for part in parts:
                self.lines_of[part].append((i, False))

    def run(self) -> None:
        for small, v in self.values.items():
            if 0 < v < self.min_count:
                self._hide(small)
        self._settle(range(len(self.lines)))

    def add(self, cell: C) -> None:
        """Hide ``cell`` too (the audit's choice) and settle the lines again."""
        if cell not in self.hidden:
            self._hide(cell)
            self._settle(j for j, _ in self.lines_of[cell])

    def _settle(self, lines: Iterable[int]) -> None:
        pending = deque(lines)
        queued = set(pending)
        while pending:
            i = pending.popleft()
            queued.discard(i)
            while (cell := self._to_hide(i)) is not None:
                self._hide(cell)
                for j, _ in self.lines_of[cell]:
                    if j not in queued:
                        queued.add(j)
                        pending.append(j)

    def _hide(self, cell: C) -> None:
        self.hidden.add(cell)
        for j, is_total in self.lines_of[cell]:
            if not is_total:
                self.hidden_parts[j] += 1
                self.hidden_sum[j] += self.values.get(cell, 0)

    def _to_hide(self, i: int) -> C | None:
        """The next cell line ``i`` needs hidden, or None when it is safe."""
        total = self.lines[i][0]
        k = self.hidden_parts[i]
        if total in self.hidden:
            # A hidden total whose parts are all shown is their sum: hide one of them.
            # (With no non-zero part left it is the unshown rest, which stays unknown.)
            return None if k else self._complement(i)
        if k == 0:
            return None
        # k hidden parts, each at least 1, add up to what the total leaves: each is at
        # most that sum - (k - 1), which must not be below min_count.
        if k >= 2 and self.hidden_sum[i] - (k - 1) >= self.min_count:
            return None
        best = self._complement(i)
        return total if best is None else best

    def _complement(self, i: int) -> C | None:
        """The shown non-zero part of line ``i`` that is cheapest to hide: the fewest
        other lines it would break (so hiding it spreads least), then the smallest."""
        best: C | None = None
        best_key = (0, 0)
        for part in self.lines[i][1]:
            v = self.values.get(part, 0)
            if v <= 0 or part in self.hidden:
                continue
            key = (self._breaks(part, i), v)
            if best is None or key < best_key:
                best, best_key = part, key
        return best

    def _breaks(self, cell: C, but: int) -> int:
        """How many lines other than ``but`` hiding ``cell`` would leave unsafe."""
        n = 0
        for j, is_total in self.lines_of[cell]:
            if j == but or self.hidden_parts[j]:
                continue
            if is_total or self.lines[j][0] not in self.hidden:  # a lone hidden part or total
                n += 1
        return n


class _Audit(Generic[C]):
    """What a reader can work out about the hidden counts, by bound propagation.

    A reader knows every shown count, that a hidden one is at least 1 (0 is shown) and
    the relations (a sum of counts is equal to, or at least, another). From these,
    each hidden count gets an interval [lo, hi]: the relations are applied again and
    again, each narrowing the bounds of its hidden counts from the others' (a line's
    total is at least the sum of its parts' lower bounds; a part is at most the total's
    upper bound minus the other parts' lower bounds; …), until nothing changes. A
    hidden count is safe when its interval holds more than one value and reaches
    ``min_count`` (so a small count cannot be told from a protecting one). Bounds only
    ever narrow and stay between 1 and the grand total, so this ends; it is the
    interval (not the linear-programming) bound, see docs/privacy.md."""

    def __init__(
        self, values: Mapping[C, int], relations: Sequence[Relation[C]], min_count: int
    ) -> None:
        self.values = values
        self.min_count = min_count
        # Only relations the counts keep: the reader's reasoning holds for the true
        # counts, so every bound holds them and the bounds cannot pass each other.
        # (Counts folded from chats keep them all; a relation they do not keep would
        # only tell a reader something false.)
        self.relations = [
            (tuple(g), tuple(s), exact)
            for g, s, exact in relations
            if (sum(values.get(c, 0) for c in g) - sum(values.get(c, 0) for c in s))
            in ((0,) if exact else range(0, 1 << 62))
        ]
        self.relations_of: dict[C, list[int]] = defaultdict(list)
        for i, (greater, lesser, _) in enumerate(self.relations):
            for cell in dict.fromkeys((*greater, *lesser)):
                self.relations_of[cell].append(i)

    def bounds(self, hidden: set[C]) -> tuple[dict[C, int], dict[C, int], dict[C, int]]:
        """Lower and upper bounds of the hidden cells, and for each upper bound the
        relation that set it."""
        lo = dict.fromkeys(hidden, 1)
        hi = dict.fromkeys(hidden, _UNBOUNDED)
        why: dict[C, int] = {}
        active = sorted({i for cell in hidden for i in self.relations_of.get(cell, ())})
        # Per relation: the shown counts' sums and the hidden cells of either side.
        split: dict[int, tuple[int, list[C], int, list[C], bool]] = {}
        for i in active:
            greater, lesser, exact = self.relations[i]
            g_shown = sum(self.values.get(c, 0) for c in greater if c not in hidden)
            s_shown = sum(self.values.get(c, 0) for c in lesser if c not in hidden)
            g_hidden = [c for c in greater if c in hidden]
            s_hidden = [c for c in lesser if c in hidden]
            split[i] = (g_shown, g_hidden, s_shown, s_hidden, exact)
        pending = deque(active)
        queued = set(active)
        budget = AUDIT_WORK * len(active)
        while pending and budget > 0:
            budget -= 1
            i = pending.popleft()
            queued.discard(i)
            for cell in self._narrow(i, split[i], lo, hi, why):
                for j in self.relations_of[cell]:
                    if j not in queued:
                        queued.add(j)
                        pending.append(j)
        return lo, hi, why

    @staticmethod
    def _narrow(
        i: int,
        split: tuple[int, list[C], int, list[C], bool],
        lo: dict[C, int],
        hi: dict[C, int],
        why: dict[C, int],
    ) -> list[C]:
        g_shown, greater, s_shown, lesser, exact = split
        g_lo = g_shown + sum(lo[c] for c in greater)
        g_hi = g_shown + sum(hi[c] for c in greater)
        s_lo = s_shown + sum(lo[c] for c in lesser)
        s_hi = s_shown + sum(hi[c] for c in lesser)
        changed: list[C] = []
        half = _UNBOUNDED // 2
        # sum(greater) >= sum(lesser): a greater cell is at least what the lesser need
        # beyond the other greater cells' upper bounds, a lesser cell at most what the
        # greater allow beyond the other lesser cells' lower bounds; == adds the mirror.
        for cell in greater:
            low = s_lo - (g_hi - hi[cell])
            if low > lo[cell]:
                lo[cell] = low
                changed.append(cell)
            if exact:
                high = s_hi - (g_lo - lo[cell])
                if high < hi[cell] and high < half:
                    hi[cell] = high
                    why[cell] = i
                    changed.append(cell)
        for cell in lesser:
            high = g_hi - (s_lo - lo[cell])
            if high < hi[cell] and high < half:
                hi[cell] = high
                why[cell] = i
                changed.append(cell)
            if exact:
                low = g_lo - (s_hi - hi[cell])
                if low > lo[cell]:
                    lo[cell] = low
                    changed.append(cell)
        return changed

    def unsafe(self, hidden: set[C]) -> list[C]:
        """The hidden cells a reader can pin down or bound below ``min_count``."""
        lo, hi, _ = self.bounds(hidden)
        return [c for c in hidden if lo[c] >= hi[c] or hi[c] < self.min_count]

    def repairs(self, hidden: set[C]) -> list[C]:
        """Shown cells to hide so that the unsafe hidden cells get wider bounds: for each
        (at most one per relation that bounds them), a shown count of the relation that
        set its upper bound, or of the relation behind that one's bound, and so on."""
        lo, hi, why = self.bounds(hidden)
        unsafe = sorted(
            (c for c in hidden if lo[c] >= hi[c] or hi[c] < self.min_count),
            key=lambda c: (hi[c], self._order(c)),
        )
        chosen: list[C] = []
        used: set[int] = set()
        for cell in unsafe:
            if why.get(cell) in used:
                continue
            pick = self._pick(cell, hidden, lo, hi, why)
            if pick is not None:
                used.add(why[cell])
                if pick not in chosen:
                    chosen.append(pick)
        return chosen

    def _order(self, cell: C) -> int:
        rel = self.relations_of.get(cell)
        return rel[0] if rel else -1

    def _pick(
        self, start: C, hidden: set[C], lo: dict[C, int], hi: dict[C, int], why: dict[C, int]
    ) -> C | None:
        need = max(self.min_count - hi[start], 1)
        seen: set[C] = set()
        todo = deque([start])
        while todo:
            cell = todo.popleft()
            if cell in seen or cell not in why:
                continue
            seen.add(cell)
            greater, lesser, _ = self.relations[why[cell]]
            inside_lesser = cell in lesser
            # Hiding a shown lesser (part) count of value v widens by up to v - 1.
            shown = [p for p in lesser if p not in hidden and self.values.get(p, 0) > 0]
            enough = [p for p in shown if self.values.get(p, 0) - 1 >= need]
            if enough:
                return min(enough, key=lambda p: self.values.get(p, 0))
            if shown:
                return max(shown, key=lambda p: self.values.get(p, 0))
            for p in greater:
                if p not in hidden and self.values.get(p, 0) > 0:
                    return p
            # The bound comes from other hidden counts' upper bounds: widen those.
            for p in greater if inside_lesser else lesser:
                if p in hidden and hi[p] < _UNBOUNDED // 2:
                    todo.append(p)
            need = 1
        return None


@dataclass(frozen=True, slots=True)
class Table(Generic[T]):
    """Counts by time × language (with the totals of each and of all) after suppression.

    :meth:`get` answers None for a hidden count."""

    times: tuple[T, ...]
    languages: tuple[str, ...]
    layout: Layout
    values: Mapping[Cell[T], int]
    hidden: frozenset[Cell[T]]

    def get(self, time: T | None, language: str | None, key: Key) -> int | None:
        cell: Cell[T] = (time, language, key)
        return None if cell in self.hidden else self.values.get(cell, 0)

    def has_data(self, time: T | None, language: str | None) -> bool:
        return any(self.values.get((time, language, key), 0) for key in self.layout.keys)

    def service_level(self, time: T | None, language: str | None) -> float | None:
        """within_target / (answered + abandoned), None when hidden or without data."""
        within = self.get(time, language, ("within_target", ""))
        answered = self.get(time, language, ("answered", ""))
        abandoned = self.get(time, language, ("abandoned", ""))
        if within is None or answered is None or abandoned is None:
            return None
        if answered + abandoned == 0:
            return None
        return round(within / (answered + abandoned), 4)


def build_table(
    rows: Mapping[tuple[T, str], Mapping[Key, int]],
    times: Sequence[T],
    languages: Sequence[str],
    layout: Layout,
    min_count: int,
) -> Table[T]:
    """Sum ``rows`` (counts by (time, language)) into a table with totals, and hide
    what :func:`suppress` says. Counts of other times or languages are left out."""
    values: dict[Cell[T], int] = defaultdict(int)
    time_set, language_set = set(times), set(languages)
    for (at, language), counts in rows.items():
        if language not in language_set or at not in time_set:
            continue
        for key, n in counts.items():
            if key not in layout.keys or n == 0:
                continue
            values[(at, language, key)] += n
            values[(at, None, key)] += n
            values[(None, language, key)] += n
            values[(None, None, key)] += n
    all_times: list[T | None] = [*times, None]
    all_languages: list[str | None] = [*languages, None]
    lines: list[tuple[Cell[T], list[Cell[T]]]] = []
    relations: list[Relation[Cell[T]]] = []
    in_row = layout.relations or tuple(((t,), parts, True) for t, parts in layout.lines)
    for key in layout.keys:
        for when in all_times:
            by_language: list[Cell[T]] = [(when, lang, key) for lang in languages]
            lines.append(((when, None, key), [p for p in by_language if values.get(p)]))
        for which in all_languages:
            by_time: list[Cell[T]] = [(t, which, key) for t in times]
            lines.append(((None, which, key), [p for p in by_time if values.get(p)]))
    margins = len(lines)
    for when in all_times:
        for which in all_languages:
            if not any(values.get((when, which, key)) for key in layout.keys):
                continue
            for total, members in layout.lines:
                lines.append(((when, which, total), [(when, which, k) for k in members]))
            for greater, lesser, exact in in_row:
                relations.append(
                    (
                        tuple((when, which, k) for k in greater),
                        tuple((when, which, k) for k in lesser),
                        exact,
                    )
                )
    # Every line between the totals and the cells they add up is exact.
    relations += [((total,), tuple(parts), True) for total, parts in lines[:margins]]
    hidden = suppress(values, lines, min_count, relations)
    return Table(tuple(times), tuple(languages), layout, dict(values), frozenset(hidden))


def group(
    counts: Iterable[HourlyCount], label: Callable[[int], T]
) -> dict[tuple[T, str], dict[Key, int]]:
    """Hourly counts added up by (``label(hour)``, language), e.g. by local day."""
    rows: dict[tuple[T, str], dict[Key, int]] = defaultdict(lambda: defaultdict(int))
    for c in counts:
        rows[(label(c.hour), c.language)][(c.metric, c.bucket)] += c.count
    return rows


def ordered(preferred: Iterable[str], found: Iterable[str]) -> tuple[str, ...]:
    """``preferred`` in its order, then whatever else was ``found``, sorted."""
    first = list(dict.fromkeys(preferred))
    return (*first, *sorted(set(found) - set(first)))
