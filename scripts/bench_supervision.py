"""What the supervisors' figures cost: the history's suppression and the live dashboard.

    .venv/bin/python scripts/bench_supervision.py [--seed N]

Two figures, each measured in process (no server, no database), because both run on
the server with nothing else to hide their cost:

- ``history``: :func:`helpline.core.history.build_table` for the largest CSV export
  (366 days, 8 languages), with traffic from busy to very quiet: small counts to
  hide, their complementary cells, and the audit that hides more until no hidden
  count can be worked out by adding up (docs/privacy.md). It runs in a worker
  thread, so it delays no chat, but the supervisor waits for it. Printed: cells,
  small counts, hidden cells and the build time, for several traffic mixes.
- ``dashboard``: :func:`helpline.core.dashboard.snapshot` with the wait log at its
  bound (100,000 waits in the last hour) and 200 counsellors, as computed once per
  ``dashboard_interval_s`` on the event loop: the median and the longest of 20.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from helpline.core.dashboard import WAIT_LOG_MAX, StatusClock, snapshot
from helpline.core.history import (
    ABANDON_REASONS,
    END_REASONS,
    build_table,
    chat_layout,
    wait_bucket,
)
from helpline.core.participants import CoreSettings
from helpline.core.staff import Role, StaffAccount
from helpline.core.switchboard import Switchboard

LANGUAGES = ("en", "de", "fr", "es", "it", "pl", "tr", "ar")
OUTCOMES = ("support_given", "referred", "resources_sent", "abusive", "silent", "other")
DAYS = 366
MIN_COUNT = 5
#: Mean chats per day and language, from the busiest language to the quietest.
MIXES = {
    "busy to quiet": (40, 15, 6, 3, 2, 1, 0.5, 0.3),
    "all quiet": (3, 2, 2, 1, 1, 0.5, 0.5, 0.3),
    "even, small": (8, 8, 6, 6, 4, 4, 2, 2),
    "busy": (200, 120, 80, 40, 30, 20, 10, 5),
}


def _day(rng: random.Random, mean: float) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}

    def add(key: tuple[str, str]) -> None:
        counts[key] = counts.get(key, 0) + 1

    for _ in range(max(0, int(rng.gauss(mean, mean / 2 + 1)))):
        add(("requests", ""))
        answered = rng.random() < 0.7
        lost = ("seeker_left", "seeker_gone", "counsellor_lost")
        end = rng.choice(END_REASONS) if answered else rng.choice(lost)
        add(("end", end))
        if answered:
            wait = rng.choice((5, 40, 70, 200, 400, 800, 2000))
            add(("answered", ""))
            add(("wait", wait_bucket(wait)))
            if wait <= 60:
                add(("within_target", ""))
            if rng.random() < 0.8:
                add(("outcome", rng.choice(OUTCOMES)))
        elif end in ABANDON_REASONS:
            add(("abandoned", ""))
    return counts


def bench_history(seed: int) -> None:
    layout = chat_layout(OUTCOMES, END_REASONS, 60)
    for name, means in MIXES.items():
        rng = random.Random(seed)
        rows = {
            (day, language): counts
            for day in range(DAYS)
            for language, mean in zip(LANGUAGES, means, strict=True)
            if (counts := _day(rng, mean))
        }
        started = time.perf_counter()
        table = build_table(rows, list(range(DAYS)), LANGUAGES, layout, MIN_COUNT)
        took = time.perf_counter() - started
        small = sum(1 for value in table.values.values() if 0 < value < MIN_COUNT)
        print(
            f"history  {name:<14} cells {len(table.values):>7}  small {small:>6}  "
            f"hidden {len(table.hidden):>6}  build {took:.2f} s"
        )


def bench_dashboard() -> None:
    sb = Switchboard(CoreSettings(languages=LANGUAGES, max_capacity=3))
    now = 1_800_000_000.0
    for i in range(200):
        account = StaffAccount(i, f"c{i}", Role.COUNSELLOR, LANGUAGES[: 1 + i % 4], 3)
        sb.counsellor_connect(i, account, now)
    rng = random.Random(1)
    for i in range(WAIT_LOG_MAX):
        at = now - 3600 + 3600 * i / WAIT_LOG_MAX
        if rng.random() < 0.8:
            sb.waits.answered(rng.choice(LANGUAGES), at, rng.uniform(0, 600))
        else:
            sb.waits.abandoned(rng.choice(LANGUAGES), at)
    clock = StatusClock()
    times = []
    for _ in range(20):
        started = time.perf_counter()
        snapshot(sb, now, 60.0, clock)
        times.append(time.perf_counter() - started)
    print(
        f"dashboard waits {len(sb.waits):>7}  counsellors 200  "
        f"snapshot median {statistics.median(times) * 1000:.1f} ms  max {max(times) * 1000:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    bench_history(args.seed)
    bench_dashboard()


if __name__ == "__main__":
    main()
