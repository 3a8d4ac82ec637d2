"""The administration audit log (docs/privacy.md, docs/operations.md).

One row per administrative action: when, who (a staff username, ``cli`` for the
command line, ``server`` for what the server does by itself at start), what
(an action code such as ``staff.disable``) and a short detail in words. Staff
actions only: the callers never put anything about a help-seeker in it (no
chat, no token, no address), and the detail is cut to
:data:`~helpline.store.models.AUDIT_DETAIL_MAX` characters.

Bound: at most :data:`MAX_ENTRIES` rows; each insert deletes the rows older
than the newest :data:`MAX_ENTRIES` (administration is rare: at a hundred
actions a day that is more than two years).
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass

import sqlalchemy as sa

from helpline.store._base import Transactions
from helpline.store.models import (
    AUDIT_ACTION_MAX,
    AUDIT_ACTOR_MAX,
    AUDIT_DETAIL_MAX,
    admin_audit,
)

MAX_ENTRIES = 100_000
MAX_PAGE = 200


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: float
    actor: str
    action: str
    detail: str


def _clean(text: str, limit: int) -> str:
    # One line each, without control characters: the log is read in terminals too.
    flat = "".join(c if c.isprintable() else " " for c in text)
    return flat[:limit]


class AuditRepository:
    __slots__ = ("_tx",)

    def __init__(self, transactions: Transactions) -> None:
        self._tx = transactions

    async def add(self, actor: str, action: str, detail: str, at: float) -> int:
        """Record one action; returns its id (ids grow with time)."""
        async with self._tx.begin(write=True) as conn:
            result = await conn.execute(
                admin_audit.insert()
                .values(
                    at=at,
                    actor=_clean(actor, AUDIT_ACTOR_MAX),
                    action=_clean(action, AUDIT_ACTION_MAX),
                    detail=_clean(detail, AUDIT_DETAIL_MAX),
                )
                .returning(admin_audit.c.id)
            )
            new_id = int(result.scalar_one())
            if new_id > MAX_ENTRIES:
                await conn.execute(
                    admin_audit.delete().where(admin_audit.c.id <= new_id - MAX_ENTRIES)
                )
        return new_id

    async def list(self, before: int | None = None, limit: int = 50) -> builtins.list[AuditEntry]:
        """Up to ``limit`` (at most :data:`MAX_PAGE`) entries, newest first, with ids
        below ``before`` when given: the next page starts at the last id shown."""
        limit = max(1, min(limit, MAX_PAGE))
        query = sa.select(
            admin_audit.c.id,
            admin_audit.c.at,
            admin_audit.c.actor,
            admin_audit.c.action,
            admin_audit.c.detail,
        )
        if before is not None:
            query = query.where(admin_audit.c.id < before)
        async with self._tx.begin() as conn:
            rows = await conn.execute(query.order_by(admin_audit.c.id.desc()).limit(limit))
            return [
                AuditEntry(int(r.id), float(r.at), str(r.actor), str(r.action), str(r.detail))
                for r in rows
            ]


__all__ = ["MAX_ENTRIES", "MAX_PAGE", "AuditEntry", "AuditRepository"]
