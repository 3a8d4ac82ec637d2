"""The statistics job: per-chat rows folded into hourly counts, then deleted.

Every ``stats_rollup_s`` (and once at start, for what a stopped server left)
:meth:`StatsJob.run_once` calls :meth:`HourlyRepository.roll_up
<helpline.store.hourly.HourlyRepository.roll_up>`: rows not counted yet are
added to ``stats_hourly``, and rows that ended more than ``stats_retention_s``
ago are deleted (docs/privacy.md). Its time is the hub's clock, read at each
run, so a test that gives the hub a manual clock moves this job too.

A failed run is logged with its error code only and retried at the next
interval: the watermark makes every run complete or nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from helpline.config import Config
from helpline.errors import StoreError
from helpline.store.engine import Database
from helpline.store.hourly import RollUp
from helpline.web.keys import CONFIG, DATABASE, HUB

log = logging.getLogger(__name__)


class StatsJob:
    __slots__ = ("_clock", "_config", "_database", "_lock", "_running", "_task")

    def __init__(self, database: Database, config: Config, clock: Callable[[], float]) -> None:
        self._database = database
        self._config = config
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        # One run at a time in this process (the periodic one and a test's): the
        # database keeps several processes apart, this keeps runs from queueing up.
        self._lock = asyncio.Lock()
        self._running: asyncio.Future[RollUp] | None = None

    async def run_once(self, now: float | None = None) -> RollUp:
        """Fold and delete as of ``now`` (default: the clock). StoreError if it fails."""
        at = self._clock() if now is None else now
        async with self._lock:
            return await self._database.hourly.roll_up(
                at, self._config.stats_retention_s, self._config.service_level_target_s
            )

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="stats-rollup")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._running is not None:
            # A roll-up cut off inside its transaction could leave SQLite's write lock
            # held until the process ends: it finishes first (it is short).
            with contextlib.suppress(StoreError):
                await self._running
            self._running = None

    async def _run(self) -> None:
        while True:
            try:
                self._running = asyncio.ensure_future(self.run_once())
                done = await asyncio.shield(self._running)
                self._running = None
            except StoreError as exc:
                log.warning("statistics roll-up failed: %s", exc.code)
            else:
                if done.counted or done.deleted:
                    log.debug("statistics: %d rows counted, %d deleted", done.counted, done.deleted)
            await asyncio.sleep(max(self._config.stats_rollup_s, 1.0))


STATS_JOB = web.AppKey("stats_job", StatsJob)


async def stats_ctx(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: after the hub's, whose clock it reads."""
    job = StatsJob(app[DATABASE], app[CONFIG], lambda: app[HUB].clock())
    app[STATS_JOB] = job
    job.start()
    yield
    await job.stop()
