"""Matching and offers (docs/protocol.md §4).

A counsellor who is connected, ``available``, below capacity and without a
pending offer is *free*. Whenever something changes that could pair someone,
every free counsellor — fewest open chats first, then free the longest — is
offered the lowest-ticket seeker among their languages
(:mod:`helpline.core.queues`, including the fallback lines), skipping seekers
who were handed back by that very counsellor. One offer per counsellor at a
time, opened by :func:`accept_offer`; an offer expires after ``offer_timeout_s``
(:mod:`helpline.core.timers`).
Offers that will not become chats: :func:`helpline.core.handover.withdraw`.

Plain functions over the :class:`~helpline.core.switchboard.Switchboard`'s state;
each appends the effects it produces to ``out``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from helpline.core.effects import ChatOpened, ConnId, Effect, Offered, PeerPresence
from helpline.core.ids import new_chat_id
from helpline.core.lifecycle import ChatEvent, SeekerEvent, next_chat_state, next_seeker_state
from helpline.core.participants import Chat, Counsellor, Seeker
from helpline.core.positions import is_current

if TYPE_CHECKING:
    from helpline.core.switchboard import Switchboard


def match(sb: Switchboard, now: float, out: list[Effect]) -> None:
    if not sb._seekers:
        return
    free = [c for c in sb._counsellors.values() if c.is_free(now)]
    if not free:
        return
    free.sort(key=lambda c: (len(c.chats), c.free_since))
    for counsellor in free:
        found = best_seeker_for(sb, counsellor)
        if found is not None:
            # Through the method: a seam that tests/core/test_properties.py checks.
            sb._offer(counsellor, found[0], found[1], now, out)


def best_seeker_for(sb: Switchboard, counsellor: Counsellor) -> tuple[Seeker, str] | None:
    account_id = counsellor.account.id

    def eligible(seeker: object) -> bool:
        assert isinstance(seeker, Seeker)
        return account_id not in seeker.excluded

    best: Seeker | None = None
    best_language = ""
    for language in counsellor.languages:
        for candidate in (
            sb._queues[language].first(eligible),
            sb._fallback[language].first(is_current, eligible),
        ):
            if candidate is not None and (best is None or candidate.ticket < best.ticket):
                assert isinstance(candidate, Seeker)
                best, best_language = candidate, language
    return None if best is None else (best, best_language)


def offer(
    sb: Switchboard,
    counsellor: Counsellor,
    seeker: Seeker,
    language: str,
    now: float,
    out: list[Effect],
) -> None:
    chat = Chat(new_chat_id(sb._ids), language, seeker, counsellor)
    sb._queues[seeker.language].remove(seeker.token)
    seeker.state = next_seeker_state(seeker.state, SeekerEvent.OFFER)
    seeker.chat = chat
    sb._chats[chat.id] = chat
    offer_chat(sb, counsellor, chat, int(now - seeker.queued_at), now, out)


def offer_chat(
    sb: Switchboard,
    counsellor: Counsellor,
    chat: Chat,
    waited_s: int,
    now: float,
    out: list[Effect],
) -> None:
    """Offer ``chat`` to ``counsellor``: a seeker from the queue, or a transfer."""
    assert counsellor.conn is not None
    counsellor.offer = chat
    chat.offered_at = now
    sb._timers.offer(now + sb.settings.offer_timeout_s, chat.id, now)
    out.append(
        Offered(
            counsellor.conn,
            chat.id,
            chat.language,
            waited_s,
            int(sb.settings.offer_timeout_s),
            chat.transfer_from,
        )
    )


def accept_offer(
    sb: Switchboard, conn: ConnId, counsellor: Counsellor, chat: Chat, now: float
) -> list[Effect]:
    """The counsellor takes a seeker from the queue: the chat opens for both.
    (A transfer accepted: :func:`helpline.core.handover.accept_transfer`.)"""
    chat.state = next_chat_state(chat.state, ChatEvent.ACCEPT)
    chat.answered_at = now
    counsellor.offer = None
    counsellor.chats[chat.id] = chat
    seeker = chat.seeker
    seeker.state = next_seeker_state(seeker.state, SeekerEvent.CHAT_OPENED)
    # The seeker left their own language's queue, whichever language serves them:
    # that queue's drain rate is what their followers' estimates need.
    sb._queues[seeker.language].note_served(now)
    sb._waits.answered(seeker.language, now, now - chat.queued_at)  # O(1): the dashboard
    out: list[Effect] = [ChatOpened(conn, chat.id, chat.language)]
    if seeker.conn is not None:
        out.append(ChatOpened(seeker.conn, chat.id, chat.language))
    else:
        out.append(PeerPresence(conn, chat.id, False))
    match(sb, now, out)
    return out
