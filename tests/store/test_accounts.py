"""Staff accounts: AccountRepository."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from helpline.core.staff import Role, StaffAccount
from helpline.errors import StoreError
from helpline.store import Database

HASH = "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g"


async def add(
    db: Database,
    username: str = "alice",
    *,
    role: Role = Role.COUNSELLOR,
    languages: tuple[str, ...] = ("en", "de"),
    capacity: int = 2,
) -> StaffAccount:
    return await db.accounts.create(username, role, languages, capacity, HASH)


async def test_create_returns_the_account_and_get_finds_it(database: Database) -> None:
    account = await add(database)
    assert account == StaffAccount(
        id=account.id,
        username="alice",
        role=Role.COUNSELLOR,
        languages=("en", "de"),
        capacity=2,
        disabled=False,
    )
    assert await database.accounts.get(account.id) == account


async def test_get_unknown_id_is_none(database: Database) -> None:
    assert await database.accounts.get(12345) is None


async def test_a_supervisor_may_have_no_languages(database: Database) -> None:
    account = await add(database, "sam", role=Role.SUPERVISOR, languages=(), capacity=1)
    assert account.languages == ()
    got = await database.accounts.get(account.id)
    assert got is not None
    assert got.role is Role.SUPERVISOR
    assert got.languages == ()


async def test_duplicate_username_is_refused(database: Database) -> None:
    await add(database)
    with pytest.raises(StoreError) as caught:
        await add(database, languages=("fi",))
    assert caught.value.code == "duplicate_username"
    assert await database.accounts.count() == 1


async def test_find_login_returns_the_account_and_its_hash(database: Database) -> None:
    account = await add(database)
    assert await database.accounts.find_login("alice") == (account, HASH)
    assert await database.accounts.find_login("bob") is None


async def test_the_account_type_never_carries_the_password_hash(database: Database) -> None:
    account = await add(database)
    assert HASH not in repr(account)
    assert "password_hash" not in {f.name for f in dataclasses.fields(StaffAccount)}


async def test_count_and_list_in_order_of_creation(database: Database) -> None:
    assert await database.accounts.count() == 0
    assert await database.accounts.list() == []
    first = await add(database, "alice")
    second = await add(database, "bob", languages=("nl",), capacity=3)
    assert await database.accounts.count() == 2
    assert await database.accounts.list() == [first, second]


async def test_set_disabled_and_enable_again(database: Database) -> None:
    account = await add(database)
    await database.accounts.set_disabled(account.id, True)
    disabled = await database.accounts.get(account.id)
    assert disabled is not None
    assert disabled.disabled
    found = await database.accounts.find_login("alice")
    assert found is not None
    assert found[0].disabled
    await database.accounts.set_disabled(account.id, False)
    assert await database.accounts.get(account.id) == account


async def test_disabling_signs_the_account_out_everywhere(database: Database) -> None:
    """Re-enabling an account must not revive the sessions it had."""
    account = await add(database)
    token = await database.sessions.create(account.id, now=1000.0)
    await database.accounts.set_disabled(account.id, True)
    await database.accounts.set_disabled(account.id, False)
    assert await database.sessions.lookup(token, now=1001.0, idle_s=3600.0) is None


async def test_set_password_hash(database: Database) -> None:
    account = await add(database)
    await database.accounts.set_password_hash(account.id, "$argon2id$new")
    assert await database.accounts.find_login("alice") == (account, "$argon2id$new")


async def test_disabling_an_unknown_account_is_an_error(database: Database) -> None:
    with pytest.raises(StoreError) as caught:
        await database.accounts.set_disabled(999, True)
    assert caught.value.code == "not_found"


async def test_changing_the_password_of_an_unknown_account_is_an_error(
    database: Database,
) -> None:
    with pytest.raises(StoreError) as caught:
        await database.accounts.set_password_hash(999, HASH)
    assert caught.value.code == "not_found"


async def test_a_bad_language_code_is_refused(database: Database) -> None:
    with pytest.raises(StoreError):
        await add(database, languages=("en,de",))
    assert await database.accounts.count() == 0


async def test_the_last_enabled_supervisor_stays(database: Database) -> None:
    """Two supervisors demoting or disabling each other at the same moment: one change
    is made, the other refused, and one enabled supervisor is always left."""
    first = await database.accounts.create("ann", Role.SUPERVISOR, (), 1, "$argon2id$x")
    second = await database.accounts.create("ben", Role.SUPERVISOR, (), 1, "$argon2id$x")
    results = await asyncio.gather(
        database.accounts.update(first.id, role=Role.COUNSELLOR, languages=("en",)),
        database.accounts.set_disabled(second.id, True),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, StoreError)]
    assert len(refused) == 1, results
    assert refused[0].code == "last_supervisor"
    left = [
        a for a in await database.accounts.list() if a.role is Role.SUPERVISOR and not a.disabled
    ]
    assert len(left) == 1
    # The one left can be neither demoted nor disabled; other changes still work.
    with pytest.raises(StoreError) as demoted:
        await database.accounts.update(left[0].id, role=Role.COUNSELLOR, languages=("en",))
    assert demoted.value.code == "last_supervisor"
    with pytest.raises(StoreError):
        await database.accounts.set_disabled(left[0].id, True)
    assert (await database.accounts.update(left[0].id, capacity=2)).capacity == 2


async def test_names_that_look_the_same_are_one_name(database: Database) -> None:
    """Case and Unicode form do not make a new username: two rows reading "émile" in a
    staff list could not be told apart."""
    await database.accounts.create("anna", Role.COUNSELLOR, ("en",), 1, HASH)
    await database.accounts.create("\u00e9mile", Role.COUNSELLOR, ("en",), 1, HASH)
    for name in ("Anna", "ＡＮＮＡ", "e\u0301mile", "ÉMILE"):
        with pytest.raises(StoreError) as taken:
            await database.accounts.create(name, Role.COUNSELLOR, ("en",), 1, HASH)
        assert taken.value.code == "duplicate_username", name
    assert len(await database.accounts.list()) == 2
