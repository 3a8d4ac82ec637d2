"""The staff second factor (docs/protocol.md §6.5): enrol, QR, confirm, login with a
code that works once, disable; codes computed by pyotp from the enrolled secret."""

from __future__ import annotations

import time

import pyotp
import pytest

from helpline.errors import AuthError
from helpline.web import totp
from helpline.web.keys import DATABASE
from tests.web.conftest import RunningServer, StaffSession, raw, signed_in


def code_at(secret: str, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + offset_steps * 30)


async def enrolled(server: RunningServer, username: str) -> tuple[StaffSession, str]:
    """An account with TOTP on, confirmed with the current step's code; (session, secret)."""
    person = await signed_in(server, username)
    status, answer = await person.request("POST", "/api/totp/enrol")
    assert status == 200, answer
    assert isinstance(answer, dict)
    secret = answer["secret"]
    status, answer = await person.request("POST", "/api/totp/confirm", {"code": code_at(secret)})
    assert (status, answer) == (200, {"totp": True})
    return person, secret


async def test_enrol_confirm_login_and_reuse(server: RunningServer) -> None:
    alice = await signed_in(server, "alice")
    older = await signed_in(server, "alice", create=False)
    me = await raw(server, "GET", "/api/me", cookie=alice.cookie)
    assert me.json()["totp"] is False
    assert (await raw(server, "GET", "/api/totp/qr", cookie=alice.cookie)).status == 404

    status, answer = await alice.request("POST", "/api/totp/enrol")
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
    status, answer = await alice.request("POST", "/api/totp/confirm", {"code": wrong})
    assert (status, answer) == (400, {"error": "bad_code"})
    status, answer = await alice.request("POST", "/api/totp/confirm", {"code": "12345"})
    assert (status, answer) == (400, {"error": "bad_field", "field": "code"})
    status, answer = await alice.request("POST", "/api/totp/confirm", {"code": code_at(secret)})
    assert (status, answer) == (200, {"totp": True})
    me = await raw(server, "GET", "/api/me", cookie=alice.cookie)
    assert me.json()["totp"] is True
    # Sessions from before the second factor end; this one goes on.
    assert (await raw(server, "GET", "/api/me", cookie=older.cookie)).status == 401
    status, answer = await alice.request("POST", "/api/totp/enrol")
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
    status, answer = await alice.request("POST", "/api/totp/disable", {"code": next_code})
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
    status, answer = await bob.request("POST", "/api/totp/disable", {"code": code_at(secret, 1)})
    assert (status, answer) == (200, {"totp": False})
    me = await raw(server, "GET", "/api/me", cookie=bob.cookie)
    assert me.json()["totp"] is False
    assert (await signed_in(server, "bob", create=False)).csrf  # the password alone again
    status, answer = await bob.request("POST", "/api/totp/disable", {"code": "123456"})
    assert (status, answer) == (409, {"error": "no_totp"})


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
