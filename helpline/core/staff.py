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
