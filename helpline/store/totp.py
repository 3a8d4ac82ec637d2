"""Staff second factor (docs/protocol.md §6.5): sealed TOTP secrets and the last used step.

The repository keeps opaque bytes: the web layer seals secrets before they come
here (:mod:`helpline.web.totp_api`) and checks codes. What is decided here, in
one statement each, is what must not race: a time step is used at most once
(:meth:`TotpRepository.use_step` only moves ``last_step`` forward), and an
enrolment is confirmed only if it is still the pending one.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from helpline.store._base import Transactions
from helpline.store.models import staff_totp


@dataclass(frozen=True, slots=True)
class TotpRecord:
    """An account's row: ``secret`` (sealed) set means TOTP is on."""

    secret: bytes | None
    pending_secret: bytes | None
    last_step: int | None

    @property
    def enabled(self) -> bool:
        return self.secret is not None


class _Unchanged(Exception):
    """Rolls a transaction back on purpose (never leaves this module)."""


def _step_is_new(step: int) -> sa.ColumnElement[bool]:
    return sa.or_(staff_totp.c.last_step.is_(None), staff_totp.c.last_step < step)


class TotpRepository:
    __slots__ = ("_tx",)

    def __init__(self, transactions: Transactions) -> None:
        self._tx = transactions

    async def get(self, account_id: int) -> TotpRecord | None:
        async with self._tx.begin() as conn:
            row = (
                await conn.execute(
                    sa.select(
                        staff_totp.c.secret, staff_totp.c.pending_secret, staff_totp.c.last_step
                    ).where(staff_totp.c.account_id == account_id)
                )
            ).first()
        if row is None:
            return None
        return TotpRecord(
            None if row.secret is None else bytes(row.secret),
            None if row.pending_secret is None else bytes(row.pending_secret),
            None if row.last_step is None else int(row.last_step),
        )

    async def enabled(self, account_id: int) -> bool:
        record = await self.get(account_id)
        return record is not None and record.enabled

    async def enabled_accounts(self) -> set[int]:
        """The ids of every account with TOTP on (the administration's listing)."""
        async with self._tx.begin() as conn:
            rows = await conn.scalars(
                sa.select(staff_totp.c.account_id).where(staff_totp.c.secret.is_not(None))
            )
            return {int(account_id) for account_id in rows}

    async def set_pending(self, account_id: int, sealed: bytes) -> bool:
        """Start (or restart) an enrolment; False when TOTP is already on."""
        try:
            async with self._tx.begin(write=True) as conn:
                result = await conn.execute(
                    staff_totp.update()
                    .where(staff_totp.c.account_id == account_id)
                    .values(pending_secret=sealed)
                    .returning(staff_totp.c.secret)
                )
                row = result.first()
                if row is None:
                    await conn.execute(
                        staff_totp.insert().values(account_id=account_id, pending_secret=sealed)
                    )
                elif row.secret is not None:
                    raise _Unchanged
        except _Unchanged:
            return False
        return True

    async def confirm(self, account_id: int, pending: bytes, step: int) -> bool:
        """Turn TOTP on with the pending secret ``pending`` (as read), its code's step
        used; False when the enrolment changed meanwhile or TOTP is already on."""
        async with self._tx.begin(write=True) as conn:
            result = await conn.execute(
                staff_totp.update()
                .where(
                    staff_totp.c.account_id == account_id,
                    staff_totp.c.pending_secret == pending,
                    staff_totp.c.secret.is_(None),
                )
                .values(secret=pending, pending_secret=None, last_step=step)
            )
            return result.rowcount == 1

    async def use_step(self, account_id: int, step: int) -> bool:
        """Mark the code of ``step`` used; False if that step (or a later one) was used."""
        async with self._tx.begin(write=True) as conn:
            result = await conn.execute(
                staff_totp.update()
                .where(
                    staff_totp.c.account_id == account_id,
                    staff_totp.c.secret.is_not(None),
                    _step_is_new(step),
                )
                .values(last_step=step)
            )
            return result.rowcount == 1

    async def disable(self, account_id: int, step: int) -> bool:
        """Turn TOTP off, the code of ``step`` being fresh; False if it was used."""
        async with self._tx.begin(write=True) as conn:
            result = await conn.execute(
                staff_totp.delete().where(
                    staff_totp.c.account_id == account_id,
                    staff_totp.c.secret.is_not(None),
                    _step_is_new(step),
                )
            )
            return result.rowcount == 1

    async def reset(self, account_id: int) -> bool:
        """Forget the account's TOTP (the operator's ``account totp-reset``); False if none."""
        async with self._tx.begin(write=True) as conn:
            result = await conn.execute(
                staff_totp.delete().where(staff_totp.c.account_id == account_id)
            )
            return result.rowcount == 1
