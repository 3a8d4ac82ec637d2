"""Second factor and canned responses.

- ``staff_totp``: a staff member's TOTP secret (sealed), an enrolment not yet
  confirmed, and the last time step whose code was used.
- ``canned_responses``: supervisors' ready-made texts per queue language.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_totp",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.LargeBinary(128), nullable=True),
        sa.Column("pending_secret", sa.LargeBinary(128), nullable=True),
        sa.Column("last_step", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["staff_accounts.id"],
            name="fk_staff_totp_account_id_staff_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name="pk_staff_totp"),
    )
    op.create_table(
        "canned_responses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(80), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_canned_responses"),
    )
    op.create_index("ix_canned_responses_language", "canned_responses", ["language"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_canned_responses_language", table_name="canned_responses")
    op.drop_table("canned_responses")
    op.drop_table("staff_totp")
