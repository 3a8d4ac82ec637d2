"""Staff accounts (docs/protocol.md §6): who may sign in, with which languages."""

from __future__ import annotations

import builtins
import os
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from helpline.core.staff import Role, StaffAccount
from helpline.errors import StoreError
from helpline.store._base import Transactions
from helpline.store.models import (
    KDF_SALT_BYTES,
    USERNAME_MAX,
    identity_keys,
    staff_accounts,
    staff_sessions,
)

#: The PBKDF2 iteration count when a caller gives none (crypto.password.PBKDF2_ITERATIONS).
DEFAULT_KDF_ITERATIONS = 600_000


@dataclass(frozen=True, slots=True)
class KdfParams:
    """What a client needs to derive an account's login secret from its password."""

    salt: bytes
    iterations: int


_ACCOUNT_COLUMNS = (
    staff_accounts.c.id,
    staff_accounts.c.username,
    staff_accounts.c.role,
    staff_accounts.c.languages,
    staff_accounts.c.capacity,
    staff_accounts.c.disabled,
)


def username_problem(username: object) -> str | None:
    """Why ``username`` cannot be an account's name, or None: one rule for the staff
    pages, the first start and the CLI."""
    if not isinstance(username, str) or not 1 <= len(username) <= USERNAME_MAX:
        return f"A username has 1 to {USERNAME_MAX} characters."
    if not username.isprintable() or any(c.isspace() for c in username):
        return "A username has no spaces or control characters."
    return None


def fold_username(username: str) -> str:
    """What two usernames are compared by: compatibility-normalised (NFKC), case-folded."""
    return unicodedata.normalize("NFKC", username).casefold()


def encode_languages(languages: Sequence[str]) -> str:
    for code in languages:
        if not code or "," in code:
            raise StoreError(f"bad language code: {code!r}", code="bad_language")
    return ",".join(languages)


def decode_languages(raw: str) -> tuple[str, ...]:
    return tuple(code for code in raw.split(",") if code)


def account_from_row(row: sa.Row[*tuple[Any, ...]]) -> StaffAccount:
    """Build a :class:`StaffAccount` from a row holding the ``_ACCOUNT_COLUMNS``."""
    return StaffAccount(
        id=int(row.id),
        username=str(row.username),
        role=Role(row.role),
        languages=decode_languages(row.languages),
        capacity=int(row.capacity),
        disabled=bool(row.disabled),
    )


class _Unchanged(Exception):
    """Rolls a transaction back on purpose (never leaves this module)."""


class AccountRepository:
    """Create, find and change staff accounts. Password hashes stay in here and
    in :meth:`find_login`; :class:`StaffAccount` never carries one."""

    __slots__ = ("_tx",)

    def __init__(self, transactions: Transactions) -> None:
        self._tx = transactions

    async def create(
        self,
        username: str,
        role: Role,
        languages: tuple[str, ...],
        capacity: int,
        password_hash: str,
        *,
        kdf_salt: bytes | None = None,
        kdf_iterations: int = DEFAULT_KDF_ITERATIONS,
    ) -> StaffAccount:
        """Add an account; a taken username raises ``StoreError(code="duplicate_username")``,
        and so does one that differs from a taken one only in case or Unicode form
        (``Anna``, ``ａｎｎａ`` and ``anna`` are one name to a person reading a list).

        ``password_hash`` is Argon2id of the login secret the client derives with
        ``kdf_salt`` and ``kdf_iterations``; without a salt a random one is
        stored (only useful to tests that never sign in).
        """
        role = Role(role)
        encoded = encode_languages(languages)
        salt = os.urandom(KDF_SALT_BYTES) if kdf_salt is None else kdf_salt
        if len(salt) != KDF_SALT_BYTES or kdf_iterations < 1:
            raise StoreError("bad key derivation parameters", code="bad_kdf")
        try:
            async with self._tx.begin(write=True) as conn:
                taken = await conn.scalars(sa.select(staff_accounts.c.username))
                if fold_username(username) in {fold_username(name) for name in taken}:
                    raise StoreError(
                        f"username {username!r} is already taken", code="duplicate_username"
                    )
                result = await conn.execute(
                    staff_accounts.insert()
                    .values(
                        username=username,
                        role=role.value,
                        languages=encoded,
                        capacity=capacity,
                        password_hash=password_hash,
                        disabled=False,
                        created_at=time.time(),
                        kdf_salt=salt,
                        kdf_iterations=kdf_iterations,
                    )
                    .returning(staff_accounts.c.id)
                )
                account_id = result.scalar_one()
        except StoreError as exc:
            if isinstance(exc.__cause__, IntegrityError) and await self._exists(username):
                raise StoreError(
                    f"username {username!r} is already taken", code="duplicate_username"
                ) from None
            raise
        return StaffAccount(
            id=account_id,
            username=username,
            role=role,
            languages=decode_languages(encoded),
            capacity=capacity,
            disabled=False,
        )

    async def _exists(self, username: str) -> bool:
        async with self._tx.begin() as conn:
            found = await conn.scalar(
                sa.select(staff_accounts.c.id).where(staff_accounts.c.username == username)
            )
        return found is not None

    async def get(self, account_id: int) -> StaffAccount | None:
        async with self._tx.begin() as conn:
            row = (
                await conn.execute(
                    sa.select(*_ACCOUNT_COLUMNS).where(staff_accounts.c.id == account_id)
                )
            ).first()
        return None if row is None else account_from_row(row)

    async def find_login(self, username: str) -> tuple[StaffAccount, str] | None:
        """The account (disabled or not: the caller decides) and its password hash."""
        async with self._tx.begin() as conn:
            row = (
                await conn.execute(
                    sa.select(*_ACCOUNT_COLUMNS, staff_accounts.c.password_hash).where(
                        staff_accounts.c.username == username
                    )
                )
            ).first()
        if row is None:
            return None
        return account_from_row(row), str(row.password_hash)

    async def kdf_params(self, username: str) -> KdfParams | None:
        """The account's salt and iteration count, or None if there is no such account."""
        async with self._tx.begin() as conn:
            row = (
                await conn.execute(
                    sa.select(staff_accounts.c.kdf_salt, staff_accounts.c.kdf_iterations).where(
                        staff_accounts.c.username == username
                    )
                )
            ).first()
        if row is None:
            return None
        return KdfParams(bytes(row.kdf_salt), int(row.kdf_iterations))

    async def password_hash(self, account_id: int) -> str | None:
        async with self._tx.begin() as conn:
            found = await conn.scalar(
                sa.select(staff_accounts.c.password_hash).where(staff_accounts.c.id == account_id)
            )
        return None if found is None else str(found)

    async def change_login_secret(
        self,
        account_id: int,
        *,
        old_hash: str,
        new_hash: str,
        kdf: KdfParams,
        wrapped_seed: bytes | None,
    ) -> bool:
        """Replace the login secret's hash and parameters and, if given, re-wrap the
        identity seed, in one transaction. Only if the stored hash is still
        ``old_hash`` (the one the caller verified): False when it changed meanwhile,
        or when ``wrapped_seed`` is given and the account has no identity key, or
        is not given and the account has one."""
        if len(kdf.salt) != KDF_SALT_BYTES or kdf.iterations < 1:
            raise StoreError("bad key derivation parameters", code="bad_kdf")
        try:
            async with self._tx.begin(write=True) as conn:
                result = await conn.execute(
                    staff_accounts.update()
                    .where(staff_accounts.c.id == account_id)
                    .where(staff_accounts.c.password_hash == old_hash)
                    .values(
                        password_hash=new_hash, kdf_salt=kdf.salt, kdf_iterations=kdf.iterations
                    )
                )
                if result.rowcount != 1:
                    raise _Unchanged
                if wrapped_seed is not None:
                    result = await conn.execute(
                        identity_keys.update()
                        .where(identity_keys.c.account_id == account_id)
                        .values(wrapped_seed=wrapped_seed)
                    )
                    if result.rowcount != 1:
                        raise _Unchanged
                elif (
                    await conn.scalar(
                        sa.select(identity_keys.c.account_id).where(
                            identity_keys.c.account_id == account_id
                        )
                    )
                ) is not None:
                    raise _Unchanged  # a key whose seed would stay wrapped under the old password
        except _Unchanged:  # rolled back: nothing was written
            return False
        return True

    async def count(self) -> int:
        async with self._tx.begin() as conn:
            result = await conn.execute(sa.select(sa.func.count()).select_from(staff_accounts))
            return int(result.scalar_one())

    async def list(self) -> builtins.list[StaffAccount]:
        """Every account, in order of creation."""
        async with self._tx.begin() as conn:
            rows = await conn.execute(sa.select(*_ACCOUNT_COLUMNS).order_by(staff_accounts.c.id))
            return [account_from_row(row) for row in rows]

    async def set_disabled(self, account_id: int, disabled: bool) -> None:
        """Disable or enable an account. Disabling also deletes all its sessions,
        so it is signed out everywhere at once (and stays so if re-enabled)."""
        async with self._tx.begin(write=True) as conn:
            guard = disabled and await self._lock_supervisors(conn, account_id)
            await self._update(conn, account_id, disabled=disabled)
            if guard:
                await self._keep_a_supervisor(conn)
            if disabled:
                await conn.execute(
                    staff_sessions.delete().where(staff_sessions.c.account_id == account_id)
                )

    async def update(
        self,
        account_id: int,
        *,
        role: Role | None = None,
        languages: tuple[str, ...] | None = None,
        capacity: int | None = None,
    ) -> StaffAccount:
        """Change what is given (administration); the account as it is now.
        ``StoreError(code="not_found")`` when there is no such account."""
        values: dict[str, object] = {}
        if role is not None:
            values["role"] = Role(role).value
        if languages is not None:
            values["languages"] = encode_languages(languages)
        if capacity is not None:
            values["capacity"] = capacity
        demoting = role is not None and Role(role) is not Role.SUPERVISOR
        async with self._tx.begin(write=True) as conn:
            guard = demoting and await self._lock_supervisors(conn, account_id)
            if values:
                await self._update(conn, account_id, **values)
            if guard:
                await self._keep_a_supervisor(conn)
            row = (
                await conn.execute(
                    sa.select(*_ACCOUNT_COLUMNS).where(staff_accounts.c.id == account_id)
                )
            ).first()
        if row is None:
            raise StoreError(f"no staff account with id {account_id}", code="not_found")
        return account_from_row(row)

    async def reset_login_secret(self, account_id: int, password_hash: str, kdf: KdfParams) -> None:
        """A supervisor set a new password (the browser derived the login secret): new
        hash, salt and iteration count, and every session ends, in one transaction.
        The identity key is the caller's business (its seed cannot be re-wrapped)."""
        if len(kdf.salt) != KDF_SALT_BYTES or kdf.iterations < 1:
            raise StoreError("bad key derivation parameters", code="bad_kdf")
        async with self._tx.begin(write=True) as conn:
            await self._update(
                conn,
                account_id,
                password_hash=password_hash,
                kdf_salt=kdf.salt,
                kdf_iterations=kdf.iterations,
            )
            await conn.execute(
                staff_sessions.delete().where(staff_sessions.c.account_id == account_id)
            )

    async def set_password_hash(self, account_id: int, password_hash: str) -> None:
        """Replace the password hash. Sessions are kept: the caller may end them
        with ``SessionRepository.delete_for_account``."""
        async with self._tx.begin(write=True) as conn:
            await self._update(conn, account_id, password_hash=password_hash)

    @staticmethod
    async def _lock_supervisors(conn: AsyncConnection, account_id: int) -> bool:
        """Lock the enabled supervisors' rows (PostgreSQL; SQLite's write transactions
        are serial already), so that two supervisors demoting or disabling each other
        at the same moment are checked one after the other by :meth:`_keep_a_supervisor`.
        True when ``account_id`` is one of them (its change needs the check)."""
        rows = await conn.execute(
            sa.select(staff_accounts.c.id)
            .where(
                staff_accounts.c.role == Role.SUPERVISOR.value,
                staff_accounts.c.disabled == sa.false(),
            )
            .with_for_update()
        )
        return account_id in {row.id for row in rows}

    @staticmethod
    async def _keep_a_supervisor(conn: AsyncConnection) -> None:
        """``StoreError(code="last_supervisor")`` (rolling the change back) when no
        enabled supervisor would be left: nobody could run the helpline then."""
        left = await conn.scalar(
            sa.select(sa.func.count())
            .select_from(staff_accounts)
            .where(
                staff_accounts.c.role == Role.SUPERVISOR.value,
                staff_accounts.c.disabled == sa.false(),
            )
        )
        if not left:
            raise StoreError("the last enabled supervisor must stay", code="last_supervisor")

    @staticmethod
    async def _update(conn: AsyncConnection, account_id: int, **values: object) -> None:
        result = await conn.execute(
            staff_accounts.update().where(staff_accounts.c.id == account_id).values(**values)
        )
        if result.rowcount != 1:
            raise StoreError(f"no staff account with id {account_id}", code="not_found")


__all__ = [
    "DEFAULT_KDF_ITERATIONS",
    "AccountRepository",
    "KdfParams",
    "account_from_row",
    "decode_languages",
    "encode_languages",
]
