"""Opening the database and migrating it (helpline.store.engine)."""

from __future__ import annotations

import os
import stat
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import alembic.command
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from helpline.core.staff import Role
from helpline.errors import StoreError
from helpline.store import Database
from helpline.store.engine import MIGRATIONS_DIR, alembic_config, parse_url
from helpline.store.models import metadata

ROOT = Path(__file__).resolve().parents[2]
TABLES = {
    "staff_accounts",
    "staff_sessions",
    "chat_stats",
    "settings",
    "identity_keys",
    "revocation_list",
    "feedback_counts",
    "staff_totp",
    "canned_responses",
    "stats_hourly",
    "admin_audit",
    "alembic_version",
}
TABLES_0001 = {"staff_accounts", "staff_sessions", "chat_stats", "settings", "alembic_version"}


def head() -> str:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"the migrations have several heads: {heads}"
    return heads[0]


async def tables(db: Database) -> set[str]:
    async with db.engine.connect() as conn:
        return set(await conn.run_sync(lambda c: sa.inspect(c).get_table_names()))


async def revision(db: Database) -> str | None:
    async with db.engine.connect() as conn:
        return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())


async def test_open_migrates_to_the_head(database: Database) -> None:
    assert await tables(database) == TABLES
    assert await revision(database) == head()


async def test_the_migrations_produce_the_models(database: Database) -> None:
    """The schema the repositories query is the one the migrations build."""

    def diff(conn: sa.Connection) -> list[object]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async with database.engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_opening_again_is_a_no_op(database_url: str) -> None:
    first = await Database.open(database_url)
    await first.accounts.create("alice", Role.COUNSELLOR, ("en",), 1, "$argon2id$x")
    await first.close()
    second = await Database.open(database_url)
    try:
        assert await second.accounts.count() == 1
        assert await revision(second) == head()
    finally:
        await second.close()


async def test_without_migrate_nothing_is_created(database_url: str) -> None:
    db = await Database.open(database_url, migrate=False)
    try:
        assert await tables(db) == set()
        with pytest.raises(StoreError):
            await db.accounts.count()
    finally:
        await db.close()


async def test_downgrade_to_base_and_up_again(database: Database) -> None:
    async with database.engine.begin() as conn:
        await conn.run_sync(lambda c: alembic.command.downgrade(alembic_config(c), "base"))
    assert await tables(database) == {"alembic_version"}
    await database.migrate()
    assert await tables(database) == TABLES


async def test_0002_migrates_existing_accounts(database_url: str) -> None:
    """Accounts made under 0001 get a salt of their own and the default iteration
    count; every session ends (the login scheme changed); the rest is readable
    through the repositories."""
    db = await Database.open(database_url, migrate=False)
    try:
        await db.migrate("0001")
        assert await tables(db) == TABLES_0001
        async with db.engine.begin() as conn:
            for name in ("alice", "bob"):
                await conn.execute(
                    sa.text(
                        "INSERT INTO staff_accounts (username, role, languages, capacity, "
                        "password_hash, disabled, created_at) "
                        "VALUES (:name, 'counsellor', 'en', 1, '$argon2id$old', false, 1.0)"
                    ),
                    {"name": name},
                )
            await conn.execute(
                sa.text(
                    "INSERT INTO staff_sessions (token_hash, account_id, created_at, "
                    "last_seen_at) VALUES (:h, 1, 1.0, 1.0)"
                ),
                {"h": "0" * 64},
            )
        await db.migrate()
        assert await tables(db) == TABLES
        assert await revision(db) == head()
        alice = await db.accounts.kdf_params("alice")
        bob = await db.accounts.kdf_params("bob")
        assert alice is not None
        assert bob is not None
        assert len(alice.salt) == len(bob.salt) == 16
        assert alice.salt != bob.salt
        assert alice.iterations == bob.iterations == 600_000
        found = await db.accounts.find_login("alice")
        assert found is not None
        assert found[1] == "$argon2id$old"
        assert await db.identity.get(found[0].id) is None
        assert await db.identity.revocation_list() is None
        async with db.engine.connect() as conn:
            count = await conn.scalar(sa.text("SELECT count(*) FROM staff_sessions"))
        assert count == 0
        # New accounts need their key derivation parameters: the column is NOT NULL.
        async with db.engine.begin() as conn:
            with pytest.raises(sa.exc.IntegrityError):
                await conn.execute(
                    sa.text(
                        "INSERT INTO staff_accounts (username, role, languages, capacity, "
                        "password_hash, disabled, created_at) "
                        "VALUES ('carol', 'counsellor', 'en', 1, 'x', false, 1.0)"
                    )
                )
    finally:
        await db.close()


async def test_0002_downgrades_to_0001(database: Database) -> None:
    await database.accounts.create("alice", Role.COUNSELLOR, ("en",), 1, "$argon2id$x")
    async with database.engine.begin() as conn:
        await conn.run_sync(lambda c: alembic.command.downgrade(alembic_config(c), "0001"))
    assert await tables(database) == TABLES_0001
    async with database.engine.connect() as conn:
        columns = await conn.run_sync(
            lambda c: {col["name"] for col in sa.inspect(c).get_columns("staff_accounts")}
        )
    assert "kdf_salt" not in columns
    await database.migrate()
    assert await database.accounts.kdf_params("alice") is not None


async def test_migrations_work_from_any_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    db = await Database.open("sqlite:///relative/helpline.sqlite3")
    try:
        assert await revision(db) == head()
    finally:
        await db.close()
    assert (tmp_path / "relative" / "helpline.sqlite3").is_file()


async def test_sqlite_file_is_private_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "helpline.sqlite3"
    db = await Database.open(f"sqlite+aiosqlite:///{path}")
    try:
        async with db.engine.connect() as conn:
            assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
            assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
    finally:
        await db.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


async def test_sqlite_memory_database(tmp_path: Path) -> None:
    db = await Database.open("sqlite+aiosqlite://")
    try:
        assert await db.accounts.count() == 0
    finally:
        await db.close()


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("sqlite:///x.db", "sqlite+aiosqlite"),
        ("postgresql://u@h/db", "postgresql+asyncpg"),
        ("postgres://u@h/db", "postgresql+asyncpg"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg"),
    ],
)
def test_urls_get_the_async_driver(url: str, driver: str) -> None:
    assert parse_url(url).drivername == driver


@pytest.mark.parametrize("url", ["", "not a url", "mysql://u@h/db", "postgresql+psycopg2://u@h/db"])
async def test_unusable_urls_are_store_errors(url: str) -> None:
    with pytest.raises(StoreError) as caught:
        await Database.open(url)
    assert caught.value.code == "bad_database_url"


async def test_an_unreachable_server_is_a_store_error() -> None:
    with pytest.raises(StoreError) as caught:
        await Database.open("postgresql+asyncpg://nobody:secret@127.0.0.1:1/none")
    assert "secret" not in str(caught.value)


async def test_an_unwritable_sqlite_location_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError):
        await Database.open(f"sqlite+aiosqlite:///{blocker / 'helpline.sqlite3'}")


def test_the_migration_files_are_package_data() -> None:
    """An installed package must carry env.py, the template and every revision."""
    with open(ROOT / "pyproject.toml", "rb") as f:
        patterns = tomllib.load(f)["tool"]["setuptools"]["package-data"]["helpline"]
    package = ROOT / "helpline"
    files = [p for p in MIGRATIONS_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert {p.name for p in files} >= {
        "env.py",
        "script.py.mako",
        "0001_initial.py",
        "0002_login_secret_identity_keys.py",
        "0003_feedback_counts.py",
        "0004_totp_canned.py",
        "0005_hourly_stats_audit.py",
    }
    for path in files:
        relative = path.relative_to(package).as_posix()
        assert any(fnmatch(relative, pattern) for pattern in patterns), relative


async def test_0004_adds_totp_and_canned_and_downgrades_to_0003(database: Database) -> None:
    """0004 only adds tables: going back to 0003 drops them and keeps the rest."""
    account = await database.accounts.create("alice", Role.COUNSELLOR, ("en",), 1, "$argon2id$x")
    await database.totp.set_pending(account.id, b"sealed")
    await database.canned.add("en", "Hello", "Hello, how can I help?")
    async with database.engine.begin() as conn:
        await conn.run_sync(lambda c: alembic.command.downgrade(alembic_config(c), "0003"))
    assert await tables(database) == TABLES - {
        "staff_totp",
        "canned_responses",
        "stats_hourly",
        "admin_audit",
    }
    assert await database.accounts.count() == 1
    await database.migrate()
    assert await tables(database) == TABLES
    assert await database.totp.get(account.id) is None
    assert await database.canned.list() == []


async def test_0005_adds_hourly_stats_and_audit_and_downgrades_to_0004(database: Database) -> None:
    """0005 only adds tables: going back to 0004 drops them and keeps the rest."""
    await database.accounts.create("alice", Role.COUNSELLOR, ("en",), 1, "$argon2id$x")
    async with database.engine.begin() as conn:
        await conn.run_sync(lambda c: alembic.command.downgrade(alembic_config(c), "0004"))
    assert await tables(database) == TABLES - {"stats_hourly", "admin_audit"}
    assert await database.accounts.count() == 1
    await database.migrate()
    assert await tables(database) == TABLES
