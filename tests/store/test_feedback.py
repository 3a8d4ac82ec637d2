"""Feedback counts (helpline.store.feedback): a count per day, language and answer."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
import sqlalchemy as sa

from helpline.core.feedback import FeedbackCount
from helpline.errors import StoreError
from helpline.store import Database

DAY = date(2025, 12, 1)
NEXT = date(2025, 12, 2)


async def test_answers_are_counted_per_day_language_and_answer(database: Database) -> None:
    for _ in range(3):
        await database.feedback.record(DAY, "en", "helpful")
    await database.feedback.record(DAY, "en", "not_helpful")
    await database.feedback.record(DAY, "de", "helpful")
    await database.feedback.record(NEXT, "en", "somewhat")
    assert await database.feedback.counts() == [
        FeedbackCount(DAY, "de", "helpful", 1),
        FeedbackCount(DAY, "en", "helpful", 3),
        FeedbackCount(DAY, "en", "not_helpful", 1),
        FeedbackCount(NEXT, "en", "somewhat", 1),
    ]
    assert await database.feedback.counts(since=NEXT) == [FeedbackCount(NEXT, "en", "somewhat", 1)]
    assert [c.day for c in await database.feedback.counts(until=DAY)] == [DAY] * 3


async def test_concurrent_answers_are_all_counted(database: Database) -> None:
    """The upsert is one atomic statement on SQLite and PostgreSQL alike."""
    await asyncio.gather(*(database.feedback.record(DAY, "fi", "helpful") for _ in range(20)))
    assert await database.feedback.counts() == [FeedbackCount(DAY, "fi", "helpful", 20)]


async def test_only_the_three_answers_are_stored(database: Database) -> None:
    with pytest.raises(StoreError):
        await database.feedback.record(DAY, "en", "great")
    async with database.engine.begin() as conn:
        with pytest.raises(sa.exc.IntegrityError):
            await conn.execute(
                sa.text(
                    "INSERT INTO feedback_counts (day, language, answer, count) "
                    "VALUES ('2025-12-01', 'en', 'great', 1)"
                )
            )
    assert await database.feedback.counts() == []


async def test_the_table_holds_nothing_but_the_counts(database: Database) -> None:
    """docs/privacy.md: no chat id, no time of day, nothing to tie an answer to a chat."""
    async with database.engine.connect() as conn:
        columns = await conn.run_sync(
            lambda c: [col["name"] for col in sa.inspect(c).get_columns("feedback_counts")]
        )
    assert columns == ["day", "language", "answer", "count"]
