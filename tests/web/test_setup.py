"""First start over real HTTP (docs/protocol.md §6.8): the one-time link printed at
start, ``GET``/``POST /api/setup``, the new supervisor signed in, and every way the
token is refused."""

from __future__ import annotations

import re
from typing import Any

import pytest

from helpline.core.staff import Role
from helpline.web import setup_api
from helpline.web.api import SESSIONLESS
from helpline.web.setup_api import SETUP, SETUP_PATH
from tests.e2e.admin import new_secret
from tests.e2e.conftest import RunningServer, ServerFactory
from tests.web.conftest import raw


def setup_body(token: str, username: str = "root", **extra: Any) -> dict[str, Any]:
    return {"token": token, "username": username, **new_secret("first password!"), **extra}


async def test_the_first_start_link_creates_a_signed_in_supervisor(
    server_factory: ServerFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    server = await server_factory()
    printed = capsys.readouterr().out
    match = re.search(rf"{re.escape(server.http)}{SETUP_PATH}#([A-Za-z0-9_-]{{43}})\n", printed)
    assert match is not None, printed
    token = match.group(1)
    assert server.app[SETUP].token == token
    assert "/api/setup" in SESSIONLESS

    answer = await raw(server, "GET", "/api/setup")
    assert answer.status == 200
    assert answer.json() == {"needed": True, "iterations": server.config.kdf_iterations}
    assert answer.headers["Cache-Control"] == "no-store"

    # Wrong token, bad fields, a foreign origin.
    answer = await raw(server, "POST", "/api/setup", setup_body("A" * 43), origin=server.http)
    assert (answer.status, answer.json()) == (403, {"error": "bad_token"})
    answer = await raw(
        server, "POST", "/api/setup", setup_body(token, "two words"), origin=server.http
    )
    assert (answer.status, answer.json()["field"]) == (400, "username")
    answer = await raw(
        server, "POST", "/api/setup", setup_body(token), origin="https://evil.example"
    )
    assert (answer.status, answer.json()) == (403, {"error": "bad_origin"})

    # The right one, even with a stale cookie along (no CSRF token needed).
    answer = await raw(
        server, "POST", "/api/setup", setup_body(token), origin=server.http, cookie="stale"
    )
    assert answer.status == 201, answer.body
    body = answer.json()
    assert (body["username"], body["role"]) == ("root", "supervisor")
    assert set(body) == {"username", "role", "csrf", "reload_key"}
    cookie = re.search(r"helpline_session=([^;]+)", answer.headers["Set-Cookie"])
    assert cookie is not None
    me = await raw(server, "GET", "/api/me", cookie=cookie.group(1))
    assert (me.status, me.json()["role"]) == (200, Role.SUPERVISOR.value)
    staff = await raw(server, "GET", "/api/admin/staff", cookie=cookie.group(1))
    assert staff.status == 200
    assert [a["username"] for a in staff.json()["accounts"]] == ["root"]
    audit = await raw(server, "GET", "/api/admin/audit", cookie=cookie.group(1))
    [entry] = audit.json()["entries"]
    assert (entry["actor"], entry["action"]) == ("root", "setup")
    assert token not in entry["detail"]

    # Once only.
    answer = await raw(server, "POST", "/api/setup", setup_body(token, "again"), origin=server.http)
    assert (answer.status, answer.json()) == (409, {"error": "already_set_up"})
    assert (await raw(server, "GET", "/api/setup")).json()["needed"] is False


async def test_an_expired_token_is_refused(server_factory: ServerFactory) -> None:
    server = await server_factory(setup_token_ttl_s=0.0)
    token = server.app[SETUP].token
    answer = await raw(server, "POST", "/api/setup", setup_body(token), origin=server.http)
    assert (answer.status, answer.json()) == (403, {"error": "bad_token"})
    assert (await raw(server, "GET", "/api/setup")).json()["needed"] is True


async def test_no_link_when_there_are_accounts(
    server_factory: ServerFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    first = await server_factory()
    await first.add_staff("existing", ("en",), identity=False)
    url = first.config.effective_database_url
    capsys.readouterr()
    server: RunningServer = await server_factory(database_url=url)
    assert SETUP_PATH not in capsys.readouterr().out
    assert SETUP not in server.app
    assert (await raw(server, "GET", "/api/setup")).json()["needed"] is False
    answer = await raw(server, "POST", "/api/setup", setup_body("A" * 43), origin=server.http)
    assert (answer.status, answer.json()) == (409, {"error": "already_set_up"})


@pytest.mark.parametrize(
    ("host", "origin"),
    [
        ("127.0.0.1", "http://127.0.0.1:8080"),
        ("0.0.0.0", "http://127.0.0.1:8080"),
        ("::", "http://[::1]:8080"),
        ("::1", "http://[::1]:8080"),
        ("helpline.example.org", "http://helpline.example.org:8080"),
    ],
)
def test_the_printed_link_opens_in_a_browser_on_this_machine(host: str, origin: str) -> None:
    assert setup_api._local_origin(host, 8080) == origin
