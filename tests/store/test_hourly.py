"""The roll-up: per-chat rows counted once into hourly counts, deleted after the retention
(SQLite and PostgreSQL, tests/store/conftest.py)."""

from __future__ import annotations

import asyncio
import dataclasses

import sqlalchemy as sa

from helpline.core.history import HourlyCount
from helpline.core.stats import ChatSummary
from helpline.store import Database
from helpline.store.hourly import WATERMARK_KEY
from helpline.store.models import settings

HOUR = 1_764_158_400  # 2025-11-26 12:00 UTC
DAY = 86400
ANSWERED = ChatSummary("en", HOUR + 60, HOUR + 120, HOUR + 1800, 45, "counsellor_ended", "referred")
ABANDONED = ChatSummary("de", HOUR + 3660, None, HOUR + 3720, None, "seeker_left", None)


def table(counts: list[HourlyCount]) -> dict[tuple[int, str, str, str], int]:
    return {(c.hour, c.language, c.metric, c.bucket): c.count for c in counts}


async def test_roll_up_counts_every_row_once(database: Database) -> None:
    await database.chat_stats.record_many([ANSWERED, ABANDONED, ANSWERED])
    done = await database.hourly.roll_up(HOUR + 7200, DAY, 60)
    assert (done.counted, done.deleted) == (3, 0)
    expected = {
        (HOUR, "en", "requests", ""): 2,
        (HOUR, "en", "answered", ""): 2,
        (HOUR, "en", "within_target", ""): 2,
        (HOUR, "en", "wait", "30-60"): 2,
        (HOUR, "en", "outcome", "referred"): 2,
        (HOUR, "en", "end", "counsellor_ended"): 2,
        (HOUR + 3600, "de", "requests", ""): 1,
        (HOUR + 3600, "de", "abandoned", ""): 1,
        (HOUR + 3600, "de", "end", "seeker_left"): 1,
    }
    assert table(await database.hourly.counts(HOUR, HOUR + 7200)) == expected
    # Again: nothing new, nothing counted twice.
    again = await database.hourly.roll_up(HOUR + 7200, DAY, 60)
    assert again.counted == 0
    assert again.watermark == done.watermark == await database.hourly.watermark()
    assert table(await database.hourly.counts(HOUR, HOUR + 7200)) == expected
    # A new row adds to the existing counts.
    await database.chat_stats.record(ANSWERED)
    assert (await database.hourly.roll_up(HOUR + 7200, DAY, 60)).counted == 1
    after = table(await database.hourly.counts(HOUR, HOUR + 7200))
    assert after[(HOUR, "en", "requests", "")] == 3
    # Reading by hour range and language.
    only_de = await database.hourly.counts(HOUR + 3600, HOUR + 7200, "de")
    assert {c.language for c in only_de} == {"de"}
    assert await database.hourly.counts(HOUR, HOUR + 3600, "de") == []


async def test_retention_deletes_per_chat_rows_and_keeps_the_counts(database: Database) -> None:
    late = dataclasses.replace(ANSWERED, ended_minute=HOUR + DAY)
    await database.chat_stats.record_many([ANSWERED, ABANDONED, late])
    # One day after ANSWERED ended: it goes; ABANDONED ended later, and late too.
    done = await database.hourly.roll_up(HOUR + 1800 + DAY + 60, DAY, 60)
    assert (done.counted, done.deleted) == (3, 1)
    assert await database.chat_stats.list_all() == [ABANDONED, late]
    done = await database.hourly.roll_up(HOUR + 3 * DAY, DAY, 60)
    assert (done.counted, done.deleted) == (0, 2)
    assert await database.chat_stats.count() == 0
    counts = table(await database.hourly.counts(0, HOUR + 3 * DAY))
    assert counts[(HOUR, "en", "requests", "")] == 2
    assert counts[(HOUR + 3600, "de", "abandoned", "")] == 1


async def test_rows_are_never_deleted_before_they_are_counted(database: Database) -> None:
    """The delete only touches rows at or below the watermark, which a roll-up moves
    in the transaction that counts them."""
    await database.chat_stats.record(ANSWERED)
    await database.hourly.roll_up(HOUR, DAY, 60)  # counted, too young to go
    await database.chat_stats.record(ABANDONED)
    async with database.engine.begin() as conn:  # as if counting it had not happened yet
        await conn.execute(
            settings.update().where(settings.c.key == WATERMARK_KEY).values(value="1")
        )
    done = await database.hourly.roll_up(HOUR + 10 * DAY, DAY, 60)
    assert (done.counted, done.deleted) == (1, 2)
    counts = table(await database.hourly.counts(0, HOUR + DAY))
    assert counts[(HOUR + 3600, "de", "requests", "")] == 1
    assert counts[(HOUR, "en", "requests", "")] == 1


async def test_batches_and_concurrent_roll_ups_count_each_row_once(database: Database) -> None:
    rows = [dataclasses.replace(ANSWERED, queued_minute=HOUR + 120 * i) for i in range(57)]
    await database.chat_stats.record_many(rows)
    results = await asyncio.gather(
        *(database.hourly.roll_up(HOUR, DAY, 60, batch=5) for _ in range(4))
    )
    assert sum(r.counted for r in results) == 57
    counts = table(await database.hourly.counts(HOUR, HOUR + 7200))
    assert counts[(HOUR, "en", "requests", "")] + counts[(HOUR + 3600, "en", "requests", "")] == 57
    assert await database.hourly.watermark() == max(r.watermark for r in results)
    async with database.engine.connect() as conn:
        total = await conn.scalar(sa.text("SELECT count(*) FROM chat_stats"))
    assert total == 57


async def test_rows_after_an_emptied_table_are_counted(database: Database) -> None:
    """A quiet spell: every row was counted and deleted. The next chats must get ids
    above the watermark (SQLite would reuse ids without AUTOINCREMENT), or they would
    never be counted and then be deleted after the retention."""
    await database.chat_stats.record_many([ANSWERED, ANSWERED])
    done = await database.hourly.roll_up(HOUR + 2 * DAY, DAY, 60)
    assert (done.counted, done.deleted) == (2, 2)
    assert await database.chat_stats.count() == 0
    await database.chat_stats.record(ANSWERED)
    assert (await database.hourly.roll_up(HOUR + 2 * DAY, DAY, 60)).counted == 1
    requests = table(await database.hourly.counts(HOUR, HOUR + 3600))[(HOUR, "en", "requests", "")]
    assert requests == 3
