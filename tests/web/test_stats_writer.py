"""The statistics writer: batches, the bound, and a database that fails."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from helpline.core.stats import ChatSummary
from helpline.errors import StoreError
from helpline.store.engine import Database
from helpline.web import stats_writer
from helpline.web.stats_writer import StatsWriter

ROW = ChatSummary("en", 0, 60, 120, 5, "counsellor_ended", None)


class FakeStats:
    def __init__(self, fail: bool = False) -> None:
        self.batches: list[int] = []
        self.fail = fail

    async def record_many(self, rows: list[ChatSummary]) -> None:
        if self.fail:
            raise StoreError("down", code="unavailable")
        self.batches.append(len(rows))


class FakeDatabase:
    def __init__(self, fail: bool = False) -> None:
        self.chat_stats = FakeStats(fail)


def writer(fail: bool = False) -> tuple[StatsWriter, FakeStats]:
    database: Any = FakeDatabase(fail)
    return StatsWriter(cast(Database, database)), database.chat_stats


async def test_rows_that_gathered_are_written_in_batches() -> None:
    out, stats = writer()
    for _ in range(stats_writer.STATS_BATCH + 20):
        out.put(ROW)
    await out.flush()
    assert stats.batches == [stats_writer.STATS_BATCH, 20]


async def test_beyond_the_bound_rows_are_dropped_and_counted(monkeypatch: Any) -> None:
    monkeypatch.setattr(stats_writer, "STATS_QUEUE_MAX", 3)
    out, stats = writer()
    for _ in range(5):
        out.put(ROW)
    assert out.dropped == 2
    await out.flush()
    assert stats.batches == [3]


async def test_a_failing_database_loses_the_batch_not_the_writer() -> None:
    out, _ = writer(fail=True)
    task = asyncio.create_task(out.run())
    out.put(ROW)
    await asyncio.sleep(0.01)
    assert not task.done()  # still running: the next rows get their chance
    task.cancel()
