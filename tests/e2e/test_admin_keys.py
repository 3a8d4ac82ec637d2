"""The organisation key, certificates and revocation lists through the admin API
(docs/protocol.md §6), in production mode with an organisation key made here,
and in development mode."""

from __future__ import annotations

import asyncio
import json
import secrets
import stat
import time
from pathlib import Path
from typing import Any

import pytest
from nacl.signing import SigningKey

from crypto import certs
from crypto.encoding import b64u_decode, b64u_encode
from helpline.core.staff import Role
from tests.e2e.conftest import RunningServer, ServerFactory
from tests.e2e.raw import RawPeer
from tests.e2e.test_identity_api import DAY, Staff, call, crypto_info, staff

ORG_SEED = bytes(range(32))
ORG_PUB = certs.org_public_key(ORG_SEED)


@pytest.fixture
async def prod(server_factory: ServerFactory) -> RunningServer:
    return await server_factory(org_public_key=b64u_encode(ORG_PUB))


async def counsellor_with_key(server: RunningServer, username: str) -> tuple[Staff, bytes]:
    person = await staff(server, username)
    seed = secrets.token_bytes(32)
    status, answer = await person.register(seed)
    assert status == 200, answer
    return person, certs.identity_public_key(seed)


def certificate(ik: bytes, handle: str, *, days: float = 30, seed: bytes = ORG_SEED) -> str:
    not_after = int(time.time() + days * DAY)
    return b64u_encode(certs.make_certificate(seed, ik, not_after, handle))


def revocation_list(
    revoked: list[bytes], *, issued_at: int | None = None, days: int = 30, seed: bytes = ORG_SEED
) -> str:
    issued = int(time.time()) if issued_at is None else issued_at
    return b64u_encode(certs.make_revocation_list(seed, issued, issued + days * DAY, revoked))


def hand_signed_list(issued_at: int, expires_at: int, revoked: list[bytes]) -> str:
    """A list the signing tool would refuse to make (HLP1 layout, signed by hand)."""
    body = (
        b"HLP1/revoked\x00"
        + issued_at.to_bytes(8, "big")
        + expires_at.to_bytes(8, "big")
        + len(revoked).to_bytes(4, "big")
        + b"".join(sorted(revoked))
    )
    return b64u_encode(body + SigningKey(ORG_SEED).sign(body).signature)


async def keys_of(admin: Staff) -> dict[str, dict[str, Any]]:
    status, answer = await admin.call("GET", "/api/admin/keys")
    assert status == 200, answer
    assert isinstance(answer, list)
    return {row["username"]: row for row in answer}


async def try_available(person: Staff) -> dict[str, Any]:
    """Ask to go available: the ``status`` or ``error`` frame that answers."""
    peer = await person.socket()
    await peer.send(type="status", status="available", languages=["en"])
    while True:
        frame = json.loads(await asyncio.wait_for(peer.ws.recv(), 10))
        if frame["type"] in ("status", "error"):
            await peer.close()
            return frame  # type: ignore[no-any-return]


# -- production mode --------------------------------------------------------------------


async def test_production_mode_serves_the_configured_key(
    prod: RunningServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await crypto_info(prod) == {
        "org_public_key": b64u_encode(ORG_PUB),
        "org_fingerprint": certs.fingerprint(ORG_PUB),
        "revocation_list": None,
        "development": False,
    }
    assert not (prod.config.data_dir / "dev-org-key.json").exists()
    assert "development mode" not in capsys.readouterr().out


async def test_admin_endpoints_are_for_supervisors(prod: RunningServer) -> None:
    alice, ik = await counsellor_with_key(prod, "alice")
    cert = {"cert": certificate(ik, "alice")}
    listing = {"list": revocation_list([])}
    for method, path, body in [
        ("GET", "/api/admin/keys", None),
        ("PUT", "/api/admin/keys/1/certificate", cert),
        ("GET", "/api/admin/revocations", None),
        ("PUT", "/api/admin/revocations", listing),
    ]:
        assert await alice.call(method, path, body) == (403, {"error": "forbidden"}), path
        status, _ = await call(prod, method, path, body, origin=prod.http)
        assert status == 401, path
    assert (await alice.call("GET", "/api/identity"))[1]["state"] == "pending"


async def test_certifying_a_key(prod: RunningServer) -> None:
    admin = await staff(prod, "admin", role=Role.SUPERVISOR)
    alice, ik = await counsellor_with_key(prod, "alice")
    await counsellor_with_key(prod, "bob")
    listed = await keys_of(admin)
    assert set(listed) == {"alice", "bob"}  # accounts without a key are not listed
    row = listed["alice"]
    assert row == {
        "account_id": row["account_id"],
        "username": "alice",
        "handle": "alice",
        "ik": b64u_encode(ik),
        "fingerprint": certs.fingerprint(ik),
        "state": "pending",
        "not_after": None,
    }
    assert (await try_available(alice))["code"] == "not_allowed"

    cert = certificate(ik, "Alice S.", days=60)
    path = f"/api/admin/keys/{row['account_id']}/certificate"
    status, answer = await admin.call("PUT", path, {"cert": cert})
    assert status == 200, answer
    assert answer["state"] == "valid"
    assert answer["handle"] == "Alice S."
    assert (await keys_of(admin))["alice"]["state"] == "valid"
    assert (await keys_of(admin))["bob"]["state"] == "pending"
    status, identity = await alice.call("GET", "/api/identity")
    assert (identity["state"], identity["cert"], identity["handle"]) == ("valid", cert, "Alice S.")
    assert (await try_available(alice))["status"] == "available"


async def test_bad_certificates_are_refused(prod: RunningServer) -> None:
    admin = await staff(prod, "admin", role=Role.SUPERVISOR)
    _, ik = await counsellor_with_key(prod, "alice")
    _, other = await counsellor_with_key(prod, "bob")
    account_id = (await keys_of(admin))["alice"]["account_id"]
    path = f"/api/admin/keys/{account_id}/certificate"
    now = int(time.time())
    forged_seed = secrets.token_bytes(32)
    expired = b64u_encode(certs.make_certificate(ORG_SEED, ik, now - 10, "alice"))
    too_long = b64u_encode(certs.make_certificate(ORG_SEED, ik, now + 91 * DAY, "alice"))
    flipped = bytearray(b64u_decode(certificate(ik, "alice")))
    flipped[-1] ^= 1
    for body, expected in [
        ({"cert": certificate(other, "alice")}, (400, {"error": "wrong_key"})),
        ({"cert": expired}, (400, {"error": "expired"})),
        ({"cert": too_long}, (400, {"error": "bad_cert"})),
        ({"cert": certificate(ik, "alice", seed=forged_seed)}, (400, {"error": "bad_signature"})),
        ({"cert": b64u_encode(bytes(flipped))}, (400, {"error": "bad_signature"})),
        ({"cert": b64u_encode(b"not a certificate")}, (400, {"error": "bad_cert"})),
        ({"cert": "not base64url!"}, (400, {"error": "bad_field", "field": "cert"})),
        ({}, (400, {"error": "bad_field", "field": "cert"})),
    ]:
        assert await admin.call("PUT", path, body) == expected, body
    assert (await keys_of(admin))["alice"]["state"] == "pending"
    good = {"cert": certificate(ik, "alice")}
    assert await admin.call("PUT", "/api/admin/keys/999/certificate", good) == (
        404,
        {"error": "not_found"},
    )
    assert await admin.call("PUT", "/api/admin/keys/x/certificate", good) == (
        404,
        {"error": "not_found"},
    )
    status, _ = await admin.call("PUT", path, good, origin="https://evil.example")
    assert status == 403


async def test_an_expired_certificate_stops_new_chats(prod: RunningServer) -> None:
    admin = await staff(prod, "admin", role=Role.SUPERVISOR)
    alice, ik = await counsellor_with_key(prod, "alice")
    account_id = (await keys_of(admin))["alice"]["account_id"]
    soon = int(time.time()) + 1
    cert = b64u_encode(certs.make_certificate(ORG_SEED, ik, soon, "alice"))
    status, _ = await admin.call("PUT", f"/api/admin/keys/{account_id}/certificate", {"cert": cert})
    assert status == 200
    await asyncio.sleep(max(0.0, soon + 1.1 - time.time()))
    assert (await keys_of(admin))["alice"]["state"] == "expired"
    assert (await alice.call("GET", "/api/identity"))[1]["state"] == "expired"
    frame = await try_available(alice)
    assert frame["code"] == "not_allowed"
    assert "expired" in frame["message"]


async def test_revoking_a_key(prod: RunningServer) -> None:
    admin = await staff(prod, "admin", role=Role.SUPERVISOR)
    alice, ik = await counsellor_with_key(prod, "alice")
    bob, bob_ik = await counsellor_with_key(prod, "bob")
    for name, key in (("alice", ik), ("bob", bob_ik)):
        account_id = (await keys_of(admin))[name]["account_id"]
        status, _ = await admin.call(
            "PUT", f"/api/admin/keys/{account_id}/certificate", {"cert": certificate(key, name)}
        )
        assert status == 200
    assert await admin.call("GET", "/api/admin/revocations") == (
        200,
        {"list": None, "issued_at": None},
    )
    # Alice is available when her key is revoked: she is set away at once.
    peer = await alice.socket()
    await peer.send(type="status", status="available", languages=["en"])
    assert (await peer.recv("status"))["status"] == "available"

    issued = int(time.time()) - 60
    blob = revocation_list([ik], issued_at=issued)
    status, answer = await admin.call("PUT", "/api/admin/revocations", {"list": blob})
    assert (status, answer) == (200, {"list": blob, "issued_at": issued, "revoked": 1})
    assert (await peer.recv("status"))["status"] == "away"
    await peer.send(type="status", status="available", languages=["en"])
    error = await peer.recv("error")
    assert error["code"] == "not_allowed"
    assert "revoked" in error["message"]
    assert await admin.call("GET", "/api/admin/revocations") == (
        200,
        {"list": blob, "issued_at": issued},
    )
    assert (await crypto_info(prod))["revocation_list"] == blob
    listed = await keys_of(admin)
    assert (listed["alice"]["state"], listed["bob"]["state"]) == ("revoked", "valid")
    assert (await alice.call("GET", "/api/identity"))[1]["state"] == "revoked"
    assert (await try_available(bob))["status"] == "available"

    # A revoked key is never certified again, nor registered anew.
    path = f"/api/admin/keys/{listed['alice']['account_id']}/certificate"
    assert await admin.call("PUT", path, {"cert": certificate(ik, "alice")}) == (
        409,
        {"error": "revoked"},
    )
    # A new key for Alice: pending, then certified, and she may work again.
    seed = secrets.token_bytes(32)
    status, answer = await alice.register(seed, replace=True)
    assert (status, answer["state"]) == (200, "pending")
    new_ik = certs.identity_public_key(seed)
    status, _ = await admin.call("PUT", path, {"cert": certificate(new_ik, "alice")})
    assert status == 200
    assert (await try_available(alice))["status"] == "available"


async def test_bad_revocation_lists_are_refused(prod: RunningServer) -> None:
    admin = await staff(prod, "admin", role=Role.SUPERVISOR)
    _, ik = await counsellor_with_key(prod, "alice")
    now = int(time.time())
    current = revocation_list([], issued_at=now - 100)
    assert (await admin.call("PUT", "/api/admin/revocations", {"list": current}))[0] == 200
    flipped = bytearray(b64u_decode(revocation_list([ik])))
    flipped[-1] ^= 1
    for blob, code in [
        (revocation_list([ik], issued_at=now - 200), "stale_revocation_list"),  # older than stored
        (revocation_list([ik], issued_at=now - 40 * DAY), "stale_revocation_list"),  # expired
        (revocation_list([ik], issued_at=now + 3600), "stale_revocation_list"),  # from the future
        (revocation_list([ik], seed=secrets.token_bytes(32)), "bad_signature"),
        (b64u_encode(bytes(flipped)), "bad_signature"),
        (hand_signed_list(now, now + 36 * DAY, [ik]), "bad_revocation_list"),  # too long
        (b64u_encode(b"HLP1/revoked\x00 and nothing else"), "bad_revocation_list"),
    ]:
        assert await admin.call("PUT", "/api/admin/revocations", {"list": blob}) == (
            400,
            {"error": code},
        ), code
    assert await admin.call("PUT", "/api/admin/revocations", {"list": "?"}) == (
        400,
        {"error": "bad_field", "field": "list"},
    )
    # Nothing changed: the stored list is the current one, Alice's key is still pending.
    assert (await admin.call("GET", "/api/admin/revocations"))[1]["list"] == current
    assert (await keys_of(admin))["alice"]["state"] == "pending"
    # The same list again is fine (not older), and so is a newer one.
    assert (await admin.call("PUT", "/api/admin/revocations", {"list": current}))[0] == 200
    newer = revocation_list([ik], issued_at=now)
    assert (await admin.call("PUT", "/api/admin/revocations", {"list": newer}))[0] == 200


# -- development mode -------------------------------------------------------------------


async def test_development_mode(
    server_factory: ServerFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "dev"
    server = await server_factory(data_dir=data_dir)
    out = capsys.readouterr().out
    assert "WARNING: development mode" in out
    assert "python -m helpline keys init-org" in out
    key_file = data_dir / "dev-org-key.json"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    info = await crypto_info(server)
    assert info["development"] is True
    org = b64u_decode(info["org_public_key"])
    stored = json.loads(key_file.read_text())
    assert certs.org_public_key(b64u_decode(stored["signing_seed"])) == org
    assert info["org_fingerprint"] in out
    # A current revocation list, signed with the development key.
    listed = certs.verify_revocation_list(
        org, b64u_decode(info["revocation_list"]), int(time.time())
    )
    assert listed.revoked == frozenset()
    assert listed.expires_at - listed.issued_at == 30 * DAY

    alice, _ = await counsellor_with_key(server, "alice")
    assert (await alice.call("GET", "/api/identity"))[1]["state"] == "valid"
    assert (await try_available(alice))["status"] == "available"

    # Every start says so again, with the same development key.
    again = await server_factory(data_dir=data_dir)
    assert "WARNING: development mode" in capsys.readouterr().out
    assert (await crypto_info(again))["org_public_key"] == info["org_public_key"]

    # Moving to a real organisation key: development certificates no longer count.
    real = await server_factory(data_dir=data_dir, org_public_key=b64u_encode(ORG_PUB))
    assert "development mode" not in capsys.readouterr().out
    status, identity = await call(real, "GET", "/api/identity", cookie=alice.cookie)
    assert (status, identity["state"], identity["cert"]) == (200, "pending", None)
    assert (await crypto_info(real))["revocation_list"] is None


async def test_a_revoked_counsellor_back_from_a_dropped_connection_is_away(
    prod: RunningServer,
) -> None:
    admin = await staff(prod, "admin", role=Role.SUPERVISOR)
    alice, ik = await counsellor_with_key(prod, "alice")
    account_id = (await keys_of(admin))["alice"]["account_id"]
    path = f"/api/admin/keys/{account_id}/certificate"
    assert (await admin.call("PUT", path, {"cert": certificate(ik, "alice")}))[0] == 200
    peer = await alice.socket()
    await peer.send(type="status", status="available", languages=["en"])
    assert (await peer.recv("status"))["status"] == "available"
    peer.ws.transport.abort()  # dropped: the status is kept for the grace period
    await asyncio.sleep(0.2)
    blob = revocation_list([ik])
    assert (await admin.call("PUT", "/api/admin/revocations", {"list": blob}))[0] == 200
    back = await RawPeer.staff(prod.ws, prod.http, alice.cookie)
    # Revoked while away from the desk: back as away, before anything could be offered.
    assert (await back.recv("welcome"))["status"] == "away"
    seeker = await RawPeer.seeker(prod.ws)
    await seeker.send(type="join", language="en")
    await seeker.recv("welcome")
    await asyncio.sleep(0.3)
    assert not [f for f in back.unread if f["type"] == "offer"]
    assert prod.hub.switchboard.waiting_count() == 1
