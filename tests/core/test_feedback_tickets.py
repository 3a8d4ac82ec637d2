"""Feedback tickets (helpline.core.feedback): one use, an hour, 10,000 at most."""

from __future__ import annotations

import itertools
from datetime import date

from helpline.core.feedback import (
    MAX_TICKETS,
    TICKET_TTL_S,
    MemoryTickets,
    TicketStore,
    feedback_day,
)
from helpline.wire.fields import is_token
from tests.core.helpers import START, Clock, CountingIds

_chats = itertools.count(1)


def chat() -> str:
    """A new chat id."""
    return f"chat{next(_chats)}"


def test_a_ticket_is_256_random_bits_and_remembers_the_language_once() -> None:
    clock = Clock()
    tickets: TicketStore = MemoryTickets()
    ticket = tickets.issue("de", clock.now, chat())
    assert ticket is not None
    assert is_token(ticket)
    assert tickets.issue("de", clock.now, chat()) != ticket
    assert tickets.redeem(ticket, clock.advance(10)) == "de"
    assert tickets.redeem(ticket, clock.now) is None  # one use


def test_an_unknown_ticket_is_none() -> None:
    tickets = MemoryTickets()
    assert tickets.redeem("A" * 43, START) is None


def test_tickets_expire_after_an_hour() -> None:
    clock = Clock()
    tickets = MemoryTickets()
    early = tickets.issue("en", clock.now, chat())
    late = tickets.issue("fi", clock.advance(1800), chat())
    clock.advance(TICKET_TTL_S - 1800)  # exactly an hour after the first
    assert tickets.redeem(early, clock.now) is None
    assert tickets.redeem(late, clock.now) == "fi"  # half an hour left


def test_expired_tickets_are_dropped_as_new_ones_come() -> None:
    clock = Clock()
    tickets = MemoryTickets()
    for _ in range(100):
        tickets.issue("en", clock.now, chat())
    tickets.issue("en", clock.advance(TICKET_TTL_S), chat())
    assert len(tickets) == 1


def test_at_the_bound_the_oldest_ticket_goes() -> None:
    """House habit 6: the map is bounded; the oldest ticket is dropped, not memory lost."""
    clock = Clock()
    tickets = MemoryTickets(ids=CountingIds(), max_tickets=3)
    first, second = (tickets.issue("en", clock.advance(1), chat()) for _ in range(2))
    tickets.issue("en", clock.advance(1), chat())
    fourth = tickets.issue("de", clock.advance(1), chat())
    assert len(tickets) == 3
    assert tickets.redeem(first, clock.now) is None
    assert tickets.redeem(second, clock.now) == "en"
    assert tickets.redeem(fourth, clock.now) == "de"


def test_the_default_bound_is_ten_thousand() -> None:
    clock = Clock()
    tickets = MemoryTickets(ids=CountingIds())
    issued = [tickets.issue("en", clock.now, chat()) for _ in range(MAX_TICKETS + 5)]
    assert len(tickets) == MAX_TICKETS == 10_000
    assert tickets.redeem(issued[4], clock.now) is None
    assert tickets.redeem(issued[5], clock.now) == "en"


def test_a_clock_stepping_back_never_makes_an_expired_ticket_good() -> None:
    tickets = MemoryTickets()
    ticket = tickets.issue("en", START + 10_000, chat())
    assert tickets.redeem(ticket, START + 10_000 + TICKET_TTL_S) is None
    newer = tickets.issue("en", START, chat())  # the clock stepped back
    assert tickets.redeem(newer, START + 1) == "en"


def test_answers_count_on_the_utc_day() -> None:
    assert feedback_day(1_764_547_199) == date(2025, 11, 30)  # 23:59:59 UTC
    assert feedback_day(1_764_547_200) == date(2025, 12, 1)


def test_one_chat_one_ticket() -> None:
    """A chat_ended sent again for a chat (a resume after the end) repeats its ticket,
    and none once it was used: one answer per chat."""
    clock = Clock()
    tickets = MemoryTickets()
    ticket = tickets.issue("en", clock.now, "chat-a")
    assert tickets.issue("en", clock.advance(5), "chat-a") == ticket
    assert tickets.redeem(ticket, clock.now) == "en"
    assert tickets.issue("en", clock.advance(5), "chat-a") is None
    assert tickets.issue("en", clock.now, "chat-b") not in (None, ticket)
    clock.advance(TICKET_TTL_S)
    assert tickets.issue("en", clock.now, "chat-a") is not None  # the hour is over
    assert len(tickets) == 1  # the rest was forgotten, the used chat too
