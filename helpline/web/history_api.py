"""Statistics history for supervisors: ``GET /api/admin/history`` and its CSV export.

Both read only the hourly counts (``stats_hourly``) and the feedback counts,
never a per-chat row, and hide small counts with complementary suppression
(:mod:`helpline.core.history`; docs/protocol.md §6, docs/privacy.md). Days are
days of the service's time zone, read from ``request.app[SERVICE]`` on every
request because an administrator may change it at run time; feedback is
counted per UTC day where it is stored, so it is matched by date.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from helpline.core.history import (
    END_REASONS,
    FEEDBACK_ANSWERS,
    FEEDBACK_LAYOUT,
    PERIODS,
    SINGLE_METRICS,
    WAIT_BUCKET_NAMES,
    HourlyCount,
    Key,
    Layout,
    T,
    Table,
    build_table,
    chat_layout,
    days,
    group,
    hours_to_read,
    local_day,
    ordered,
    period_days,
)
from helpline.web.admin_forms import bad
from helpline.web.api import ApiError, supervisor
from helpline.web.keys import CONFIG, DATABASE, SERVICE

routes = web.RouteTableDef()

#: One history table is built at a time in each process: a build is seconds of Python
#: in a worker thread, which shares the interpreter lock with the event loop that
#: relays chats, so supervisors asking at once wait for each other rather than slow
#: every chat down together.
HISTORY_BUILDS = web.AppKey("history_builds", asyncio.Semaphore)

MAX_RANGE_DAYS = 366
#: What a hidden count is in the CSV ("[c]", confidential, as many statistics offices
#: write it): unlike an empty field, a spreadsheet never adds it up as a zero.
CSV_HIDDEN = "[c]"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NO_STORE = {"Cache-Control": "no-store"}


def _day(request: web.Request, name: str) -> date:
    raw = request.query.get(name, "")
    if _DATE.fullmatch(raw):
        try:
            value = date.fromisoformat(raw)
        except ValueError:
            pass
        else:
            if 1970 <= value.year <= 9998:
                return value
    raise bad(name, f"{name} must be a date written YYYY-MM-DD, for example 2026-11-27.")


def _language(request: web.Request) -> str | None:
    raw = request.query.get("language")
    if raw is None or raw == "":
        return None
    # Queue codes are kept in lower case (pt-BR is the queue pt-br); being a queue is
    # the whole check, and queues are never removed, so none that had chats is missing.
    code = raw.lower()
    if code not in request.app[SERVICE].queues:
        raise bad("language", f"There is no queue {code[:16]}.")
    return code


@dataclass(frozen=True, slots=True)
class _Counts:
    """What one request read: hourly and feedback counts of the days ``first`` to
    ``last`` (in ``zone``) in every language, the layout and languages of its tables,
    and the one language asked for, if any.

    Tables are always built and suppressed over every language: a table of one
    language suppressed on its own could show a count that the answer over all
    languages hides to protect another language's. An answer for one language is
    then cut out of that table (``_sections(..., only=language)``, ``_csv``)."""

    first: date
    last: date
    zone: ZoneInfo
    min_count: int
    languages: tuple[str, ...]
    layout: Layout
    hourly: list[HourlyCount]
    feedback: dict[tuple[date, str], dict[Key, int]]
    language: str | None

    def by_day(self) -> Table[date]:
        rows = group(self.hourly, lambda hour: local_day(hour, self.zone))
        every_day = days(self.first, self.last)
        return build_table(rows, every_day, self.languages, self.layout, self.min_count)

    def by_hour(self) -> Table[int]:
        """The hours of the day ``first`` (23 to 25 of them)."""
        since, until = hours_to_read(self.first, self.last)
        hours = [h for h in range(since, until, 3600) if local_day(h, self.zone) == self.first]
        rows = group(self.hourly, lambda hour: hour)
        return build_table(rows, hours, self.languages, self.layout, self.min_count)

    def feedback_table(self) -> Table[date]:
        every_day = days(self.first, self.last)
        return build_table(
            self.feedback, every_day, self.languages, FEEDBACK_LAYOUT, self.min_count
        )

    def shown_languages(self) -> tuple[str, ...]:
        return self.languages if self.language is None else (self.language,)


async def _read(request: web.Request, first: date, last: date) -> _Counts:
    service = request.app[SERVICE]  # read now: the time zone may change at run time
    config = request.app[CONFIG]
    database = request.app[DATABASE]
    language = _language(request)
    since, until = hours_to_read(first, last)
    # Every language, also for an answer about one: see _Counts.
    hourly = await database.hourly.counts(since, until, None)
    feedback: dict[tuple[date, str], dict[Key, int]] = {}
    for f in await database.feedback.counts(first, last):
        row = feedback.setdefault((f.day, f.language), {})
        row[("answer", f.answer)] = row.get(("answer", f.answer), 0) + f.count
        row[("answers", "")] = row.get(("answers", ""), 0) + f.count
    found = {c.language for c in hourly} | {lang for _, lang in feedback}
    if language is not None:
        found.add(language)
    languages = ordered(service.queues, found)
    layout = chat_layout(
        ordered(service.outcomes, {c.bucket for c in hourly if c.metric == "outcome"}),
        ordered(END_REASONS, {c.bucket for c in hourly if c.metric == "end"}),
        config.service_level_target_s,
    )
    return _Counts(
        first,
        last,
        service.time_zone,
        config.stats_min_count,
        languages,
        layout,
        hourly,
        feedback,
        language,
    )


def _counts(table: Table[T], at: T | None, language: str | None) -> dict[str, Any]:
    keys = table.layout.keys
    out: dict[str, Any] = {name: table.get(at, language, (name, "")) for name in SINGLE_METRICS}
    out["service_level"] = table.service_level(at, language)
    for metric in ("wait", "outcome", "end"):
        out[metric] = {b: table.get(at, language, (m, b)) for m, b in keys if m == metric}
    return out


def _feedback(table: Table[T], at: T | None, language: str | None) -> dict[str, Any]:
    out = {a: table.get(at, language, ("answer", a)) for a in FEEDBACK_ANSWERS}
    out["answers"] = table.get(at, language, ("answers", ""))
    return out


def _start(at: date | int, zone: ZoneInfo) -> dict[str, Any]:
    if isinstance(at, date):
        return {"start": at.isoformat()}
    return {"start": datetime.fromtimestamp(at, zone).isoformat(), "at": at}


Render = Callable[[Table[Any], Any, "str | None"], dict[str, Any]]


def _sections(
    table: Table[Any], zone: ZoneInfo, render: Render, only: str | None = None
) -> dict[str, Any]:
    """The rows, the totals by time and by language, and the total of ``table``; with
    ``only`` a language, that language's part of it: its rows, and its own counts as
    the totals by time and the total (as if it were the only language)."""
    languages = table.languages if only is None else (only,)
    rows = []
    for at in table.times:
        for language in languages:
            if table.has_data(at, language):
                rows.append(
                    {**_start(at, zone), "language": language, **render(table, at, language)}
                )
    by_time = [
        {**_start(at, zone), **render(table, at, only)}
        for at in table.times
        if table.has_data(at, only)
    ]
    by_language = [{"language": lang, **render(table, None, lang)} for lang in languages]
    return {
        "rows": rows,
        "by_time": by_time,
        "by_language": by_language,
        "total": render(table, None, only),
    }


@routes.get("/api/admin/history")
async def history(request: web.Request) -> web.Response:
    await supervisor(request)
    period = request.query.get("period", "")
    if period not in PERIODS:
        raise bad("period", "period must be day, week or month.")
    first, last = period_days(period, _day(request, "date"))
    counts = await _read(request, first, last)
    service = request.app[SERVICE]
    head = {
        "period": period,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "time_zone": counts.zone.key,
        "step": "hour" if period == "day" else "day",
        "min_count": counts.min_count,
        "target_s": request.app[CONFIG].service_level_target_s,
        "languages": [{"code": c, "name": service.name(c)} for c in counts.shown_languages()],
        "wait_buckets": list(WAIT_BUCKET_NAMES),
    }
    # Up to seconds of work for a long range: off the event loop, which relays chats.
    async with request.app[HISTORY_BUILDS]:
        body = await asyncio.to_thread(_history_body, counts, period)
    return web.json_response({**head, **body}, headers=_NO_STORE)


def _history_body(counts: _Counts, period: str) -> dict[str, Any]:
    table: Table[Any] = counts.by_hour() if period == "day" else counts.by_day()
    only = counts.language
    return {
        **_sections(table, counts.zone, _counts, only),
        "feedback": _sections(counts.feedback_table(), counts.zone, _feedback, only),
    }


@routes.get("/api/admin/history.csv")
async def history_csv(request: web.Request) -> web.Response:
    await supervisor(request)
    first, last = _day(request, "from"), _day(request, "to")
    if last < first:
        raise bad("to", "to must be the same day as from or later.")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise bad("to", f"An export covers at most {MAX_RANGE_DAYS} days.")
    counts = await _read(request, first, last)
    # Over every language, also for one: a refusal for one language alone would say
    # that its count is small, which its hidden cells do not.
    requests = sum(
        c.count
        for c in counts.hourly
        if c.metric == "requests" and (first <= local_day(c.hour, counts.zone) <= last)
    )
    if requests < counts.min_count:
        raise ApiError(422, "too_little_data", min_count=counts.min_count)
    languages = counts.shown_languages()
    async with request.app[HISTORY_BUILDS]:
        text = await asyncio.to_thread(
            lambda: _csv(counts.by_day(), counts.feedback_table(), languages)
        )
    name = f"helpline-{first.isoformat()}-{last.isoformat()}.csv"
    return web.Response(
        body=text.encode("utf-8"),
        content_type="text/csv",
        charset="utf-8",
        headers={**_NO_STORE, "Content-Disposition": f'attachment; filename="{name}"'},
    )


def _csv(table: Table[date], feedback: Table[date], languages: tuple[str, ...]) -> str:
    """One line per day and language of ``languages`` (all of the table's, or one)."""
    keys = [k for k in table.layout.keys if k[0] not in SINGLE_METRICS]
    header = ["date", "language", *SINGLE_METRICS, "service_level"]
    header += [f"{metric}_{bucket}" for metric, bucket in keys]
    header += [f"feedback_{a}" for a in FEEDBACK_ANSWERS]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_safe(h) for h in header])
    for day in table.times:
        for language in languages:
            singles = [table.get(day, language, (m, "")) for m in SINGLE_METRICS]
            level = table.service_level(day, language)
            line: list[object] = [day.isoformat(), _safe(language), *map(_cell, singles)]
            if level is not None:
                line.append(f"{level:.4f}")
            else:  # hidden when a count it needs is; empty without answered or abandoned
                line.append(CSV_HIDDEN if None in singles[1:] else "")
            line += [_cell(table.get(day, language, k)) for k in keys]
            line += [_cell(feedback.get(day, language, ("answer", a))) for a in FEEDBACK_ANSWERS]
            writer.writerow(line)
    return out.getvalue()


def _cell(value: int | None) -> object:
    return CSV_HIDDEN if value is None else value


def _safe(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula (outcome codes are the
    operator's; defence in depth)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
