"""Staff sessions: SessionRepository (docs/protocol.md §6)."""

from __future__ import annotations

import asyncio
import base64
import hashlib

import pytest
import sqlalchemy as sa

from helpline.core.staff import Role, StaffAccount
from helpline.errors import StoreError
from helpline.store import Database
from helpline.store.models import metadata, staff_sessions
from helpline.store.sessions import TOUCH_INTERVAL_S

IDLE = 8 * 3600.0
T0 = 1_764_158_400.0


async def counsellor(db: Database, username: str = "alice") -> StaffAccount:
    return await db.accounts.create(username, Role.COUNSELLOR, ("en",), 1, "$argon2id$x")


async def last_seen(db: Database) -> list[float]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(sa.select(staff_sessions.c.last_seen_at))
        return [row.last_seen_at for row in rows]


async def session_count(db: Database) -> int:
    async with db.engine.connect() as conn:
        result = await conn.execute(sa.select(sa.func.count()).select_from(staff_sessions))
        return int(result.scalar_one())


async def test_a_new_session_finds_its_account(database: Database) -> None:
    account = await counsellor(database)
    token = await database.sessions.create(account.id, T0)
    assert await database.sessions.lookup(token, T0 + 1, IDLE) == account


async def test_tokens_are_256_bit_base64url(database: Database) -> None:
    account = await counsellor(database)
    tokens = {await database.sessions.create(account.id, T0) for _ in range(5)}
    assert len(tokens) == 5
    for token in tokens:
        assert len(token) == 43
        assert len(base64.urlsafe_b64decode(token + "=")) == 32


async def test_the_database_never_holds_a_raw_token(database: Database) -> None:
    """A copy of the database must not let anyone sign in (docs/protocol.md §6)."""
    account = await counsellor(database)
    token = await database.sessions.create(account.id, T0)
    dump: list[str] = []
    async with database.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in await conn.execute(sa.select(table)):
                dump.extend(str(value) for value in row)
        stored = (await conn.execute(sa.select(staff_sessions.c.token_hash))).scalar_one()
    assert not any(token in value for value in dump)
    assert stored == hashlib.sha256(token.encode()).hexdigest()


@pytest.mark.parametrize(
    "token",
    ["", "nope", "A" * 43, "A" * 44, "é" * 43, "pass\ud800" * 9, "a b" * 15],
)
async def test_unknown_or_malformed_tokens_find_nothing(database: Database, token: str) -> None:
    account = await counsellor(database)
    await database.sessions.create(account.id, T0)
    assert await database.sessions.lookup(token, T0, IDLE) is None
    await database.sessions.delete(token)  # ignored
    assert await session_count(database) == 1


async def test_an_idle_session_expires_and_is_deleted(database: Database) -> None:
    account = await counsellor(database)
    token = await database.sessions.create(account.id, T0)
    assert await database.sessions.lookup(token, T0 + IDLE - 1, IDLE) == account
    assert await database.sessions.lookup(token, T0 + 2 * IDLE, IDLE) is None
    assert await session_count(database) == 0


async def test_expiry_counts_from_the_last_use(database: Database) -> None:
    account = await counsellor(database)
    token = await database.sessions.create(account.id, T0)
    assert await database.sessions.lookup(token, T0 + IDLE - 10, IDLE) == account
    assert await database.sessions.lookup(token, T0 + IDLE + 10, IDLE) == account


async def test_last_seen_is_written_at_most_once_a_minute(database: Database) -> None:
    """Avoids a database write for every staff request."""
    account = await counsellor(database)
    token = await database.sessions.create(account.id, T0)
    await database.sessions.lookup(token, T0 + 30, IDLE)
    assert await last_seen(database) == [T0]
    await database.sessions.lookup(token, T0 + TOUCH_INTERVAL_S, IDLE)
    assert await last_seen(database) == [T0 + TOUCH_INTERVAL_S]
    await database.sessions.lookup(token, T0 + TOUCH_INTERVAL_S + 59, IDLE)
    assert await last_seen(database) == [T0 + TOUCH_INTERVAL_S]


async def test_a_disabled_account_has_no_session(database: Database) -> None:
    account = await counsellor(database)
    token = await database.sessions.create(account.id, T0)
    # As if disabled by another process without ending the sessions.
    async with database.engine.begin() as conn:
        await conn.execute(sa.text("UPDATE staff_accounts SET disabled = true"))
    assert await database.sessions.lookup(token, T0 + 1, IDLE) is None


async def test_delete_signs_out_one_session(database: Database) -> None:
    account = await counsellor(database)
    first = await database.sessions.create(account.id, T0)
    second = await database.sessions.create(account.id, T0)
    await database.sessions.delete(first)
    assert await database.sessions.lookup(first, T0, IDLE) is None
    assert await database.sessions.lookup(second, T0, IDLE) == account
    await database.sessions.delete(first)  # twice is fine


async def test_delete_for_account_signs_out_everywhere(database: Database) -> None:
    alice = await counsellor(database, "alice")
    bob = await counsellor(database, "bob")
    alice_tokens = [await database.sessions.create(alice.id, T0) for _ in range(3)]
    bob_token = await database.sessions.create(bob.id, T0)
    await database.sessions.delete_for_account(alice.id)
    for token in alice_tokens:
        assert await database.sessions.lookup(token, T0, IDLE) is None
    assert await database.sessions.lookup(bob_token, T0, IDLE) == bob


async def test_a_session_needs_an_existing_account(database: Database) -> None:
    """Foreign keys are enforced, on SQLite too."""
    with pytest.raises(StoreError):
        await database.sessions.create(4242, T0)


async def test_concurrent_sign_ins_and_lookups(database: Database) -> None:
    """Many transactions at once on the pool: no "database is locked" on SQLite."""
    accounts = [await counsellor(database, f"user{i}") for i in range(5)]
    tokens = await asyncio.gather(
        *(database.sessions.create(a.id, T0) for a in accounts for _ in range(4))
    )
    found = await asyncio.gather(
        *(database.sessions.lookup(t, T0 + TOUCH_INTERVAL_S, IDLE) for t in tokens),
        *(database.chat_stats.count() for _ in range(10)),
    )
    assert found[: len(tokens)] == [a for a in accounts for _ in range(4)]
    assert await last_seen(database) == [T0 + TOUCH_INTERVAL_S] * len(tokens)


async def test_no_session_for_a_login_checked_against_an_old_password(
    database: Database,
) -> None:
    """Regression: a login racing a password change created a session afterwards."""
    account = await counsellor(database)
    token = await database.sessions.create(account.id, T0, verified_hash="$argon2id$x")
    assert token is not None
    await database.accounts.set_password_hash(account.id, "$argon2id$new")
    assert await database.sessions.create(account.id, T0, verified_hash="$argon2id$x") is None
    assert await session_count(database) == 1
