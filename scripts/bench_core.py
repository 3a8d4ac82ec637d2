"""How the sans-I/O switchboard's costs grow with the number of seekers waiting.

    .venv/bin/python scripts/bench_core.py

Drives :class:`helpline.core.switchboard.Switchboard` in process, with the settings the
server builds from ``Config()`` defaults (``helpline.web.hub.core_settings``), a manual
clock and made-up connection ids, as tests/core does. No sockets, no event loop: the
figures are the core's own share of the work, and ``time.perf_counter_ns`` brackets
the core calls only (the bookkeeping of this script is outside the timed parts).

The core runs on the server's event loop, so a call that grows with the queue length
delays every frame of every chat. For a queue of ``waiting`` seekers spread evenly over
the languages, with ``counsellors`` counsellors (all languages, capacity 1) each
holding an offer, it measures:

- ``join_us``: the median time of one ``seeker_join`` at that queue length. Each
  newcomer then leaves again so the length stays put (``leave_us``: the median
  ``seeker_leave``, timed separately).
- ``match_us``: the median time of one match cycle, ``counsellor_accept`` plus
  ``counsellor_end``; the end makes the core offer that counsellor the next seeker.
  A newcomer then joins at the back in the served seeker's language (not timed).
- ``tick_ms`` and ``positions_per_s``: ``tick(now)`` every ``TICK_S`` simulated
  seconds (as the hub calls it) while matches go on at ``MATCH_RATE`` per simulated
  second; the median wall time of a tick, and the queue-position updates
  (:class:`~helpline.core.effects.QueuePosition`) the ticks emit per simulated
  second, each of which becomes a frame to a seeker. Positions go out in one pass
  over a queue at most every ``position_interval_s`` (2 s, four ticks), so the median
  is a tick without a pass. Hence also ``tick_pass_ms``, the median of the ticks that
  sent positions, ``tick_mean_ms``, the CPU share per tick, and ``tick_max_ms``, the
  longest stall of the event loop; the last includes the garbage collector's full
  collections, which a pass's burst of effect objects tends to set off. A seeker
  served within ``position_interval_s`` of joining gets no update at all (they were
  told their place when they joined), so short queues may show none.

``main`` prints the figures for 100 and 10,000 waiting side by side, each the best of
``REPEATS`` runs. Prints figures only; no test depends on timings.
"""

from __future__ import annotations

import gc
import itertools
import math
import statistics
import sys
import time
from collections.abc import Iterable

from helpline.config import Config
from helpline.core.effects import (
    CloseConnection,
    ConnId,
    Effect,
    Offered,
    OfferWithdrawn,
    QueuePosition,
)
from helpline.core.staff import Role, StaffAccount
from helpline.core.switchboard import Switchboard
from helpline.web.hub import TICK_S, core_settings

#: Where the manual clock starts: Unix seconds, a whole number so that multiples of
#: TICK_S added to it stay exact (the position interval is compared exactly).
START = 1_700_000_000.0
#: Matches per simulated second during the tick phase: a busy helpline's peak and more.
MATCH_RATE = 200
#: Simulated seconds measured in the tick phase: ten position intervals.
SIM_S = 20.0
#: Position intervals of warm-up after the first offer timers come due. Until then the
#: timer heap is still filling (each match leaves an offer timer that comes due,
#: harmlessly, offer_timeout_s later), and every seeker was told their place at the
#: same instant, when they joined, so the first passes are atypical too.
WARMUP_PASSES = 2
REPEATS = 3
OUTCOME = Config().outcomes[0]  # the hub accepts only configured outcome codes


class _Desk:
    """One switchboard, its clock and what the outside world would know of it.

    Effects are read the way the hub and the clients would act on them: an offer is
    remembered until accepted, a closed connection is reported back as lost (the hub
    does so when the socket closes). None of that is timed.
    """

    def __init__(self, languages: int, counsellors: int) -> None:
        config = Config()
        if not 1 <= languages <= len(config.languages):
            raise ValueError(f"languages must be 1..{len(config.languages)}")
        if counsellors < 1:
            raise ValueError("at least one counsellor is needed for matches")
        self.settings = core_settings(config.replace(languages=config.languages[:languages]))
        self.sb = Switchboard(self.settings)
        self.now = START
        self._conns = itertools.count()
        self._next_language = itertools.cycle(self.settings.languages)
        self.staff: list[ConnId] = []
        self.offers: dict[ConnId, Offered] = {}  # counsellor conn -> the offer they hold

    def new_conn(self) -> ConnId:
        return next(self._conns)

    def join(self, language: str | None = None) -> None:
        """A seeker joins (not timed); by default the languages take turns."""
        lang = next(self._next_language) if language is None else language
        self.apply(self.sb.seeker_join(self.new_conn(), lang, None, self.now))

    def connect_counsellors(self, count: int) -> None:
        for account_id in range(count):
            account = StaffAccount(
                id=account_id,
                username=f"counsellor{account_id}",
                role=Role.COUNSELLOR,
                languages=self.settings.languages,
                capacity=1,
                can_take_chats=True,
            )
            conn = self.new_conn()
            self.staff.append(conn)
            self.apply(self.sb.counsellor_connect(conn, account, self.now))
            self.apply(self.sb.counsellor_status(conn, "available", None, None, self.now))

    def apply(self, effects: Iterable[Effect]) -> list[Effect]:
        """Act on effects as the hub and the clients would; returns them."""
        effects = list(effects)
        for effect in effects:
            if isinstance(effect, Offered):
                self.offers[effect.conn] = effect
            elif isinstance(effect, OfferWithdrawn):
                # Declines and offer timeouts also set the counsellor away. Neither may
                # happen here: every offer is accepted well within offer_timeout_s, and
                # a counsellor put back to `available` would change what is measured.
                raise RuntimeError(f"offer withdrawn ({effect.reason}): the benchmark is off")
            elif isinstance(effect, CloseConnection):
                self.apply(self.sb.connection_lost(effect.conn, self.now))
        return effects

    def check(self, waiting: int) -> None:
        assert self.sb.waiting_count() == waiting, (self.sb.waiting_count(), waiting)
        assert len(self.offers) == len(self.staff), "every counsellor holds an offer"


def measure_queue_scaling(
    waiting: int, *, languages: int = 5, counsellors: int = 50, ops: int = 2000
) -> dict[str, float]:
    """Median costs of the core's calls with ``waiting`` seekers queued; see the module."""
    desk = _Desk(languages, counsellors)
    sb = desk.sb
    if not 1 <= waiting < desk.settings.max_waiting:  # a join under test adds one
        raise ValueError(f"waiting must be 1..{desk.settings.max_waiting - 1}")
    if ops < 1:
        raise ValueError("ops must be at least 1")

    # Setup. Offered seekers leave the queue, so once the counsellors hold their first
    # offers the queue is short by `counsellors`: top it up (newcomers that arrive while
    # a counsellor is still free are offered at once, which the loop also covers).
    for _ in range(waiting):
        desk.join()
    desk.connect_counsellors(counsellors)
    while sb.waiting_count() < waiting:
        desk.join()
    desk.check(waiting)

    # (a) Joins at this length. The clock stands still: time passing would only let the
    # counsellors' pending offers time out (which sets them away), and a join's cost
    # does not depend on the time.
    gc.collect()
    join_ns: list[int] = []
    leave_ns: list[int] = []
    for i in range(ops):
        conn = desk.new_conn()
        language = desk.settings.languages[i % languages]
        t0 = time.perf_counter_ns()
        joined = sb.seeker_join(conn, language, None, desk.now)
        t1 = time.perf_counter_ns()
        desk.apply(joined)
        t2 = time.perf_counter_ns()
        left = sb.seeker_leave(conn, desk.now)
        t3 = time.perf_counter_ns()
        desk.apply(left)
        join_ns.append(t1 - t0)
        leave_ns.append(t3 - t2)
        desk.check(waiting)
        # Drop the effects here, untimed: rebinding the names inside the timed part
        # would charge freeing the last call's effects to the next call.
        del joined, left

    # (b) and (c) Match cycles at MATCH_RATE per simulated second, a tick every TICK_S.
    # Counsellors take turns, so each accepts an offer within counsellors / MATCH_RATE
    # seconds of getting it, long before it would time out. Measured in steady state
    # (see WARMUP_PASSES), for SIM_S simulated seconds or `ops` matches if longer.
    per_tick = round(MATCH_RATE * TICK_S)
    interval = desk.settings.position_interval_s
    warmup_s = desk.settings.offer_timeout_s + WARMUP_PASSES * interval
    warmup_ticks = math.ceil(warmup_s / TICK_S)
    measured_ticks = max(round(SIM_S / TICK_S), -(-ops // per_tick))
    gc.collect()
    match_ns: list[int] = []
    tick_ns: list[int] = []
    pass_ns: list[int] = []  # the ticks that sent positions
    positions = 0
    start = desk.now
    turn = itertools.cycle(desk.staff)
    for k in range(1, warmup_ticks + measured_ticks + 1):
        measuring = k > warmup_ticks
        for j in range(per_tick):
            desk.now = start + ((k - 1) * per_tick + j) / MATCH_RATE
            conn = next(turn)
            chat_id = desk.offers.pop(conn).chat_id
            t0 = time.perf_counter_ns()
            opened = sb.counsellor_accept(conn, chat_id, desk.now)
            ended = sb.counsellor_end(conn, chat_id, OUTCOME, desk.now)
            t1 = time.perf_counter_ns()
            desk.apply(opened)
            desk.apply(ended)
            served = desk.offers[conn]
            assert served in ended, "counsellor_end offers the freed counsellor the next seeker"
            del opened, ended
            desk.join(served.language)
            desk.check(waiting)
            if measuring:
                match_ns.append(t1 - t0)
        desk.now = start + k * TICK_S
        t0 = time.perf_counter_ns()
        ticked = sb.tick(desk.now)
        t1 = time.perf_counter_ns()
        desk.apply(ticked)
        desk.check(waiting)
        if measuring:
            tick_ns.append(t1 - t0)
            sent = sum(1 for e in ticked if isinstance(e, QueuePosition))
            positions += sent
            if sent:
                pass_ns.append(t1 - t0)
        del ticked  # a pass's thousands of effects: freeing them is not the next tick's cost

    return {
        "waiting": float(waiting),
        "join_us": statistics.median(join_ns) / 1e3,
        "leave_us": statistics.median(leave_ns) / 1e3,
        "match_us": statistics.median(match_ns) / 1e3,
        "tick_ms": statistics.median(tick_ns) / 1e6,
        "tick_mean_ms": statistics.fmean(tick_ns) / 1e6,
        "tick_max_ms": max(tick_ns) / 1e6,
        "tick_pass_ms": statistics.median(pass_ns) / 1e6 if pass_ns else 0.0,
        "positions_per_s": positions / (measured_ticks * TICK_S),
    }


ROWS = (
    ("join_us", "join (µs, median)"),
    ("leave_us", "leave (µs, median)"),
    ("match_us", "accept+end+offer (µs, median)"),
    ("tick_ms", "tick (ms, median)"),
    ("tick_pass_ms", "tick sending positions (ms)"),
    ("tick_mean_ms", "tick (ms, mean)"),
    ("tick_max_ms", "tick (ms, max)"),
    ("positions_per_s", "positions sent per second"),
)


def main() -> int:
    # Other work on this machine slows whole runs down, not single calls, so a median
    # alone does not shield the figures: the sizes take turns, REPEATS times each, and
    # every figure is the best (lowest) of its runs.
    sizes = (100, 10_000)
    runs: dict[int, list[dict[str, float]]] = {n: [] for n in sizes}
    for _ in range(REPEATS):
        for n in sizes:
            runs[n].append(measure_queue_scaling(n))
    small, large = ({key: min(r[key] for r in runs[n]) for key in runs[n][0]} for n in sizes)
    languages = ", ".join(Config().languages[:5])
    print(
        f"Switchboard core: languages {languages}; 50 counsellors; {MATCH_RATE} matches "
        f"per simulated second; a tick every {TICK_S} s; best of {REPEATS} runs"
    )
    print(f"{'':32}{f'waiting={sizes[0]}':>14}{f'waiting={sizes[1]}':>15}{'ratio':>9}")
    for key, label in ROWS:
        a, b = small[key], large[key]
        ratio = f"{b / a:9.2f}" if a else f"{'-':>9}"
        print(f"{label:32}{a:14.2f}{b:15.2f}{ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
