"""Rate limits with time passed in: a token bucket and the staff login limiter.

Neither keys anything by network address: seekers must not be identifiable,
and staff are limited per username plus one global budget (docs/protocol.md §6).
"""

from __future__ import annotations

from collections import OrderedDict


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved up."""

    __slots__ = ("_at", "_tokens", "burst", "rate")

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = burst
        self._at = now

    def take(self, now: float, cost: float = 1.0) -> bool:
        tokens = self._tokens + (now - self._at) * self.rate
        self._at = now
        if tokens > self.burst:
            tokens = self.burst
        if tokens < cost:
            self._tokens = tokens
            return False
        self._tokens = tokens - cost
        return True


#: How long an entry that reached the lock-out threshold is remembered after its last
#: failure, whatever happens to the map (docs/protocol.md §6.1).
HELD_S = 24 * 3600.0


class LoginLimiter:
    """Per-username lock-out after repeated failures, and a global attempt budget.

    After ``failures_before_lockout`` failures a username is locked for 1 s,
    doubling with every further failure up to ``lockout_max_s``; a success
    clears it. Attempts are counted before the password check, so parallel
    guesses count too. A count is forgotten ``held_s`` (24 hours) after its last
    failure.

    The map of usernames is bounded (``max_tracked``) and kept in two parts, each
    in the order of last failure. An entry whose count reached the threshold is
    **held**: it is never dropped before its last failure is ``held_s`` (24 hours)
    old, even after its lock-out ended, so that flooding the map with random
    usernames cannot reset its count (and so hand out fresh guesses). At the bound
    the oldest entries below the threshold go first, then held ones older than
    ``held_s``. When every entry is held and recent, the map is not made room in:
    an attempt for a username it does not hold is refused (:meth:`retry_after`
    answers a wait) rather than forgetting a held one. Filling the map that way
    takes ``failures_before_lockout * max_tracked`` attempts, at least 2,500 s of
    the whole global budget with the defaults, which already keeps everyone out
    while it is spent. The map may exceed the bound only by the attempts in flight
    (checked when room existed, counted after).
    """

    def __init__(
        self,
        failures_before_lockout: int,
        lockout_max_s: float,
        global_per_s: float,
        now: float,
        max_tracked: int = 10_000,
        held_s: float = HELD_S,
    ) -> None:
        self._threshold = failures_before_lockout
        self._max_s = lockout_max_s
        self._global = TokenBucket(global_per_s, max(1.0, global_per_s), now)
        # username → (failures, locked until, last failure), oldest failure first
        self._counting: OrderedDict[str, tuple[int, float, float]] = OrderedDict()
        self._held: OrderedDict[str, tuple[int, float, float]] = OrderedDict()
        self._max_tracked = max_tracked
        self._held_s = held_s

    def __len__(self) -> int:
        return len(self._counting) + len(self._held)

    def retry_after(self, username: str, now: float) -> float:
        """Seconds to wait before ``username`` may try; 0 when an attempt is allowed."""
        entry = self._entry(username.casefold(), now)
        if entry is not None and entry[1] > now:
            return entry[1] - now
        if entry is None:
            self._evict(now, room=1)
            if len(self) >= self._max_tracked:  # full of held entries: refuse newcomers
                oldest = next(iter(self._held.values()))
                return min(self._max_s, max(1.0, oldest[2] + self._held_s - now))
        if not self._global.take(now):
            return 1.0
        return 0.0

    def failed(self, username: str, now: float) -> None:
        key = username.casefold()
        entry = self._entry(key, now)
        self._held.pop(key, None)
        self._counting.pop(key, None)
        count = (entry[0] if entry is not None else 0) + 1
        if count >= self._threshold:
            locked_until = now + min(self._max_s, 2.0 ** (count - self._threshold))
            self._held[key] = (count, locked_until, now)
        else:
            self._counting[key] = (count, 0.0, now)
        self._evict(now)

    def _entry(self, key: str, now: float) -> tuple[int, float, float] | None:
        """The entry of ``key``; a count whose last failure is ``held_s`` old is forgotten."""
        entry = self._held.get(key) or self._counting.get(key)
        if entry is not None and entry[2] <= now - self._held_s:
            self._held.pop(key, None)
            self._counting.pop(key, None)
            return None
        return entry

    def _evict(self, now: float, room: int = 0) -> None:
        """Drop entries until ``room`` more fit under the bound: the oldest below the
        threshold first, then held ones whose last failure is ``held_s`` old; never a
        held entry younger than that (it may stay over the bound instead)."""
        while len(self) + room > self._max_tracked:
            if self._counting:
                self._counting.popitem(last=False)
                continue
            oldest = next(iter(self._held.values()), None)
            if oldest is None or oldest[2] > now - self._held_s:
                return
            self._held.popitem(last=False)

    def succeeded(self, username: str) -> None:
        key = username.casefold()
        self._held.pop(key, None)
        self._counting.pop(key, None)
