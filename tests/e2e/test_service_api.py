"""The seeker page's HTTP API against a real server: ``GET /api/service``, ``queue_closed``,
feedback from ``chat_ended`` to the stored count, and who may frame the page."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from helpline.client import ClientError, SeekerClient, send_feedback
from helpline.core.feedback import FeedbackCount
from helpline.errors import ConfigError
from helpline.web.keys import DATABASE, FEEDBACK
from helpline.web.service_api import ui_languages
from helpline.wire import SeekerChatEnded
from tests.e2e.conftest import PASSWORD, RunningServer, ServerFactory
from tests.e2e.raw import RawPeer, login
from tests.e2e.test_bad_input import open_chat

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EMBEDDER = "https://helpline.example"


def midnight(days: int) -> int:
    """Midnight UTC ``days`` days from today."""
    today = datetime.now(UTC).date() + timedelta(days=days)
    return int(datetime(today.year, today.month, today.day, tzinfo=UTC).timestamp())


def weekday(days: int) -> str:
    return WEEKDAYS[(datetime.now(UTC).date() + timedelta(days=days)).weekday()]


def service_file(tmp_path: Path, **settings: Any) -> Path:
    path = tmp_path / "service.json"
    path.write_text(json.dumps(settings), encoding="utf-8")
    return path


def hours_service(tmp_path: Path, **extra: Any) -> Path:
    """en: always open with resources; de: open only the day after tomorrow; fr: switched
    off; nl: open today only, all day. UTC, so the expected instants are plain midnights."""
    return service_file(
        tmp_path,
        time_zone="UTC",
        queues={
            "en": {
                "name": "English (UK)",
                "resources": [
                    {
                        "title": "Samaritans",
                        "text": "Any time, day or night",
                        "url": "https://www.samaritans.org/",
                        "phone": "116 123",
                    },
                    {"title": "Shout", "text": "Text 85258"},
                ],
            },
            "de": {
                "hours": {weekday(2): [["00:00", "24:00"]]},
                "closed_message": "Wir sind gerade nicht da.",
            },
            "fr": {"closed": True, "closed_message": "Fermé"},
            "nl": {"hours": {weekday(0): [["00:00", "24:00"]]}},
        },
        **extra,
    )


async def get(server: RunningServer, path: str) -> tuple[int, Any, Any]:
    async with aiohttp.ClientSession() as session, session.get(server.http + path) as response:
        body = await response.json() if response.content_type == "application/json" else None
        return response.status, response.headers, body


async def post_feedback(
    server: RunningServer, body: dict[str, Any], origin: str | None = None
) -> tuple[int, Any]:
    headers = {"Origin": origin or server.http}
    async with (
        aiohttp.ClientSession() as session,
        session.post(server.http + "/api/feedback", json=body, headers=headers) as response,
    ):
        answer = None if response.status == 204 else await response.json()
        return response.status, answer


async def test_without_a_service_file_every_queue_is_open(server_factory: ServerFactory) -> None:
    server = await server_factory()
    status, headers, body = await get(server, "/api/service")
    assert status == 200
    assert headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in headers
    assert body == {
        "languages": [
            {
                "code": code,
                "name": name,
                "open": True,
                "opens_at": None,
                "closes_at": None,
                "closed_message": None,
                "fallback": None,
                "resources": [],
            }
            for code, name in (("en", "English"), ("de", "Deutsch"), ("fr", "Français"))
        ],
        "transcripts": False,
        "quick_exit_url": "https://www.bbc.com/weather",
        "feedback": True,
        "ui_languages": list(ui_languages()),
        "time_zone": "UTC",
    }


async def test_hours_resources_and_closed_queues(
    server_factory: ServerFactory, tmp_path: Path
) -> None:
    server = await server_factory(
        languages=("en", "de", "fr", "nl"), service_file=hours_service(tmp_path)
    )
    before = (midnight(1), midnight(2))
    status, _, body = await get(server, "/api/service")
    after = (midnight(1), midnight(2))
    assert status == 200
    queues = {q["code"]: q for q in body["languages"]}
    assert list(queues) == ["en", "de", "fr", "nl"]
    assert queues["en"] == {
        "code": "en",
        "name": "English (UK)",
        "open": True,
        "opens_at": None,
        "closes_at": None,
        "closed_message": None,
        "fallback": None,
        "resources": [
            {
                "title": "Samaritans",
                "text": "Any time, day or night",
                "url": "https://www.samaritans.org/",
                "phone": "116 123",
            },
            {"title": "Shout", "text": "Text 85258", "url": None, "phone": None},
        ],
    }
    de = queues["de"]
    assert de["open"] is False
    assert de["opens_at"] in (before[1], after[1])
    assert de["closes_at"] is None
    assert de["closed_message"] == "Wir sind gerade nicht da."
    assert queues["fr"]["open"] is False
    assert queues["fr"]["opens_at"] is None  # switched off: no opening known
    assert queues["fr"]["closed_message"] == "Fermé"
    assert queues["nl"]["open"] is True
    assert queues["nl"]["closes_at"] in (before[0], after[0])
    assert queues["nl"]["name"] == "Nederlands"
    assert body["time_zone"] == "UTC"


async def test_join_for_a_closed_queue_is_queue_closed(
    server_factory: ServerFactory, tmp_path: Path
) -> None:
    server = await server_factory(
        languages=("en", "de", "fr", "nl"), service_file=hours_service(tmp_path)
    )
    for language in ("de", "fr"):
        seeker = await RawPeer.seeker(server.ws)
        await seeker.send(type="join", language=language)
        assert await seeker.error() == "queue_closed"
        # Nothing changed: the connection may join an open queue now.
        await seeker.send(type="join", language="en")
        await seeker.recv("welcome")
        await seeker.close()
    # An unknown language is still unknown_language, not queue_closed.
    seeker = await RawPeer.seeker(server.ws)
    await seeker.send(type="join", language="xx")
    assert await seeker.error() == "unknown_language"
    await seeker.close()


async def test_a_closed_fallback_is_ignored(server_factory: ServerFactory, tmp_path: Path) -> None:
    server = await server_factory(
        languages=("en", "de", "fr", "nl"),
        service_file=hours_service(tmp_path),
        fallback_after_s=0.0,
    )
    # A German counsellor is free; the seeker's fallback (German) is closed, so the
    # seeker waits for an English counsellor and is never offered to the German one.
    await server.add_staff("anna", ("de",))
    staff = await RawPeer.staff(server.ws, server.http, await login(server.http, "anna", PASSWORD))
    await staff.recv("welcome")
    await staff.send(type="status", status="available", languages=["de"])
    await staff.recv("status")
    seeker = await RawPeer.seeker(server.ws)
    await seeker.send(type="join", language="nl", fallback_language="de")
    await seeker.recv("welcome")
    assert (await seeker.recv("queue"))["position"] == 1
    with pytest.raises(asyncio.TimeoutError):
        await staff.recv("offer", timeout=1.0)
    await seeker.close()
    await staff.close()


async def test_feedback_round_trip(server_factory: ServerFactory) -> None:
    server = await server_factory()
    chat = await open_chat(server, "counsellor", "de")
    await chat.staff.send(type="end", chat_id=chat.chat_id)
    ended = await chat.seeker.recv("chat_ended")
    assert ended["reason"] == "counsellor_ended"
    ticket = ended["feedback"]
    assert isinstance(ticket, str)
    assert len(ticket) == 43

    # A bad answer is refused and does not use the ticket up.
    assert await post_feedback(server, {"ticket": ticket, "answer": "great"}) == (
        400,
        {"error": "bad_field", "field": "answer"},
    )
    assert await post_feedback(server, {"ticket": ticket}) == (
        400,
        {"error": "bad_field", "field": "answer"},
    )
    assert await post_feedback(server, {"ticket": "short", "answer": "helpful"}) == (
        400,
        {"error": "bad_field", "field": "ticket"},
    )
    assert await post_feedback(server, {"ticket": ticket, "answer": "helpful", "chat": 1}) == (
        400,
        {"error": "bad_field", "field": "chat"},
    )
    # From another site: refused like every state-changing /api/ request.
    assert await post_feedback(
        server, {"ticket": ticket, "answer": "helpful"}, origin="https://evil.example"
    ) == (403, {"error": "bad_origin"})

    before = datetime.now(UTC).date()
    assert await post_feedback(server, {"ticket": ticket, "answer": "helpful"}) == (204, None)
    days = {before, datetime.now(UTC).date()}  # the answer counts on today's UTC date
    [count] = await server.app[DATABASE].feedback.counts()
    assert count.day in days
    assert count == FeedbackCount(count.day, "de", "helpful", 1)
    # One use.
    assert await post_feedback(server, {"ticket": ticket, "answer": "helpful"}) == (
        404,
        {"error": "unknown_ticket"},
    )
    assert await post_feedback(server, {"ticket": "A" * 43, "answer": "somewhat"}) == (
        404,
        {"error": "unknown_ticket"},
    )
    assert len(await server.app[DATABASE].feedback.counts()) == 1


async def test_a_seeker_who_leaves_gets_a_ticket_too(server_factory: ServerFactory) -> None:
    server = await server_factory()
    chat = await open_chat(server, "counsellor", "en")
    await chat.seeker.send(type="leave")
    ended = await chat.seeker.recv("chat_ended")
    assert ended["reason"] == "seeker_left"
    assert await post_feedback(server, {"ticket": ended["feedback"], "answer": "somewhat"}) == (
        204,
        None,
    )
    counts = await server.app[DATABASE].feedback.counts()
    assert [(c.language, c.answer, c.count) for c in counts] == [("en", "somewhat", 1)]


async def test_feedback_off_means_a_null_ticket(
    server_factory: ServerFactory, tmp_path: Path
) -> None:
    server = await server_factory(service_file=service_file(tmp_path, feedback=False))
    _, _, body = await get(server, "/api/service")
    assert body["feedback"] is False
    chat = await open_chat(server, "counsellor", "en")
    await chat.staff.send(type="end", chat_id=chat.chat_id)
    ended = await chat.seeker.recv("chat_ended")
    assert "feedback" in ended
    assert ended["feedback"] is None


async def test_only_the_page_may_be_framed_by_the_embed_origins(
    server_factory: ServerFactory, tmp_path: Path
) -> None:
    path = service_file(tmp_path, embed_origins=[EMBEDDER, "http://localhost:8000"])
    server = await server_factory(service_file=path)
    _, headers, _ = await get(server, "/")
    csp = headers["Content-Security-Policy"]
    assert csp.endswith("frame-ancestors 'self' https://helpline.example http://localhost:8000")
    assert "script-src 'self'" in csp
    assert "X-Frame-Options" not in headers
    for other in ("/api/service", "/healthz", "/static/manifest.json", "/nothing"):
        _, headers, _ = await get(server, other)
        assert headers["Content-Security-Policy"].endswith("frame-ancestors 'none'"), other
        assert "X-Frame-Options" not in headers


async def test_without_embed_origins_the_page_frames_only_itself(
    server_factory: ServerFactory,
) -> None:
    server = await server_factory()
    _, headers, _ = await get(server, "/")
    assert headers["Content-Security-Policy"].endswith("frame-ancestors 'self'")


async def test_a_bad_service_file_stops_the_start(
    server_factory: ServerFactory, tmp_path: Path
) -> None:
    path = service_file(tmp_path, queues={"en": {"hours": {"mon": [["17:00", "09:00"]]}}})
    with pytest.raises(ConfigError, match=r"queues\.en\.hours\.mon\[0\]"):
        await server_factory(service_file=path)
    path = service_file(tmp_path, queues={"SV": {}})
    with pytest.raises(ConfigError, match=r"queues\.SV"):
        await server_factory(service_file=path)


async def test_the_python_client_reads_the_ticket_and_answers(
    server_factory: ServerFactory,
) -> None:
    server = await server_factory()
    await server.add_staff("carol", ("fr",))
    staff = await RawPeer.staff(server.ws, server.http, await login(server.http, "carol", PASSWORD))
    await staff.recv("welcome")
    await staff.send(type="status", status="available", languages=["fr"])
    client = SeekerClient(server.ws)
    await client.join("fr")
    offer = await staff.recv("offer")
    await staff.send(type="accept", chat_id=offer["chat_id"])
    await staff.send(type="end", chat_id=offer["chat_id"])
    ended = await client.expect(SeekerChatEnded)
    assert client.feedback_ticket == ended.feedback
    assert client.feedback_ticket is not None
    await send_feedback(server.ws, client.feedback_ticket, "not_helpful")
    with pytest.raises(ClientError) as err:
        await send_feedback(server.http, client.feedback_ticket, "not_helpful")
    assert err.value.code == "unknown_ticket"
    counts = await server.app[DATABASE].feedback.counts()
    assert [(c.language, c.answer, c.count) for c in counts] == [("fr", "not_helpful", 1)]
    await client.close()
    await staff.close()


async def test_answers_reach_the_database_in_batches(server_factory: ServerFactory) -> None:
    """With batching on (the default, hourly), an answer is counted in memory and
    written with the others at the next flush (and when the server stops), so its
    time in the database says nothing about its chat."""
    server = await server_factory(feedback_flush_s=3600.0)
    hub = server.hub
    tickets = [hub.tickets.issue("en", hub.clock(), f"chat{i}") for i in range(3)]
    for ticket, answer in zip(tickets, ["helpful", "helpful", "not_helpful"], strict=True):
        assert await post_feedback(server, {"ticket": ticket, "answer": answer}) == (204, None)
    database = server.app[DATABASE]
    assert await database.feedback.counts() == []
    assert server.app[FEEDBACK].pending == 3
    await server.app[FEEDBACK].flush()
    counts = {(c.answer, c.count) for c in await database.feedback.counts()}
    assert counts == {("helpful", 2), ("not_helpful", 1)}
    # Flushed again later: the counts add up.
    ticket = hub.tickets.issue("en", hub.clock(), "chat9")
    assert await post_feedback(server, {"ticket": ticket, "answer": "helpful"}) == (204, None)
    await server.app[FEEDBACK].flush()
    counts = {(c.answer, c.count) for c in await database.feedback.counts()}
    assert counts == {("helpful", 3), ("not_helpful", 1)}


async def test_a_chat_ended_again_repeats_its_ticket(server_factory: ServerFactory) -> None:
    hub = (await server_factory()).hub
    first = hub.tickets.issue("en", hub.clock(), "same-chat")
    assert hub.tickets.issue("en", hub.clock(), "same-chat") == first


def test_the_service_answer_is_made_again_when_a_queue_opens_or_closes(tmp_path: Path) -> None:
    from helpline.service import load_service
    from helpline.web.service_api import MAX_ANSWER_AGE_S, ServiceAnswer

    path = tmp_path / "service.json"
    path.write_text(json.dumps({"queues": {"en": {"hours": {"mon": [["09:00", "17:00"]]}}}}))
    service = load_service(path, ("en", "de"))
    monday_0859 = datetime(2026, 11, 30, 8, 59, tzinfo=UTC).timestamp()
    answers = ServiceAnswer(service, ("en",))
    before = json.loads(answers.body(monday_0859))
    assert before["languages"][0]["open"] is False
    assert answers.body(monday_0859 + 30) is answers.body(monday_0859 + 30)  # kept
    after = json.loads(answers.body(monday_0859 + 60))  # 09:00: it opened
    assert after["languages"][0]["open"] is True
    kept = answers.body(monday_0859 + 61)
    assert answers.body(monday_0859 + 60 + MAX_ANSWER_AGE_S) is not kept  # at most 30 s old
