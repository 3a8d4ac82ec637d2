"""Queue places: putting a seeker in line and telling them where they stand.

Plain functions over the :class:`~helpline.core.switchboard.Switchboard`'s
queues (:mod:`helpline.core.queues`); each appends the effects it produces to
``out``. Positions are sent at once when a seeker joins or is requeued, and
otherwise in passes paced by ``position_interval_s`` and ``positions_per_tick``
(docs/protocol.md §4). A seeker with a fallback language also stands in that
language's :class:`~helpline.core.queues.FallbackLine` once their fallback timer
has fired; stale entries there are recognised by their ticket (:func:`is_current`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from helpline.core.effects import Effect, QueuePosition
from helpline.core.lifecycle import SeekerState
from helpline.core.participants import Seeker

if TYPE_CHECKING:
    from helpline.core.switchboard import Switchboard


def is_current(seeker: object, ticket: int) -> bool:
    assert isinstance(seeker, Seeker)
    return seeker.state is SeekerState.WAITING and seeker.ticket == ticket


def enqueue(
    sb: Switchboard,
    seeker: Seeker,
    *,
    front: bool,
    now: float,
    out: list[Effect],
    offer_withdrawn: bool = False,
) -> None:
    """Queue a seeker. After a withdrawn offer their wait goes on (they were never told
    of the offer): ``queued_at`` is kept and the position is left to the next pass."""
    queue = sb._queues[seeker.language]
    if not offer_withdrawn:
        seeker.queued_at = now
    if front:
        seeker.ticket = sb._tickets.front()
        queue.push_front(seeker)
        position = 1
    else:
        seeker.ticket = sb._tickets.back()
        position = queue.push_back(seeker)
    if seeker.fallback is not None and seeker.fallback_active:
        add_to_fallback(sb, seeker, seeker.fallback)
    if seeker.conn is not None and not offer_withdrawn:
        out.append(position_effect(sb, seeker, now, position))


def position_effect(
    sb: Switchboard, seeker: Seeker, now: float, position: int | None = None
) -> QueuePosition:
    """The seeker's place; ``position`` when the caller knows it (saves a queue walk)."""
    assert seeker.conn is not None
    queue = sb._queues[seeker.language]
    if seeker.state is SeekerState.WAITING:
        if position is None:
            position = 1
            for entry in queue:
                if entry is seeker:
                    break
                position += 1
        estimate = queue.estimate_wait_s(position, now)
    else:  # offered: a counsellor is about to answer
        position, estimate = 1, 0
    seeker.position_sent = position
    seeker.position_at = now
    return QueuePosition(seeker.conn, seeker.language, position, estimate)


def send_positions(sb: Switchboard, now: float, out: list[Effect]) -> None:
    """One pass per changed queue at most every interval, and at most
    ``positions_per_tick`` updates in all: a pass cut short by that budget goes on
    at the next tick (``unfinished``), skipping whoever was told meanwhile."""
    interval = sb.settings.position_interval_s
    budget = sb.settings.positions_per_tick
    for queue in sb._queues.values():
        if budget <= 0:
            return
        if not queue.unfinished and (not queue.changed or now - queue.last_pass < interval):
            continue
        if not queue.unfinished:
            queue.last_pass = now
        queue.changed = queue.unfinished = False
        rate = queue.rate_per_s(now)
        for position, entry in enumerate(queue, 1):
            seeker = entry
            assert isinstance(seeker, Seeker)
            if seeker.position_sent == position or seeker.conn is None:
                continue
            if now - seeker.position_at < interval:
                queue.changed = True  # try again next pass
                continue
            if budget <= 0:
                queue.unfinished = True
                break
            budget -= 1
            seeker.position_sent = position
            seeker.position_at = now
            estimate = None if rate is None else queue.estimate_wait_s(position, now, rate)
            out.append(QueuePosition(seeker.conn, seeker.language, position, estimate))


def add_to_fallback(sb: Switchboard, seeker: Seeker, language: str) -> None:
    sb._fallback[language].add(seeker)
    compact_fallback(sb, language)


def compact_fallback(sb: Switchboard, language: str) -> None:
    """Keep a fallback line's size within twice the live seekers (house habit 6)."""
    line = sb._fallback[language]
    if len(line) > 2 * sb.waiting_count() + 64:
        line.compact(is_current)
