"""Staff administration through real HTTP (docs/protocol.md §6.7): listing with key
state and presence, creating, editing, disabling (off duty at once, over a real
counsellor WebSocket), password resets, bad input, and who may do it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from crypto import certs
from helpline.cli import main as cli_main
from helpline.web.keys import DATABASE, TRUST
from tests.e2e.admin import (
    Caller,
    audit,
    caller,
    frames_until_closed,
    new_secret,
    supervisor,
)
from tests.e2e.conftest import PASSWORD, RunningServer, ServerFactory
from tests.e2e.raw import RawPeer, login, login_secret

ADMIN_ROUTES = [
    ("GET", "/api/admin/staff"),
    ("POST", "/api/admin/staff"),
    ("POST", "/api/admin/staff/1"),
    ("POST", "/api/admin/staff/1/password"),
    ("GET", "/api/admin/service"),
    ("PUT", "/api/admin/service/queues/en"),
    ("PUT", "/api/admin/service/settings"),
    ("GET", "/api/admin/audit"),
]


def create_body(username: str, **extra: Any) -> dict[str, Any]:
    return {
        "username": username,
        "role": "counsellor",
        "languages": ["en"],
        "capacity": 1,
        **new_secret("a new counsellor's password"),
        **extra,
    }


async def test_counsellors_get_403_and_strangers_401(server: RunningServer) -> None:
    await server.add_staff("carl", ("en",), identity=False)
    counsellor = await caller(server, "carl")
    stranger = Caller(server, {"Origin": server.http})
    for method, path in ADMIN_ROUTES:
        body = None if method == "GET" else {}
        assert await counsellor.call(method, path, body) == (403, {"error": "forbidden"}), path
        assert await stranger.call(method, path, body) == (401, {"error": "unauthorized"}), path


async def test_the_list_shows_keys_second_factors_and_presence(server: RunningServer) -> None:
    admin = await supervisor(server)
    await server.add_staff("anna", ("en", "de"), capacity=2)  # a key, certified (development)
    bert = await server.add_staff("bert", ("fr",), identity=False)
    database = server.app[DATABASE]
    assert await database.totp.set_pending(bert.id, b"sealed")
    assert await database.totp.confirm(bert.id, b"sealed", 1)
    staff = await RawPeer.staff(server.ws, server.http, await login(server.http, "anna", PASSWORD))
    await staff.recv("welcome")
    await staff.send(type="status", status="available", languages=["en"])
    await staff.recv("status")
    status, body = await admin.get("/api/admin/staff")
    assert status == 200
    accounts = {a["username"]: a for a in body["accounts"]}
    assert list(accounts) == ["sam", "anna", "bert"]
    anna = accounts["anna"]
    ik = certs.identity_public_key(server.identity_seeds["anna"])
    assert anna["key"]["fingerprint"] == certs.fingerprint(ik)
    assert anna["key"]["state"] == "valid"
    assert isinstance(anna["key"]["not_after"], int)
    assert {k: anna[k] for k in ("role", "languages", "capacity", "disabled", "totp")} == {
        "role": "counsellor",
        "languages": ["en", "de"],
        "capacity": 2,
        "disabled": False,
        "totp": False,
    }
    assert anna["presence"] == "available"
    assert accounts["bert"]["key"] is None
    assert accounts["bert"]["presence"] == "offline"
    assert accounts["bert"]["totp"] is True
    assert set(anna) == {
        "id", "username", "role", "languages", "capacity", "disabled", "totp", "key", "presence"
    }  # fmt: skip
    await staff.close()


async def test_a_supervisor_creates_a_counsellor_who_can_sign_in(server: RunningServer) -> None:
    admin = await supervisor(server)
    status, body = await admin.call("POST", "/api/admin/staff", create_body("dora", capacity=2))
    assert status == 201, body
    assert body["username"] == "dora"
    assert body["languages"] == ["en"]
    assert body["capacity"] == 2
    assert body["key"] is None
    # The initial password works, over the real login.
    await login(server.http, "dora", "a new counsellor's password")
    entries = await audit(admin)
    assert entries[0]["actor"] == "sam"
    assert entries[0]["action"] == "staff.create"
    assert "dora" in entries[0]["detail"]
    assert "password" not in entries[0]["detail"]
    # A taken username.
    status, body = await admin.call("POST", "/api/admin/staff", create_body("dora"))
    assert status == 409
    assert body["error"] == "username_taken"
    assert body["field"] == "username"


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"username": "two words"}, "username", "spaces"),
        ({"username": "x" * 65}, "username", "1 to 64"),
        ({"role": "boss"}, "role", "counsellor"),
        ({"capacity": 0}, "capacity", "from 1 to 3"),
        ({"capacity": 4}, "capacity", "from 1 to 3"),
        ({"capacity": "2"}, "capacity", "whole number"),
        ({"languages": []}, "languages", "at least one language"),
        ({"languages": ["en", "xx"]}, "languages[1]", "not a queue"),
        ({"languages": ["en", "en"]}, "languages[1]", "twice"),
        ({"salt": "AAAA"}, "salt", "16 bytes"),
        ({"secret": "AAAA"}, "secret", "32 bytes"),
        ({"iterations": 10}, "iterations", "iteration count"),
    ],
)
async def test_creating_refuses_bad_input_with_a_message(
    server: RunningServer, change: dict[str, Any], field: str, words: str
) -> None:
    admin = await supervisor(server)
    status, body = await admin.call("POST", "/api/admin/staff", {**create_body("erin"), **change})
    assert status == 400, body
    assert body["error"] == "bad_field"
    assert body["field"] == field
    assert words in body["message"]
    assert body["message"].endswith(".")
    assert (await admin.get("/api/admin/staff"))[1]["accounts"][-1]["username"] == "sam"


async def test_editing_and_the_self_rule(server: RunningServer) -> None:
    admin = await supervisor(server)
    account = await server.add_staff("fay", ("en",), identity=False)
    path = f"/api/admin/staff/{account.id}"
    status, body = await admin.call("POST", path, {"languages": ["de", "fr"], "capacity": 3})
    assert status == 200, body
    assert (body["languages"], body["capacity"]) == (["de", "fr"], 3)
    status, body = await admin.call("POST", path, {"role": "supervisor", "languages": []})
    assert status == 200
    assert (body["role"], body["languages"]) == ("supervisor", [])
    # Back to counsellor without languages: refused.
    status, body = await admin.call("POST", path, {"role": "counsellor"})
    assert (status, body["field"]) == (400, "languages")
    assert await admin.call("POST", "/api/admin/staff/999", {"capacity": 1}) == (
        404,
        {"error": "not_found"},
    )
    status, body = await admin.call("POST", path, {"username": "other"})
    assert (status, body["error"]) == (400, "bad_field")
    # A supervisor cannot disable or demote themselves.
    me = (await admin.get("/api/admin/staff"))[1]["accounts"][0]
    for change in ({"disabled": True}, {"role": "counsellor", "languages": ["en"]}):
        status, body = await admin.call("POST", f"/api/admin/staff/{me['id']}", change)
        assert (status, body["error"]) == (409, "self")
    actions = [(e["action"], e["detail"]) for e in await audit(admin)]
    assert actions[:2] == [
        ("staff.edit", "fay: role counsellor -> supervisor; languages de,fr -> none"),
        ("staff.edit", "fay: languages en -> de,fr; capacity 1 -> 3"),
    ]


async def test_disabling_takes_a_counsellor_off_duty_at_once(server: RunningServer) -> None:
    admin = await supervisor(server)
    gone = await server.add_staff("gus", ("en",))
    await server.add_staff("hal", ("en",))
    staff = await RawPeer.staff(server.ws, server.http, await login(server.http, "gus", PASSWORD))
    await staff.recv("welcome")
    await staff.send(type="status", status="available", languages=["en"])
    await staff.recv("status")
    seeker = await RawPeer.seeker(server.ws)
    await seeker.send(type="join", language="en")
    await seeker.recv("welcome")
    await staff.recv("offer")  # pending, not accepted

    status, body = await admin.call("POST", f"/api/admin/staff/{gone.id}", {"disabled": True})
    assert status == 200, body
    assert body["disabled"] is True
    assert body["presence"] == "offline"
    kinds, code = await frames_until_closed(staff)
    assert code == 4001
    assert "offer" not in kinds  # nothing more was offered after the first one
    # The seeker went back to the queue and is offered to a colleague.
    other = await RawPeer.staff(server.ws, server.http, await login(server.http, "hal", PASSWORD))
    await other.recv("welcome")
    await other.send(type="status", status="available", languages=["en"])
    await other.recv("offer")
    # Signing in again is refused while disabled.
    secret = await login_secret(server.http, "gus", PASSWORD)
    status, body = await Caller(server, {"Origin": server.http}).call(
        "POST", "/api/login", {"username": "gus", "secret": secret}
    )
    assert (status, body) == (401, {"error": "bad_credentials"})
    entry = (await audit(admin))[0]
    assert (entry["actor"], entry["action"]) == ("sam", "staff.disable")
    # Enabled again: they may sign in.
    status, body = await admin.call("POST", f"/api/admin/staff/{gone.id}", {"disabled": False})
    assert (status, body["disabled"]) == (200, False)
    await login(server.http, "gus", PASSWORD)
    await seeker.close()
    await other.close()


async def test_a_password_reset_ends_sessions_and_drops_the_key(server: RunningServer) -> None:
    admin = await supervisor(server)
    account = await server.add_staff("ida", ("en",))
    ik = certs.identity_public_key(server.identity_seeds["ida"])
    staff = await RawPeer.staff(server.ws, server.http, await login(server.http, "ida", PASSWORD))
    await staff.recv("welcome")
    path = f"/api/admin/staff/{account.id}/password"
    status, body = await admin.call("POST", path, {"salt": "x"})
    assert (status, body["field"]) == (400, "salt")
    status, body = await admin.call("POST", path, new_secret("the reset password"))
    assert status == 200, body
    assert body["key"] is None
    assert await staff.closed_with() == 4001
    assert account.id not in server.hub.switchboard.counsellor_ids()  # chats handed back
    secret = await login_secret(server.http, "ida", PASSWORD)
    status, _ = await Caller(server, {"Origin": server.http}).call(
        "POST", "/api/login", {"username": "ida", "secret": secret}
    )
    assert status == 401
    again = await caller(server, "ida", "the reset password")
    status, identity = await again.get("/api/identity")
    assert (status, identity["state"]) == (200, "none")
    entry = (await audit(admin))[0]
    assert entry["action"] == "staff.password"
    assert certs.fingerprint(ik) in entry["detail"]
    assert "reset password" not in entry["detail"]


async def test_a_supervisor_role_is_checked_on_every_request(server: RunningServer) -> None:
    """Demoted while signed in: the next admin request is refused."""
    admin = await supervisor(server)
    other = await supervisor(server, "tess")
    tess = (await admin.get("/api/admin/staff"))[1]["accounts"][1]
    status, _ = await admin.call(
        "POST", f"/api/admin/staff/{tess['id']}", {"role": "counsellor", "languages": ["en"]}
    )
    assert status == 200
    assert (await other.get("/api/admin/staff"))[0] == 403


async def test_a_cli_disable_reaches_a_running_server(server_factory: ServerFactory) -> None:
    """Disabled from the CLI in another process: at the next session check the server
    takes the account off duty as the staff pages do, its chat back to the queue at
    once (a grace of a minute would show otherwise)."""
    server = await server_factory(session_check_s=0.2, resume_grace_s=60.0)
    jo = await server.add_staff("jo", ("en",))
    staff = await RawPeer.staff(server.ws, server.http, await login(server.http, "jo", PASSWORD))
    await staff.recv("welcome")
    await staff.send(type="status", status="available", languages=["en"])
    seeker = await RawPeer.seeker(server.ws)
    await seeker.send(type="join", language="en")
    await seeker.recv("welcome")
    offer = await staff.recv("offer")
    await staff.send(type="accept", chat_id=offer["chat_id"])
    await seeker.recv("matched")
    url = server.config.effective_database_url
    args = ["account", "disable", "jo", "--database-url", url]
    assert await asyncio.to_thread(cli_main, args) == 0
    assert await staff.closed_with(timeout=5) == 4001
    requeued = await seeker.recv("requeued", timeout=5)
    assert requeued["reason"] == "counsellor_lost"
    assert jo.id not in server.hub.switchboard.counsellor_ids()
    await seeker.close()
    [entry] = await server.app[DATABASE].audit.list()
    assert (entry.actor, entry.action, entry.detail) == ("cli", "staff.disable", "jo disabled")


async def test_a_disable_while_the_socket_opens_does_not_slip_through(
    server: RunningServer,
) -> None:
    """The account is disabled while its WebSocket request waits between the session
    lookup and the upgrade: the opened socket is closed with 4001 and never offered."""
    admin = await supervisor(server)
    late = await server.add_staff("jo", ("en",))
    cookie = await login(server.http, "jo", PASSWORD)
    trust = server.app[TRUST]
    reload = trust.reload

    async def disable_meanwhile(account_id: int) -> None:
        status, body = await admin.call("POST", f"/api/admin/staff/{late.id}", {"disabled": True})
        assert status == 200, body
        await reload(account_id)

    trust.reload = disable_meanwhile
    try:
        staff = await RawPeer.staff(server.ws, server.http, cookie)
        kinds, code = await frames_until_closed(staff)
    finally:
        trust.reload = reload
    assert code == 4001
    assert "welcome" not in kinds
    assert late.id not in server.hub.switchboard.counsellor_ids()
