"""A counsellor's desk: their status, languages and capacity within their account.

A counsellor may take chats only in languages their account allows and that have
a queue, up to the account's capacity and never above ``max_capacity``; an
account that may not take chats now (key revoked or expired) keeps them
``away``. ``status available`` ends a wrap-up pause early (docs/protocol.md §4).
Peer mistakes raise :class:`~helpline.errors.ProtocolError` before anything
changes (docs/protocol.md §2.5).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from helpline.core.effects import StaffStatus
from helpline.core.participants import CoreSettings, Counsellor, Status
from helpline.core.staff import StaffAccount
from helpline.errors import ProtocolError

if TYPE_CHECKING:
    from helpline.core.switchboard import Switchboard


def max_capacity(settings: CoreSettings, account: StaffAccount) -> int:
    return max(1, min(account.capacity, settings.max_capacity))


def status_effect(counsellor: Counsellor, now: float) -> StaffStatus:
    assert counsellor.conn is not None
    return StaffStatus(
        counsellor.conn,
        counsellor.status.value,
        counsellor.languages,
        counsellor.capacity,
        counsellor.wrap_up_left(now),
    )


def new_counsellor(sb: Switchboard, account: StaffAccount) -> Counsellor:
    """A counsellor seen for the first time (or again after their grace period)."""
    languages = tuple(lang for lang in account.languages if lang in sb._queues)
    capacity = max(1, min(account.capacity, sb.settings.max_capacity))
    counsellor = Counsellor(account, languages, capacity)
    sb._counsellors[account.id] = counsellor
    return counsellor


def fit_account(settings: CoreSettings, counsellor: Counsellor, account: StaffAccount) -> None:
    # The account may have changed meanwhile (languages, capacity): stay within it.
    counsellor.account = account
    allowed = set(account.languages)
    counsellor.languages = tuple(lang for lang in counsellor.languages if lang in allowed)
    counsellor.capacity = min(counsellor.capacity, max_capacity(settings, account))
    if not account.can_take_chats:
        counsellor.status = Status.AWAY  # e.g. revoked while disconnected


def set_status(
    sb: Switchboard,
    counsellor: Counsellor,
    status: str,
    languages: tuple[str, ...] | None,
    capacity: int | None,
    now: float,
) -> None:
    """Check the ``status`` frame, then apply it; nothing changes when it is refused."""
    new_status = Status(status)
    if languages is not None:
        allowed = set(counsellor.account.languages) & set(sb._queues)
        if not set(languages) <= allowed:
            raise ProtocolError("language not allowed for this account", code="unknown_language")
    langs = counsellor.languages if languages is None else tuple(languages)
    if capacity is not None and not 1 <= capacity <= max_capacity(sb.settings, counsellor.account):
        raise ProtocolError("capacity above this account's maximum", code="not_allowed")
    if new_status is Status.AVAILABLE and not langs:
        raise ProtocolError("choose at least one language", code="not_allowed")
    if new_status is Status.AVAILABLE and not counsellor.account.can_take_chats:
        raise ProtocolError("this account may not take chats now", code="not_allowed")
    if new_status is Status.AVAILABLE and counsellor.status is not Status.AVAILABLE:
        counsellor.free_since = now
    if new_status is Status.AVAILABLE:
        counsellor.wrap_up_until = 0.0  # "I'm ready": the wrap-up pause ends early
    counsellor.status = new_status
    counsellor.languages = langs
    if capacity is not None:
        counsellor.capacity = capacity
