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
    assert len(limiter._failures) <= 101
