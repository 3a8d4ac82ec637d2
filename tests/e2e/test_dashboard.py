"""The supervisors' dashboard on a real server: a busy hour on a manual clock, and the push.

The busy hour: scripted seekers and counsellors speak raw frames over real
WebSockets (:mod:`tests.e2e.raw`) while the test moves the hub's clock through
a simulated hour and a half. The test keeps its own account of everything it
did — when each seeker joined, was answered, left or was lost, which counsellor
holds which chat, who chose what status — and computes every dashboard figure
from that account with its own code, then compares it with
``GET /api/admin/dashboard``.

Synchronising without guessing: an action is done when its answer frame came
back; offers it caused are collected by a ping on every counsellor's socket
(frames to one connection keep their order, so the pong comes after them).
The dashboard's own interval is made very long, and the test asks for a
snapshot (``Dashboard.step``) at the end of each moment of the manual clock, so
that the time since each counsellor's status is exactly predictable.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import aiohttp
import pytest

from helpline.core.staff import Role
from helpline.web import dashboard as web_dashboard
from helpline.web.dashboard import DASHBOARD
from tests.e2e.conftest import PASSWORD, RunningServer, ServerFactory
from tests.e2e.raw import RawPeer, login, session_headers

TARGET_S = 60.0
GRACE_S = 90.0
STEP_S = 20
ARRIVALS_UNTIL = 3300
END = 5400  # an hour and a half: the first half hour's waits have left the window by then
CHECK_EVERY = 120
NAMES = {"en": "English", "de": "Deutsch", "fr": "Français"}


class ManualClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class Seeker:
    index: int
    language: str
    joined: float
    token: str
    peer: RawPeer
    patience: float | None  # gives up after this long unanswered (None: never)
    drops: bool  # gives up by losing the connection rather than leaving
    state: str = "waiting"  # waiting, offered, chatting, gone
    dropped_at: float | None = None


@dataclass
class Counsellor:
    name: str
    language: str
    capacity: int
    peer: RawPeer
    status: str = "away"
    chats: dict[str, tuple[Seeker, float]] = field(default_factory=dict)  # id -> (seeker, end at)
    offer: tuple[str, Seeker, float] | None = None  # (chat id, seeker, accept at)
    shown: tuple[str, int] | None = None  # dashboard status and since, as snapshots saw it

    def dashboard_status(self) -> str:
        if self.status == "away":
            return "away"
        if self.offer is not None or len(self.chats) >= self.capacity:
            return "busy"
        return "available"


# name: (language, capacity, {time: status})
STAFF: dict[str, tuple[str, int, dict[int, str]]] = {
    "e1": ("en", 2, {0: "available"}),
    "e2": ("en", 1, {300: "available", 2400: "away", 3000: "available"}),
    "e3": ("en", 1, {}),  # never available; asks for help
    "d1": ("de", 2, {0: "available"}),
    "d2": ("de", 1, {900: "available", 4200: "away"}),
    "f1": ("fr", 1, {0: "available", 1800: "away", 2700: "available"}),
}
HELP_AT = {"e3": 1200}


class BusyHour:
    def __init__(self, server: RunningServer, clock: ManualClock, rng: random.Random) -> None:
        self.server = server
        self.clock = clock
        self.rng = rng
        self.t0 = clock.now
        self.seekers: list[Seeker] = []
        self.counsellors: dict[str, Counsellor] = {}
        self.answered: list[tuple[float, str, float]] = []  # (at, language, wait)
        self.abandoned: list[tuple[float, str]] = []
        self.help: list[tuple[str, int]] = []
        self.series: list[dict[str, Any]] = []
        self.offers_seen = 0

    @property
    def now(self) -> float:
        return self.clock.now

    # -- actions ------------------------------------------------------------------

    async def connect_staff(self) -> None:
        for name, (language, capacity, _) in STAFF.items():
            cookie = await login(self.server.http, name, PASSWORD)
            peer = await RawPeer.staff(self.server.ws, self.server.http, cookie)
            await peer.recv("welcome")
            self.counsellors[name] = Counsellor(name, language, capacity, peer)

    async def set_status(self, c: Counsellor, status: str) -> None:
        await c.peer.send(type="status", status=status, languages=[c.language], capacity=c.capacity)
        assert (await c.peer.recv("status"))["status"] == status
        c.status = status
        await self.sync()

    async def ask_help(self, c: Counsellor) -> None:
        await c.peer.send(type="help", on=True)
        frame = await c.peer.recv("help")
        assert frame["since"] == int(self.now)
        self.help.append((c.name, int(self.now)))

    async def join(self, language: str) -> None:
        peer = await RawPeer.seeker(self.server.ws)
        await peer.send(type="join", language=language)
        token = (await peer.recv("welcome"))["token"]
        await peer.recv("queue")
        patient = self.rng.random() < 0.6
        seeker = Seeker(
            len(self.seekers),
            language,
            self.now,
            token,
            peer,
            patience=None if patient else self.rng.uniform(30, 600),
            drops=self.rng.random() < 0.3,
        )
        self.seekers.append(seeker)
        await self.sync()

    async def accept(self, c: Counsellor) -> None:
        assert c.offer is not None
        chat_id, seeker, _ = c.offer
        await c.peer.send(type="accept", chat_id=chat_id)
        assert (await c.peer.recv("matched"))["chat_id"] == chat_id
        if seeker.dropped_at is None:  # the right seeker hears of it: FIFO held
            assert (await seeker.peer.recv("matched"))["chat_id"] == chat_id
        self.answered.append((self.now, seeker.language, self.now - seeker.joined))
        seeker.state = "chatting"
        c.offer = None
        c.chats[chat_id] = (seeker, self.now + self.rng.uniform(120, 900))
        await self.sync()

    async def end(self, c: Counsellor, chat_id: str) -> None:
        seeker, _ = c.chats.pop(chat_id)
        await c.peer.send(type="end", chat_id=chat_id, outcome="support_given")
        while (frame := await c.peer.recv("chat_ended"))["chat_id"] != chat_id:
            self.other_chat_ended(c, frame)
        seeker.state = "gone"
        await seeker.peer.close()
        await self.sync()

    async def leave(self, seeker: Seeker) -> None:
        await seeker.peer.send(type="leave")
        assert await seeker.peer.closed_with() == 1000
        self.give_up(seeker)
        await self.sync()

    async def drop(self, seeker: Seeker) -> None:
        await seeker.peer.close()
        switchboard = self.server.hub.switchboard
        # The server must see the loss at this moment of the clock (lost_at).
        await until(lambda: switchboard._seekers[seeker.token].conn is None)
        seeker.dropped_at = self.now
        await self.sync()

    async def expire(self, seeker: Seeker) -> None:
        """The grace period is over: the hub's next tick forgets the seeker."""
        switchboard = self.server.hub.switchboard
        await until(lambda: seeker.token not in switchboard._seekers)
        await self.sync()  # may have seen to it already (withdrawn offer, ended chat)
        if seeker.state in ("waiting", "offered"):
            self.give_up(seeker)
        elif seeker.state == "chatting":
            for c in self.counsellors.values():
                for chat_id, (held, _) in list(c.chats.items()):
                    if held is seeker:
                        del c.chats[chat_id]
        seeker.state = "gone"

    def give_up(self, seeker: Seeker) -> None:
        if seeker.state == "offered":
            for c in self.counsellors.values():
                if c.offer is not None and c.offer[1] is seeker:
                    c.offer = None
        seeker.state = "gone"
        self.abandoned.append((self.now, seeker.language))

    def lost_for_good(self, seeker: Seeker) -> bool:
        return seeker.dropped_at is not None and self.now >= seeker.dropped_at + GRACE_S

    def other_chat_ended(self, c: Counsellor, frame: dict[str, Any]) -> None:
        """A chat whose seeker's grace period ran out (the hub's tick ended it)."""
        assert frame["reason"] == "seeker_gone", frame
        held = c.chats.pop(frame["chat_id"], None)
        if held is not None:
            assert self.lost_for_good(held[0])
            held[0].state = "gone"

    async def sync(self) -> None:
        """Collect what the counsellors were sent, up to a pong on each socket."""
        for c in self.counsellors.values():
            await c.peer.send(type="ping")
            await c.peer.recv("pong")
            for frame in c.peer.unread:
                if frame["type"] == "offer":
                    self.offered(c, frame)
                elif frame["type"] == "chat_ended":
                    self.other_chat_ended(c, frame)
                elif frame["type"] == "offer_withdrawn":
                    self.withdrawn(c, frame)
            c.peer.unread.clear()

    def withdrawn(self, c: Counsellor, frame: dict[str, Any]) -> None:
        """An offer gone: its seeker left (the model knows) or was lost for good."""
        assert frame["reason"] == "seeker_left", frame
        if c.offer is not None and c.offer[0] == frame["chat_id"]:
            assert self.lost_for_good(c.offer[1])
            self.give_up(c.offer[1])

    def offered(self, c: Counsellor, frame: dict[str, Any]) -> None:
        """First come, first served: the offer is for the longest waiter of the language."""
        assert c.offer is None, (c.name, frame)
        assert frame["language"] == c.language
        waiting = [s for s in self.seekers if s.state == "waiting" and s.language == c.language]
        seeker = min(waiting, key=lambda s: s.joined)
        assert frame["waited_s"] == int(self.now - seeker.joined)
        seeker.state = "offered"
        c.offer = (frame["chat_id"], seeker, self.now + self.rng.uniform(2, 40))
        self.offers_seen += 1

    # -- the script -----------------------------------------------------------------

    def at(self, t: int, offset: float) -> None:
        """Move the clock within the moment t: each kind of action at its own offset, so
        that waits have fractions of a second and the floors in the figures show."""
        assert self.t0 + t + offset >= self.clock.now
        self.clock.now = self.t0 + t + offset

    async def moment(self, t: int) -> None:
        """Everything due at t seconds into the hour, in a fixed order."""
        self.at(t, 0.0)
        offsets = iter(sorted(self.rng.uniform(0.01, 0.9) for _ in range(5)))
        for seeker in self.seekers:
            if seeker.state != "gone" and self.lost_for_good(seeker):
                await self.expire(seeker)
        self.at(t, next(offsets))
        for c in self.counsellors.values():
            if c.offer is not None and c.offer[2] <= self.now:
                await self.accept(c)
        self.at(t, next(offsets))
        for c in self.counsellors.values():
            for chat_id, (_, end_at) in list(c.chats.items()):
                if end_at <= self.now and chat_id in c.chats:
                    await self.end(c, chat_id)
        self.at(t, next(offsets))
        for seeker in list(self.seekers):
            if (
                seeker.state in ("waiting", "offered")
                and seeker.dropped_at is None
                and seeker.patience is not None
                and self.now - seeker.joined >= seeker.patience
            ):
                await (self.drop(seeker) if seeker.drops else self.leave(seeker))
        self.at(t, next(offsets))
        for name, (_, _, schedule) in STAFF.items():
            if t in schedule:
                await self.set_status(self.counsellors[name], schedule[t])
            if HELP_AT.get(name) == t:
                await self.ask_help(self.counsellors[name])
        self.at(t, next(offsets))
        if t < ARRIVALS_UNTIL and self.rng.random() < 0.4:
            await self.join(self.rng.choices(["en", "de", "fr"], [5, 3, 2])[0])

    def snapshot_taken(self) -> None:
        """The server just took a snapshot: note what it must have seen."""
        now = int(self.now)
        for c in self.counsellors.values():
            status = c.dashboard_status()
            if c.shown is None or c.shown[0] != status:
                c.shown = (status, now)
        minute = now - now % 60
        if not self.series or self.series[-1]["at"] < minute:
            self.series.append(
                {
                    "at": minute,
                    "waiting": {lang: len(self.waiting(lang)) for lang in NAMES},
                    "active": {lang: self.active(lang) for lang in NAMES},
                }
            )

    # -- the expected figures ---------------------------------------------------------

    def waiting(self, language: str) -> list[Seeker]:
        return [s for s in self.seekers if s.state == "waiting" and s.language == language]

    def active(self, language: str) -> int:
        return sum(
            1
            for c in self.counsellors.values()
            for seeker, _ in c.chats.values()
            if seeker.language == language
        )

    def expected(self) -> dict[str, Any]:
        now = self.now
        languages = []
        for lang, name in NAMES.items():
            waits = sorted(
                wait for at, lg, wait in self.answered if lg == lang and now - 3600 < at <= now
            )
            gave_up = sum(1 for at, lg in self.abandoned if lg == lang and now - 3600 < at <= now)
            within = sum(1 for wait in waits if wait <= TARGET_S)
            waiting = self.waiting(lang)
            staff = [c for c in self.counsellors.values() if c.language == lang]
            languages.append(
                {
                    "code": lang,
                    "name": name,
                    "waiting": len(waiting),
                    "longest_wait_s": math.floor(now - min(s.joined for s in waiting))
                    if waiting
                    else 0,
                    "median_wait_s": percentile(waits, Fraction(1, 2)),
                    "p90_wait_s": percentile(waits, Fraction(9, 10)),
                    "answered": len(waits),
                    "abandoned": gave_up,
                    "service_level": round(within / (len(waits) + gave_up), 4)
                    if waits or gave_up
                    else None,
                    "active": self.active(lang),
                    "available": sum(1 for c in staff if c.dashboard_status() == "available"),
                    "busy": sum(1 for c in staff if c.dashboard_status() == "busy"),
                    "away": sum(1 for c in staff if c.dashboard_status() == "away"),
                }
            )
        counsellors = []
        for c in sorted(self.counsellors.values(), key=lambda c: c.name):
            assert c.shown is not None
            counsellors.append(
                {
                    "username": c.name,
                    "status": c.dashboard_status(),
                    "languages": [c.language],
                    "chats": len(c.chats),
                    "status_since": c.shown[1],
                }
            )
        return {
            "at": int(now),
            "target_s": int(TARGET_S),
            "languages": languages,
            "counsellors": counsellors,
            "help": [{"username": name, "since": since} for name, since in self.help],
            "series": {"step_s": 60, "points": self.series},
        }


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll the server's state (a tick or a closed socket is seen to within milliseconds)."""
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 - state of another task, no event to wait on
            await asyncio.sleep(0.005)


def percentile(ordered: list[float], p: Fraction) -> int | None:
    """Nearest rank: the value at index ceil(p·n) − 1, in whole seconds."""
    if not ordered:
        return None
    return math.floor(ordered[math.ceil(p * len(ordered)) - 1])


async def get_json(server: RunningServer, path: str, cookie: str) -> tuple[int, Any]:
    headers = {"Cookie": f"helpline_session={cookie}"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{server.http}{path}", headers=headers) as response,
    ):
        return response.status, await response.json()


async def test_a_busy_hour_on_a_manual_clock(server_factory: ServerFactory) -> None:
    server = await server_factory(
        service_level_target_s=TARGET_S,
        resume_grace_s=GRACE_S,
        offer_timeout_s=100_000.0,  # counsellors always answer; timeouts are tested in core
        dashboard_interval_s=100_000.0,  # the test takes the snapshots itself
        wrap_up_s=0.0,
    )
    for name, (language, capacity, _) in STAFF.items():
        await server.add_staff(name, (language,), capacity)
    await server.add_staff("sue", ("en",), role=Role.SUPERVISOR)
    sue = await login(server.http, "sue", PASSWORD)
    # A fresh minute after the real clock's: the series' first point is the app's start.
    clock = ManualClock((int(time.time()) // 60 + 2) * 60)
    server.hub.clock = clock
    dashboard = server.app[DASHBOARD]
    hour = BusyHour(server, clock, random.Random(7))
    await hour.connect_staff()
    checks = 0
    for t in range(0, END + 1, STEP_S):
        await hour.moment(t)
        hour.at(t, 0.95)
        dashboard.step()
        hour.snapshot_taken()
        if t % CHECK_EVERY == 0 or t == END:
            status, answer = await get_json(server, "/api/admin/dashboard", sue)
            assert status == 200, answer
            # The series' first point may be the application's start, before the hour.
            points = answer["series"]["points"]
            answer["series"]["points"] = [p for p in points if p["at"] >= int(hour.t0)]
            assert answer == hour.expected(), f"at t={t}"
            checks += 1
    # The script did what a busy hour needs, or the comparisons would prove little.
    assert len(hour.seekers) >= 50
    assert checks == END // CHECK_EVERY + 1
    abandoned_by = {s.drops for s in hour.seekers if s.patience is not None}
    assert abandoned_by == {True, False}
    assert len(hour.abandoned) >= 8
    assert len(hour.answered) >= 30
    assert any(at <= hour.now - 3600 for at, _, _ in hour.answered)  # some left the window
    for c in hour.counsellors.values():
        await c.peer.close()
    for seeker in hour.seekers:
        if seeker.state != "gone":
            await seeker.peer.close()


# -- the push ----------------------------------------------------------------------------


@asynccontextmanager
async def event_stream(
    server: RunningServer, cookie: str
) -> AsyncIterator[tuple[int, aiohttp.ClientResponse]]:
    headers = {"Cookie": f"helpline_session={cookie}", "Accept": "text/event-stream"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{server.http}/api/admin/dashboard/events", headers=headers) as response,
    ):
        yield response.status, response


async def next_event(response: aiohttp.ClientResponse, timeout: float = 10) -> tuple[str, Any]:
    """The next event, or ``("comment", text)`` for a comment line, ``("end", None)``."""
    name, data = "message", list[str]()
    async with asyncio.timeout(timeout):
        while True:
            raw = await response.content.readline()
            if not raw:
                return "end", None
            line = raw.decode().rstrip("\n")
            if line.startswith(":"):
                return "comment", line[1:].strip()
            if not line:
                if data:
                    return name, json.loads("\n".join(data))
                continue
            key, _, value = line.partition(": ")
            if key == "event":
                name = value
            elif key == "data":
                data.append(value)


async def supervisor_cookie(server: RunningServer) -> str:
    await server.add_staff("sue", ("en",), role=Role.SUPERVISOR)
    return await login(server.http, "sue", PASSWORD)


async def test_events_push_the_dashboard_when_a_seeker_joins(
    server_factory: ServerFactory,
) -> None:
    server = await server_factory(dashboard_interval_s=0.05)
    cookie = await supervisor_cookie(server)
    async with event_stream(server, cookie) as (status, response):
        assert status == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        assert response.headers["Cache-Control"] == "no-store"
        name, first = await next_event(response)
        assert name == "dashboard"
        assert "series" not in first
        assert [row["waiting"] for row in first["languages"]] == [0, 0, 0]
        name, series = await next_event(response)
        assert name == "series"
        assert series["step_s"] == 60
        assert series["replace"] is True
        assert len(series["points"]) == 1
        seeker = await RawPeer.seeker(server.ws)
        await seeker.send(type="join", language="de")
        token = (await seeker.recv("welcome"))["token"]
        while True:
            name, data = await next_event(response)
            if name == "dashboard":
                break
        assert [(row["code"], row["waiting"]) for row in data["languages"]] == [
            ("en", 0),
            ("de", 1),
            ("fr", 0),
        ]
        assert token not in json.dumps(data)
        await seeker.close()


async def test_events_keep_alive_and_end_with_the_session(
    server_factory: ServerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web_dashboard, "KEEP_ALIVE_S", 0.3)
    server = await server_factory(dashboard_interval_s=0.05, session_check_s=0.2)
    cookie = await supervisor_cookie(server)
    async with event_stream(server, cookie) as (status, response):
        assert status == 200
        assert (await next_event(response))[0] == "dashboard"
        assert (await next_event(response))[0] == "series"
        assert await next_event(response) == ("comment", "keep-alive")  # nothing changed
        headers = await session_headers(server.http, cookie)
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{server.http}/api/logout", headers=headers) as out,
        ):
            assert out.status == 204
        # Within a session check (0.2 s) the stream ends; keep-alives until then.
        while (event := await next_event(response, timeout=5))[0] != "end":
            assert event == ("comment", "keep-alive")
    assert len(server.app[DASHBOARD].subscribers) == 0


async def test_events_and_figures_are_for_supervisors_only(server: RunningServer) -> None:
    await server.add_staff("anna", ("en",))
    anna = await login(server.http, "anna", PASSWORD)
    for path in ("/api/admin/dashboard", "/api/admin/dashboard/events"):
        assert (await get_json(server, path, anna)) == (403, {"error": "forbidden"})
        assert (await get_json(server, path, "not-a-session")) == (401, {"error": "unauthorized"})


async def test_event_streams_are_bounded(
    server_factory: ServerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web_dashboard, "MAX_SUBSCRIBERS", 2)
    server = await server_factory(dashboard_interval_s=0.05)
    cookie = await supervisor_cookie(server)
    async with (
        event_stream(server, cookie) as (one, first),
        event_stream(server, cookie) as (
            two,
            _,
        ),
    ):
        assert (one, two) == (200, 200)
        assert (await next_event(first))[0] == "dashboard"
        status, body = await get_json(server, "/api/admin/dashboard/events", cookie)
        assert (status, body["error"]) == (503, "busy")


async def test_one_session_cannot_take_every_stream(
    server_factory: ServerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A supervisor's many tabs hit the bound of their own session; a colleague still
    gets a stream."""
    monkeypatch.setattr(web_dashboard, "MAX_PER_SESSION", 1)
    server = await server_factory(dashboard_interval_s=0.05)
    cookie = await supervisor_cookie(server)
    await server.add_staff("sam", ("en",), role=Role.SUPERVISOR)
    colleague = await login(server.http, "sam", PASSWORD)
    async with event_stream(server, cookie) as (one, _):
        assert one == 200
        status, body = await get_json(server, "/api/admin/dashboard/events", cookie)
        assert (status, body["error"]) == (503, "busy")
        async with event_stream(server, colleague) as (other, stream):
            assert other == 200
            assert (await next_event(stream))[0] == "dashboard"
