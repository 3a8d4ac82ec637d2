"""Statistics rows: minute-rounded times, nothing that identifies anyone (docs/privacy.md)."""

from __future__ import annotations

from helpline.core.effects import RecordChat
from helpline.core.stats import round_wait, to_minute

from .helpers import Harness, assert_private, assert_sent, sent


def test_answered_chat_summary_is_rounded_and_anonymous() -> None:
    h = Harness()
    s = h.seeker()
    h.clock.advance(42)
    alice = h.counsellor(available=True)
    chat = alice.take(alice.effects)
    h.clock.advance(600)
    effects = alice.end(chat, outcome="referred")
    summary = assert_sent(effects, RecordChat).summary
    assert_private(summary, {s.token, chat})
    assert summary.language == "en"
    assert summary.queued_minute == to_minute(h.now - 642)
    assert summary.answered_minute == to_minute(h.now - 600)
    assert summary.ended_minute == to_minute(h.now)
    assert summary.wait_s == 40
    assert summary.outcome == "referred"


def test_abandoned_summaries_are_rounded_and_anonymous() -> None:
    h = Harness(resume_grace_s=30)
    alice = h.counsellor(available=True)
    offered = h.seeker()
    offer = alice.offer_in(offered.effects)
    waiting = h.seeker()
    gone = h.seeker()
    gone.drop()
    h.clock.advance(13)
    records = [r.summary for r in sent(offered.leave(), RecordChat)]
    records += [r.summary for r in sent(waiting.leave(), RecordChat)]
    records += [r.summary for r in sent(h.advance(30), RecordChat)]
    assert [r.end_reason for r in records] == ["seeker_left", "seeker_left", "seeker_gone"]
    for summary in records:
        assert_private(summary, {waiting.token, offered.token, gone.token, offer.chat_id})
        assert summary.answered_minute is None
        assert summary.wait_s is None
        assert summary.outcome is None


def test_round_wait_and_to_minute() -> None:
    assert to_minute(1_700_000_007.9) == 1_699_999_980
    assert to_minute(119.99) == 60
    assert round_wait(-3) == 0
    assert round_wait(2.4) == 0
    assert round_wait(2.6) == 5
    assert round_wait(61) == 60
