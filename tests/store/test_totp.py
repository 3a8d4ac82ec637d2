"""Second-factor storage (helpline.store.totp): enrol, confirm, one use per step."""

from __future__ import annotations

from helpline.core.staff import Role
from helpline.store import Database


async def test_enrol_confirm_use_and_disable(database: Database) -> None:
    account = await database.accounts.create("alice", Role.COUNSELLOR, ("en",), 1, "$argon2id$x")
    assert await database.totp.get(account.id) is None
    assert not await database.totp.enabled(account.id)
    assert await database.totp.set_pending(account.id, b"first")
    assert await database.totp.set_pending(account.id, b"second")  # a new enrol replaces it
    assert not await database.totp.confirm(account.id, b"first", 100)  # not the pending one
    assert await database.totp.confirm(account.id, b"second", 100)
    record = await database.totp.get(account.id)
    assert record is not None
    assert (record.secret, record.pending_secret, record.last_step) == (b"second", None, 100)
    assert await database.totp.enabled(account.id)
    assert not await database.totp.set_pending(account.id, b"third")  # on: no new enrolment
    assert not await database.totp.use_step(account.id, 100)  # the confirming code's step
    assert not await database.totp.use_step(account.id, 99)  # older ones too
    assert await database.totp.use_step(account.id, 101)
    assert not await database.totp.disable(account.id, 101)
    assert await database.totp.disable(account.id, 102)
    assert await database.totp.get(account.id) is None


async def test_reset_and_cascade(database: Database) -> None:
    account = await database.accounts.create("bob", Role.SUPERVISOR, (), 1, "$argon2id$x")
    assert not await database.totp.reset(account.id)
    await database.totp.set_pending(account.id, b"x")
    assert await database.totp.confirm(account.id, b"x", 5)
    assert not await database.totp.use_step(999, 6)  # no such account
    assert await database.totp.reset(account.id)
    assert not await database.totp.enabled(account.id)
