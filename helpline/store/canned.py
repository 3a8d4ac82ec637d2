"""Canned responses (docs/protocol.md §6.6): supervisors' texts per queue language.

Limits are the repository's: at most :data:`MAX_PER_LANGUAGE` rows per
language, titles of at most ``CANNED_TITLE_MAX`` characters, texts of at most
``CANNED_TEXT_MAX``; which languages exist is the caller's business (the
configured queues).
"""

from __future__ import annotations

import builtins
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from helpline.errors import StoreError
from helpline.store._base import Transactions
from helpline.store.models import CANNED_TEXT_MAX, CANNED_TITLE_MAX, canned_responses

MAX_PER_LANGUAGE = 200


@dataclass(frozen=True, slots=True)
class CannedResponse:
    id: int
    language: str
    title: str
    text: str


_COLUMNS = (
    canned_responses.c.id,
    canned_responses.c.language,
    canned_responses.c.title,
    canned_responses.c.text,
)


#: Format characters (category Cf) that are allowed: the zero-width joiner and
#: non-joiner, which some scripts and emoji sequences need.
_ALLOWED_FORMAT = "\u200c\u200d"


def acceptable(value: str, *, lines: bool) -> bool:
    """Not blank, no control characters but (with ``lines``) line breaks and tabs, and
    no format characters (Unicode category Cf: bidi embeddings, overrides and isolates,
    zero-width spaces, soft hyphens, …) but ZWNJ and ZWJ: a text must not be able to
    reorder or hide itself in a terminal, a log or the workspace."""
    allowed = ("\n\t" if lines else "") + _ALLOWED_FORMAT
    return bool(value.strip()) and not any(
        unicodedata.category(c) in ("Cc", "Cf") and c not in allowed for c in value
    )


def _check(title: str | None, text: str | None) -> None:
    if title is not None and not 0 < len(title) <= CANNED_TITLE_MAX:
        raise StoreError("bad canned response title", code="bad_title")
    if text is not None and not 0 < len(text) <= CANNED_TEXT_MAX:
        raise StoreError("bad canned response text", code="bad_text")


def _row(row: sa.Row[*tuple[Any, ...]]) -> CannedResponse:
    return CannedResponse(int(row.id), str(row.language), str(row.title), str(row.text))


class _Unchanged(Exception):
    """Rolls a transaction back on purpose (never leaves this module)."""


class CannedRepository:
    __slots__ = ("_tx",)

    def __init__(self, transactions: Transactions) -> None:
        self._tx = transactions

    async def list(self, languages: Iterable[str] | None = None) -> builtins.list[CannedResponse]:
        """The responses of ``languages`` (all when None), by language, then position."""
        query = sa.select(*_COLUMNS).order_by(
            canned_responses.c.language, canned_responses.c.position, canned_responses.c.id
        )
        if languages is not None:
            query = query.where(canned_responses.c.language.in_(builtins.list(languages)))
        async with self._tx.begin() as conn:
            return [_row(row) for row in await conn.execute(query)]

    async def get(self, canned_id: int) -> CannedResponse | None:
        async with self._tx.begin() as conn:
            row = (
                await conn.execute(sa.select(*_COLUMNS).where(canned_responses.c.id == canned_id))
            ).first()
        return None if row is None else _row(row)

    async def add(self, language: str, title: str, text: str) -> CannedResponse:
        """Append a response to its language's list; ``StoreError(code="too_many")``
        at :data:`MAX_PER_LANGUAGE`."""
        _check(title, text)
        async with self._tx.begin(write=True) as conn:
            count, last = (
                await conn.execute(
                    sa.select(sa.func.count(), sa.func.max(canned_responses.c.position)).where(
                        canned_responses.c.language == language
                    )
                )
            ).one()
            if count >= MAX_PER_LANGUAGE:
                raise StoreError(
                    f"at most {MAX_PER_LANGUAGE} canned responses per language", code="too_many"
                )
            result = await conn.execute(
                canned_responses.insert()
                .values(language=language, position=(last or 0) + 1, title=title, text=text)
                .returning(canned_responses.c.id)
            )
            return CannedResponse(int(result.scalar_one()), language, title, text)

    async def update(
        self, canned_id: int, *, title: str | None = None, text: str | None = None
    ) -> CannedResponse | None:
        """Change the title and/or text; None when there is no such response."""
        _check(title, text)
        values: dict[str, str] = {}
        if title is not None:
            values["title"] = title
        if text is not None:
            values["text"] = text
        async with self._tx.begin(write=True) as conn:
            if values:
                await conn.execute(
                    canned_responses.update()
                    .where(canned_responses.c.id == canned_id)
                    .values(**values)
                )
            row = (
                await conn.execute(sa.select(*_COLUMNS).where(canned_responses.c.id == canned_id))
            ).first()
        return None if row is None else _row(row)

    async def remove(self, canned_id: int) -> bool:
        async with self._tx.begin(write=True) as conn:
            result = await conn.execute(
                canned_responses.delete().where(canned_responses.c.id == canned_id)
            )
            return result.rowcount == 1
