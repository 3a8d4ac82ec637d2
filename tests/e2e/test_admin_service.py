"""Service settings through real HTTP (docs/protocol.md §6.7): queues with hours,
holidays, fallbacks and new BCP 47 codes, the service-wide settings, all applied to
the running server at once; bad input with clear messages; the service file's
import rule; a change made by the CLI reaching a running server; the audit log."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from helpline.cli import main as cli_main
from tests.e2e.admin import audit, caller, new_secret, supervisor
from tests.e2e.conftest import PASSWORD, RunningServer, ServerFactory
from tests.e2e.raw import RawPeer, login
from tests.e2e.test_bad_input import open_chat

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def today() -> str:
    return WEEKDAYS[datetime.now(UTC).weekday()]


async def public_service(server: RunningServer) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(server.http + "/api/service") as response,
    ):
        body: dict[str, Any] = await response.json()
        return body


async def test_the_settings_as_a_supervisor_sees_them(server: RunningServer) -> None:
    admin = await supervisor(server)
    status, body = await admin.get("/api/admin/service")
    assert status == 200
    assert {k: v for k, v in body.items() if k != "queues"} == {
        "time_zone": "UTC",
        "quick_exit_url": "https://www.bbc.com/weather",
        "transcripts": False,
        "feedback": True,
        "outcomes": list(server.config.outcomes),
    }
    assert [q["code"] for q in body["queues"]] == ["en", "de", "fr"]
    assert body["queues"][1] == {
        "code": "de",
        "name": None,
        "display_name": "Deutsch",
        "hours": None,
        "holidays": [],
        "closed": False,
        "closed_message": None,
        "fallback": None,
        "resources": [],
        "open_now": True,
    }


async def test_queue_changes_apply_at_once(server: RunningServer) -> None:
    admin = await supervisor(server)
    # Switched off: a join is refused at once, and the page says so.
    queue = {"name": "Deutsch (AT)", "closed": True, "closed_message": "Heute geschlossen."}
    status, body = await admin.call("PUT", "/api/admin/service/queues/de", queue)
    assert status == 200, body
    assert (body["closed"], body["open_now"], body["name"]) == (True, False, "Deutsch (AT)")
    de = (await public_service(server))["languages"][1]
    assert (de["name"], de["open"], de["closed_message"]) == (
        "Deutsch (AT)",
        False,
        "Heute geschlossen.",
    )
    seeker = await RawPeer.seeker(server.ws)
    await seeker.send(type="join", language="de")
    assert await seeker.error() == "queue_closed"
    # Open today only, all day; closed on a holiday that is not today.
    hours = {today(): [["00:00", "24:00"]]}
    status, body = await admin.call(
        "PUT", "/api/admin/service/queues/de", {"hours": hours, "holidays": ["2031-12-25"]}
    )
    assert status == 200, body
    assert body["hours"][today()] == [["00:00", "24:00"]]
    assert body["holidays"] == ["2031-12-25"]
    assert body["open_now"] is True
    de = (await public_service(server))["languages"][1]
    assert de["open"] is True
    assert de["closes_at"] is not None
    await seeker.send(type="join", language="de")
    await seeker.recv("welcome")
    await seeker.close()
    actions = [(e["action"], e["detail"]) for e in await audit(admin)]
    assert actions[0] == (
        "queue.edit",
        "queue de: name, hours, holidays, closed, closed_message changed",  # a whole queue
    )
    assert actions[1] == ("queue.edit", "queue de: name, closed, closed_message changed")


async def test_a_new_queue_is_served_without_a_restart(server: RunningServer) -> None:
    admin = await supervisor(server)
    status, body = await admin.call(
        "PUT", "/api/admin/service/queues/pt-BR", {"name": "Português (Brasil)", "fallback": "en"}
    )
    assert status == 200, body
    assert body["code"] == "pt-br"  # BCP 47 is case-insensitive: stored in lower case
    assert body["fallback"] == "en"
    codes = [q["code"] for q in (await public_service(server))["languages"]]
    assert codes == ["en", "de", "fr", "pt-br"]
    assert (await public_service(server))["languages"][3]["fallback"] == "en"
    # A counsellor for the new queue, made by the supervisor, takes a seeker from it.
    status, body = await admin.call(
        "POST",
        "/api/admin/staff",
        {"username": "paulo", "role": "counsellor", "languages": ["pt-br"], "capacity": 1}
        | new_secret("paulo's password"),
    )
    assert status == 201, body
    chat = await open_chat(server, "rita", "pt-br")
    assert chat.chat_id
    status, staff_settings = await admin.get("/api/staff/settings")
    assert {"code": "pt-br", "name": "Português (Brasil)"} in staff_settings["languages"]
    entry = next(e for e in await audit(admin) if e["action"] == "queue.create")
    assert entry["detail"] == "queue pt-br created"


async def test_a_queue_fallback_applies_to_seekers_who_name_none(
    server_factory: ServerFactory,
) -> None:
    server = await server_factory(fallback_after_s=0.0)
    admin = await supervisor(server)
    status, _ = await admin.call("PUT", "/api/admin/service/queues/fr", {"fallback": "de"})
    assert status == 200
    await server.add_staff("dieter", ("de",))
    staff = await RawPeer.staff(
        server.ws, server.http, await login(server.http, "dieter", PASSWORD)
    )
    await staff.recv("welcome")
    await staff.send(type="status", status="available", languages=["de"])
    seeker = await RawPeer.seeker(server.ws)
    await seeker.send(type="join", language="fr")  # no fallback_language
    await seeker.recv("welcome")
    offer = await staff.recv("offer")
    assert offer["language"] == "de"  # offered through the fallback
    await seeker.close()
    await staff.close()


@pytest.mark.parametrize(
    ("code", "queue", "field", "words"),
    [
        ("english", {}, "code", "2 or 3 letters"),
        ("pt_BR", {}, "code", "letters, digits and hyphens"),
        ("en-u-ca", {}, "code", "variant"),
        ("en-US-US", {}, "code", "variant"),
        ("en", {"hours": {"mon": [["17:00", "09:00"]]}}, "hours.mon[0]", "end must be after"),
        (
            "en",
            {"hours": {"mon": [["09:00", "13:00"], ["12:00", "17:00"]]}},
            "hours.mon[1]",
            "must not overlap",
        ),
        ("en", {"hours": {"mon": [["9:00", "17:00"]]}}, "hours.mon[0][0]", "HH:MM"),
        ("en", {"hours": {"mon": [["24:00", "24:00"]]}}, "hours.mon[0]", "end must be after"),
        ("en", {"hours": {"monday": []}}, "hours.monday", "unknown setting"),
        ("en", {"holidays": ["2026-02-30"]}, "holidays[0]", "YYYY-MM-DD"),
        ("en", {"fallback": "en"}, "fallback", "another queue"),
        ("en", {"fallback": "xx"}, "fallback", "another queue"),
        (
            "en",
            {"resources": [{"title": "A", "url": "javascript:alert(1)"}]},
            "resources[0].url",
            "http",
        ),
        ("en", {"name": ""}, "name", "at most 64"),
        ("en", {"colour": "red"}, "colour", "Unknown setting"),
    ],
)
async def test_bad_queues_are_refused_with_a_message(
    server: RunningServer, code: str, queue: dict[str, Any], field: str, words: str
) -> None:
    admin = await supervisor(server)
    status, body = await admin.call("PUT", f"/api/admin/service/queues/{code}", queue)
    assert status == 400, body
    assert body["error"] == "bad_field"
    assert body["field"] == field
    assert words.lower() in body["message"].lower()
    assert body["message"][0].isupper()
    assert body["message"].endswith(".")
    assert [q["code"] for q in (await admin.get("/api/admin/service"))[1]["queues"]] == [
        "en",
        "de",
        "fr",
    ]


async def test_service_settings_and_transcripts_in_the_audit_log(server: RunningServer) -> None:
    admin = await supervisor(server)
    for change, field, words in (
        ({"time_zone": "Mars/Olympus"}, "time_zone", "unknown time zone"),
        ({"quick_exit_url": "ftp://example.org/"}, "quick_exit_url", "http"),
        ({"outcomes": []}, "outcomes", "at least one"),
        ({"outcomes": ["Bad Code"]}, "outcomes[0]", "outcome code"),
        ({"transcripts": "yes"}, "transcripts", "true or false"),
        ({"embed_origins": []}, "embed_origins", "Unknown setting"),
    ):
        status, body = await admin.call("PUT", "/api/admin/service/settings", change)
        assert (status, body["field"]) == (400, field), body
        assert words.lower() in body["message"].lower()
    status, body = await admin.call(
        "PUT",
        "/api/admin/service/settings",
        {"time_zone": "Europe/Helsinki", "outcomes": ["helped", "referred"], "transcripts": True},
    )
    assert status == 200, body
    assert body == {
        "time_zone": "Europe/Helsinki",
        "quick_exit_url": "https://www.bbc.com/weather",
        "transcripts": True,
        "feedback": True,
        "outcomes": ["helped", "referred"],
    }
    page = await public_service(server)
    assert (page["time_zone"], page["transcripts"]) == ("Europe/Helsinki", True)
    entry = (await audit(admin))[0]
    assert (entry["actor"], entry["action"]) == ("sam", "service.transcripts")
    assert entry["detail"] == "transcripts turned on; also time_zone, outcomes changed"
    # The new outcomes are what a counsellor's end records, at once (a code no longer
    # in the list ends the chat with none: tests/e2e/test_bad_input.py).
    chat = await open_chat(server, "olga", "en")
    await chat.staff.send(type="end", chat_id=chat.chat_id, outcome="helped")
    await chat.seeker.recv("chat_ended")
    status, settings = await admin.get("/api/staff/settings")
    assert settings["outcomes"] == ["helped", "referred"]


async def test_the_audit_log_pages_newest_first(server: RunningServer) -> None:
    admin = await supervisor(server)
    for i in range(5):
        status, _ = await admin.call(
            "PUT", "/api/admin/service/queues/fr", {"closed_message": f"Fermé {i}"}
        )
        assert status == 200
    status, first = await admin.get("/api/admin/audit?limit=2")
    assert status == 200
    ids = [e["id"] for e in first["entries"]]
    assert ids == sorted(ids, reverse=True)
    status, second = await admin.get(f"/api/admin/audit?limit=2&before={ids[-1]}")
    assert [e["id"] for e in second["entries"]] == [ids[-1] - 1, ids[-1] - 2]
    assert set(first["entries"][0]) == {"id", "at", "actor", "action", "detail"}
    for bad in ("limit=0", "limit=201", "before=x", "limit=-1"):
        status, body = await admin.get(f"/api/admin/audit?{bad}")
        assert (status, body["error"]) == (400, "bad_field"), bad


async def test_a_cli_change_reaches_a_running_server(
    server_factory: ServerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The CLI runs with the server's settings (docs/operations.md): the same queues.
    monkeypatch.setenv("HELPLINE_LANGUAGES", "en,de,fr")
    server = await server_factory(session_check_s=0.2)
    url = server.config.effective_database_url
    args = ["queue", "set", "fr", "--closed", "--closed-message", "Fermé", "--database-url", url]
    assert await asyncio.to_thread(cli_main, args) == 0
    for _ in range(50):
        fr = (await public_service(server))["languages"][2]
        if not fr["open"]:
            break
        await asyncio.sleep(0.1)
    assert (fr["open"], fr["closed_message"]) == (False, "Fermé")
    seeker = await RawPeer.seeker(server.ws)
    await seeker.send(type="join", language="fr")
    assert await seeker.error() == "queue_closed"
    await seeker.close()


async def test_the_service_file_is_imported_only_when_it_changed(
    server_factory: ServerFactory, tmp_path: Path
) -> None:
    path = tmp_path / "service.json"
    path.write_text(json.dumps({"queues": {"de": {"closed_message": "aus der Datei"}}}))
    first = await server_factory(service_file=path)
    admin = await supervisor(first)
    status, _ = await admin.call("PUT", "/api/admin/service/queues/de", {"closed_message": "neu"})
    assert status == 200
    status, _ = await admin.call("PUT", "/api/admin/service/queues/sv", {"name": "Svenska"})
    assert status == 200
    url = first.config.effective_database_url
    await first.app.shutdown()  # the runner is cleaned up by the fixture
    # The same file again: the database wins.
    same = await server_factory(service_file=path, database_url=url)
    assert _queue(same, "de").closed_message == "neu"
    # A changed file is imported; the queue added in the database (not in
    # HELPLINE_LANGUAGES) is kept.
    path.write_text(json.dumps({"queues": {"de": {"closed_message": "geändert"}}}))
    changed = await server_factory(service_file=path, database_url=url)
    assert _queue(changed, "de").closed_message == "geändert"
    assert _queue(changed, "sv").name == "Svenska"
    entries = await audit(await caller(changed, "sam"))
    imports = [e for e in entries if e["action"] == "service.import"]
    assert [e["actor"] for e in imports] == ["server", "server"]


def _queue(server: RunningServer, code: str) -> Any:
    from helpline.web.keys import SERVICE

    return server.app[SERVICE].queues[code]


async def test_a_change_saved_elsewhere_is_not_lost(server: RunningServer) -> None:
    """Another process saved a change this server has not loaded yet: the supervisor's
    change is made on top of it, not over it."""
    from helpline import service_sync
    from helpline.web.keys import DATABASE, SERVICE

    admin = await supervisor(server)
    database = server.app[DATABASE]
    loaded = await service_sync.load(database, server.config, actor="cli", now=0.0)
    other = dataclasses.replace(loaded.service, feedback=False)
    await service_sync.save(
        database, loaded.version, other, actor="cli", action="service.settings", detail="x", now=0.0
    )
    status, body = await admin.call("PUT", "/api/admin/service/queues/fr", {"name": "Fr"})
    assert status == 200, body
    service = server.app[SERVICE]
    assert (service.feedback, service.queues["fr"].name) == (False, "Fr")


async def test_a_settings_entry_says_what_changed_from_what(server: RunningServer) -> None:
    admin = await supervisor(server)
    change = {"quick_exit_url": "https://example.org/news", "feedback": False}
    status, body = await admin.call("PUT", "/api/admin/service/settings", change)
    assert status == 200, body
    entry = (await audit(admin))[0]
    assert entry["action"] == "service.settings"
    before, after = "https://www.bbc.com/weather", "https://example.org/news"
    assert entry["detail"] == f"quick_exit_url {before} -> {after}; feedback on -> off"
