"""The audit log, the service settings document and the administration writes of the
account and identity repositories, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest

from helpline.core.staff import Role
from helpline.errors import StoreError
from helpline.store import Database, audit
from helpline.store.accounts import KdfParams
from helpline.store.models import AUDIT_DETAIL_MAX


async def test_the_audit_log_pages_newest_first(database: Database) -> None:
    ids = [
        await database.audit.add("sam", "queue.edit", f"queue en {i}", 100.0 + i) for i in range(5)
    ]
    assert ids == sorted(ids)
    page = await database.audit.list(limit=2)
    assert [e.detail for e in page] == ["queue en 4", "queue en 3"]
    rest = await database.audit.list(before=page[-1].id, limit=10)
    assert [e.detail for e in rest] == ["queue en 2", "queue en 1", "queue en 0"]
    assert (rest[0].actor, rest[0].action, rest[0].at) == ("sam", "queue.edit", 102.0)
    assert len(await database.audit.list(limit=10_000)) == 5  # capped at MAX_PAGE anyway


async def test_audit_text_is_one_line_and_bounded(database: Database) -> None:
    await database.audit.add("sam\n", "staff.edit\x1b[2J", "a\nb\tc" + "x" * 5000, 1.0)
    [entry] = await database.audit.list()
    assert entry.actor == "sam "
    assert entry.action == "staff.edit [2J"
    assert entry.detail.startswith("a b c")
    assert len(entry.detail) == AUDIT_DETAIL_MAX


async def test_the_audit_log_keeps_the_newest_entries(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit, "MAX_ENTRIES", 3)
    for i in range(7):
        await database.audit.add("cli", "canned.add", str(i), float(i))
    assert [e.detail for e in await database.audit.list()] == ["6", "5", "4"]


async def test_the_service_document_is_compare_and_set(database: Database) -> None:
    empty = await database.service.load()
    assert (empty.document, empty.version, empty.file_sha256) == (None, 0, None)
    assert await database.service.save('{"a":1}', 0, file_sha256="ab" * 32) == 1
    assert await database.service.save('{"a":2}', 0) is None  # made from a stale version
    assert await database.service.save('{"a":2}', 1) == 2
    stored = await database.service.load()
    assert (stored.document, stored.version, stored.file_sha256) == ('{"a":2}', 2, "ab" * 32)
    assert await database.service.version() == 2
    # Two writers from the same version: exactly one wins.
    results = await asyncio.gather(
        database.service.save('{"w":1}', 2), database.service.save('{"w":2}', 2)
    )
    assert sorted(r for r in results if r is not None) == [3]
    assert results.count(None) == 1


async def test_update_and_reset_of_accounts(database: Database) -> None:
    account = await database.accounts.create("anna", Role.COUNSELLOR, ("en",), 1, "hash")
    changed = await database.accounts.update(account.id, languages=("de", "fr"), capacity=2)
    assert (changed.languages, changed.capacity, changed.role) == (("de", "fr"), 2, Role.COUNSELLOR)
    assert await database.accounts.update(account.id) == changed
    with pytest.raises(StoreError) as missing:
        await database.accounts.update(999, capacity=1)
    assert missing.value.code == "not_found"
    token = await database.sessions.create(account.id, 0.0)
    assert token is not None
    await database.identity.register(account.id, bytes(range(32)), bytes(72), 0.0, replace=False)
    await database.accounts.reset_login_secret(account.id, "new-hash", KdfParams(b"s" * 16, 5000))
    assert await database.sessions.lookup(token, 1.0, 3600.0) is None
    assert await database.accounts.password_hash(account.id) == "new-hash"
    assert await database.accounts.kdf_params("anna") == KdfParams(b"s" * 16, 5000)
    dropped = await database.identity.remove(account.id)
    assert dropped is not None
    assert dropped.ik == bytes(range(32))
    assert await database.identity.get(account.id) is None
    assert await database.identity.remove(account.id) is None
