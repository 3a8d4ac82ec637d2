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
KDF_SALT_BYTES = 16
IDENTITY_KEY_BYTES = 32
IDENTITY_STATES = ("pending", "valid", "revoked")

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
    # The password is never seen by the server: the client derives a login secret
    # with PBKDF2 under this salt and iteration count (docs/crypto.md), and
    # password_hash is Argon2id of that secret.
    sa.Column("kdf_salt", sa.LargeBinary(KDF_SALT_BYTES), nullable=False),
    sa.Column("kdf_iterations", sa.Integer, nullable=False),
    sa.UniqueConstraint("username"),
    sa.CheckConstraint("role IN ('counsellor', 'supervisor')", name="role"),
    sa.CheckConstraint("capacity >= 0", name="capacity"),
    sa.CheckConstraint("kdf_iterations > 0", name="kdf_iterations"),
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
    # Ids are never used twice, even once every row is deleted (SQLite would otherwise
    # start again after the highest id left): the hourly roll-up counts rows above a
    # watermark id (helpline.store.hourly), so a reused id would never be counted.
    sqlite_autoincrement=True,
)

# Small operator settings changed at run time (later issues).
settings = sa.Table(
    "settings",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

# A counsellor's Ed25519 identity key (HLP1): the public key, its seed wrapped
# under a key derived from the password (the server cannot unwrap it), and the
# organisation's certificate once there is one. ``not_after`` and ``handle``
# repeat what the certificate says, for listing without parsing it.
identity_keys = sa.Table(
    "identity_keys",
    metadata,
    sa.Column(
        "account_id",
        sa.Integer,
        sa.ForeignKey("staff_accounts.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("ik", sa.LargeBinary(IDENTITY_KEY_BYTES), nullable=False),
    sa.Column("wrapped_seed", sa.LargeBinary(128), nullable=False),
    sa.Column("cert", sa.LargeBinary(512), nullable=True),
    sa.Column("handle", sa.String(64), nullable=True),
    sa.Column("not_after", sa.BigInteger, nullable=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("certified_at", sa.Double, nullable=True),
    sa.UniqueConstraint("ik"),
    sa.CheckConstraint("state IN ('pending', 'valid', 'revoked')", name="state"),
)

# The organisation's current signed revocation list: one row (id 1) at most.
revocation_list = sa.Table(
    "revocation_list",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("blob", sa.LargeBinary, nullable=False),
    sa.Column("issued_at", sa.BigInteger, nullable=False),
    sa.Column("stored_at", sa.Double, nullable=False),
    sa.CheckConstraint("id = 1", name="single_row"),
)

# Seekers' answers to the one feedback question: a count per UTC day, queue language
# and answer, nothing else (docs/privacy.md); no row is ever tied to a chat.
FEEDBACK_ANSWERS = ("helpful", "somewhat", "not_helpful")

feedback_counts = sa.Table(
    "feedback_counts",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("language", sa.String(16), primary_key=True),
    sa.Column("answer", sa.String(16), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
    sa.CheckConstraint("answer IN ('helpful', 'somewhat', 'not_helpful')", name="answer"),
    sa.CheckConstraint("count > 0", name="count"),
)

# A staff member's second factor (RFC 6238 TOTP), one row per account that has
# begun enrolling. ``secret`` is set once a code confirmed it (TOTP is then on);
# ``pending_secret`` is an enrolment not yet confirmed. Both are sealed
# (XSalsa20-Poly1305) under a key derived from the server secret in ``settings``,
# so a copy of this table alone does not give the codes. ``last_step`` is the
# newest 30-second time step whose code was accepted: a code works once.
TOTP_SEALED_MAX = 128

staff_totp = sa.Table(
    "staff_totp",
    metadata,
    sa.Column(
        "account_id",
        sa.Integer,
        sa.ForeignKey("staff_accounts.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("secret", sa.LargeBinary(TOTP_SEALED_MAX), nullable=True),
    sa.Column("pending_secret", sa.LargeBinary(TOTP_SEALED_MAX), nullable=True),
    sa.Column("last_step", sa.BigInteger, nullable=True),
)

# Canned responses: texts a counsellor may insert into a chat, per queue
# language, managed by supervisors. Written by staff, never by seekers.
CANNED_TITLE_MAX = 80
CANNED_TEXT_MAX = 2000

canned_responses = sa.Table(
    "canned_responses",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("language", sa.String(16), nullable=False, index=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("title", sa.String(CANNED_TITLE_MAX), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
)

# Hourly statistics (issue 7): counts per UTC hour (Unix seconds, a multiple of 3600),
# queue language, metric and bucket, folded in from ``chat_stats`` rows, which are
# then deleted after the retention (docs/privacy.md). Only counts: never a row per chat.
stats_hourly = sa.Table(
    "stats_hourly",
    metadata,
    sa.Column("hour", sa.BigInteger, primary_key=True),
    sa.Column("language", sa.String(16), primary_key=True),
    sa.Column("metric", sa.String(16), primary_key=True),
    sa.Column("bucket", sa.String(64), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
    sa.CheckConstraint("count >= 0", name="count"),
)

# The administration audit log: who (a staff username, or "cli") did what, and when.
# Staff actions only: never anything about a help-seeker.
AUDIT_ACTOR_MAX = 64
AUDIT_ACTION_MAX = 64
AUDIT_DETAIL_MAX = 2000

admin_audit = sa.Table(
    "admin_audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.Double, nullable=False, index=True),
    sa.Column("actor", sa.String(AUDIT_ACTOR_MAX), nullable=False),
    sa.Column("action", sa.String(AUDIT_ACTION_MAX), nullable=False),
    sa.Column("detail", sa.Text, nullable=False, server_default=""),
)
