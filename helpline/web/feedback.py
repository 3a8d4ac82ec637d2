"""Feedback answers, counted in memory and written to the database in batches.

``POST /api/feedback`` adds one to a count here; every ``feedback_flush_s``
(an hour by default) the counts are added to the table in one transaction, and
once more when the server stops. So the moment an answer reaches the database
says nothing about when it was given: it cannot be paired with the statistics
line its chat wrote when it ended (docs/privacy.md). With ``feedback_flush_s``
set to 0 every answer is written at once (tests).

Bound (house habit 6): one entry per (UTC day, language, answer) seen since the
last write, so at most two days × the queues × three answers. A server that
dies without stopping loses the answers of the last interval: counts, never
anything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from datetime import date

from helpline.errors import StoreError
from helpline.store.engine import Database

log = logging.getLogger(__name__)

Key = tuple[date, str, str]  # (UTC day, language, answer)


class FeedbackTally:
    __slots__ = ("_counts", "_database", "_flush_s", "_task", "_writing")

    def __init__(self, database: Database, flush_s: float) -> None:
        self._database = database
        self._flush_s = flush_s
        self._counts: Counter[Key] = Counter()
        self._task: asyncio.Task[None] | None = None
        self._writing: asyncio.Future[None] | None = None

    @property
    def pending(self) -> int:
        """Answers counted here and not written yet."""
        return sum(self._counts.values())

    async def add(self, day: date, language: str, answer: str) -> None:
        """Count one answer (written now when batching is off: StoreError then)."""
        if self._flush_s <= 0:
            await self._database.feedback.record(day, language, answer)
            return
        self._counts[(day, language, answer)] += 1

    async def flush(self) -> None:
        """Add what was counted to the database; kept for the next try if it fails."""
        if not self._counts:
            return
        counts, self._counts = self._counts, Counter()
        try:
            await self._database.feedback.record_counts(dict(counts))
        except StoreError as exc:
            log.warning("could not write feedback counts: %s", exc.code)
            self._counts.update(counts)

    def start(self) -> None:
        if self._flush_s > 0:
            self._task = asyncio.create_task(self._run(), name="feedback-flush")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._writing is not None:
            await self._writing  # the write under way finishes first
            self._writing = None
        await self.flush()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._flush_s)
            # Shielded from stop()'s cancellation: cut off inside its transaction, a
            # write would lose the counts it took and could keep SQLite's write lock.
            self._writing = asyncio.ensure_future(self.flush())
            await asyncio.shield(self._writing)
            self._writing = None
