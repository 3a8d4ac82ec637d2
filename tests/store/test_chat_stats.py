"""Chat statistics: exactly a ChatSummary per chat, nothing more."""

from __future__ import annotations

import dataclasses

from helpline.core.stats import ChatSummary
from helpline.store import Database
from helpline.store.models import chat_stats

ANSWERED = ChatSummary(
    language="en",
    queued_minute=1_764_158_400,
    answered_minute=1_764_158_460,
    ended_minute=1_764_160_200,
    wait_s=45,
    end_reason="counsellor_ended",
    outcome="referred",
)
ABANDONED = ChatSummary(
    language="de",
    queued_minute=1_764_158_400,
    answered_minute=None,
    ended_minute=1_764_158_520,
    wait_s=None,
    end_reason="seeker_left",
    outcome=None,
)


def test_the_table_holds_the_summary_fields_and_nothing_more() -> None:
    """A privacy guard: a new column must come with a new ChatSummary field."""
    fields = {f.name for f in dataclasses.fields(ChatSummary)}
    assert set(chat_stats.c.keys()) == fields | {"id"}


async def test_record_and_read_back(database: Database) -> None:
    assert await database.chat_stats.count() == 0
    await database.chat_stats.record(ANSWERED)
    await database.chat_stats.record(ABANDONED)
    assert await database.chat_stats.count() == 2
    assert await database.chat_stats.list_all() == [ANSWERED, ABANDONED]


async def test_minutes_after_2038_fit(database: Database) -> None:
    later = dataclasses.replace(
        ANSWERED,
        queued_minute=4_102_444_800,
        answered_minute=4_102_444_860,
        ended_minute=4_102_448_400,
    )
    await database.chat_stats.record(later)
    assert await database.chat_stats.list_all() == [later]


async def test_record_many_writes_all_in_order(database: Database) -> None:
    later = dataclasses.replace(ANSWERED, wait_s=7)
    await database.chat_stats.record_many([ANSWERED, ABANDONED, later])
    await database.chat_stats.record_many([])
    assert await database.chat_stats.list_all() == [ANSWERED, ABANDONED, later]
