"""Live queue figures for counsellors (docs/protocol.md §2.4 ``queues``, §4).

Rules:

- A counsellor hears of the queues of their *account* languages (those that
  have a queue), whatever languages they chose for now: per language, how
  many seekers wait and how long the longest of them has waited.
- The longest wait is rounded down: to 5 s below a minute, to 30 s below ten
  minutes, to the whole minute beyond. The contract asks for whole seconds at
  least; coarser steps keep a figure still for a while, so that a frame goes
  out when something a counsellor would notice changed rather than every pass.
- A counsellor gets the figures when they connect, then at most once per
  ``position_interval_s``, and only when one of their figures changed.
- Bounded work: each language's figures are computed once per interval
  (:meth:`LanguageQueue.longest_wait_s` looks at the front of the queue only);
  the pass that follows compares each connected counsellor's figures with what
  they were last sent, so the work per interval is linear in the number of
  counsellors times their languages, whatever the queues' lengths.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from helpline.core.effects import LanguageFigure, QueueFigures
from helpline.core.participants import Counsellor
from helpline.core.queues import LanguageQueue


def round_longest_wait(seconds: float) -> int:
    """Whole seconds rounded down to 5 s (< 1 min), 30 s (< 10 min) or 60 s steps."""
    whole = max(0, int(seconds))
    step = 5 if whole < 60 else 30 if whole < 600 else 60
    return whole - whole % step


def language_figure(queue: LanguageQueue, now: float) -> LanguageFigure:
    return LanguageFigure(queue.language, len(queue), round_longest_wait(queue.longest_wait_s(now)))


class FigureBoard:
    """The figures of every language, computed at most once per interval."""

    __slots__ = ("_at", "_figures")

    def __init__(self) -> None:
        self._at = -math.inf
        self._figures: dict[str, LanguageFigure] = {}

    @staticmethod
    def languages_of(counsellor: Counsellor, queues: Mapping[str, LanguageQueue]) -> list[str]:
        return [lang for lang in counsellor.account.languages if lang in queues]

    def on_connect(
        self, counsellor: Counsellor, queues: Mapping[str, LanguageQueue], now: float
    ) -> QueueFigures:
        """The figures for a counsellor who just connected (computed afresh)."""
        assert counsellor.conn is not None
        figures = tuple(
            language_figure(queues[lang], now) for lang in self.languages_of(counsellor, queues)
        )
        counsellor.figures_sent = figures
        counsellor.figures_at = now
        return QueueFigures(counsellor.conn, figures)

    def due(
        self,
        counsellors: Iterable[Counsellor],
        queues: Mapping[str, LanguageQueue],
        now: float,
        interval: float,
    ) -> list[QueueFigures]:
        """Once per interval: the counsellors whose figures changed, with their figures."""
        if now - self._at < interval:
            return []
        self._at = now
        self._figures = {lang: language_figure(queue, now) for lang, queue in queues.items()}
        out: list[QueueFigures] = []
        for counsellor in counsellors:
            if counsellor.conn is None or now - counsellor.figures_at < interval:
                continue  # told on connect, or just told: the next pass looks again
            figures = tuple(self._figures[lang] for lang in self.languages_of(counsellor, queues))
            if figures != counsellor.figures_sent:
                counsellor.figures_sent = figures
                counsellor.figures_at = now
                out.append(QueueFigures(counsellor.conn, figures))
        return out
