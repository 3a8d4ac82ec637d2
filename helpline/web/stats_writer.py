"""Chat statistics rows on their way to the database, off the event loop's hot path.

The core hands the hub one :class:`~helpline.core.stats.ChatSummary` per chat
(``RecordChat``); the hub puts it here without waiting, and a background task
writes whatever has gathered in one transaction, so that many chats ending at
once (a burst of short chats, a benchmark) cost one write, not one each.

Bound (house habit 6): at most :data:`STATS_QUEUE_MAX` rows wait; beyond it a row
is dropped and counted in :attr:`StatsWriter.dropped` (exported as the metric
``helpline_stats_dropped_total``), because holding chats up for the statistics'
sake would be the wrong way round.
"""

from __future__ import annotations

import asyncio
import logging

from helpline.core.stats import ChatSummary
from helpline.errors import StoreError
from helpline.store.engine import Database

log = logging.getLogger(__name__)

STATS_QUEUE_MAX = 10_000  # statistics rows waiting for the database; more are dropped
STATS_BATCH = 500  # statistics rows written in one transaction at most


class StatsWriter:
    __slots__ = ("_database", "_queue", "_writing", "dropped")

    def __init__(self, database: Database) -> None:
        self._database = database
        self._queue: asyncio.Queue[ChatSummary] = asyncio.Queue(maxsize=STATS_QUEUE_MAX)
        self._writing: asyncio.Future[None] | None = None
        self.dropped = 0

    def put(self, summary: ChatSummary) -> None:
        """Queue a row without waiting; dropped (and counted) when the queue is full."""
        try:
            self._queue.put_nowait(summary)
        except asyncio.QueueFull:
            self.dropped += 1

    async def run(self) -> None:
        """Write rows as they come, in batches, until cancelled.

        A write is shielded from the cancellation: cut off inside its transaction, the
        database connection could keep SQLite's write lock until the process ends, and
        the rows :meth:`flush` writes at shutdown would find the database locked.
        """
        while True:
            batch = [await self._queue.get()]
            self._writing = asyncio.ensure_future(self._write(self._take(batch)))
            await asyncio.shield(self._writing)
            self._writing = None

    async def flush(self) -> None:
        """Write what is still waiting (at shutdown, once :meth:`run` was cancelled),
        after the write that was under way, if any."""
        if self._writing is not None:
            await self._writing
            self._writing = None
        while not self._queue.empty():
            await self._write(self._take([]))

    def _take(self, batch: list[ChatSummary]) -> list[ChatSummary]:
        """Whatever else is waiting, up to STATS_BATCH: one transaction for all of them."""
        while len(batch) < STATS_BATCH and not self._queue.empty():
            batch.append(self._queue.get_nowait())
        return batch

    async def _write(self, batch: list[ChatSummary]) -> None:
        try:
            await self._database.chat_stats.record_many(batch)
        except StoreError as exc:
            log.warning("could not record chat statistics: %s", exc.code)
