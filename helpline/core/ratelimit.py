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


class LoginLimiter:
    """Per-username lock-out after repeated failures, and a global attempt budget.

    After ``failures_before_lockout`` failures a username is locked for 1 s,
    doubling with every further failure up to ``lockout_max_s``; a success
    clears it. Attempts are counted before the password check, so parallel
    guesses count too. The map of usernames is bounded (``max_tracked``): at the
    bound the oldest entries that are not locked are dropped; a locked one is
    kept until its lock-out ends, so flooding the map cannot lift it (the
    number of locked entries is itself bounded by the global attempt budget
    times the longest lock-out).
    """

    def __init__(
        self,
        failures_before_lockout: int,
        lockout_max_s: float,
        global_per_s: float,
        now: float,
        max_tracked: int = 10_000,
    ) -> None:
        self._threshold = failures_before_lockout
        self._max_s = lockout_max_s
        self._global = TokenBucket(global_per_s, max(1.0, global_per_s), now)
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self._max_tracked = max_tracked

    def retry_after(self, username: str, now: float) -> float:
        """Seconds to wait before ``username`` may try; 0 when an attempt is allowed."""
        entry = self._failures.get(username.casefold())
        if entry is not None and entry[1] > now:
            return entry[1] - now
        if not self._global.take(now):
            return 1.0
        return 0.0

    def failed(self, username: str, now: float) -> None:
        key = username.casefold()
        count = self._failures.pop(key, (0, 0.0))[0] + 1
        locked_until = 0.0
        if count >= self._threshold:
            locked_until = now + min(self._max_s, 2.0 ** (count - self._threshold))
        self._failures[key] = (count, locked_until)
        if len(self._failures) > self._max_tracked:
            self._evict(now)

    def _evict(self, now: float) -> None:
        """Drop the oldest entries that are not locked; locked ones are never dropped
        (pushing a target out of the map must not lift its lock-out). If every entry is
        locked, the map may exceed its bound until locks expire."""
        for key in list(self._failures):
            if len(self._failures) <= self._max_tracked:
                return
            if self._failures[key][1] <= now:
                del self._failures[key]

    def succeeded(self, username: str) -> None:
        self._failures.pop(username.casefold(), None)
