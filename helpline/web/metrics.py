"""Prometheus metrics at ``GET /metrics`` (docs/operations.md, Metrics).

- Protected by a bearer token (``HELPLINE_METRICS_TOKEN``): ``Authorization:
  Bearer <token>``, compared in constant time. Without a configured token the
  endpoint does not exist (404), so a fresh install exposes nothing; a missing
  or wrong token is 401.
- Only aggregates, and no label but ``language`` (a configured queue code) and
  ``status`` (a fixed set of words): nothing that could single out a seeker,
  a chat or an address. The figures are the dashboard's
  (:mod:`helpline.core.dashboard`), computed for the scrape.
- A registry of its own, never prometheus-client's global one (which would also
  export the process's own collectors and outlive a test's application), holding
  one custom collector that reads the figures when scraped. A registry per scrape
  costs microseconds and leaves nothing registered behind.
- The classic text format (version 0.0.4), which every Prometheus version reads.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator

from aiohttp import web
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.registry import Collector, CollectorRegistry

from helpline.core.dashboard import Snapshot
from helpline.web.dashboard import DASHBOARD
from helpline.web.keys import CONFIG, HUB

routes = web.RouteTableDef()

STAFF_STATUSES = ("available", "busy", "away", "offline")


class HelplineCollector(Collector):
    """The dashboard's figures as metric families, read at each scrape."""

    def __init__(self, app: web.Application) -> None:
        self._app = app

    def collect(self) -> Iterator[Metric]:
        dashboard = self._app[DASHBOARD]
        hub = self._app[HUB]
        snap = dashboard.compute()
        yield from _queue_metrics(snap)
        waits = hub.switchboard.waits
        answered = CounterMetricFamily(
            "helpline_queue_answered",
            "Seekers answered from the queue since the server started (a counsellor accepted).",
            labels=["language"],
        )
        abandoned = CounterMetricFamily(
            "helpline_queue_abandoned",
            "Seekers who left or were lost while waiting or offered, since the server started.",
            labels=["language"],
        )
        for figures in snap.languages:
            answered.add_metric([figures.code], waits.answered_total.get(figures.code, 0))
            abandoned.add_metric([figures.code], waits.abandoned_total.get(figures.code, 0))
        yield answered
        yield abandoned
        staff = GaugeMetricFamily(
            "helpline_staff",
            "Known counsellors by dashboard status (each counted once).",
            labels=["status"],
        )
        counts = dict.fromkeys(STAFF_STATUSES, 0)
        for counsellor in snap.counsellors:
            counts[counsellor.status] += 1
        for status, count in counts.items():
            staff.add_metric([status], count)
        yield staff
        yield GaugeMetricFamily(
            "helpline_help_requests_open", "Open help requests from counsellors.", len(snap.help)
        )
        yield GaugeMetricFamily(
            "helpline_service_level_target_seconds",
            "The service level's target: answered within this many seconds.",
            snap.target_s,
        )
        yield GaugeMetricFamily(
            "helpline_seeker_connections",
            "Open seeker WebSocket connections.",
            hub.seeker_connections,
        )
        yield GaugeMetricFamily(
            "helpline_dashboard_streams",
            "Open dashboard event streams.",
            len(dashboard.subscribers),
        )
        yield CounterMetricFamily(
            "helpline_stats_dropped",
            "Statistics rows dropped because the database fell behind, since the server started.",
            hub.stats_dropped,
        )


def _queue_metrics(snap: Snapshot) -> Iterator[Metric]:
    def family(name: str, documentation: str) -> GaugeMetricFamily:
        return GaugeMetricFamily(name, documentation, labels=["language"])

    waiting = family("helpline_queue_waiting", "Seekers waiting in the queue now.")
    longest = family(
        "helpline_queue_longest_wait_seconds", "How long the longest waiter has waited."
    )
    median = family(
        "helpline_queue_wait_median_seconds",
        "Median wait of the seekers answered in the last hour (absent when none).",
    )
    p90 = family(
        "helpline_queue_wait_p90_seconds",
        "90th-percentile wait of the seekers answered in the last hour (absent when none).",
    )
    answered = family(
        "helpline_queue_answered_last_hour", "Seekers answered from the queue in the last hour."
    )
    abandoned = family(
        "helpline_queue_abandoned_last_hour", "Seekers who gave up waiting in the last hour."
    )
    level = family(
        "helpline_queue_service_level_ratio",
        "Answered within the target / (answered + abandoned), last hour (absent when none).",
    )
    active = family("helpline_chats_active", "Chats in progress (active or being transferred).")
    counsellors = GaugeMetricFamily(
        "helpline_counsellors",
        "Connected counsellors per language they take now, by status.",
        labels=["language", "status"],
    )
    for f in snap.languages:
        label = [f.code]
        waiting.add_metric(label, f.waiting)
        longest.add_metric(label, f.longest_wait_s)
        if f.median_wait_s is not None and f.p90_wait_s is not None:
            median.add_metric(label, f.median_wait_s)
            p90.add_metric(label, f.p90_wait_s)
        answered.add_metric(label, f.answered)
        abandoned.add_metric(label, f.abandoned)
        if f.service_level is not None:
            level.add_metric(label, f.service_level)
        active.add_metric(label, f.active)
        counsellors.add_metric([f.code, "available"], f.available)
        counsellors.add_metric([f.code, "busy"], f.busy)
        counsellors.add_metric([f.code, "away"], f.away)
    yield from (waiting, longest, median, p90, answered, abandoned, level, active, counsellors)


def _authorised(request: web.Request, token: str) -> bool:
    given = request.headers.get("Authorization", "")
    scheme, _, value = given.partition(" ")
    # compare_digest on bytes: constant time whatever the value holds.
    return scheme.lower() == "bearer" and hmac.compare_digest(
        value.strip().encode("utf-8", "replace"), token.encode("utf-8")
    )


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    token = request.app[CONFIG].metrics_token
    if not token:
        raise web.HTTPNotFound()
    if not _authorised(request, token):
        return web.Response(
            status=401,
            text="unauthorized\n",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"', "Cache-Control": "no-store"},
        )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HelplineCollector(request.app))
    return web.Response(
        body=generate_latest(registry),
        headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4, "Cache-Control": "no-store"},
    )
