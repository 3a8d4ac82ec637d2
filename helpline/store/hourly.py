"""Hourly statistics: folding per-chat rows into counts, and the retention delete.

:meth:`HourlyRepository.roll_up` adds the ``chat_stats`` rows above a watermark
(the ``settings`` key ``stats_rolled_up_to_id``) to ``stats_hourly`` and moves
the watermark, in one transaction, so a row is counted exactly once whatever
fails or runs twice. Then it deletes the per-chat rows that ended before the
retention cut-off, but only rows at or below the watermark: a row is never
deleted before it was counted (docs/privacy.md).

Several processes may run it at once. SQLite has one writer at a time
(``BEGIN IMMEDIATE``). On PostgreSQL the transaction first locks
``chat_stats`` in SHARE ROW EXCLUSIVE mode: that waits for every transaction
still inserting rows and holds new inserts back until it ends. Without it a
row whose id was drawn from the sequence before a neighbour's, but committed
after it, would land below the watermark uncounted and later be deleted. The
lock mode conflicts with itself, so two roll-ups run one after the other;
the watermark row is locked ``FOR UPDATE`` as well.

Bound: at most :data:`BATCH` rows are read into memory per transaction; a
backlog takes several transactions, each complete in itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from helpline.core.history import HourlyCount, fold
from helpline.core.stats import ChatSummary
from helpline.errors import StoreError
from helpline.store._base import Transactions
from helpline.store.chat_stats import SUMMARY_FIELDS
from helpline.store.models import chat_stats, settings, stats_hourly

WATERMARK_KEY = "stats_rolled_up_to_id"
BATCH = 5000


@dataclass(frozen=True, slots=True)
class RollUp:
    """What one :meth:`HourlyRepository.roll_up` did: per-chat rows counted into the
    hourly table, per-chat rows deleted, and the watermark afterwards."""

    counted: int
    deleted: int
    watermark: int


class HourlyRepository:
    __slots__ = ("_tx",)

    def __init__(self, transactions: Transactions) -> None:
        self._tx = transactions

    async def roll_up(
        self, now: float, retention_s: float, target_s: float, batch: int = BATCH
    ) -> RollUp:
        """Count every per-chat row not counted yet, then delete those that ended
        before ``now - retention_s``. Safe to repeat and to run concurrently."""
        assert batch > 0
        counted = 0
        while True:
            n, watermark = await self._fold_batch(target_s, batch)
            counted += n
            if n < batch:
                break
        cut = int(now - retention_s)
        async with self._tx.begin(write=True) as conn:
            result = await conn.execute(
                chat_stats.delete().where(
                    chat_stats.c.ended_minute < cut, chat_stats.c.id <= watermark
                )
            )
            deleted = max(result.rowcount or 0, 0)
        return RollUp(counted, deleted, watermark)

    async def _fold_batch(self, target_s: float, batch: int) -> tuple[int, int]:
        async with self._tx.begin(write=True) as conn:
            if conn.dialect.name == "postgresql":
                await conn.execute(sa.text("LOCK TABLE chat_stats IN SHARE ROW EXCLUSIVE MODE"))
            watermark = await _watermark(conn)
            columns = [chat_stats.c.id, *(chat_stats.c[name] for name in SUMMARY_FIELDS)]
            rows = (
                await conn.execute(
                    sa.select(*columns)
                    .where(chat_stats.c.id > watermark)
                    .order_by(chat_stats.c.id)
                    .limit(batch)
                )
            ).all()
            if not rows:
                return 0, watermark
            summaries = [ChatSummary(*row[1:]) for row in rows]
            counts = fold(summaries, target_s)
            insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
            statement = insert(stats_hourly)
            statement = statement.on_conflict_do_update(
                index_elements=[
                    stats_hourly.c.hour,
                    stats_hourly.c.language,
                    stats_hourly.c.metric,
                    stats_hourly.c.bucket,
                ],
                set_={"count": stats_hourly.c.count + statement.excluded.count},
            )
            await conn.execute(
                statement,
                [
                    {"hour": h, "language": lang, "metric": m, "bucket": b, "count": n}
                    for (h, lang, m, b), n in sorted(counts.items())
                ],
            )
            watermark = int(rows[-1][0])
            await conn.execute(
                settings.update()
                .where(settings.c.key == WATERMARK_KEY)
                .values(value=str(watermark))
            )
            return len(rows), watermark

    async def counts(
        self, since_hour: int, until_hour: int, language: str | None = None
    ) -> list[HourlyCount]:
        """The hourly counts of the UTC hours ``since_hour`` <= hour < ``until_hour``
        (of one ``language`` if given), by hour, language, metric and bucket."""
        t = stats_hourly
        query = sa.select(t.c.hour, t.c.language, t.c.metric, t.c.bucket, t.c.count).where(
            t.c.hour >= since_hour, t.c.hour < until_hour, t.c.count > 0
        )
        if language is not None:
            query = query.where(t.c.language == language)
        query = query.order_by(t.c.hour, t.c.language, t.c.metric, t.c.bucket)
        async with self._tx.begin() as conn:
            rows = await conn.execute(query)
            return [HourlyCount(int(h), lang, m, b, int(n)) for h, lang, m, b, n in rows]

    async def watermark(self) -> int:
        """The id of the last per-chat row counted (0: none yet)."""
        async with self._tx.begin() as conn:
            value = await conn.scalar(
                sa.select(settings.c.value).where(settings.c.key == WATERMARK_KEY)
            )
        return _parse(value)


async def _watermark(conn: AsyncConnection) -> int:
    """The watermark, locked for this transaction; made (0) on the first roll-up."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    await conn.execute(
        insert(settings).values(key=WATERMARK_KEY, value="0").on_conflict_do_nothing()
    )
    query = sa.select(settings.c.value).where(settings.c.key == WATERMARK_KEY)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return _parse(await conn.scalar(query))


def _parse(value: object) -> int:
    if value is None:
        return 0
    try:
        return int(str(value))
    except ValueError:
        raise StoreError(f"setting {WATERMARK_KEY!r} is not a number", code="bad_setting") from None
