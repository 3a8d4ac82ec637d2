"""The service settings document in the ``settings`` table (docs/operations.md).

Three keys: ``service_document`` (the JSON document, same shape as the service
file, :func:`helpline.service.to_document`), ``service_version`` (a number
that grows with every change: running servers compare it in their session
check and load the document again when it moved, so a change made by the CLI
reaches them within ``session_check_s``) and ``service_file_sha256`` (the
SHA-256 of the service file last imported). Parsing and checking the document
is :mod:`helpline.service`'s job; this module only stores text.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from helpline.store._base import Transactions
from helpline.store.models import settings

DOCUMENT = "service_document"
VERSION = "service_version"
FILE_SHA256 = "service_file_sha256"


@dataclass(frozen=True, slots=True)
class StoredService:
    document: str | None  # None: never saved (the defaults and the file apply)
    version: int
    file_sha256: str | None


class ServiceStore:
    __slots__ = ("_tx",)

    def __init__(self, transactions: Transactions) -> None:
        self._tx = transactions

    async def load(self) -> StoredService:
        async with self._tx.begin() as conn:
            rows = await conn.execute(
                sa.select(settings.c.key, settings.c.value).where(
                    settings.c.key.in_((DOCUMENT, VERSION, FILE_SHA256))
                )
            )
            found = {str(row.key): str(row.value) for row in rows}
        return StoredService(
            found.get(DOCUMENT), int(found.get(VERSION, "0")), found.get(FILE_SHA256)
        )

    async def version(self) -> int:
        async with self._tx.begin() as conn:
            value = await conn.scalar(sa.select(settings.c.value).where(settings.c.key == VERSION))
        return 0 if value is None else int(value)

    async def save(
        self, document: str, expected_version: int, *, file_sha256: str | None = None
    ) -> int | None:
        """Store ``document`` if the version is still ``expected_version`` (the one the
        change was made from); returns the new version, or None when another change
        came first (nothing written)."""
        async with self._tx.begin(write=True) as conn:
            current = await conn.scalar(
                sa.select(settings.c.value).where(settings.c.key == VERSION)
            )
            if (0 if current is None else int(current)) != expected_version:
                return None
            new_version = expected_version + 1
            if current is None:
                await conn.execute(settings.insert().values(key=VERSION, value=str(new_version)))
            else:
                # Compare-and-set: of two concurrent changes (PostgreSQL) one wins.
                result = await conn.execute(
                    settings.update()
                    .where(settings.c.key == VERSION, settings.c.value == current)
                    .values(value=str(new_version))
                )
                if result.rowcount != 1:
                    return None
            await _upsert(conn, DOCUMENT, document)
            if file_sha256 is not None:
                await _upsert(conn, FILE_SHA256, file_sha256)
        return new_version


async def _upsert(conn: AsyncConnection, key: str, value: str) -> None:
    exists = await conn.scalar(sa.select(settings.c.key).where(settings.c.key == key))
    await _put(conn, key, value, exists=exists is not None)


async def _put(conn: AsyncConnection, key: str, value: str, *, exists: bool) -> None:
    if exists:
        await conn.execute(settings.update().where(settings.c.key == key).values(value=value))
    else:
        await conn.execute(settings.insert().values(key=key, value=value))


__all__ = ["ServiceStore", "StoredService"]
