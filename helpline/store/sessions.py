"""Staff sessions (docs/protocol.md §6): the ``helpline_session`` cookie.

A session token is 256 random bits, base64url without padding (43 chars). The
database keeps only its SHA-256 (hex), so a leaked copy of the database signs
nobody in. A session ends after ``idle_s`` seconds without use; ``last_seen_at``
is written at most once per :data:`TOUCH_INTERVAL_S` so that a busy
counsellor does not cause a write per request.
"""

from __future__ import annotations

import hashlib
import re
import secrets

import sqlalchemy as sa

from helpline.core.staff import StaffAccount
from helpline.store._base import Transactions
from helpline.store.accounts import account_from_row
from helpline.store.models import staff_accounts, staff_sessions

TOKEN_BYTES = 32
TOUCH_INTERVAL_S = 60.0
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{43}")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """The stored form of a token: SHA-256, lower-case hex."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _is_token(token: str) -> bool:
    # Anything else cannot be one of ours: no need to ask the database.
    return isinstance(token, str) and _TOKEN_RE.fullmatch(token) is not None


class SessionRepository:
    __slots__ = ("_tx",)

    def __init__(self, transactions: Transactions) -> None:
        self._tx = transactions

    async def create(
        self, account_id: int, now: float, *, verified_hash: str | None = None
    ) -> str | None:
        """Start a session for ``account_id``; returns the token for the cookie.

        With ``verified_hash`` (the password hash the login was checked against),
        the session is created only if that is still the account's hash, in the
        same transaction: a login racing a password change must not survive it.
        None then means it changed (or the account went away).
        """
        token = new_token()
        async with self._tx.begin(write=True) as conn:
            if verified_hash is not None:
                current = (
                    await conn.execute(
                        sa.select(staff_accounts.c.password_hash).where(
                            staff_accounts.c.id == account_id
                        )
                    )
                ).scalar_one_or_none()
                if current != verified_hash:
                    return None
            await conn.execute(
                staff_sessions.insert().values(
                    token_hash=hash_token(token),
                    account_id=account_id,
                    created_at=now,
                    last_seen_at=now,
                )
            )
        return token

    async def lookup(self, token: str, now: float, idle_s: float) -> StaffAccount | None:
        """The signed-in account, or None if the token is unknown, idle for
        ``idle_s`` seconds or more (the session is then deleted), or its account
        is disabled."""
        if not _is_token(token):
            return None
        token_hash = hash_token(token)
        async with self._tx.begin() as conn:
            row = (
                await conn.execute(
                    sa.select(
                        staff_accounts.c.id,
                        staff_accounts.c.username,
                        staff_accounts.c.role,
                        staff_accounts.c.languages,
                        staff_accounts.c.capacity,
                        staff_accounts.c.disabled,
                        staff_sessions.c.last_seen_at,
                    )
                    .select_from(staff_sessions.join(staff_accounts))
                    .where(staff_sessions.c.token_hash == token_hash)
                )
            ).first()
        if row is None:
            return None
        if row.disabled or now - row.last_seen_at >= idle_s:
            await self._delete_hash(token_hash)
            return None
        if now - row.last_seen_at >= TOUCH_INTERVAL_S:
            async with self._tx.begin(write=True) as conn:
                await conn.execute(
                    staff_sessions.update()
                    .where(staff_sessions.c.token_hash == token_hash)
                    .values(last_seen_at=now)
                )
        return account_from_row(row)

    async def delete(self, token: str) -> None:
        """End one session (sign out). Unknown tokens are ignored."""
        if _is_token(token):
            await self._delete_hash(hash_token(token))

    async def delete_for_account(self, account_id: int) -> None:
        """End every session of an account (signed out everywhere)."""
        async with self._tx.begin(write=True) as conn:
            await conn.execute(
                staff_sessions.delete().where(staff_sessions.c.account_id == account_id)
            )

    async def delete_others(self, account_id: int, keep: str) -> None:
        """End every session of an account but the one of token ``keep``."""
        async with self._tx.begin(write=True) as conn:
            await conn.execute(
                staff_sessions.delete().where(
                    staff_sessions.c.account_id == account_id,
                    staff_sessions.c.token_hash != hash_token(keep),
                )
            )

    async def _delete_hash(self, token_hash: str) -> None:
        async with self._tx.begin(write=True) as conn:
            await conn.execute(
                staff_sessions.delete().where(staff_sessions.c.token_hash == token_hash)
            )
