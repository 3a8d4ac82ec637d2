"""What the service keeps about a chat: only what statistics need.

A :class:`ChatSummary` holds the queue's language, times rounded down to the
minute, the wait rounded to 5 seconds (service level needs "answered within
60 s"), how it ended and the counsellor's outcome code. Never a token, an
address, a user agent, a chat id or any content: docs/privacy.md.
"""

from __future__ import annotations

from dataclasses import dataclass

WAIT_ROUNDING_S = 5


def to_minute(unix_s: float) -> int:
    """Unix seconds rounded down to the minute."""
    return int(unix_s // 60 * 60)


def round_wait(wait_s: float) -> int:
    return int(round(max(0.0, wait_s) / WAIT_ROUNDING_S) * WAIT_ROUNDING_S)


@dataclass(frozen=True, slots=True)
class ChatSummary:
    language: str
    queued_minute: int  # Unix seconds, multiple of 60
    answered_minute: int | None  # None: the seeker left or was lost before a counsellor accepted
    ended_minute: int
    wait_s: int | None  # rounded to WAIT_ROUNDING_S; None if never answered
    # seeker_left, seeker_gone, counsellor_ended, handed_back, counsellor_lost; with
    # answered_minute None, seeker_left / seeker_gone mean the seeker gave up waiting.
    end_reason: str
    outcome: str | None  # the counsellor's outcome code, if any
