"""Statistics history and export through a real server (docs/protocol.md §6.9):
the roll-up and the retention, suppression in the JSON and the CSV, periods in a
non-UTC time zone, and supervisors only."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from helpline.core.history import hour_of
from helpline.core.staff import Role
from helpline.core.stats import ChatSummary
from helpline.store import Database
from helpline.web.app import start
from helpline.web.keys import DATABASE
from helpline.web.stats_job import STATS_JOB
from tests.e2e import conftest as e2e
from tests.e2e.conftest import PASSWORD, RunningServer, ServerFactory
from tests.e2e.raw import RawPeer, login

DAY = 86400
HISTORY = "/api/admin/history"
EXPORT = "/api/admin/history.csv"


async def signed_in(server: RunningServer, username: str, role: Role = Role.SUPERVISOR) -> str:
    await server.add_staff(username, role=role, identity=False)
    return await login(server.http, username, PASSWORD)


async def get(
    server: RunningServer, path: str, cookie: str | None, **params: str
) -> tuple[int, aiohttp.typedefs.LooseHeaders, str]:
    headers = {} if cookie is None else {"Cookie": f"helpline_session={cookie}"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{server.http}{path}", params=params, headers=headers) as response,
    ):
        return response.status, dict(response.headers), await response.text()


async def history(server: RunningServer, cookie: str, **params: str) -> dict[str, Any]:
    status, _, text = await get(server, HISTORY, cookie, **params)
    assert status == 200, text
    answer: dict[str, Any] = json.loads(text)
    return answer


def abandoned(at: float, language: str = "en") -> ChatSummary:
    minute = int(at // 60 * 60)
    return ChatSummary(language, minute, None, minute + 60, None, "seeker_left", None)


def answered(at: float, wait: int, language: str = "en") -> ChatSummary:
    minute = int(at // 60 * 60)
    return ChatSummary(
        language, minute, minute + 60, minute + 600, wait, "counsellor_ended", "support_given"
    )


async def record(server: RunningServer, summaries: Iterable[ChatSummary]) -> None:
    await server.app[DATABASE].chat_stats.record_many(list(summaries))
    await server.app[STATS_JOB].run_once()


async def test_supervisors_only(server_factory: ServerFactory) -> None:
    server = await server_factory()
    counsellor = await signed_in(server, "carol", Role.COUNSELLOR)
    for path, params in ((HISTORY, {"period": "day", "date": "2026-11-27"}), (EXPORT, {})):
        assert (await get(server, path, None, **params))[:1] == (401,)
        status, _, text = await get(server, path, counsellor, **params)
        assert (status, json.loads(text)) == (403, {"error": "forbidden"})


async def test_bad_input_is_refused_with_the_field(server_factory: ServerFactory) -> None:
    server = await server_factory()
    cookie = await signed_in(server, "sam")
    cases = [
        (HISTORY, {"period": "year", "date": "2026-11-27"}, "period"),
        (HISTORY, {"period": "day", "date": "2026-02-30"}, "date"),
        (HISTORY, {"period": "day", "date": "27.11.2026"}, "date"),
        (HISTORY, {"period": "day", "date": "0001-01-01"}, "date"),
        (HISTORY, {"period": "week", "date": "2026-11-27", "language": "e n"}, "language"),
        (EXPORT, {"from": "2026-11-27"}, "to"),
        (EXPORT, {"from": "2026-11-27", "to": "2026-11-26"}, "to"),
        (EXPORT, {"from": "2025-01-01", "to": "2026-01-02"}, "to"),  # 367 days
    ]
    for path, params, field in cases:
        status, _, text = await get(server, path, cookie, **params)
        answer = json.loads(text)
        assert (status, answer["error"], answer["field"]) == (400, "bad_field", field), params
        assert answer["message"].endswith(".")
    # 366 days are allowed; with no data at all the export is refused, not answered.
    status, _, text = await get(
        server, EXPORT, cookie, **{"from": "2024-01-01", "to": "2024-12-31"}
    )
    assert (status, json.loads(text)) == (422, {"error": "too_little_data", "min_count": 5})


async def test_per_chat_rows_go_after_the_retention_and_the_counts_stay(
    server_factory: ServerFactory,
) -> None:
    server = await server_factory(stats_rollup_s=3600.0)
    cookie = await signed_in(server, "sam")
    now = hour_of(int(time.time())) + 600.0
    server.hub.clock = lambda: now  # the job reads the hub's clock
    # Six real seekers join and give up waiting: six statistics lines.
    for _ in range(6):
        seeker = await RawPeer.seeker(server.ws)
        await seeker.send(type="join", language="en")
        await seeker.recv("welcome")
        await seeker.send(type="leave")
        await seeker.close()
    database = server.app[DATABASE]
    for _ in range(100):
        if await database.chat_stats.count() == 6:
            break
        await asyncio.sleep(0.05)
    # And eight answered chats of the same hour, written as the hub writes them.
    await database.chat_stats.record_many([answered(now, wait) for wait in (5, 20, 60) * 2])
    await database.chat_stats.record_many([answered(now, 65), answered(now, 700)])
    job = server.app[STATS_JOB]
    assert (await job.run_once()).deleted == 0  # (the run at start may have counted some)
    assert await database.chat_stats.count() == 14
    hour = hour_of(int(now))
    day = datetime.fromtimestamp(now, UTC).date().isoformat()
    before = await history(server, cookie, period="day", date=day)
    now += DAY + 3600  # a day after the last one ended
    assert (await job.run_once()).deleted == 14
    assert await database.chat_stats.count() == 0
    after = await history(server, cookie, period="day", date=day)
    assert after == before
    (row,) = after["rows"]
    assert (row["start"], row["at"]) == (datetime.fromtimestamp(hour, UTC).isoformat(), hour)
    assert (row["language"], row["requests"], row["answered"], row["abandoned"]) == ("en", 14, 8, 6)
    assert row["end"] == {
        "seeker_left": 6,
        "seeker_gone": 0,
        "counsellor_ended": 8,
        "handed_back": 0,
        "counsellor_lost": 0,
    }
    # Waits 5, 20, 5, 20 | 60, 60 | 65 | 700: the 2, 1 and 1 (4 together) need the 4
    # as well, and within_target (= the first two) must then go with the 1s it
    # would give back from answered.
    assert row["wait"] == {
        "0-30": None,
        "30-60": None,
        "60-120": None,
        "120-300": 0,
        "300-600": 0,
        "600-1200": None,
        "1200+": 0,
    }
    assert (row["within_target"], row["service_level"]) == (None, None)
    assert after["total"]["requests"] == 14
    assert not small_counts(after)


async def test_the_job_runs_by_itself_every_interval(server_factory: ServerFactory) -> None:
    server = await server_factory(stats_rollup_s=1.0)
    database = server.app[DATABASE]
    now = time.time()
    await database.chat_stats.record_many([abandoned(now) for _ in range(3)])
    for _ in range(60):
        counts = await database.hourly.counts(hour_of(int(now)), hour_of(int(now)) + 3600)
        if counts:
            break
        await asyncio.sleep(0.1)
    assert {(c.metric, c.count) for c in counts} >= {("requests", 3), ("abandoned", 3)}


def zone_file(tmp_path: Path, zone: str) -> Path:
    path = tmp_path / "service.json"
    path.write_text(json.dumps({"time_zone": zone}), encoding="utf-8")
    return path


def local(zone: ZoneInfo, *args: int) -> float:
    return datetime(*args, tzinfo=zone).timestamp()  # type: ignore[misc]


async def test_weeks_and_months_are_those_of_the_service_time_zone(
    server_factory: ServerFactory, tmp_path: Path
) -> None:
    auckland = ZoneInfo("Pacific/Auckland")  # UTC+13 in November (summer time)
    server = await server_factory(service_file=zone_file(tmp_path, "Pacific/Auckland"))
    cookie = await signed_in(server, "sam")
    saturday_late = local(auckland, 2026, 10, 31, 23, 30)  # 10:30 UTC, 31 October
    sunday_early = local(auckland, 2026, 11, 1, 0, 30)  # 11:30 UTC, still 31 October in UTC
    sunday_late = local(auckland, 2026, 11, 1, 23, 30)
    monday_early = local(auckland, 2026, 11, 2, 0, 30)  # 11:30 UTC on Sunday 1 November
    counts = {saturday_late: 9, sunday_early: 6, sunday_late: 7, monday_early: 8}
    await record(server, [abandoned(at) for at, n in counts.items() for _ in range(n)])

    week = await history(server, cookie, period="week", date="2026-10-28")
    assert (week["from"], week["to"], week["step"]) == ("2026-10-26", "2026-11-01", "day")
    assert week["time_zone"] == "Pacific/Auckland"
    assert week["total"]["requests"] == 9 + 6 + 7
    assert [(r["start"], r["requests"]) for r in week["rows"]] == [
        ("2026-10-31", 9),
        ("2026-11-01", 13),
    ]
    next_week = await history(server, cookie, period="week", date="2026-11-02")
    assert next_week["total"]["requests"] == 8
    november = await history(server, cookie, period="month", date="2026-11-30")
    assert (november["from"], november["to"]) == ("2026-11-01", "2026-11-30")
    assert november["total"]["requests"] == 6 + 7 + 8
    october = await history(server, cookie, period="month", date="2026-10-01")
    assert october["total"]["requests"] == 9
    sunday = await history(server, cookie, period="day", date="2026-11-01")
    assert sunday["step"] == "hour"
    assert [(r["start"], r["at"], r["requests"]) for r in sunday["rows"]] == [
        ("2026-11-01T00:00:00+13:00", int(sunday_early) // 3600 * 3600, 6),
        ("2026-11-01T23:00:00+13:00", int(sunday_late) // 3600 * 3600, 7),
    ]
    # The CSV's days are the same local days.
    status, _, text = await get(
        server, EXPORT, cookie, **{"from": "2026-11-01", "to": "2026-11-02"}
    )
    assert status == 200, text
    lines = {(r["date"], r["language"]): r for r in csv.DictReader(io.StringIO(text))}
    assert lines[("2026-11-01", "en")]["requests"] == "13"
    assert lines[("2026-11-02", "en")]["requests"] == "8"


async def test_an_export_over_a_quiet_hour_hides_small_counts(
    server_factory: ServerFactory,
) -> None:
    server = await server_factory()
    cookie = await signed_in(server, "sam")
    busy = datetime(2026, 3, 2, tzinfo=UTC).timestamp()
    quiet = busy + DAY + 3 * 3600  # 03:00 the next night
    plan = {
        (busy + 9 * 3600, "en"): 40,
        (busy + 10 * 3600, "de"): 20,
        (busy + 11 * 3600, "fr"): 15,
        (quiet, "en"): 3,
        (quiet, "fr"): 6,
    }
    await record(server, [abandoned(at, lang) for (at, lang), n in plan.items() for _ in range(n)])
    await server.app[DATABASE].feedback.record_counts(
        {(date(2026, 3, 3), "en", "helpful"): 2, (date(2026, 3, 2), "en", "helpful"): 9}
    )
    status, headers, text = await get(
        server, EXPORT, cookie, **{"from": "2026-03-02", "to": "2026-03-03"}
    )
    assert status == 200, text
    assert headers["Content-Type"] == "text/csv; charset=utf-8"
    assert headers["Content-Disposition"] == (
        'attachment; filename="helpline-2026-03-02-2026-03-03.csv"'
    )
    assert headers["Cache-Control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["date"], r["language"]) for r in rows] == [
        (d, lang) for d in ("2026-03-02", "2026-03-03") for lang in ("en", "de", "fr")
    ]
    cell = {(r["date"], r["language"]): r for r in rows}
    assert cell[("2026-03-03", "en")]["requests"] == "[c]"  # the quiet hour's 3
    assert cell[("2026-03-03", "en")]["end_seeker_left"] == "[c]"
    assert cell[("2026-03-03", "en")]["feedback_helpful"] == "[c]"
    assert cell[("2026-03-03", "de")]["requests"] == "0"
    assert cell[("2026-03-02", "de")]["requests"] == "20"
    # No total (by day over the languages, by language over the days) minus the cells
    # shown gives back a hidden one.
    assert_protected(by_day(plan), {k: r["requests"] for k, r in cell.items()})
    assert set(text.splitlines()[0].split(",")) >= {"wait_0-30", "outcome_support_given"}
    for r in rows:  # anywhere in the file: no count from 1 to 4
        for name, value in r.items():
            if name not in ("date", "language", "service_level") and value != "[c]":
                assert int(value) == 0 or int(value) >= 5, (name, value)
    # A range with fewer than 5 requests in all is refused.
    status, _, text = await get(
        server, EXPORT, cookie, **{"from": "2026-03-03", "to": "2026-03-03"}
    )
    assert status == 200  # 9 requests that day
    # For one language the refusal still counts every language: refusing en alone would
    # tell that en had fewer than 5, which its hidden cells do not.
    status, _, text = await get(
        server, EXPORT, cookie, **{"from": "2026-03-03", "to": "2026-03-03", "language": "en"}
    )
    assert status == 200, text
    (only_en,) = csv.DictReader(io.StringIO(text))
    assert (only_en["language"], only_en["requests"]) == ("en", "[c]")


async def test_one_language_shows_no_count_that_all_languages_hide(
    server_factory: ServerFactory,
) -> None:
    """The reviewer's example: en 20 (15 answered, 5 abandoned), fr 3, de 7 (5 and 2)
    on one day. Over all languages fr's 3 is hidden and de's 7 with it; a table of de
    alone used to show its 7. One language's answer is cut out of the answer over all
    languages, so it hides what that one hides."""
    server = await server_factory()
    cookie = await signed_in(server, "sam")
    day = datetime(2026, 3, 4, 10, tzinfo=UTC).timestamp()
    chats = [answered(day, 10, "en") for _ in range(15)]
    chats += [abandoned(day, "en") for _ in range(5)]
    chats += [answered(day, 10, "fr") for _ in range(3)]
    chats += [answered(day, 10, "de") for _ in range(5)]
    chats += [abandoned(day, "de") for _ in range(2)]
    await record(server, chats)
    for period in ("day", "week"):
        every = await history(server, cookie, period=period, date="2026-03-04")
        assert not small_counts(every)
        rows = {(r["start"], r["language"]): r for r in every["rows"]}
        totals = {r["language"]: r for r in every["by_language"]}
        assert totals["fr"]["requests"] is None
        assert totals["de"]["requests"] is None  # 30 - 20 - 7 would give fr's 3
        for lang in ("en", "fr", "de"):
            one = await history(server, cookie, period=period, date="2026-03-04", language=lang)
            assert [x["code"] for x in one["languages"]] == [lang]
            assert {r["language"] for r in one["rows"]} == {lang}
            assert {(r["start"], r["language"]): r for r in one["rows"]} == {
                k: v for k, v in rows.items() if k[1] == lang
            }
            assert one["by_language"] == [totals[lang]]
            total = {k: v for k, v in totals[lang].items() if k != "language"}
            assert one["total"] == total
            for r in one["by_time"]:
                assert r == {k: v for k, v in rows[(r["start"], lang)].items() if k != "language"}
    status, _, text = await get(
        server, EXPORT, cookie, **{"from": "2026-03-04", "to": "2026-03-04"}
    )
    assert status == 200, text
    every_line = {r["language"]: r for r in csv.DictReader(io.StringIO(text))}
    assert every_line["de"]["requests"] == "[c]"
    for lang in ("en", "fr", "de"):
        status, _, text = await get(
            server, EXPORT, cookie, **{"from": "2026-03-04", "to": "2026-03-04", "language": lang}
        )
        assert status == 200, text
        assert list(csv.DictReader(io.StringIO(text))) == [every_line[lang]]


async def test_history_hides_a_complement_for_a_lone_small_count(
    server_factory: ServerFactory,
) -> None:
    server = await server_factory()
    cookie = await signed_in(server, "sam")
    monday = datetime(2026, 3, 2, 12, tzinfo=UTC).timestamp()
    plan = {(monday + d * DAY, "en"): n for d, n in enumerate((3, 12, 9, 30))}
    plan[(monday, "de")] = 11
    plan[(monday + DAY, "de")] = 8
    await record(server, [abandoned(at, lang) for (at, lang), n in plan.items() for _ in range(n)])
    await server.app[DATABASE].feedback.record_counts(
        {(date(2026, 3, 2), "en", "helpful"): 7, (date(2026, 3, 2), "en", "somewhat"): 2}
    )
    week = await history(server, cookie, period="week", date="2026-03-04")
    shown = {(r["start"], r["language"]): r["requests"] for r in week["rows"]}
    assert len(shown) == 6  # the days with chats
    assert shown[("2026-03-02", "en")] is None  # 3
    # Monday over both languages (14) minus de's 11 would give the 3: de's Monday goes,
    # then de's week (19) minus its Tuesday would give the 11: that goes, and so on.
    assert shown[("2026-03-02", "de")] is None
    assert shown[("2026-03-03", "de")] is None
    assert shown[("2026-03-03", "en")] is None
    assert shown[("2026-03-05", "en")] == 30
    by_language = {r["language"]: r["requests"] for r in week["by_language"]}
    assert by_language == {"en": 54, "de": 19, "fr": 0}
    assert week["total"]["requests"] == 73
    assert all(v in (None, 0) or v >= 5 for v in shown.values())
    assert not small_counts(week)
    assert_protected(
        by_day(plan),
        shown,
        {r["start"]: r["requests"] for r in week["by_time"]},
        by_language,
        week["total"]["requests"],
    )
    assert [lang["code"] for lang in week["languages"]] == ["en", "de", "fr"]
    assert week["languages"][0]["name"] == "English"
    feedback = week["feedback"]
    (monday_en,) = [r for r in feedback["rows"] if r["language"] == "en"]
    assert (monday_en["start"], monday_en["somewhat"], monday_en["answers"]) == (
        "2026-03-02",
        None,
        9,
    )
    # One language only.
    only = await history(server, cookie, period="week", date="2026-03-04", language="de")
    assert [lang["code"] for lang in only["languages"]] == ["de"]
    assert only["total"]["requests"] == 19


def small_counts(answer: Any) -> list[int]:
    """Every whole number from 1 to 4 anywhere in an answer's counts."""
    if isinstance(answer, dict):
        skip = ("min_count", "at", "target_s")
        return [n for k, v in answer.items() if k not in skip for n in small_counts(v)]
    if isinstance(answer, list):
        return [n for v in answer for n in small_counts(v)]
    if isinstance(answer, int) and not isinstance(answer, bool) and 0 < answer < 5:
        return [answer]
    return []


def by_day(plan: dict[tuple[float, str], int]) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for (at, lang), n in plan.items():
        key = (datetime.fromtimestamp(at, UTC).date().isoformat(), lang)
        out[key] = out.get(key, 0) + n
    return out


def assert_protected(
    truth: dict[tuple[str, str], int],
    cells: dict[tuple[str, str], Any],
    by_time: dict[str, Any] | None = None,
    by_language: dict[str, Any] | None = None,
    total: Any = 0,
) -> None:
    """Computed here from what the test wrote: in every line (a day over the languages,
    a language over the days, the whole over either), a shown total minus the shown
    cells is the sum of no hidden cell or of at least two adding up to 5 or more, and a
    hidden total is not the sum of shown cells. Without totals (the CSV) every total
    counts as known."""

    def hidden(value: Any) -> bool:
        return value is None or value == "[c]"

    days = sorted({d for d, _ in truth})
    languages = sorted({lang for _, lang in truth})
    lines: list[tuple[Any, list[tuple[str, str]]]] = []
    for d in days:
        lines.append(((by_time or {}).get(d, 0), [(d, lang) for lang in languages]))
    for lang in languages:
        lines.append(((by_language or {}).get(lang, 0), [(d, lang) for d in days]))
    for cell, value in cells.items():
        if not hidden(value):
            assert int(value) == truth.get(cell, 0), cell
    for total_shown, parts in lines:
        secret = [truth.get(p, 0) for p in parts if hidden(cells.get(p, 0))]
        if hidden(total_shown):
            assert secret or not any(truth.get(p, 0) for p in parts), parts
        else:
            assert not secret or len(secret) >= 2, parts
            assert not secret or sum(secret) >= 5, parts
    if by_time is not None and by_language is not None and not hidden(total):
        for shown_totals in (by_time, by_language):
            values = [
                sum(truth.get(p, 0) for p in truth if key in p)
                for key, v in shown_totals.items()
                if hidden(v)
            ]
            assert not values or len(values) >= 2, shown_totals
            assert not values or sum(values) >= 5, shown_totals


async def test_a_language_is_read_as_its_queue_code(server: RunningServer) -> None:
    """``EN`` is the queue ``en`` (codes are kept in lower case); a code without a
    queue is refused rather than answered with a table of zeros."""
    cookie = await signed_in(server, "sam")
    await record(server, [answered(time.time(), 10) for _ in range(6)])
    day = datetime.now(UTC).date().isoformat()
    upper = await history(server, cookie, period="day", date=day, language="EN")
    lower = await history(server, cookie, period="day", date=day, language="en")
    assert upper == lower
    assert upper["total"]["requests"] == 6
    status, _, text = await get(server, HISTORY, cookie, period="day", date=day, language="xx")
    assert (status, json.loads(text)["field"]) == (400, "language")


async def test_a_seeker_waiting_when_the_server_stops_is_counted(tmp_path: Path) -> None:
    """A restart must not make requests vanish from the history: a seeker still waiting
    when the server stops is recorded (``server_stopped``) before it goes."""
    config = e2e.test_config(tmp_path)
    runner = await start(config)
    try:
        seeker = await RawPeer.seeker(f"ws://{config.host}:{config.port}")
        await seeker.send(type="join", language="en")
        await seeker.recv("welcome")
    finally:
        await runner.cleanup()
    database = await Database.open(config.effective_database_url)
    try:
        rows = await database.chat_stats.list_all()
    finally:
        await database.close()
    assert [(r.language, r.end_reason, r.answered_minute) for r in rows] == [
        ("en", "server_stopped", None)
    ]
