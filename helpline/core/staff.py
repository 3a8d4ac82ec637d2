"""Staff accounts as the core sees them."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Role(enum.StrEnum):
    COUNSELLOR = "counsellor"
    SUPERVISOR = "supervisor"


@dataclass(frozen=True, slots=True)
class StaffAccount:
    """A staff member. Supervisors may also take chats if they have languages."""

    id: int
    username: str
    role: Role
    languages: tuple[str, ...]
    capacity: int
    disabled: bool = False
    # Whether the account may be offered chats now: the web layer knows (a valid,
    # unexpired, unrevoked certificate; docs/crypto.md) and tells the core.
    can_take_chats: bool = True
