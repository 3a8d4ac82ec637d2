"""Feedback counts: seekers' answers to the one question, counted per day.

- ``feedback_counts``: one row per (UTC day, queue language, answer) with a
  count, nothing else (docs/privacy.md).

Revision ID: 0003
Revises: 0002
Create Date: 2025-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feedback_counts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("answer", sa.String(16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "answer IN ('helpful', 'somewhat', 'not_helpful')",
            name=op.f("ck_feedback_counts_answer"),
        ),
        sa.CheckConstraint("count > 0", name=op.f("ck_feedback_counts_count")),
        sa.PrimaryKeyConstraint("day", "language", "answer", name="pk_feedback_counts"),
    )


def downgrade() -> None:
    op.drop_table("feedback_counts")
