"""The switchboard's timers: one heap of deadlines (docs/protocol.md §5).

Each entry is ``(at, seq, kind, key, stamp)``: ``key`` names the seeker (token),
counsellor (account id) or chat (id) it is about, and ``stamp`` is what that
participant's state must still show when it fires (``lost_at``, ``offered_at``,
``wrap_up_until``). A timer that no longer applies — the participant came back,
the offer was answered — is recognised by its stamp and ignored, so nothing is
ever cancelled. :meth:`helpline.core.switchboard.Switchboard.tick` pops the due
ones and :func:`fire` carries out what each kind stands for.

Bound (house habit 6): at most one entry per pending grace period, offer,
fallback and wrap-up, each expiring within the longest of those delays.
"""

from __future__ import annotations

import enum
import heapq
from collections.abc import Iterator
from typing import TYPE_CHECKING

from helpline.core.desk import status_effect
from helpline.core.effects import Effect
from helpline.core.handover import drop_seeker, end_active, withdraw
from helpline.core.lifecycle import ChatEvent, ChatState, SeekerState
from helpline.core.matching import match
from helpline.core.positions import add_to_fallback

if TYPE_CHECKING:
    from helpline.core.switchboard import Switchboard


class Timer(enum.Enum):
    SEEKER_GONE = 1
    COUNSELLOR_GONE = 2
    OFFER = 3
    FALLBACK = 4
    WRAP_UP = 5


class TimerHeap:
    __slots__ = ("_heap", "_seq")

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Timer, str, float | None]] = []
        self._seq = 0

    def schedule(self, at: float, kind: Timer, key: str, stamp: float | None) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (at, self._seq, kind, key, stamp))

    def seeker_gone(self, at: float, token: str, lost_at: float) -> None:
        self.schedule(at, Timer.SEEKER_GONE, token, lost_at)

    def counsellor_gone(self, at: float, account_id: int, lost_at: float) -> None:
        self.schedule(at, Timer.COUNSELLOR_GONE, str(account_id), lost_at)

    def offer(self, at: float, chat_id: str, offered_at: float) -> None:
        self.schedule(at, Timer.OFFER, chat_id, offered_at)

    def fallback(self, at: float, token: str) -> None:
        self.schedule(at, Timer.FALLBACK, token, None)

    def wrap_up(self, until: float, account_id: int) -> None:
        self.schedule(until, Timer.WRAP_UP, str(account_id), until)

    def due(self, now: float) -> Iterator[tuple[Timer, str, float | None]]:
        """Pop the timers due at ``now``, earliest first; ones scheduled while
        iterating are seen too when they are already due."""
        heap = self._heap
        while heap and heap[0][0] <= now:
            _, _, kind, key, stamp = heapq.heappop(heap)
            yield kind, key, stamp


def fire(
    sb: Switchboard, kind: Timer, key: str, stamp: float | None, now: float, out: list[Effect]
) -> None:
    """What a due timer does, if its stamp shows it still applies."""
    if kind is Timer.SEEKER_GONE:
        seeker = sb._seekers.get(key)
        if seeker is not None and seeker.conn is None and seeker.lost_at == stamp:
            drop_seeker(sb, seeker, ChatEvent.SEEKER_GONE, now, out)
            match(sb, now, out)
    elif kind is Timer.COUNSELLOR_GONE:
        counsellor = sb._counsellors.get(int(key))
        if counsellor is not None and counsellor.conn is None and counsellor.lost_at == stamp:
            for open_chat in list(counsellor.chats.values()):
                end_active(sb, open_chat, ChatEvent.COUNSELLOR_LOST, now, out)
            del sb._counsellors[counsellor.account.id]
            sb._help.close(counsellor.account.id)
            match(sb, now, out)
    elif kind is Timer.OFFER:
        offer = sb._chats.get(key)
        if (
            offer is not None
            and offer.state in (ChatState.OFFERED, ChatState.TRANSFERRING)
            and offer.offered_at == stamp
        ):
            withdraw(sb, offer, ChatEvent.OFFER_TIMEOUT, now, out)
            match(sb, now, out)
    elif kind is Timer.FALLBACK:
        seeker = sb._seekers.get(key)
        if seeker is not None and seeker.fallback is not None and not seeker.fallback_active:
            seeker.fallback_active = True
            if seeker.state is SeekerState.WAITING:
                add_to_fallback(sb, seeker, seeker.fallback)
                match(sb, now, out)
    elif kind is Timer.WRAP_UP:
        counsellor = sb._counsellors.get(int(key))
        if counsellor is not None and counsellor.wrap_up_until == stamp:
            if counsellor.conn is not None:
                out.append(status_effect(counsellor, now))
            match(sb, now, out)
