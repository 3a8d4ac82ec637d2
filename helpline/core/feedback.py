"""One-use feedback tickets (docs/protocol.md §2.3 ``chat_ended``, §7).

When a chat ends, the seeker's ``chat_ended`` carries a ticket: 256 random
bits, good for one answer to the one-question feedback (``POST
/api/feedback``) within :data:`TICKET_TTL_S` (an hour). A ticket remembers the
chat's language and nothing else: not the chat, not the counsellor, not when
the chat ended. The answer is stored only as a count per (UTC day, language,
answer), so it cannot be tied to a chat.

One chat, one ticket: a ``chat_ended`` sent again for the same chat (a seeker
that resumes after the end) carries the same ticket, or none once it was used.

Bound (house habit 6): at most :data:`MAX_TICKETS` (10,000) tickets are kept;
issuing one more drops the oldest, whose seeker then gets 404 ``unknown_ticket``
(a lost answer, never lost memory). Expired tickets are dropped as new ones are
issued or redeemed.

:class:`TicketStore` is the interface the web layer uses; :class:`MemoryTickets`
keeps them in this process (one server process per helpline,
docs/operations.md); a shared store (Redis) can replace it later.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol

from helpline.core.ids import IdSource, new_token

TICKET_TTL_S = 3600.0
MAX_TICKETS = 10_000


class TicketStore(Protocol):
    """Where feedback tickets live between ``chat_ended`` and ``POST /api/feedback``."""

    def issue(self, language: str, now: float, chat_id: str) -> str | None:
        """The ticket of chat ``chat_id`` (in ``language``): new, the same again, or
        None once it was used."""
        ...

    def redeem(self, ticket: str, now: float) -> str | None:
        """The ticket's language, once: None when unknown, used or expired."""
        ...


class MemoryTickets:
    """Tickets in a bounded, insertion-ordered map: oldest first, so expiry and the
    bound both drop from the front."""

    __slots__ = ("_chats", "_ids", "_max", "_tickets", "_ttl")

    def __init__(
        self,
        ids: IdSource = secrets.token_bytes,
        ttl_s: float = TICKET_TTL_S,
        max_tickets: int = MAX_TICKETS,
    ) -> None:
        assert max_tickets > 0
        assert ttl_s > 0
        self._ids = ids
        self._ttl = ttl_s
        self._max = max_tickets
        # ticket -> (expires_at, language); issued in time order, so expiry is too.
        self._tickets: OrderedDict[str, tuple[float, str]] = OrderedDict()
        # chat_id -> (expires_at, its ticket): what makes it one ticket per chat. Kept
        # as long as the ticket (used or not), in the same order, with the same bound.
        self._chats: OrderedDict[str, tuple[float, str]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._tickets)

    def issue(self, language: str, now: float, chat_id: str) -> str | None:
        self._expire(now)
        known = self._chats.get(chat_id)
        if known is not None:
            ticket = known[1]
            return ticket if ticket in self._tickets else None  # None: already answered
        while len(self._chats) >= self._max:
            _, (_, oldest) = self._chats.popitem(last=False)  # the bound: the oldest goes
            self._tickets.pop(oldest, None)
        ticket = new_token(self._ids)
        self._tickets[ticket] = (now + self._ttl, language)
        self._chats[chat_id] = (now + self._ttl, ticket)
        return ticket

    def redeem(self, ticket: str, now: float) -> str | None:
        self._expire(now)
        found = self._tickets.pop(ticket, None)
        if found is None or found[0] <= now:  # the clock may have stepped back meanwhile
            return None
        return found[1]

    def _expire(self, now: float) -> None:
        for entries in (self._tickets, self._chats):
            while entries:
                expires_at = next(iter(entries.values()))[0]
                if expires_at > now:
                    break
                entries.popitem(last=False)


#: The one question's answers (``POST /api/feedback``), in the order the page shows them.
ANSWERS = ("helpful", "somewhat", "not_helpful")


@dataclass(frozen=True, slots=True)
class FeedbackCount:
    """How many seekers of ``language`` gave ``answer`` on the UTC ``day``: all that is
    stored of feedback (docs/privacy.md)."""

    day: date
    language: str
    answer: str
    count: int


def feedback_day(now: float) -> date:
    """The UTC day an answer given at ``now`` (Unix seconds) is counted on."""
    return datetime.fromtimestamp(now, UTC).date()
