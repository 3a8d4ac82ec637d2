"""Maps that grow with traffic stay bounded by the live seekers (house habit 6)."""

from __future__ import annotations

from tests.core.helpers import Harness


def test_forgotten_seekers_do_not_pile_up_in_a_fallback_line() -> None:
    """Regression: seekers who waited past the fallback delay and left stayed referenced."""
    h = Harness(languages=("en", "de", "fi"), fallback_after_s=10.0)
    for _ in range(20):
        seekers = [h.seeker("de", fallback="fi") for _ in range(200)]
        h.advance(11.0)  # every one becomes eligible in the fi fallback line
        for seeker in seekers:
            seeker.leave()
    line = h.sb._fallback["fi"]
    assert h.sb.waiting_count() == 0
    assert len(line) <= 64
    assert not h.sb._seekers
