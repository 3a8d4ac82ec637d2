"""Alembic environment for the Helpline schema.

Normally run by :meth:`helpline.store.Database.open`, which hands over its own
connection in ``config.attributes["connection"]``. For developers (for
example ``alembic revision --autogenerate``), with no connection given, it
connects to ``sqlalchemy.url`` from the Alembic config or else to the URL of
the server configuration (``HELPLINE_DATABASE_URL``).
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from helpline.store.models import metadata

config = context.config
target_metadata = metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from helpline.config import Config

    return Config.from_env().effective_database_url


async def _run_online() -> None:
    from helpline.store.engine import parse_url

    engine = create_async_engine(parse_url(_url()))
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_configure)
    finally:
        await engine.dispose()


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
    else:
        asyncio.run(_run_online())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
