"""Storage: staff accounts, staff sessions and chat statistics (SQLAlchemy 2, async).

What is stored is exactly what ``docs/privacy.md`` allows: staff data, the
SHA-256 of each staff session token (never the token), counsellors' public
identity keys with their wrapped seeds and certificates, the organisation's
revocation list, one :class:`~helpline.core.stats.ChatSummary` per chat, and
seekers' feedback as counts per day, language and answer, staff second-factor
secrets (sealed) and supervisors' canned responses.
Nothing about a seeker's connection (address, user agent) and no content ever
reaches this package.

Repositories return core types; every database or driver error leaves this
package as :class:`helpline.errors.StoreError`. The package never imports the
web layer.
"""

from __future__ import annotations

from helpline.store.accounts import AccountRepository
from helpline.store.canned import CannedRepository
from helpline.store.chat_stats import ChatStatsRepository
from helpline.store.engine import Database
from helpline.store.feedback import FeedbackRepository
from helpline.store.identity import IdentityRepository
from helpline.store.sessions import SessionRepository
from helpline.store.settings import SettingsRepository
from helpline.store.totp import TotpRepository

__all__ = [
    "AccountRepository",
    "CannedRepository",
    "ChatStatsRepository",
    "Database",
    "FeedbackRepository",
    "IdentityRepository",
    "SessionRepository",
    "SettingsRepository",
    "TotpRepository",
]
