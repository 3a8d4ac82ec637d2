"""Login secrets and counsellor identity keys (HLP1).

- ``staff_accounts`` gains ``kdf_salt`` (16 random bytes per account) and
  ``kdf_iterations``: the client derives its login secret with PBKDF2 under
  them. Existing accounts get a fresh random salt and 600,000 iterations; their
  old hash was of the password itself, which the server never receives again,
  so they cannot sign in until their password is set again.
- Every staff session ends (on both databases alike: on SQLite the table is
  rebuilt, and its foreign key would cascade anyway): everyone signs in again,
  under the new scheme.
- ``identity_keys``: one Ed25519 identity key per account, its wrapped seed and
  its certificate.
- ``revocation_list``: the organisation's current signed list (one row).

Revision ID: 0002
Revises: 0001
Create Date: 2025-11-26
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEGACY_ITERATIONS = 600_000
SALT_BYTES = 16


def upgrade() -> None:
    op.execute("DELETE FROM staff_sessions")
    with op.batch_alter_table("staff_accounts") as batch:
        batch.add_column(sa.Column("kdf_salt", sa.LargeBinary(SALT_BYTES), nullable=True))
        batch.add_column(sa.Column("kdf_iterations", sa.Integer(), nullable=True))
    accounts = sa.table(
        "staff_accounts",
        sa.column("id", sa.Integer()),
        sa.column("kdf_salt", sa.LargeBinary()),
        sa.column("kdf_iterations", sa.Integer()),
    )
    bind = op.get_bind()
    for (account_id,) in bind.execute(sa.select(accounts.c.id)).all():
        bind.execute(
            accounts.update()
            .where(accounts.c.id == account_id)
            .values(kdf_salt=os.urandom(SALT_BYTES), kdf_iterations=LEGACY_ITERATIONS)
        )
    with op.batch_alter_table("staff_accounts") as batch:
        batch.alter_column("kdf_salt", existing_type=sa.LargeBinary(SALT_BYTES), nullable=False)
        batch.alter_column("kdf_iterations", existing_type=sa.Integer(), nullable=False)
        batch.create_check_constraint(
            op.f("ck_staff_accounts_kdf_iterations"), "kdf_iterations > 0"
        )

    op.create_table(
        "identity_keys",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("ik", sa.LargeBinary(32), nullable=False),
        sa.Column("wrapped_seed", sa.LargeBinary(128), nullable=False),
        sa.Column("cert", sa.LargeBinary(512), nullable=True),
        sa.Column("handle", sa.String(64), nullable=True),
        sa.Column("not_after", sa.BigInteger(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("certified_at", sa.Double(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'valid', 'revoked')", name=op.f("ck_identity_keys_state")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["staff_accounts.id"],
            name="fk_identity_keys_account_id_staff_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name="pk_identity_keys"),
        sa.UniqueConstraint("ik", name="uq_identity_keys_ik"),
    )
    op.create_table(
        "revocation_list",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("blob", sa.LargeBinary(), nullable=False),
        sa.Column("issued_at", sa.BigInteger(), nullable=False),
        sa.Column("stored_at", sa.Double(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_revocation_list_single_row")),
        sa.PrimaryKeyConstraint("id", name="pk_revocation_list"),
    )


def downgrade() -> None:
    op.drop_table("revocation_list")
    op.drop_table("identity_keys")
    op.execute("DELETE FROM settings WHERE key = 'fake_salt_secret'")  # made at first use
    with op.batch_alter_table("staff_accounts") as batch:
        batch.drop_constraint(op.f("ck_staff_accounts_kdf_iterations"), type_="check")
        batch.drop_column("kdf_iterations")
        batch.drop_column("kdf_salt")
