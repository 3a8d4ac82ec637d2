"""The staff second factor (docs/protocol.md §6.5): enrol, QR, confirm, login with a
code that works once, disable; codes computed by pyotp from the enrolled secret."""

from __future__ import annotations

import time

import pyotp
import pytest

from helpline.core.staff import Role
from helpline.errors import AuthError
from helpline.web import totp
from helpline.web.keys import DATABASE
from tests.e2e.conftest import PASSWORD
from tests.e2e.raw import login_secret
from tests.web.conftest import RunningServer, StaffSession, raw, signed_in

WRONG_SECRET = "A" * 43  # 32 zero bytes: no account's login secret


def code_at(secret: str, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + offset_steps * 30)


async def secret_of(server: RunningServer, username: str) -> str:
    """The account's current login secret, b64u, as the workspace derives it."""
    return await login_secret(server.http, username, PASSWORD)


async def enrolled(
    server: RunningServer, username: str, role: Role = Role.COUNSELLOR
) -> tuple[StaffSession, str]:
    """An account with TOTP on, confirmed with the current step's code; (session, secret)."""
    person = await signed_in(server, username, role=role)
    login = await secret_of(server, username)
    status, answer = await person.request("POST", "/api/totp/enrol", {"secret": login})
    assert status == 200, answer
    assert isinstance(answer, dict)
    secret = answer["secret"]
    status, answer = await person.request(
        "POST", "/api/totp/confirm", {"secret": login, "code": code_at(secret)}
    )
    assert (status, answer) == (200, {"totp": True})
    return person, secret


async def test_enrol_confirm_login_and_reuse(server: RunningServer) -> None:
    alice = await signed_in(server, "alice")
    older = await signed_in(server, "alice", create=False)
    me = await raw(server, "GET", "/api/me", cookie=alice.cookie)
    assert me.json()["totp"] is False
    assert (await raw(server, "GET", "/api/totp/qr", cookie=alice.cookie)).status == 404
    login = await secret_of(server, "alice")

    status, answer = await alice.request("POST", "/api/totp/enrol", {"secret": login})
    assert status == 200
    assert isinstance(answer, dict)
    assert set(answer) == {"secret", "uri"}
    secret = answer["secret"]
    assert len(secret) == 32
    assert answer["uri"] == pyotp.TOTP(secret).provisioning_uri(
        name="alice", issuer_name="Helpline"
    )

    qr = await raw(server, "GET", "/api/totp/qr", cookie=alice.cookie)
    assert qr.status == 200
    assert qr.headers["Content-Type"] == "image/svg+xml"
    assert qr.headers["Cache-Control"] == "no-store"
    assert qr.body.startswith(b"<svg")
    assert qr.body.rstrip().endswith(b"</svg>")

    wrong = "000000" if code_at(secret) != "000000" else "111111"
    status, answer = await alice.request(
        "POST", "/api/totp/confirm", {"secret": login, "code": wrong}
    )
    assert (status, answer) == (400, {"error": "bad_code"})
    status, answer = await alice.request(
        "POST", "/api/totp/confirm", {"secret": login, "code": "12345"}
    )
    assert (status, answer) == (400, {"error": "bad_field", "field": "code"})
    status, answer = await alice.request(
        "POST", "/api/totp/confirm", {"secret": login, "code": code_at(secret)}
    )
    assert (status, answer) == (200, {"totp": True})
    me = await raw(server, "GET", "/api/me", cookie=alice.cookie)
    assert me.json()["totp"] is True
    # Sessions from before the second factor end; this one goes on.
    assert (await raw(server, "GET", "/api/me", cookie=older.cookie)).status == 401
    status, answer = await alice.request("POST", "/api/totp/enrol", {"secret": login})
    assert (status, answer) == (409, {"error": "totp_enabled"})

    with pytest.raises(AuthError) as needed:
        await signed_in(server, "alice", create=False)
    assert needed.value.code == "totp_required"
    with pytest.raises(AuthError) as used:  # the confirming code's step is used up
        await signed_in(server, "alice", create=False, totp=code_at(secret))
    assert used.value.code == "bad_code"
    next_code = code_at(secret, 1)
    session = await signed_in(server, "alice", create=False, totp=next_code)
    assert session.csrf
    with pytest.raises(AuthError) as reused:
        await signed_in(server, "alice", create=False, totp=next_code)
    assert reused.value.code == "bad_code"
    # Disabling with a used code is refused.
    status, answer = await alice.request(
        "POST", "/api/totp/disable", {"secret": login, "code": next_code}
    )
    assert (status, answer) == (400, {"error": "bad_code"})


async def test_a_wrong_secret_never_asks_for_the_code(server: RunningServer) -> None:
    await enrolled(server, "alice")
    answer = await raw(
        server,
        "POST",
        "/api/login",
        {"username": "alice", "secret": "A" * 43, "totp": "123456"},
        origin=server.http,
    )
    assert (answer.status, answer.json()) == (401, {"error": "bad_credentials"})
    answer = await raw(
        server, "POST", "/api/login", {"username": "alice", "secret": "A" * 43, "totp": "12ab56"}
    )
    assert (answer.status, answer.json()) == (400, {"error": "bad_field", "field": "totp"})


async def test_disable(server: RunningServer) -> None:
    bob, secret = await enrolled(server, "bob")
    login = await secret_of(server, "bob")
    status, answer = await bob.request(
        "POST", "/api/totp/disable", {"secret": login, "code": code_at(secret, 1)}
    )
    assert (status, answer) == (200, {"totp": False})
    me = await raw(server, "GET", "/api/me", cookie=bob.cookie)
    assert me.json()["totp"] is False
    assert (await signed_in(server, "bob", create=False)).csrf  # the password alone again
    status, answer = await bob.request(
        "POST", "/api/totp/disable", {"secret": login, "code": "123456"}
    )
    assert (status, answer) == (409, {"error": "no_totp"})


async def test_a_session_alone_cannot_change_the_second_factor(server: RunningServer) -> None:
    """Regression: with only a session (a browser left signed in), anyone could bind
    their own authenticator and lock the owner out. The login secret is needed too."""
    erin = await signed_in(server, "erin")
    login = await secret_of(server, "erin")
    for body in (None, {}, {"code": "123456"}):
        status, answer = await erin.request("POST", "/api/totp/enrol", body)
        assert status == 400, answer
    status, answer = await erin.request("POST", "/api/totp/enrol", {"secret": WRONG_SECRET})
    assert (status, answer) == (401, {"error": "bad_credentials"})
    status, answer = await erin.request(
        "POST", "/api/totp/enrol", {"secret": login, "code": "123456"}
    )
    assert (status, answer) == (400, {"error": "bad_field", "field": "code"})
    database = server.app[DATABASE]
    account = await database.accounts.find_login("erin")
    assert account is not None
    assert await database.totp.get(account[0].id) is None  # nothing pending

    status, answer = await erin.request("POST", "/api/totp/enrol", {"secret": login})
    assert status == 200
    assert isinstance(answer, dict)
    pending = answer["secret"]
    for path in ("/api/totp/confirm", "/api/totp/disable"):
        status, answer = await erin.request("POST", path, {"code": code_at(pending)})
        assert (status, answer) == (400, {"error": "bad_field", "field": "secret"}), path
        status, answer = await erin.request(
            "POST", path, {"secret": WRONG_SECRET, "code": code_at(pending)}
        )
        assert (status, answer) == (401, {"error": "bad_credentials"}), path
    me = await raw(server, "GET", "/api/me", cookie=erin.cookie)
    assert me.json()["totp"] is False
    # Turned on, it cannot be turned off with the session and a code alone either.
    status, answer = await erin.request(
        "POST", "/api/totp/confirm", {"secret": login, "code": code_at(pending)}
    )
    assert (status, answer) == (200, {"totp": True})
    status, answer = await erin.request(
        "POST", "/api/totp/disable", {"secret": WRONG_SECRET, "code": code_at(pending, 1)}
    )
    assert (status, answer) == (401, {"error": "bad_credentials"})
    me = await raw(server, "GET", "/api/me", cookie=erin.cookie)
    assert me.json()["totp"] is True


async def test_wrong_secrets_count_as_failed_logins(server: RunningServer) -> None:
    frank = await signed_in(server, "frank")
    login = await secret_of(server, "frank")
    for _ in range(server.config.login_failures_before_lockout):
        status, answer = await frank.request("POST", "/api/totp/enrol", {"secret": WRONG_SECRET})
        assert (status, answer) == (401, {"error": "bad_credentials"})
    # Locked out, even with the right secret, here and at the login.
    for path, body in [
        ("/api/totp/enrol", {"secret": login}),
        ("/api/totp/confirm", {"secret": login, "code": "123456"}),
        ("/api/totp/disable", {"secret": login, "code": "123456"}),
    ]:
        status, answer = await frank.request("POST", path, body)
        assert status == 429, path
        assert isinstance(answer, dict)
        assert answer["error"] == "rate_limited"
    with pytest.raises(AuthError) as locked:
        await signed_in(server, "frank", create=False)
    assert locked.value.code == "rate_limited"


async def test_right_secrets_do_not_wipe_the_count_of_wrong_codes(
    server: RunningServer,
) -> None:
    """A right secret alone clears nothing: only a whole success does, so a session
    holder who knows the password still cannot guess disable codes without limit."""
    grace, secret = await enrolled(server, "grace")
    login = await secret_of(server, "grace")
    current = {code_at(secret, n) for n in (-1, 0, 1)}
    wrong = next(f"{n:06d}" for n in range(10) if f"{n:06d}" not in current)
    for _ in range(server.config.login_failures_before_lockout):
        status, answer = await grace.request(
            "POST", "/api/totp/disable", {"secret": login, "code": wrong}
        )
        assert (status, answer) == (400, {"error": "bad_code"})
    status, answer = await grace.request(
        "POST", "/api/totp/disable", {"secret": login, "code": code_at(secret, 1)}
    )
    assert status == 429, answer


async def test_wrong_codes_count_as_failed_logins(server: RunningServer) -> None:
    _, secret = await enrolled(server, "carol")
    current = {code_at(secret, n) for n in (-1, 0, 1)}
    wrong = next(f"{n:06d}" for n in range(10) if f"{n:06d}" not in current)
    for _ in range(server.config.login_failures_before_lockout):
        with pytest.raises(AuthError) as refused:
            await signed_in(server, "carol", create=False, totp=wrong)
        assert refused.value.code == "bad_code"
    with pytest.raises(AuthError) as locked:
        await signed_in(server, "carol", create=False, totp=code_at(secret, 1))
    assert locked.value.code == "rate_limited"


async def test_the_secret_is_sealed_at_rest(server: RunningServer) -> None:
    person, secret = await enrolled(server, "dave")
    me = await raw(server, "GET", "/api/me", cookie=person.cookie)
    assert me.status == 200
    database = server.app[DATABASE]
    account = await database.accounts.find_login("dave")
    assert account is not None
    record = await database.totp.get(account[0].id)
    assert record is not None
    assert record.secret is not None
    assert secret.encode() not in record.secret


def test_codes_match_their_step_within_one_step() -> None:
    secret = totp.new_secret()
    now = 1_800_000_015.0
    step = int(now // 30)
    for offset in (-1, 0, 1):
        code = pyotp.TOTP(secret).at(now + offset * 30)
        assert totp.matching_step(secret, code, now) == step + offset
    assert totp.matching_step(secret, pyotp.TOTP(secret).at(now + 60), now) is None
    assert totp.is_code("012345")
    assert not totp.is_code("12345")
    assert not totp.is_code("١٢٣٤٥٦")


def test_sealing() -> None:
    key = totp.sealing_key(b"k" * 32)
    sealed = totp.seal(key, "ABCDEFGH")
    assert totp.unseal(key, sealed) == "ABCDEFGH"
    with pytest.raises(totp.SealError):
        totp.unseal(totp.sealing_key(b"j" * 32), sealed)
