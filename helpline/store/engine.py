"""Opening the database: the engine, SQLite settings, migrations, repositories.

Two databases are supported: SQLite through aiosqlite (the default, a file
under the data directory) and PostgreSQL through asyncpg. ``sqlite://`` and
``postgresql://`` URLs get those drivers when none is named.

SQLite connections run in WAL mode with foreign keys on, and SQLAlchemy emits
``BEGIN`` itself (the stdlib module would not for DDL or SELECT), so every
transaction, migrations included, is atomic; writing transactions use
``BEGIN IMMEDIATE`` and take the write lock up front. A new SQLite file and
its directory are created readable by the owner only: they hold password
hashes.

:meth:`Database.open` migrates to the newest schema with Alembic, inside one
transaction on the engine's own connection; on PostgreSQL an advisory lock
makes concurrent starts wait for each other instead of racing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import alembic.command
import alembic.config
import alembic.util
import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from helpline.errors import StoreError
from helpline.store._base import DRIVER_ERRORS, WRITE_OPTION, Transactions, store_error
from helpline.store.accounts import AccountRepository
from helpline.store.audit import AuditRepository
from helpline.store.canned import CannedRepository
from helpline.store.chat_stats import ChatStatsRepository
from helpline.store.feedback import FeedbackRepository
from helpline.store.hourly import HourlyRepository
from helpline.store.identity import IdentityRepository
from helpline.store.service_store import ServiceStore
from helpline.store.sessions import SessionRepository
from helpline.store.settings import SettingsRepository
from helpline.store.totp import TotpRepository

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Any constant will do; it only has to be the same in every process.
_PG_MIGRATION_LOCK = 0x48454C50  # "HELP"

_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


def parse_url(url: str) -> URL:
    """Parse a database URL and give it the async driver; StoreError if unusable."""
    try:
        parsed = make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        raise StoreError("cannot parse the database URL", code="bad_database_url") from None
    driver = _DRIVERS.get(parsed.drivername)
    if driver is None:
        raise StoreError(
            f"unsupported database {parsed.drivername!r}: use sqlite or postgresql",
            code="bad_database_url",
        )
    return parsed.set(drivername=driver)


def _sqlite_path(url: URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _prepare_sqlite_file(path: Path) -> None:
    """Create the directory and an empty database file, private to the owner."""
    try:
        if not path.parent.exists():
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    except OSError as exc:
        raise StoreError(f"cannot create the database file {path}: {exc.strerror}") from exc


def _configure_sqlite(engine: AsyncEngine, *, file_backed: bool) -> None:
    @sa.event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # SQLAlchemy, not the sqlite3 module, decides when a transaction begins.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if file_backed:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=5000")
        finally:
            cursor.close()

    @sa.event.listens_for(engine.sync_engine, "begin")
    def on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def alembic_config(connection: Connection | None = None) -> alembic.config.Config:
    """An Alembic configuration that needs no ``alembic.ini`` and no cwd."""
    cfg = alembic.config.Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _upgrade(connection: Connection, revision: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(
            sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
        )
    alembic.command.upgrade(alembic_config(connection), revision)


class Database:
    """The open database and its repositories.

    Use ``await Database.open(url)`` and ``await database.close()``.
    """

    accounts: AccountRepository
    sessions: SessionRepository
    chat_stats: ChatStatsRepository
    identity: IdentityRepository
    settings: SettingsRepository
    feedback: FeedbackRepository
    totp: TotpRepository
    canned: CannedRepository
    hourly: HourlyRepository
    audit: AuditRepository
    service: ServiceStore

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._tx = Transactions(engine)
        self.accounts = AccountRepository(self._tx)
        self.sessions = SessionRepository(self._tx)
        self.chat_stats = ChatStatsRepository(self._tx)
        self.identity = IdentityRepository(self._tx)
        self.settings = SettingsRepository(self._tx)
        self.feedback = FeedbackRepository(self._tx)
        self.totp = TotpRepository(self._tx)
        self.canned = CannedRepository(self._tx)
        self.hourly = HourlyRepository(self._tx)
        self.audit = AuditRepository(self._tx)
        self.service = ServiceStore(self._tx)

    @classmethod
    async def open(cls, url: str, *, migrate: bool = True) -> Database:
        """Connect to ``url`` and, unless ``migrate`` is False, upgrade the schema
        to the newest revision. Raises StoreError if anything fails."""
        parsed = parse_url(url)
        kwargs: dict[str, Any] = {"hide_parameters": True}
        sqlite_file: Path | None = None
        if parsed.get_backend_name() == "sqlite":
            sqlite_file = _sqlite_path(parsed)
            if sqlite_file is not None:
                _prepare_sqlite_file(sqlite_file)
        else:
            kwargs["pool_pre_ping"] = True
        try:
            engine = create_async_engine(parsed, **kwargs)
        except DRIVER_ERRORS as exc:  # e.g. the driver is not installed
            raise store_error(exc, code="bad_database_url") from exc
        if parsed.get_backend_name() == "sqlite":
            _configure_sqlite(engine, file_backed=sqlite_file is not None)
        database = cls(engine)
        if migrate:
            try:
                await database.migrate()
            except BaseException:
                await engine.dispose()
                raise
        return database

    async def migrate(self, revision: str = "head") -> None:
        """Run the Alembic migrations up to ``revision`` in one transaction."""
        try:
            async with self._tx.begin(write=True) as conn:
                await conn.run_sync(_upgrade, revision)
        except alembic.util.CommandError as exc:
            raise StoreError(f"migration failed: {exc}", code="migration") from exc

    async def close(self) -> None:
        await self.engine.dispose()
