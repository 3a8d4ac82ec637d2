"""The CSRF rule (docs/protocol.md §6.3): a state-changing /api/ request that carries
the staff session cookie must carry the session's token in X-CSRF-Token."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from crypto.encoding import b64u_encode
from helpline.core.staff import Role
from helpline.web.api import SERVER_SECRET
from tests.e2e.conftest import PASSWORD, ServerFactory
from tests.e2e.raw import login_secret
from tests.web.conftest import RunningServer, raw, signed_in

# One request of every state-changing family (the body need not be valid: the
# token is checked before the handler reads it).
STATE_CHANGING = [
    ("POST", "/api/logout", None),
    ("POST", "/api/password", {}),
    ("PUT", "/api/identity", {}),
    ("PUT", "/api/admin/keys/1/certificate", {}),
    ("PUT", "/api/admin/revocations", {}),
    ("POST", "/api/totp/enrol", {"secret": "A" * 43}),
    ("POST", "/api/totp/confirm", {"secret": "A" * 43, "code": "000000"}),
    ("POST", "/api/totp/disable", {"secret": "A" * 43, "code": "000000"}),
    ("POST", "/api/admin/canned", {"language": "en", "title": "Hi", "text": "Hello"}),
    ("PUT", "/api/admin/canned/1", {"title": "Hi"}),
    ("DELETE", "/api/admin/canned/1", None),
]


@pytest.mark.parametrize(("method", "path", "body"), STATE_CHANGING)
async def test_state_changing_requests_need_the_token(
    server: RunningServer, method: str, path: str, body: object
) -> None:
    admin = await signed_in(server, "admin", role=Role.SUPERVISOR)
    other = await signed_in(server, "other", role=Role.SUPERVISOR)
    for csrf in (None, "", "x" * 43, other.csrf, admin.csrf + "A"):
        answer = await raw(
            server, method, path, body, cookie=admin.cookie, csrf=csrf, origin=server.http
        )
        assert (answer.status, answer.json()) == (403, {"error": "bad_csrf"}), csrf
    answer = await raw(server, method, path, body, cookie=admin.cookie, csrf=admin.csrf)
    assert answer.status != 403, answer.body
    assert b"bad_csrf" not in answer.body


async def test_the_token_is_the_sessions_hmac(server: RunningServer) -> None:
    alice = await signed_in(server, "alice")
    key = server.app[SERVER_SECRET]
    mac = hmac.new(key, b"HLP1/csrf" + alice.cookie.encode(), hashlib.sha256).digest()
    assert alice.csrf == b64u_encode(mac)
    me = await raw(server, "GET", "/api/me", cookie=alice.cookie)
    assert me.json()["csrf"] == alice.csrf
    again = await signed_in(server, "alice", create=False)
    assert again.csrf != alice.csrf  # one token per session


async def test_the_reload_key_is_the_sessions_hmac_with_its_own_label(
    server_factory: ServerFactory,
) -> None:
    """§6.1: b64u(HMAC-SHA256(server secret, "HLP1/reload" ‖ session token)), in the
    login answer and GET /api/me: stable for a session, one per session, not the csrf."""
    server = await server_factory()
    await server.add_staff("alice", identity=False)
    key = server.app[SERVER_SECRET]
    secret = await login_secret(server.http, "alice", PASSWORD)
    sessions = []
    for _ in range(2):
        answer = await raw(server, "POST", "/api/login", {"username": "alice", "secret": secret})
        assert answer.status == 200, answer.body
        login = answer.json()
        assert set(login) == {"username", "role", "csrf", "reload_key"}
        cookie = answer.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
        mac = hmac.new(key, b"HLP1/reload" + cookie.encode(), hashlib.sha256).digest()
        assert login["reload_key"] == b64u_encode(mac)
        assert login["reload_key"] != login["csrf"]
        for _ in range(2):  # the same for as long as the session lives
            me = await raw(server, "GET", "/api/me", cookie=cookie)
            assert me.json()["reload_key"] == login["reload_key"]
            assert me.json()["csrf"] == login["csrf"]
        sessions.append(login["reload_key"])
    assert sessions[0] != sessions[1]  # one per session


async def test_the_python_client_sends_it(server: RunningServer) -> None:
    alice = await signed_in(server, "alice")
    assert alice.headers()["X-CSRF-Token"] == alice.csrf
    secret = await login_secret(server.http, "alice", PASSWORD)
    status, _ = await alice.request("POST", "/api/totp/enrol", {"secret": secret})
    assert status == 200
    status, _ = await alice.request("POST", "/api/logout")
    assert status == 204


async def test_requests_without_a_session_are_unaffected(server: RunningServer) -> None:
    """A login and the seeker's feedback never use the session: a browser that still
    holds a (stale) cookie needs no token for them."""
    alice = await signed_in(server, "alice")
    await raw(server, "POST", "/api/logout", cookie=alice.cookie, csrf=alice.csrf)
    again = await signed_in(server, "alice", create=False)  # the client sends no cookie
    assert again.csrf
    feedback = await raw(
        server,
        "POST",
        "/api/feedback",
        {"ticket": "A" * 43, "answer": "helpful"},
        cookie=alice.cookie,
    )
    assert (feedback.status, feedback.json()) == (404, {"error": "unknown_ticket"})
    no_cookie = await raw(server, "POST", "/api/logout")
    assert no_cookie.status == 204
    unauthorized = await raw(server, "POST", "/api/totp/enrol", {"secret": "A" * 43})
    assert unauthorized.status == 401
    assert unauthorized.json() == {"error": "unauthorized"}


async def test_login_with_a_stale_cookie_needs_no_token(server_factory: ServerFactory) -> None:
    server = await server_factory()
    await server.add_staff("alice", identity=False)
    secret = await login_secret(server.http, "alice", PASSWORD)
    answer = await raw(
        server,
        "POST",
        "/api/login",
        {"username": "alice", "secret": secret},
        cookie="A" * 43,
        origin=server.http,
    )
    assert answer.status == 200
    assert answer.json()["csrf"]


async def test_reading_needs_no_token(server: RunningServer) -> None:
    alice = await signed_in(server, "alice")
    for path in ("/api/me", "/api/canned", "/api/staff/settings", "/api/identity"):
        assert (await raw(server, "GET", path, cookie=alice.cookie)).status == 200, path
