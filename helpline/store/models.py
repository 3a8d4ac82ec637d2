"""The tables, as SQLAlchemy Core metadata.

This is the schema the repositories query and the one the migrations must
produce (``tests/store/test_migrations.py`` compares them). Times are Unix
seconds: floats for staff sessions and accounts, whole minutes (multiples of
60) for chat statistics.
"""

from __future__ import annotations

import sqlalchemy as sa

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

USERNAME_MAX = 64

staff_accounts = sa.Table(
    "staff_accounts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(USERNAME_MAX), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    # Comma-separated queue codes; codes never contain commas (helpline.config).
    sa.Column("languages", sa.Text, nullable=False, server_default=""),
    sa.Column("capacity", sa.Integer, nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.UniqueConstraint("username"),
    sa.CheckConstraint("role IN ('counsellor', 'supervisor')", name="role"),
    sa.CheckConstraint("capacity >= 0", name="capacity"),
)

# A staff session is known only by the SHA-256 of its token: a copy of the
# database does not let anyone sign in.
staff_sessions = sa.Table(
    "staff_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column(
        "account_id",
        sa.Integer,
        sa.ForeignKey("staff_accounts.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("last_seen_at", sa.Double, nullable=False),
)

# Exactly the fields of helpline.core.stats.ChatSummary, and nothing more.
chat_stats = sa.Table(
    "chat_stats",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("language", sa.String(16), nullable=False),
    sa.Column("queued_minute", sa.BigInteger, nullable=False, index=True),
    sa.Column("answered_minute", sa.BigInteger, nullable=True),
    sa.Column("ended_minute", sa.BigInteger, nullable=False),
    sa.Column("wait_s", sa.Integer, nullable=True),
    sa.Column("end_reason", sa.String(32), nullable=False),
    sa.Column("outcome", sa.String(64), nullable=True),
)

# Small operator settings changed at run time (later issues).
settings = sa.Table(
    "settings",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
