"""Salts, login secrets, identity keys and password changes over the staff API
(docs/protocol.md §6), against a real server in development mode unless said."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from crypto import certs
from crypto.encoding import b64u_decode, b64u_encode
from crypto.password import PasswordKeys, derive_password_keys, unwrap_seed, wrap_seed
from helpline.core.staff import Role
from helpline.web.keys import DATABASE
from tests.e2e.conftest import PASSWORD, RunningServer, ServerFactory
from tests.e2e.raw import RawPeer

DAY = 86_400
SMALL_ORDER_KEY = b"\x01" + bytes(31)  # the neutral element: order 1


@dataclass
class Staff:
    """A signed-in staff member speaking JSON to the API, as the workspace does."""

    server: RunningServer
    username: str
    cookie: str
    keys: PasswordKeys
    csrf: str = ""  # the session's CSRF token, sent on state-changing requests (§6.3)

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        origin: str | None = None,
        csrf: str | None = None,
    ) -> tuple[int, Any]:
        return await call(
            self.server,
            method,
            path,
            body,
            cookie=self.cookie,
            origin=origin or self.server.http,
            csrf=self.csrf if csrf is None else csrf,
        )

    async def register(self, seed: bytes, *, replace: bool | None = None) -> tuple[int, Any]:
        body: dict[str, Any] = {
            "ik": b64u_encode(certs.identity_public_key(seed)),
            "wrapped_seed": b64u_encode(wrap_seed(seed, self.keys.wrapping_key)),
        }
        if replace is not None:
            body["replace"] = replace
        return await self.call("PUT", "/api/identity", body)

    async def socket(self) -> RawPeer:
        peer = await RawPeer.staff(self.server.ws, self.server.http, self.cookie)
        await peer.recv("welcome")
        return peer


async def call(
    server: RunningServer,
    method: str,
    path: str,
    body: Any = None,
    *,
    cookie: str | None = None,
    origin: str | None = None,
    csrf: str | None = None,
) -> tuple[int, Any]:
    headers = {}
    if cookie is not None:
        headers["Cookie"] = f"helpline_session={cookie}"
    if csrf:
        headers["X-CSRF-Token"] = csrf
    if origin is not None:
        headers["Origin"] = origin
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, server.http + path, json=body, headers=headers) as response,
    ):
        answer = await response.json(content_type=None) if response.status != 204 else None
        return response.status, answer


async def salt_of(server: RunningServer, username: str) -> dict[str, Any]:
    status, answer = await call(server, "GET", f"/api/salt?username={username}")
    assert status == 200, answer
    assert isinstance(answer, dict)
    return answer


async def derive(server: RunningServer, username: str, password: str) -> PasswordKeys:
    answer = await salt_of(server, username)
    return derive_password_keys(password, b64u_decode(answer["salt"]), answer["iterations"])


async def sign_in(
    server: RunningServer, username: str, password: str = PASSWORD
) -> tuple[int, Any, str | None]:
    keys = await derive(server, username, password)
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{server.http}/api/login",
            json={"username": username, "secret": b64u_encode(keys.login_secret)},
            headers={"Origin": server.http},
        ) as response,
    ):
        morsel = response.cookies.get("helpline_session")
        return response.status, await response.json(), morsel.value if morsel else None


async def staff(
    server: RunningServer,
    username: str,
    *,
    role: Role = Role.COUNSELLOR,
    identity: bool = False,
    password: str = PASSWORD,
) -> Staff:
    """A new account, signed in; by default without an identity key."""
    await server.add_staff(username, role=role, identity=identity, password=password)
    status, answer, cookie = await sign_in(server, username, password)
    assert status == 200, answer
    assert cookie is not None
    return Staff(
        server, username, cookie, await derive(server, username, password), csrf=answer["csrf"]
    )


async def crypto_info(server: RunningServer) -> dict[str, Any]:
    status, answer = await call(server, "GET", "/api/crypto")
    assert status == 200
    assert isinstance(answer, dict)
    return answer


# -- salts and login secrets -------------------------------------------------------------


async def test_the_salt_does_not_reveal_whether_an_account_exists(
    server_factory: ServerFactory,
) -> None:
    server = await server_factory()
    await server.add_staff("alice")
    real = await salt_of(server, "alice")
    fake = await salt_of(server, "nobody")
    # The same shape, sizes and iteration count…
    assert set(real) == set(fake) == {"salt", "iterations"}
    assert len(b64u_decode(real["salt"])) == len(b64u_decode(fake["salt"])) == 16
    assert real["iterations"] == fake["iterations"] == server.config.kdf_iterations
    # …deterministic for a username that does not exist, different for every name.
    assert await salt_of(server, "nobody") == fake
    assert await salt_of(server, "alice") == real
    others = {(await salt_of(server, name))["salt"] for name in ("nobody", "Nobody", "nobody2")}
    assert len(others) == 3
    # The real salt is the account's own.
    kdf = await server.app[DATABASE].accounts.kdf_params("alice")
    assert kdf is not None
    assert b64u_decode(real["salt"]) == kdf.salt


async def test_fake_salts_survive_a_restart(server_factory: ServerFactory, tmp_path: Any) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shared.sqlite3'}"
    first = await server_factory(database_url=url)
    second = await server_factory(database_url=url)
    assert await salt_of(first, "nobody") == await salt_of(second, "nobody")


@pytest.mark.parametrize("query", ["", "?username=", "?username=" + "x" * 65])
async def test_the_salt_needs_a_username(server: RunningServer, query: str) -> None:
    status, answer = await call(server, "GET", "/api/salt" + query)
    assert (status, answer) == (400, {"error": "bad_field", "field": "username"})


async def test_login_with_the_secret_and_only_the_secret(server: RunningServer) -> None:
    await server.add_staff("alice")
    status, answer, cookie = await sign_in(server, "alice")
    assert cookie
    assert answer == {
        "username": "alice",
        "role": "counsellor",
        "csrf": answer["csrf"],
        "reload_key": answer["reload_key"],
    }
    assert answer["csrf"] != answer["reload_key"]
    for username, password in [("alice", "wrong password"), ("nobody", PASSWORD)]:
        status, answer, cookie = await sign_in(server, username, password)
        assert (status, answer, cookie) == (401, {"error": "bad_credentials"}, None)
    # The password itself is not a login secret.
    status, answer = await call(
        server, "POST", "/api/login", {"username": "alice", "password": PASSWORD}
    )
    assert (status, answer) == (400, {"error": "bad_field", "field": "password"})


# -- identity keys --------------------------------------------------------------------


async def test_identity_needs_a_session(server: RunningServer) -> None:
    assert (await call(server, "GET", "/api/identity"))[0] == 401
    status, _ = await call(
        server, "PUT", "/api/identity", {"ik": "x", "wrapped_seed": "y"}, origin=server.http
    )
    assert status == 401


async def test_a_new_account_has_no_key(server: RunningServer) -> None:
    alice = await staff(server, "alice")
    status, answer = await alice.call("GET", "/api/identity")
    assert status == 200
    info = await crypto_info(server)
    assert answer == {
        "ik": None,
        "wrapped_seed": None,
        "cert": None,
        "state": "none",
        "not_after": None,
        "handle": None,
        "fingerprint": None,
        "org_public_key": info["org_public_key"],
        "kdf_iterations": server.config.kdf_iterations,
    }


async def test_development_mode_certifies_a_new_key_at_once(server: RunningServer) -> None:
    alice = await staff(server, "alice")
    seed = secrets.token_bytes(32)
    ik = certs.identity_public_key(seed)
    before = int(time.time())
    status, answer = await alice.register(seed)
    assert status == 200, answer
    assert answer["state"] == "valid"
    assert answer["ik"] == b64u_encode(ik)
    assert answer["fingerprint"] == certs.fingerprint(ik)
    assert answer["handle"] == "alice"
    assert before + 90 * DAY <= answer["not_after"] <= int(time.time()) + 90 * DAY
    info = await crypto_info(server)
    assert info["development"] is True
    org = b64u_decode(info["org_public_key"])
    assert info["org_fingerprint"] == certs.fingerprint(org)
    cert = certs.verify_certificate(org, b64u_decode(answer["cert"]), int(time.time()))
    assert (cert.ik, cert.handle, cert.not_after) == (ik, "alice", answer["not_after"])
    # Only the browser can unwrap the seed: with the key derived from the password.
    assert unwrap_seed(b64u_decode(answer["wrapped_seed"]), alice.keys.wrapping_key) == seed
    assert (await alice.call("GET", "/api/identity"))[1] == answer
    # And the counsellor may take chats now.
    peer = await alice.socket()
    await peer.send(type="status", status="available", languages=["en"])
    assert (await peer.recv("status"))["status"] == "available"


async def test_replacing_a_key_must_be_asked_for(server: RunningServer) -> None:
    alice = await staff(server, "alice")
    first, second = secrets.token_bytes(32), secrets.token_bytes(32)
    assert (await alice.register(first))[0] == 200
    status, answer = await alice.register(second)
    assert (status, answer) == (409, {"error": "identity_exists"})
    status, answer = await alice.register(second, replace=False)
    assert (status, answer) == (409, {"error": "identity_exists"})
    status, answer = await alice.register(second, replace=True)
    assert status == 200
    assert answer["ik"] == b64u_encode(certs.identity_public_key(second))
    assert answer["state"] == "valid"  # development mode: certified again at once
    # In development mode the replaced key is revoked on the served list.
    info = await crypto_info(server)
    org = b64u_decode(info["org_public_key"])
    listed = certs.verify_revocation_list(
        org, b64u_decode(info["revocation_list"]), int(time.time())
    )
    assert certs.identity_public_key(first) in listed.revoked
    assert certs.identity_public_key(second) not in listed.revoked
    # A revoked key cannot come back.
    status, answer = await alice.register(first, replace=True)
    assert (status, answer) == (409, {"error": "revoked"})


async def test_bad_keys_are_refused(server: RunningServer) -> None:
    alice = await staff(server, "alice")
    bob = await staff(server, "bob")
    seed = secrets.token_bytes(32)
    ik = b64u_encode(certs.identity_public_key(seed))
    wrapped = b64u_encode(wrap_seed(seed, alice.keys.wrapping_key))
    for body, expected in [
        ({"ik": ik[:-2], "wrapped_seed": wrapped}, (400, {"error": "bad_field", "field": "ik"})),
        ({"ik": ik + "=", "wrapped_seed": wrapped}, (400, {"error": "bad_field", "field": "ik"})),
        (
            {"ik": ik, "wrapped_seed": wrapped[:-4]},
            (400, {"error": "bad_field", "field": "wrapped_seed"}),
        ),
        ({"ik": ik}, (400, {"error": "bad_field", "field": "wrapped_seed"})),
        (
            {"ik": ik, "wrapped_seed": wrapped, "replace": "yes"},
            (400, {"error": "bad_field", "field": "replace"}),
        ),
        (
            {"ik": ik, "wrapped_seed": wrapped, "seed": "x"},
            (400, {"error": "bad_field", "field": "seed"}),
        ),
        (
            {"ik": b64u_encode(SMALL_ORDER_KEY), "wrapped_seed": wrapped},
            (400, {"error": "small_order"}),
        ),
    ]:
        assert await alice.call("PUT", "/api/identity", body) == expected, body
    assert (await alice.call("GET", "/api/identity"))[1]["state"] == "none"
    # A foreign page cannot register a key with the counsellor's cookie.
    status, answer = await alice.call(
        "PUT", "/api/identity", {"ik": ik, "wrapped_seed": wrapped}, origin="https://evil.example"
    )
    assert (status, answer) == (403, {"error": "bad_origin"})
    # One key, one account.
    assert (await alice.call("PUT", "/api/identity", {"ik": ik, "wrapped_seed": wrapped}))[0] == 200
    status, answer = await bob.register(seed)
    assert (status, answer) == (409, {"error": "key_in_use"})


async def test_without_a_certified_key_no_chats(server_factory: ServerFactory) -> None:
    org_seed = secrets.token_bytes(32)
    server = await server_factory(org_public_key=b64u_encode(certs.org_public_key(org_seed)))
    alice = await staff(server, "alice")
    peer = await alice.socket()
    await peer.send(type="status", status="available", languages=["en"])
    error = await peer.recv("error")
    assert error["code"] == "not_allowed"
    assert "identity key" in error["message"]
    # Registered but not certified yet (production mode): still not.
    status, answer = await alice.register(secrets.token_bytes(32))
    assert (status, answer["state"]) == (200, "pending")
    await peer.send(type="status", status="available", languages=["en"])
    error = await peer.recv("error")
    assert error["code"] == "not_allowed"
    assert "certificate" in error["message"]
    # Going away is always allowed.
    await peer.send(type="status", status="away")
    assert (await peer.recv("status"))["status"] == "away"


# -- password change ------------------------------------------------------------------


async def test_a_password_change_rewraps_the_seed(server: RunningServer) -> None:
    alice = await staff(server, "alice")
    seed = secrets.token_bytes(32)
    assert (await alice.register(seed))[0] == 200
    other_status, _, other_cookie = await sign_in(server, "alice")  # a second device
    assert other_status == 200
    new_salt = secrets.token_bytes(16)
    new_keys = derive_password_keys("a new password", new_salt, server.config.kdf_iterations)
    change = {
        "secret": b64u_encode(alice.keys.login_secret),
        "new_secret": b64u_encode(new_keys.login_secret),
        "new_salt": b64u_encode(new_salt),
        "wrapped_seed": b64u_encode(wrap_seed(seed, new_keys.wrapping_key)),
    }
    # The current secret is checked first, and the seed must come re-wrapped.
    wrong = {**change, "secret": b64u_encode(new_keys.login_secret)}
    assert await alice.call("POST", "/api/password", wrong) == (401, {"error": "bad_credentials"})
    no_seed = {k: v for k, v in change.items() if k != "wrapped_seed"}
    assert await alice.call("POST", "/api/password", no_seed) == (
        400,
        {"error": "bad_field", "field": "wrapped_seed"},
    )
    weaker = {**change, "new_iterations": server.config.kdf_iterations - 1}
    assert await alice.call("POST", "/api/password", weaker) == (
        400,
        {"error": "bad_field", "field": "new_iterations"},
    )
    assert (await alice.call("POST", "/api/password", change, origin="https://evil.example"))[
        0
    ] == 403
    status, answer = await alice.call("POST", "/api/password", change)
    assert (status, answer) == (200, {"iterations": server.config.kdf_iterations})

    # The new salt is served, the new password signs in, the old one does not.
    assert b64u_decode((await salt_of(server, "alice"))["salt"]) == new_salt
    assert (await sign_in(server, "alice", PASSWORD))[0] == 401
    assert (await sign_in(server, "alice", "a new password"))[0] == 200
    # The seed unwraps with the new wrapping key only; the key itself is unchanged.
    status, identity = await alice.call("GET", "/api/identity")
    assert status == 200
    wrapped = b64u_decode(identity["wrapped_seed"])
    assert unwrap_seed(wrapped, new_keys.wrapping_key) == seed
    assert identity["ik"] == b64u_encode(certs.identity_public_key(seed))
    assert identity["state"] == "valid"
    # This session goes on; the other device is signed out.
    assert (await alice.call("GET", "/api/me"))[0] == 200
    assert (await call(server, "GET", "/api/me", cookie=other_cookie))[0] == 401


async def test_a_password_change_without_a_key(server: RunningServer) -> None:
    alice = await staff(server, "alice")
    new_salt = secrets.token_bytes(16)
    new_keys = derive_password_keys("another password", new_salt, 5000)
    change = {
        "secret": b64u_encode(alice.keys.login_secret),
        "new_secret": b64u_encode(new_keys.login_secret),
        "new_salt": b64u_encode(new_salt),
        "new_iterations": 5000,
    }
    seedless = {**change, "wrapped_seed": b64u_encode(bytes(72))}
    assert await alice.call("POST", "/api/password", seedless) == (409, {"error": "no_identity"})
    assert await alice.call("POST", "/api/password", change) == (200, {"iterations": 5000})
    assert await salt_of(server, "alice") == {"salt": b64u_encode(new_salt), "iterations": 5000}
    assert (await sign_in(server, "alice", "another password"))[0] == 200
