"""Small values the server keeps for itself in the ``settings`` table.

Today one: the secret behind the fake salts that ``GET /api/salt`` answers for
usernames that do not exist (docs/protocol.md §6). It is made once, at first
use, from the operating system's random source.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from helpline.errors import StoreError
from helpline.store._base import Transactions
from helpline.store.models import settings

FAKE_SALT_SECRET = "fake_salt_secret"  # noqa: S105 - the name of a setting
SECRET_BYTES = 32


class SettingsRepository:
    __slots__ = ("_tx",)

    def __init__(self, transactions: Transactions) -> None:
        self._tx = transactions

    async def get(self, key: str) -> str | None:
        async with self._tx.begin() as conn:
            value = await conn.scalar(sa.select(settings.c.value).where(settings.c.key == key))
        return None if value is None else str(value)

    async def secret(self, key: str, nbytes: int = SECRET_BYTES) -> bytes:
        """The random secret stored under ``key``, made now if there is none yet."""
        for _ in range(2):
            found = await self.get(key)
            if found is not None:
                try:
                    return bytes.fromhex(found)
                except ValueError:
                    raise StoreError(f"setting {key!r} is not hex", code="bad_setting") from None
            try:
                async with self._tx.begin(write=True) as conn:
                    await conn.execute(
                        settings.insert().values(key=key, value=secrets.token_hex(nbytes))
                    )
            except StoreError:
                continue  # another process made it first: read theirs
        raise StoreError(f"cannot make setting {key!r}", code="bad_setting")
