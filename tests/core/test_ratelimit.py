"""The login limiter and the token bucket, with a manual clock."""

from __future__ import annotations

from helpline.core.ratelimit import LoginLimiter, TokenBucket


def test_bucket_refills_at_its_rate_up_to_its_burst() -> None:
    bucket = TokenBucket(rate=2.0, burst=3, now=0.0)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.take(0.5)  # one token back after half a second
    assert not bucket.take(0.5)
    assert [bucket.take(100.0) for _ in range(4)] == [True, True, True, False]


def test_lockout_grows_and_success_clears_it() -> None:
    limiter = LoginLimiter(3, 900.0, 1000.0, now=0.0)
    for _ in range(3):
        assert limiter.retry_after("alice", 0.0) == 0
        limiter.failed("alice", 0.0)
    assert limiter.retry_after("Alice", 0.0) == 1.0  # case does not dodge it
    limiter.failed("alice", 0.0)
    assert limiter.retry_after("alice", 0.0) == 2.0
    limiter.succeeded("alice")
    assert limiter.retry_after("alice", 0.0) == 0


def test_a_locked_username_is_not_evicted_by_flooding_the_map() -> None:
    """Regression: junk usernames could push a locked target out of the bounded map."""
    limiter = LoginLimiter(2, 900.0, 1e9, now=0.0, max_tracked=100)
    for _ in range(10):
        limiter.failed("target", 0.0)
    for n in range(1000):
        limiter.failed(f"junk{n}", 1.0)
    assert limiter.retry_after("target", 1.0) > 0
    assert len(limiter) <= 100


def test_a_flood_of_usernames_does_not_reset_a_count_after_its_lock_ends() -> None:
    """Regression: once a lock-out ran out, eviction dropped the entry and its count, so
    a flood of random usernames handed the target fresh guesses without lock-out."""
    limiter = LoginLimiter(3, 900.0, 1e9, now=0.0, max_tracked=50)
    for _ in range(3):
        assert limiter.retry_after("target", 0.0) == 0
        limiter.failed("target", 0.0)
    assert limiter.retry_after("target", 0.5) == 0.5
    clock = 10.0  # the 1-second lock-out is over
    for n in range(1000):
        if limiter.retry_after(f"junk{n}", clock) == 0:
            limiter.failed(f"junk{n}", clock)
        clock += 0.01
    assert len(limiter) <= 50
    assert limiter.retry_after("target", clock) == 0  # its lock ended, it may try once
    limiter.failed("target", clock)
    assert limiter.retry_after("target", clock) == 2.0  # 4th failure: the count survived


def test_held_entries_go_last_and_a_full_map_refuses_new_usernames() -> None:
    limiter = LoginLimiter(2, 900.0, 1e9, now=0.0, max_tracked=4)
    for name in ("a", "b", "c", "d"):  # four held entries (two failures each)
        limiter.failed(name, 0.0)
        limiter.failed(name, 0.0)
    clock = 100.0  # every lock-out is over
    # The map is full of held entries: a username it does not hold is refused...
    wait = limiter.retry_after("newcomer", clock)
    assert 0 < wait <= 900.0
    assert len(limiter) == 4
    # ...while those it holds may still try (and are counted on).
    assert limiter.retry_after("a", clock) == 0
    limiter.failed("a", clock)
    assert limiter.retry_after("a", clock) == 2.0
    # A success frees a place.
    limiter.succeeded("b")
    assert limiter.retry_after("newcomer", clock) == 0
    limiter.failed("newcomer", clock)
    # Entries below the threshold are dropped before held ones.
    assert limiter.retry_after("another", clock) == 0
    limiter.failed("another", clock)
    assert len(limiter) == 4
    assert limiter.retry_after("newcomer", clock) == 0  # dropped: its count is gone
    for name in ("a", "c", "d"):
        limiter.failed(name, clock)
        assert limiter.retry_after(name, clock) > 0  # held: counts kept


def test_held_entries_are_forgotten_after_a_day() -> None:
    day = 24 * 3600.0
    limiter = LoginLimiter(2, 900.0, 1e9, now=0.0, max_tracked=2)
    for name in ("a", "b"):
        limiter.failed(name, 0.0)
        limiter.failed(name, 0.0)
    assert limiter.retry_after("c", day - 1) > 0  # full of held entries, still recent
    assert limiter.retry_after("c", day) == 0  # a day after their last failure
    limiter.failed("c", day)
    assert len(limiter) == 2
    # A lone held entry's count is forgotten after a day too.
    limiter.failed("b", 3 * day)
    assert limiter.retry_after("b", 3 * day) == 0  # one failure only: not locked
