"""Identity keys, the revocation list, login-secret changes and the settings secret
(IdentityRepository, AccountRepository.change_login_secret, SettingsRepository)."""

from __future__ import annotations

import pytest

from helpline.core.staff import Role, StaffAccount
from helpline.errors import StoreError
from helpline.store import Database
from helpline.store.accounts import KdfParams
from helpline.store.identity import KeyState
from helpline.store.settings import FAKE_SALT_SECRET

HASH = "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g"
IK1, IK2, IK3 = b"\x11" * 32, b"\x22" * 32, b"\x33" * 32
WRAPPED = b"\x07" * 72


async def account(db: Database, username: str = "alice") -> StaffAccount:
    return await db.accounts.create(
        username, Role.COUNSELLOR, ("en",), 1, HASH, kdf_salt=b"s" * 16, kdf_iterations=1000
    )


async def test_register_replace_and_uniqueness(database: Database) -> None:
    alice, bob = await account(database), await account(database, "bob")
    registered = await database.identity.register(alice.id, IK1, WRAPPED, 10.0, replace=False)
    assert registered.replaced is None
    assert registered.key.state is KeyState.PENDING
    assert await database.identity.get(alice.id) == registered.key
    with pytest.raises(StoreError) as exists:
        await database.identity.register(alice.id, IK2, WRAPPED, 11.0, replace=False)
    assert exists.value.code == "identity_exists"
    with pytest.raises(StoreError) as taken:
        await database.identity.register(bob.id, IK1, WRAPPED, 11.0, replace=False)
    assert taken.value.code == "key_in_use"
    replaced = await database.identity.register(alice.id, IK2, WRAPPED, 12.0, replace=True)
    assert replaced.replaced == registered.key
    assert (await database.identity.get(alice.id)) == replaced.key
    listing = await database.identity.listing()
    assert [(item.username, item.key.ik) for item in listing] == [("alice", IK2)]


async def test_certify_only_the_current_unrevoked_key(database: Database) -> None:
    alice = await account(database)
    await database.identity.register(alice.id, IK1, WRAPPED, 10.0, replace=False)
    assert await database.identity.certify(alice.id, IK2, b"cert", "alice", 99, 11.0) is None
    key = await database.identity.certify(alice.id, IK1, b"cert", "Alice", 99, 11.0)
    assert key is not None
    assert (key.state, key.cert, key.handle, key.not_after) == (
        KeyState.VALID,
        b"cert",
        "Alice",
        99,
    )
    await database.identity.uncertify(alice.id, IK1)
    key = await database.identity.get(alice.id)
    assert key is not None
    assert (key.state, key.cert, key.not_after) == (KeyState.PENDING, None, None)


async def test_revocation_lists_only_move_forward(database: Database) -> None:
    alice, bob = await account(database), await account(database, "bob")
    await database.identity.register(alice.id, IK1, WRAPPED, 10.0, replace=False)
    await database.identity.register(bob.id, IK2, WRAPPED, 10.0, replace=False)
    assert await database.identity.revocation_list() is None
    assert await database.identity.store_revocation_list(b"one", 100, frozenset({IK1}), 1.0) == [
        alice.id
    ]
    # Again, or with an unknown key: nobody newly revoked.
    assert (
        await database.identity.store_revocation_list(b"two", 100, frozenset({IK1, IK3}), 2.0) == []
    )
    assert await database.identity.store_revocation_list(b"old", 99, frozenset({IK2}), 3.0) is None
    stored = await database.identity.revocation_list()
    assert stored is not None
    assert (stored.blob, stored.issued_at) == (b"two", 100)
    key = await database.identity.get(alice.id)
    assert key is not None
    assert key.state is KeyState.REVOKED
    assert await database.identity.certify(alice.id, IK1, b"c", "a", 9, 4.0) is None
    bob_key = await database.identity.get(bob.id)
    assert bob_key is not None
    assert bob_key.state is KeyState.PENDING
    await database.identity.clear_revocation_list()
    assert await database.identity.revocation_list() is None


async def test_a_login_secret_change_is_atomic(database: Database) -> None:
    alice = await account(database)
    new = KdfParams(b"n" * 16, 2000)
    # With no key, a wrapped seed is refused and nothing changes.
    assert not await database.accounts.change_login_secret(
        alice.id, old_hash=HASH, new_hash="$argon2id$new", kdf=new, wrapped_seed=WRAPPED
    )
    assert await database.accounts.password_hash(alice.id) == HASH
    await database.identity.register(alice.id, IK1, WRAPPED, 10.0, replace=False)
    # With a key, a change that leaves the seed wrapped under the old password is refused.
    assert not await database.accounts.change_login_secret(
        alice.id, old_hash=HASH, new_hash="$argon2id$new", kdf=new, wrapped_seed=None
    )
    # Only from the hash the caller verified.
    assert not await database.accounts.change_login_secret(
        alice.id, old_hash="$argon2id$other", new_hash="$argon2id$new", kdf=new, wrapped_seed=b"w"
    )
    assert await database.accounts.change_login_secret(
        alice.id, old_hash=HASH, new_hash="$argon2id$new", kdf=new, wrapped_seed=b"w" * 72
    )
    assert await database.accounts.password_hash(alice.id) == "$argon2id$new"
    assert await database.accounts.kdf_params("alice") == new
    key = await database.identity.get(alice.id)
    assert key is not None
    assert key.wrapped_seed == b"w" * 72
    with pytest.raises(StoreError):
        await database.accounts.change_login_secret(
            alice.id, old_hash="x", new_hash="y", kdf=KdfParams(b"short", 1), wrapped_seed=None
        )


async def test_other_sessions_end(database: Database) -> None:
    alice = await account(database)
    keep = await database.sessions.create(alice.id, 1.0)
    other = await database.sessions.create(alice.id, 1.0)
    await database.sessions.delete_others(alice.id, keep)
    assert await database.sessions.lookup(keep, 2.0, 100.0) == alice
    assert await database.sessions.lookup(other, 2.0, 100.0) is None


async def test_the_settings_secret_is_made_once(database: Database) -> None:
    first = await database.settings.secret(FAKE_SALT_SECRET)
    assert len(first) == 32
    assert await database.settings.secret(FAKE_SALT_SECRET) == first
    assert await database.settings.get(FAKE_SALT_SECRET) == first.hex()


async def test_accounts_without_kdf_parameters_get_a_random_salt(database: Database) -> None:
    await database.accounts.create("a", Role.COUNSELLOR, ("en",), 1, HASH)
    await database.accounts.create("b", Role.COUNSELLOR, ("en",), 1, HASH)
    a, b = await database.accounts.kdf_params("a"), await database.accounts.kdf_params("b")
    assert a is not None
    assert b is not None
    assert a.salt != b.salt
    assert a.iterations == 600_000
    assert await database.accounts.kdf_params("nobody") is None
    with pytest.raises(StoreError) as bad:
        await database.accounts.create("c", Role.COUNSELLOR, ("en",), 1, HASH, kdf_salt=b"x")
    assert bad.value.code == "bad_kdf"
