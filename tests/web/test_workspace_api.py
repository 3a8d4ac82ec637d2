"""Canned responses and the workspace's settings over HTTP (docs/protocol.md §6.6)."""

from __future__ import annotations

from helpline.core.staff import Role
from helpline.store.canned import MAX_PER_LANGUAGE
from helpline.web.keys import DATABASE
from tests.web.conftest import RunningServer, raw, signed_in


async def test_supervisors_manage_counsellors_read(server: RunningServer) -> None:
    admin = await signed_in(server, "admin", role=Role.SUPERVISOR, languages=())
    alice = await signed_in(server, "alice", languages=("de", "en"))
    rows = []
    for language, title, text in [
        ("en", "Hello", "Hello, how can I help?"),
        ("fr", "Bonjour", "Bonjour !"),
        ("de", "Hallo", "Hallo,\nwie kann ich helfen?"),
        ("en", "Bye", "Take care."),
    ]:
        status, row = await admin.request(
            "POST", "/api/admin/canned", {"language": language, "title": title, "text": text}
        )
        assert status == 201, row
        assert isinstance(row, dict)
        assert row == {"id": row["id"], "language": language, "title": title, "text": text}
        rows.append(row)
    hello, bonjour, hallo, bye = rows
    # Only the account's languages, by language then position.
    status, listing = await alice.request("GET", "/api/canned")
    assert (status, listing) == (200, [hallo, hello, bye])
    status, listing = await admin.request("GET", "/api/admin/canned")
    assert (status, listing) == (200, [hallo, hello, bye, bonjour])
    status, listing = await admin.request("GET", "/api/canned")
    assert (status, listing) == (200, [])  # a supervisor without languages

    status, changed = await admin.request(
        "PUT", f"/api/admin/canned/{hello['id']}", {"title": "Hi"}
    )
    assert (status, changed) == (200, {**hello, "title": "Hi"})
    status, changed = await admin.request(
        "PUT", f"/api/admin/canned/{hello['id']}", {"text": "Hi there"}
    )
    assert (status, changed) == (200, {**hello, "title": "Hi", "text": "Hi there"})
    assert await admin.request("DELETE", f"/api/admin/canned/{bye['id']}") == (204, None)
    assert await admin.request("DELETE", f"/api/admin/canned/{bye['id']}") == (
        404,
        {"error": "not_found"},
    )
    for path in ("/api/admin/canned/999", "/api/admin/canned/x", "/api/admin/canned/-1"):
        status, answer = await admin.request("PUT", path, {"title": "x"})
        assert (status, answer) == (404, {"error": "not_found"}), path

    # Counsellors only read; nobody without a session.
    for method, path, body in [
        ("GET", "/api/admin/canned", None),
        ("POST", "/api/admin/canned", {"language": "en", "title": "x", "text": "y"}),
        ("PUT", f"/api/admin/canned/{hello['id']}", {"title": "x"}),
        ("DELETE", f"/api/admin/canned/{hello['id']}", None),
    ]:
        assert await alice.request(method, path, body) == (403, {"error": "forbidden"}), path
        answer = await raw(server, method, path, body)
        assert (answer.status, answer.json()) == (401, {"error": "unauthorized"}), path
    assert (await raw(server, "GET", "/api/canned")).status == 401


async def test_canned_validation(server: RunningServer) -> None:
    admin = await signed_in(server, "admin", role=Role.SUPERVISOR, languages=())
    good = {"language": "en", "title": "Title", "text": "Text"}
    for change, field in [
        ({"language": "xx"}, "language"),  # not a configured queue
        ({"language": ""}, "language"),
        ({"title": "x" * 81}, "title"),
        ({"title": ""}, "title"),
        ({"title": "two\nlines"}, "title"),
        ({"title": "   "}, "title"),
        ({"text": "x" * 2001}, "text"),
        ({"text": "bell\x07"}, "text"),
        ({"title": "Hi \u202eevil"}, "title"),  # a bidi override
        ({"text": "hidden\u200bspace"}, "text"),
        ({"text": 5}, "text"),
        ({"position": 1}, "position"),
    ]:
        status, answer = await admin.request("POST", "/api/admin/canned", {**good, **change})
        assert (status, answer) == (400, {"error": "bad_field", "field": field}), change
    status, answer = await admin.request("POST", "/api/admin/canned", {**good, "title": "x" * 80})
    assert status == 201
    assert isinstance(answer, dict)
    status, _ = await admin.request("POST", "/api/admin/canned", {**good, "text": "x" * 2000})
    assert status == 201
    status, refused = await admin.request("PUT", f"/api/admin/canned/{answer['id']}", {})
    assert (status, refused) == (400, {"error": "bad_field", "field": "text"})
    status, refused = await admin.request(
        "PUT", f"/api/admin/canned/{answer['id']}", {"language": "de"}
    )
    assert (status, refused) == (400, {"error": "bad_field", "field": "language"})


async def test_at_most_200_per_language(server: RunningServer) -> None:
    admin = await signed_in(server, "admin", role=Role.SUPERVISOR, languages=())
    database = server.app[DATABASE]
    for n in range(MAX_PER_LANGUAGE - 1):
        await database.canned.add("de", f"t{n}", "x")
    body = {"language": "de", "title": "last", "text": "x"}
    assert (await admin.request("POST", "/api/admin/canned", body))[0] == 201
    assert await admin.request("POST", "/api/admin/canned", body) == (409, {"error": "too_many"})
    assert (await admin.request("POST", "/api/admin/canned", {**body, "language": "en"}))[0] == 201


async def test_workspace_settings(server: RunningServer) -> None:
    alice = await signed_in(server, "alice")
    config = server.config
    status, answer = await alice.request("GET", "/api/staff/settings")
    assert status == 200
    assert answer == {
        "outcomes": list(config.outcomes),
        "wrap_up_s": config.wrap_up_s,
        "offer_timeout_s": config.offer_timeout_s,
        "max_capacity": config.max_capacity,
        "session_idle_s": config.session_idle_s,
        "languages": [
            {"code": "en", "name": "English"},
            {"code": "de", "name": "Deutsch"},
            {"code": "fr", "name": "Français"},
        ],
    }
    answer_without = await raw(server, "GET", "/api/staff/settings")
    assert (answer_without.status, answer_without.json()) == (401, {"error": "unauthorized"})
