"""Feedback counts: one row per (UTC day, language, answer), nothing more (docs/privacy.md).

An answer adds one to its row in one statement, an upsert (``INSERT … ON
CONFLICT DO UPDATE``), which SQLite (3.24 and later) and PostgreSQL both
run atomically, so concurrent answers never lose a count.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from helpline.core.feedback import ANSWERS, FeedbackCount
from helpline.errors import StoreError
from helpline.store._base import Transactions
from helpline.store.models import feedback_counts


class FeedbackRepository:
    __slots__ = ("_tx",)

    def __init__(self, transactions: Transactions) -> None:
        self._tx = transactions

    async def record(self, day: date, language: str, answer: str) -> None:
        """Count one ``answer`` from a seeker of ``language`` on ``day``."""
        await self.record_counts({(day, language, answer): 1})

    async def record_counts(self, counts: dict[tuple[date, str, str], int]) -> None:
        """Add ``n`` to the row of each (day, language, answer), in one transaction."""
        for (_, _, answer), n in counts.items():
            if answer not in ANSWERS:
                raise StoreError(f"not a feedback answer: {answer[:32]!r}", code="bad_answer")
            if n < 1:
                raise StoreError("a count adds at least one answer", code="bad_answer")
        table = feedback_counts
        async with self._tx.begin(write=True) as conn:
            insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
            for (day, language, answer), n in sorted(counts.items()):
                statement = insert(table).values(day=day, language=language, answer=answer, count=n)
                statement = statement.on_conflict_do_update(
                    index_elements=[table.c.day, table.c.language, table.c.answer],
                    set_={"count": table.c.count + statement.excluded.count},
                )
                await conn.execute(statement)

    async def counts(
        self, since: date | None = None, until: date | None = None
    ) -> list[FeedbackCount]:
        """The counts of the days from ``since`` to ``until`` (both included; None: no
        limit), by day, language and answer."""
        table = feedback_counts
        query = sa.select(table.c.day, table.c.language, table.c.answer, table.c.count)
        if since is not None:
            query = query.where(table.c.day >= since)
        if until is not None:
            query = query.where(table.c.day <= until)
        query = query.order_by(table.c.day, table.c.language, table.c.answer)
        async with self._tx.begin() as conn:
            rows = await conn.execute(query)
            return [FeedbackCount(day, language, answer, n) for day, language, answer, n in rows]
