"""Fixtures for the storage tests: every test runs on SQLite and on PostgreSQL.

The PostgreSQL parameter needs ``HELPLINE_TEST_POSTGRES_URL`` (for example
``postgresql+asyncpg://postgres@127.0.0.1:5432/test``); without it the test is
skipped, or fails under CI (the ``postgres`` marker, tests/conftest.py). Each
PostgreSQL test gets a database of its own, created from that URL's server
and dropped afterwards, so tests are independent and runs do not collide.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from helpline.store import Database

POSTGRES_URL_ENV = "HELPLINE_TEST_POSTGRES_URL"


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A URL of an empty database (never migrated yet)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'data' / 'helpline.sqlite3'}"
        return
    # The postgres marker has already skipped (or failed, under CI) without the URL.
    base = os.environ[POSTGRES_URL_ENV].strip()
    name = f"helpline_test_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(_asyncpg_dsn(base))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        admin = await asyncpg.connect(_asyncpg_dsn(base))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """A migrated, empty database."""
    db = await Database.open(database_url)
    try:
        yield db
    finally:
        await db.close()
