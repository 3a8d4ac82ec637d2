"""Counsellor identity keys, their certificates and the revocation list (HLP1).

The server keeps public material only: each counsellor's Ed25519 public key,
the seed *wrapped* under a key the browser derives from the password (the
server cannot unwrap it), the organisation's certificate, and the
organisation's signed revocation list. Checking signatures is the web layer's
job (with ``crypto``); this module only stores what it is given, with the
conditions that keep concurrent writers consistent.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from helpline.errors import StoreError
from helpline.store._base import Transactions
from helpline.store.models import identity_keys, revocation_list, staff_accounts

_SINGLE_ROW = 1


class KeyState(enum.StrEnum):
    PENDING = "pending"  # registered, waiting for the organisation's certificate
    VALID = "valid"  # certified (it may still have expired: see ``not_after``)
    REVOKED = "revoked"  # on the organisation's revocation list: never usable again


@dataclass(frozen=True, slots=True)
class IdentityKey:
    account_id: int
    ik: bytes
    wrapped_seed: bytes
    cert: bytes | None
    handle: str | None
    not_after: int | None
    state: KeyState
    created_at: float
    certified_at: float | None


@dataclass(frozen=True, slots=True)
class ListedKey:
    """An identity key with its account's username (the admin listing)."""

    username: str
    key: IdentityKey


@dataclass(frozen=True, slots=True)
class Registered:
    """The key just registered and, when it replaced one, the key it replaced."""

    key: IdentityKey
    replaced: IdentityKey | None


@dataclass(frozen=True, slots=True)
class StoredRevocationList:
    blob: bytes
    issued_at: int
    stored_at: float


_KEY_COLUMNS = (
    identity_keys.c.account_id,
    identity_keys.c.ik,
    identity_keys.c.wrapped_seed,
    identity_keys.c.cert,
    identity_keys.c.handle,
    identity_keys.c.not_after,
    identity_keys.c.state,
    identity_keys.c.created_at,
    identity_keys.c.certified_at,
)


def _key(row: sa.Row[*tuple[Any, ...]]) -> IdentityKey:
    return IdentityKey(
        account_id=int(row.account_id),
        ik=bytes(row.ik),
        wrapped_seed=bytes(row.wrapped_seed),
        cert=None if row.cert is None else bytes(row.cert),
        handle=None if row.handle is None else str(row.handle),
        not_after=None if row.not_after is None else int(row.not_after),
        state=KeyState(row.state),
        created_at=float(row.created_at),
        certified_at=None if row.certified_at is None else float(row.certified_at),
    )


class IdentityRepository:
    __slots__ = ("_tx",)

    def __init__(self, transactions: Transactions) -> None:
        self._tx = transactions

    async def get(self, account_id: int) -> IdentityKey | None:
        async with self._tx.begin() as conn:
            row = (
                await conn.execute(
                    sa.select(*_KEY_COLUMNS).where(identity_keys.c.account_id == account_id)
                )
            ).first()
        return None if row is None else _key(row)

    async def all(self) -> list[IdentityKey]:
        async with self._tx.begin() as conn:
            rows = await conn.execute(sa.select(*_KEY_COLUMNS).order_by(identity_keys.c.account_id))
            return [_key(row) for row in rows]

    async def listing(self) -> list[ListedKey]:
        """Every key with its account's username, in order of account id."""
        async with self._tx.begin() as conn:
            rows = await conn.execute(
                sa.select(*_KEY_COLUMNS, staff_accounts.c.username)
                .select_from(identity_keys.join(staff_accounts))
                .order_by(identity_keys.c.account_id)
            )
            return [ListedKey(str(row.username), _key(row)) for row in rows]

    async def register(
        self, account_id: int, ik: bytes, wrapped_seed: bytes, now: float, *, replace: bool
    ) -> Registered:
        """Store a new, pending key for the account.

        Raises ``StoreError`` with code ``identity_exists`` when the account has
        a key and ``replace`` is False, ``key_in_use`` when another account has
        this public key.
        """
        values = {
            "ik": ik,
            "wrapped_seed": wrapped_seed,
            "cert": None,
            "handle": None,
            "not_after": None,
            "state": KeyState.PENDING.value,
            "created_at": now,
            "certified_at": None,
        }
        try:
            async with self._tx.begin(write=True) as conn:
                row = (
                    await conn.execute(
                        sa.select(*_KEY_COLUMNS).where(identity_keys.c.account_id == account_id)
                    )
                ).first()
                previous = None if row is None else _key(row)
                other = await conn.scalar(
                    sa.select(identity_keys.c.account_id).where(
                        identity_keys.c.ik == ik, identity_keys.c.account_id != account_id
                    )
                )
                if other is not None:
                    raise StoreError("this key belongs to another account", code="key_in_use")
                if previous is not None and not replace:
                    raise StoreError("the account has an identity key", code="identity_exists")
                if previous is None:
                    await conn.execute(
                        identity_keys.insert().values(account_id=account_id, **values)
                    )
                else:
                    await conn.execute(
                        identity_keys.update()
                        .where(identity_keys.c.account_id == account_id)
                        .values(**values)
                    )
        except StoreError as exc:
            if isinstance(exc.__cause__, IntegrityError):  # a concurrent registration won
                raise StoreError("the key is taken", code="key_in_use") from None
            raise
        key = IdentityKey(
            account_id=account_id,
            ik=ik,
            wrapped_seed=wrapped_seed,
            cert=None,
            handle=None,
            not_after=None,
            state=KeyState.PENDING,
            created_at=now,
            certified_at=None,
        )
        return Registered(key, previous)

    async def certify(
        self, account_id: int, ik: bytes, cert: bytes, handle: str, not_after: int, now: float
    ) -> IdentityKey | None:
        """Store a (verified) certificate for the account's key ``ik``: the key is
        valid from now on. None when the account's key is not ``ik`` any more or
        has been revoked."""
        async with self._tx.begin(write=True) as conn:
            result = await conn.execute(
                identity_keys.update()
                .where(
                    identity_keys.c.account_id == account_id,
                    identity_keys.c.ik == ik,
                    identity_keys.c.state != KeyState.REVOKED.value,
                )
                .values(
                    cert=cert,
                    handle=handle,
                    not_after=not_after,
                    state=KeyState.VALID.value,
                    certified_at=now,
                )
            )
            if result.rowcount != 1:
                return None
            row = (
                await conn.execute(
                    sa.select(*_KEY_COLUMNS).where(identity_keys.c.account_id == account_id)
                )
            ).one()
        return _key(row)

    async def uncertify(self, account_id: int, ik: bytes) -> None:
        """Back to pending, certificate dropped (it is not the organisation's)."""
        async with self._tx.begin(write=True) as conn:
            await conn.execute(
                identity_keys.update()
                .where(
                    identity_keys.c.account_id == account_id,
                    identity_keys.c.ik == ik,
                    identity_keys.c.state == KeyState.VALID.value,
                )
                .values(
                    cert=None,
                    handle=None,
                    not_after=None,
                    state=KeyState.PENDING.value,
                    certified_at=None,
                )
            )

    async def remove(self, account_id: int) -> IdentityKey | None:
        """Delete the account's key (its seed can no longer be unwrapped: a supervisor
        reset the password); the key it was, or None when there was none."""
        async with self._tx.begin(write=True) as conn:
            row = (
                await conn.execute(
                    sa.select(*_KEY_COLUMNS).where(identity_keys.c.account_id == account_id)
                )
            ).first()
            if row is None:
                return None
            await conn.execute(
                identity_keys.delete().where(identity_keys.c.account_id == account_id)
            )
        return _key(row)

    # -- the revocation list -------------------------------------------------------

    async def revocation_list(self) -> StoredRevocationList | None:
        async with self._tx.begin() as conn:
            row = (
                await conn.execute(
                    sa.select(
                        revocation_list.c.blob,
                        revocation_list.c.issued_at,
                        revocation_list.c.stored_at,
                    ).where(revocation_list.c.id == _SINGLE_ROW)
                )
            ).first()
        if row is None:
            return None
        return StoredRevocationList(bytes(row.blob), int(row.issued_at), float(row.stored_at))

    async def store_revocation_list(
        self, blob: bytes, issued_at: int, revoked: frozenset[bytes], now: float
    ) -> list[int] | None:
        """Make ``blob`` the current list and mark the keys it lists revoked.

        None (and nothing written) when a list issued after ``issued_at`` has
        been stored meanwhile; else the ids of the accounts whose key became
        revoked just now.
        """
        async with self._tx.begin(write=True) as conn:
            current = await conn.scalar(
                sa.select(revocation_list.c.issued_at).where(revocation_list.c.id == _SINGLE_ROW)
            )
            values = {"blob": blob, "issued_at": issued_at, "stored_at": now}
            if current is None:
                await conn.execute(revocation_list.insert().values(id=_SINGLE_ROW, **values))
            elif int(current) > issued_at:
                return None
            else:
                await conn.execute(
                    revocation_list.update()
                    .where(revocation_list.c.id == _SINGLE_ROW)
                    .values(**values)
                )
            if not revoked:
                return []
            newly = [
                int(account_id)
                for account_id in await conn.scalars(
                    sa.select(identity_keys.c.account_id).where(
                        identity_keys.c.ik.in_(sorted(revoked)),
                        identity_keys.c.state != KeyState.REVOKED.value,
                    )
                )
            ]
            if newly:
                await conn.execute(
                    identity_keys.update()
                    .where(identity_keys.c.account_id.in_(newly))
                    .values(state=KeyState.REVOKED.value)
                )
        return newly

    async def clear_revocation_list(self) -> None:
        async with self._tx.begin(write=True) as conn:
            await conn.execute(revocation_list.delete())


__all__ = [
    "IdentityKey",
    "IdentityRepository",
    "KeyState",
    "ListedKey",
    "Registered",
    "StoredRevocationList",
]
