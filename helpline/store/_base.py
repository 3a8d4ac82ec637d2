"""Transactions and the error boundary shared by the repositories.

Every database access goes through :meth:`Transactions.begin`, which turns
SQLAlchemy and driver errors into :class:`helpline.errors.StoreError`, so no
caller ever sees a third-party exception type. The engine is created with
``hide_parameters=True``: error messages and chained tracebacks never show
bound values (password hashes, token hashes).
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from helpline.errors import StoreError

# Execution option read by the SQLite "begin" hook in engine.py: a writing
# transaction starts with BEGIN IMMEDIATE, so it takes the write lock up front
# (waiting for it with the busy timeout) instead of failing half-way.
WRITE_OPTION = "helpline_write"


def _driver_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [SQLAlchemyError, OSError]
    try:  # asyncpg is optional; it raises its own types while connecting.
        asyncpg = importlib.import_module("asyncpg")
    except ImportError:  # pragma: no cover - depends on the installation
        pass
    else:
        errors += [asyncpg.PostgresError, asyncpg.InterfaceError]
    return tuple(errors)


DRIVER_ERRORS = _driver_errors()


def describe(exc: BaseException) -> str:
    """A one-line description of a database error without SQL or parameters."""
    cause: BaseException = exc
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        cause = exc.orig
    text = str(cause).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(cause).__name__}: {first}"[:300] if first else type(cause).__name__


def store_error(exc: BaseException, *, code: str | None = None) -> StoreError:
    return StoreError(f"database error ({describe(exc)})", code=code)


class Transactions:
    """Opens transactions on one engine and maps errors at the boundary."""

    __slots__ = ("engine",)

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @asynccontextmanager
    async def begin(self, *, write: bool = False) -> AsyncIterator[AsyncConnection]:
        """One transaction: committed on success, rolled back on any exception."""
        try:
            async with self.engine.connect() as conn:
                if write:
                    await conn.execution_options(**{WRITE_OPTION: True})
                async with conn.begin():
                    yield conn
        except DRIVER_ERRORS as exc:
            raise store_error(exc) from exc
