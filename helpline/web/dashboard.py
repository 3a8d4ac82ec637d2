"""The supervisors' live dashboard over HTTP (docs/protocol.md, Dashboard).

- ``GET /api/admin/dashboard`` (supervisors): the figures now and the series,
  computed afresh for the request (a supervisor's page asks once, then listens).
- ``GET /api/admin/dashboard/events`` (supervisors, Server-Sent Events): on
  connect ``event: dashboard`` (the figures, without the series) and
  ``event: series`` (every point, ``"replace": true``); then ``dashboard``
  whenever a figure changed and ``series`` with each new point
  (``"replace": false``), and a ``: keep-alive`` comment after
  :data:`KEEP_ALIVE_S` of silence. The stream ends when the session does
  (re-checked every ``session_check_s``, like the hub's WebSockets), when the
  server stops, or when the client falls :data:`SUBSCRIBER_BACKLOG` events behind
  (its EventSource reconnects and starts afresh).

One :class:`Dashboard` per application computes the figures once per
``dashboard_interval_s`` by the hub's clock, whoever listens: a thousand open
dashboards cost one computation and one JSON encoding per interval, not one
each. At most :data:`MAX_SUBSCRIBERS` streams are open at once; more get 503.

Only aggregates leave: languages, counts, waits, and staff usernames with their
status; never a seeker's token, chat id or address.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from helpline.core.dashboard import Point, Series, Snapshot, StatusClock, snapshot
from helpline.core.staff import Role
from helpline.errors import StoreError
from helpline.web.api import SESSION_COOKIE, ApiError, supervisor
from helpline.web.keys import CONFIG, DATABASE, HUB, SERVICE

log = logging.getLogger(__name__)

routes = web.RouteTableDef()

MAX_SUBSCRIBERS = 100  # open event streams at once, all supervisors together
MAX_PER_SESSION = 20  # open event streams of one staff session (its tabs)
SUBSCRIBER_BACKLOG = 32  # events queued for one stream; a stream further behind is ended
KEEP_ALIVE_S = 15.0  # a comment line after this much silence keeps proxies from timing out
ERROR_LOG_S = 600.0  # a failing step is logged at most this often
WRITE_TIMEOUT_S = 30.0  # a stream whose writes stall this long is ended
RETRY_MS = 3000  # the EventSource's reconnection delay after the stream ends


class Subscriber:
    """One open event stream: what it has still to write, and whether it must end."""

    __slots__ = ("ended", "messages", "session", "wake")

    def __init__(self, session: str = "") -> None:
        self.session = session  # the staff session's token: streams per session are bounded
        self.messages: deque[bytes] = deque()
        self.wake = asyncio.Event()
        self.ended = False

    def push(self, message: bytes) -> None:
        if len(self.messages) >= SUBSCRIBER_BACKLOG:
            self.end()  # too slow: a fresh connection gets the whole state again
            return
        self.messages.append(message)
        self.wake.set()

    def end(self) -> None:
        self.ended = True
        self.messages.clear()
        self.wake.set()


class Dashboard:
    """The figures of one application, once per interval, for every subscriber."""

    def __init__(self, app: web.Application) -> None:
        self._app = app
        self.status_clock = StatusClock()
        self.series = Series()
        self.subscribers: set[Subscriber] = set()
        self._figures_json = ""  # the last figures sent, without "at" (change detection)
        self.latest: dict[str, Any] | None = None  # the last figures computed (with "at")
        self._task: asyncio.Task[None] | None = None

    def compute(self) -> Snapshot:
        """The figures now by the hub's clock (which tests may replace)."""
        hub = self._app[HUB]
        target = self._app[CONFIG].service_level_target_s
        return snapshot(hub.switchboard, hub.clock(), target, self.status_clock)

    def figures(self, snap: Snapshot) -> dict[str, Any]:
        """The JSON of the figures (no series); languages in the service's order."""
        service = self._app[SERVICE]  # read each time: it may be replaced at run time
        order = {code: index for index, code in enumerate(service.queues)}
        languages = sorted(snap.languages, key=lambda f: order.get(f.code, len(order)))
        return {
            "at": snap.at,
            "target_s": _number(snap.target_s),
            "languages": [
                {
                    "code": f.code,
                    "name": service.name(f.code) or f.code,
                    "waiting": f.waiting,
                    "longest_wait_s": f.longest_wait_s,
                    "median_wait_s": f.median_wait_s,
                    "p90_wait_s": f.p90_wait_s,
                    "answered": f.answered,
                    "abandoned": f.abandoned,
                    # 4 decimals, as the history answers it (0.6667, not 0.6666666666666666).
                    "service_level": None if f.service_level is None else round(f.service_level, 4),
                    "active": f.active,
                    "available": f.available,
                    "busy": f.busy,
                    "away": f.away,
                }
                for f in languages
            ],
            "counsellors": [
                {
                    "username": c.username,
                    "status": c.status,
                    "languages": list(c.languages),
                    "chats": c.chats,
                    "status_since": c.status_since,
                }
                for c in snap.counsellors
            ],
            "help": [{"username": username, "since": since} for username, since in snap.help],
        }

    def series_json(self, points: list[Point], *, replace: bool) -> dict[str, Any]:
        return {
            "step_s": 60,
            "replace": replace,
            "points": [
                {"at": p.at, "waiting": dict(p.waiting), "active": dict(p.active)} for p in points
            ],
        }

    def step(self) -> None:
        """One interval: compute, note the minute's point, tell the subscribers."""
        snap = self.compute()
        point = self.series.note(snap)
        if not self.subscribers:
            # Nobody listens: the snapshot was still needed (the series, the time since
            # each status); the JSON is not. A new stream starts from a fresh step.
            self.latest = None
            self._figures_json = ""
            return
        figures = self.figures(snap)
        self.latest = figures
        without_at = _dumps({**figures, "at": None})
        if without_at != self._figures_json:
            self._figures_json = without_at
            self._broadcast(_event("dashboard", figures))
        if point is not None:
            self._broadcast(_event("series", self.series_json([point], replace=False)))

    def _broadcast(self, message: bytes) -> None:
        for subscriber in list(self.subscribers):
            subscriber.push(message)

    def subscribe(self, session: str = "") -> Subscriber:
        """A new stream, primed with the whole state; 503 ``busy`` beyond the bound, or
        beyond MAX_PER_SESSION for one session (so that one supervisor's tabs cannot
        take every place)."""
        if len(self.subscribers) >= MAX_SUBSCRIBERS:
            raise ApiError(503, "busy", retry_after_s=30)
        if sum(1 for s in self.subscribers if s.session == session) >= MAX_PER_SESSION:
            raise ApiError(503, "busy", retry_after_s=30)
        subscriber = Subscriber(session)
        self.subscribers.add(subscriber)
        if self.latest is None:
            try:
                self.step()  # the first stream: figures now (others get them too, if changed)
            except BaseException:
                self.subscribers.discard(subscriber)
                raise
        assert self.latest is not None
        subscriber.messages.clear()  # whatever that step pushed: the whole state follows
        subscriber.push(f"retry: {RETRY_MS}\n".encode() + _event("dashboard", self.latest))
        subscriber.push(_event("series", self.series_json(self.series.points(), replace=True)))
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)

    async def _run(self) -> None:
        interval = self._app[CONFIG].dashboard_interval_s
        loop = asyncio.get_running_loop()
        logged_at = -math.inf
        while True:
            try:
                self.step()
            except Exception:
                # A failure that repeats every interval is logged once per ERROR_LOG_S, so
                # that it cannot fill the log.
                if loop.time() - logged_at >= ERROR_LOG_S:
                    logged_at = loop.time()
                    log.exception("dashboard step failed")
            await asyncio.sleep(interval)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="dashboard")

    def end_streams(self) -> None:
        for subscriber in list(self.subscribers):
            subscriber.end()

    async def stop(self) -> None:
        self.end_streams()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


DASHBOARD: web.AppKey[Dashboard] = web.AppKey("dashboard")


async def dashboard_ctx(app: web.Application) -> AsyncIterator[None]:
    """After the hub's context: the dashboard reads the hub's switchboard and clock."""
    dashboard = Dashboard(app)
    app[DASHBOARD] = dashboard
    dashboard.start()
    yield
    await dashboard.stop()


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _event(name: str, data: object) -> bytes:
    # One data line: the JSON has no raw newline (json.dumps escapes them).
    return f"event: {name}\ndata: {_dumps(data)}\n\n".encode()


@routes.get("/api/admin/dashboard")
async def dashboard_now(request: web.Request) -> web.Response:
    await supervisor(request)
    dashboard = request.app[DASHBOARD]
    answer = dashboard.figures(dashboard.compute())
    answer["series"] = dashboard.series_json(dashboard.series.points(), replace=True)
    del answer["series"]["replace"]  # a plain answer replaces whatever the page had
    return web.json_response(answer, headers={"Cache-Control": "no-store"}, dumps=_dumps)


@routes.get("/api/admin/dashboard/events")
async def dashboard_events(request: web.Request) -> web.StreamResponse:
    await supervisor(request)
    dashboard = request.app[DASHBOARD]
    subscriber = dashboard.subscribe(request.cookies.get(SESSION_COOKIE, ""))
    try:
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",  # nginx: pass each event on at once
            }
        )
        await response.prepare(request)
        await _stream(request, response, subscriber)
    finally:
        dashboard.unsubscribe(subscriber)
    return response


async def _stream(
    request: web.Request, response: web.StreamResponse, subscriber: Subscriber
) -> None:
    loop = asyncio.get_running_loop()
    check_every = request.app[CONFIG].session_check_s
    next_check = loop.time() + check_every
    last_write = loop.time()
    while True:
        deadline = min(next_check, last_write + KEEP_ALIVE_S)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(subscriber.wake.wait(), max(0.0, deadline - loop.time()))
        subscriber.wake.clear()
        if subscriber.ended:
            return
        transport = request.transport
        if transport is None or transport.is_closing():
            return  # the client went away: nothing more to write
        try:
            while subscriber.messages:
                await _write(response, subscriber.messages.popleft())
                last_write = loop.time()
            if loop.time() - last_write >= KEEP_ALIVE_S:
                await _write(response, b": keep-alive\n\n")
                last_write = loop.time()
        except (ConnectionError, TimeoutError):
            return
        if loop.time() >= next_check:
            next_check = loop.time() + check_every
            if not await _still_supervisor(request):
                return


async def _write(response: web.StreamResponse, data: bytes) -> None:
    """A write that gives up after WRITE_TIMEOUT_S: a client that stopped reading (a
    closed laptop, a dropped NAT mapping) must not hold its place among the bounded
    streams, nor delay a shutdown, until TCP gives up on it many minutes later."""
    await asyncio.wait_for(response.write(data), WRITE_TIMEOUT_S)


async def _still_supervisor(request: web.Request) -> bool:
    """Whether the stream's session still belongs to an enabled supervisor."""
    token = request.cookies.get(SESSION_COOKIE, "")
    config = request.app[CONFIG]
    try:
        account = await request.app[DATABASE].sessions.lookup(
            token, time.time(), config.session_idle_s
        )
    except StoreError as exc:
        log.warning("could not re-check a dashboard session: %s", exc.code)
        return True  # the database is busy: look again next time
    return account is not None and not account.disabled and account.role is Role.SUPERVISOR
