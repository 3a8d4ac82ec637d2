"""Hourly statistics and the administration audit log.

- ``stats_hourly``: counts per UTC hour, queue language, metric and bucket,
  folded in from ``chat_stats`` rows (which are deleted after the retention).
- ``admin_audit``: who did what in the administration, and when.
- ``chat_stats`` on SQLite: ids never reused (AUTOINCREMENT).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # AUTOINCREMENT, so that ids are never reused once rows are deleted (the hourly
        # roll-up counts rows above a watermark id). SQLite cannot add it in place: the
        # table is copied into a new one (PostgreSQL's sequence never reuses ids).
        with op.batch_alter_table(
            "chat_stats", recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ):
            pass
    op.create_table(
        "stats_hourly",
        sa.Column("hour", sa.BigInteger(), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("metric", sa.String(16), nullable=False),
        sa.Column("bucket", sa.String(64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.CheckConstraint("count >= 0", name="ck_stats_hourly_count"),
        sa.PrimaryKeyConstraint("hour", "language", "metric", "bucket", name="pk_stats_hourly"),
    )
    op.create_table(
        "admin_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("detail", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_admin_audit"),
    )
    op.create_index("ix_admin_audit_at", "admin_audit", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_admin_audit_at", table_name="admin_audit")
    op.drop_table("admin_audit")
    op.drop_table("stats_hourly")
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table(
            "chat_stats", recreate="always", table_kwargs={"sqlite_autoincrement": False}
        ):
            pass
