"""Language queues: strict first come, first served, with a front for returns.

Rules (docs/protocol.md §4):

- Every waiting seeker holds a *ticket*. New seekers get increasing tickets at
  the back of their language's queue; a seeker handed back gets a ticket below
  every ticket ever issued, so they stand at the front. Lower ticket = waited
  longer, across all languages, which is what "the longest-waiting seeker among
  all their languages" compares.
- A seeker with a fallback language becomes eligible in that language's
  *fallback line* once their wait reaches ``fallback_after_s``. The fallback
  line is a heap by ticket with lazy deletion: stale entries (seeker no longer
  waiting, or holding a newer ticket) are skipped when they reach the top.
- Positions are counted in the seeker's own language queue. Recomputing them is
  one pass over a queue, done at most once per ``position_interval_s`` and only
  when the queue changed ahead of someone, so the work per interval is linear in
  the number waiting, never quadratic.
"""

from __future__ import annotations

import heapq
import math
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from typing import Protocol

RATE_SAMPLES = 20
RATE_HORIZON_S = 3600.0


class Waiting(Protocol):
    """What a queue needs to know of a waiting seeker."""

    token: str
    ticket: int
    language: str
    queued_at: float


class LanguageQueue:
    """One language: the ordered waiting seekers and the recent service rate."""

    __slots__ = ("_entries", "changed", "language", "last_pass", "served_at", "unfinished")

    def __init__(self, language: str) -> None:
        self.language = language
        self._entries: OrderedDict[str, Waiting] = OrderedDict()
        self.served_at: deque[float] = deque(maxlen=RATE_SAMPLES)
        self.changed = False  # someone left or cut in: positions behind them changed
        self.last_pass = -math.inf
        self.unfinished = False  # the last pass ran out of the tick's budget: go on

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, token: str) -> bool:
        return token in self._entries

    def push_back(self, seeker: Waiting) -> int:
        self._entries[seeker.token] = seeker
        return len(self._entries)

    def push_front(self, seeker: Waiting) -> None:
        self._entries[seeker.token] = seeker
        self._entries.move_to_end(seeker.token, last=False)
        self.changed = True

    def remove(self, token: str) -> None:
        if self._entries.pop(token, None) is not None:
            self.changed = True

    def first(self, eligible: Callable[[Waiting], bool]) -> Waiting | None:
        """The front-most seeker that ``eligible`` accepts (usually the very first)."""
        for seeker in self._entries.values():
            if eligible(seeker):
                return seeker
        return None

    def __iter__(self) -> Iterator[Waiting]:
        return iter(self._entries.values())

    def longest_wait_s(self, now: float, scan: int = 64) -> float:
        """How long the longest-waiting seeker has waited (0 when nobody waits).

        Arrivals stand in the order they came, so the first of them (the first
        positive ticket) waited longest among them; seekers handed back stand in
        front of it with their own wait. Only the front of the queue is looked at,
        at most ``scan`` entries, so the cost is bounded whatever the queue's length
        (beyond that many seekers handed back at once, the figure may be a little low).
        """
        longest = 0.0
        for index, seeker in enumerate(self._entries.values()):
            longest = max(longest, now - seeker.queued_at)
            if seeker.ticket > 0 or index + 1 >= scan:
                break
        return longest

    def note_served(self, now: float) -> None:
        self.served_at.append(now)

    def rate_per_s(self, now: float) -> float | None:
        """Seekers served per second recently, or None when there is too little to go on."""
        samples = [t for t in self.served_at if now - t <= RATE_HORIZON_S]
        if len(samples) < 2 or samples[-1] <= samples[0]:
            return None
        return (len(samples) - 1) / (samples[-1] - samples[0])

    def estimate_wait_s(self, position: int, now: float, rate: float | None = None) -> int | None:
        rate = self.rate_per_s(now) if rate is None else rate
        if rate is None:
            return None
        return math.ceil(position / rate)


class FallbackLine:
    """Seekers eligible in this language through their fallback, by ticket."""

    __slots__ = ("_heap",)

    def __init__(self) -> None:
        self._heap: list[tuple[int, str, Waiting]] = []

    def add(self, seeker: Waiting) -> None:
        heapq.heappush(self._heap, (seeker.ticket, seeker.token, seeker))

    def first(
        self, is_current: Callable[[Waiting, int], bool], eligible: Callable[[Waiting], bool]
    ) -> Waiting | None:
        """The lowest-ticket seeker still waiting under that ticket whom ``eligible`` accepts."""
        heap = self._heap
        while heap and not is_current(heap[0][2], heap[0][0]):
            heapq.heappop(heap)
        if not heap:
            return None
        if eligible(heap[0][2]):
            return heap[0][2]
        # Rare: the front seeker excludes this counsellor. Look further without popping,
        # among current entries only (stale ones may be many).
        current = [entry for entry in heap if is_current(entry[2], entry[0])]
        for ticket, _token, seeker in sorted(current):
            if is_current(seeker, ticket) and eligible(seeker):
                return seeker
        return None

    def compact(self, is_current: Callable[[Waiting, int], bool]) -> None:
        """Drop stale entries, so the heap's size stays bounded by the live seekers."""
        self._heap = [entry for entry in self._heap if is_current(entry[2], entry[0])]
        heapq.heapify(self._heap)

    def __len__(self) -> int:
        return len(self._heap)


class Tickets:
    """Issues tickets: increasing for arrivals, decreasing below zero for the front."""

    __slots__ = ("_back", "_front")

    def __init__(self) -> None:
        self._back = 0
        self._front = 0

    def back(self) -> int:
        self._back += 1
        return self._back

    def front(self) -> int:
        self._front -= 1
        return self._front
