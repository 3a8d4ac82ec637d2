"""Chat statistics: one :class:`ChatSummary` per chat, nothing more (docs/privacy.md)."""

from __future__ import annotations

import sqlalchemy as sa

from helpline.core.stats import ChatSummary
from helpline.store._base import Transactions
from helpline.store.models import chat_stats

#: The columns of a row, which are the fields of a ChatSummary.
SUMMARY_FIELDS = (
    "language",
    "queued_minute",
    "answered_minute",
    "ended_minute",
    "wait_s",
    "end_reason",
    "outcome",
)


class ChatStatsRepository:
    __slots__ = ("_tx",)

    def __init__(self, transactions: Transactions) -> None:
        self._tx = transactions

    async def record(self, summary: ChatSummary) -> None:
        await self.record_many([summary])

    async def record_many(self, summaries: list[ChatSummary]) -> None:
        """Several summaries in one transaction: at hundreds of chats ending a second
        (a benchmark, a burst of short chats) one transaction each would fall behind."""
        if not summaries:
            return
        rows = [{name: getattr(summary, name) for name in SUMMARY_FIELDS} for summary in summaries]
        async with self._tx.begin(write=True) as conn:
            await conn.execute(chat_stats.insert(), rows)

    async def count(self) -> int:
        async with self._tx.begin() as conn:
            result = await conn.execute(sa.select(sa.func.count()).select_from(chat_stats))
            return int(result.scalar_one())

    async def list_all(self) -> list[ChatSummary]:
        """Every summary in the order recorded (for tests and exports)."""
        columns = [chat_stats.c[name] for name in SUMMARY_FIELDS]
        async with self._tx.begin() as conn:
            rows = await conn.execute(sa.select(*columns).order_by(chat_stats.c.id))
            return [ChatSummary(**row._asdict()) for row in rows]
