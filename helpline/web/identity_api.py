"""Identity keys, the organisation key and its revocation list over HTTP
(docs/protocol.md §6).

- ``GET /api/crypto`` (public): what a seeker's page needs to check counsellors.
- ``GET``/``PUT /api/identity`` (staff session): the counsellor's own key.
- ``/api/admin/…`` (supervisor session): list keys, upload certificates and
  revocation lists signed offline with the organisation key.

Everything served here is public material or wrapped beyond the server's reach
(the seed is sealed under a key derived from the counsellor's password).
"""

from __future__ import annotations

import time

from aiohttp import web

from crypto import certs
from crypto.encoding import b64u_encode
from helpline.store.identity import IdentityKey, ListedKey
from helpline.web.admin_audit_api import record
from helpline.web.api import ApiError, Body, signed_in, supervisor
from helpline.web.keys import CONFIG, HUB, TRUST
from helpline.web.trust import TrustError, key_state

IDENTITY_KEY_BYTES = 32
WRAPPED_SEED_BYTES = 24 + 32 + 16  # nonce ‖ secretbox(seed): crypto.password.wrap_seed
MAX_CERT_BYTES = 512
MAX_LIST_BYTES = 256 * 1024  # about 8,000 revoked keys
MAX_LIST_BODY = MAX_LIST_BYTES * 4 // 3 + 1024

routes = web.RouteTableDef()


def _b64(value: bytes | None) -> str | None:
    return None if value is None else b64u_encode(value)


def _refused(exc: TrustError) -> ApiError:
    return ApiError(exc.status, exc.code)


def _identity_view(request: web.Request, key: IdentityKey | None) -> web.Response:
    org = request.app[TRUST].org
    return web.json_response(
        {
            "ik": _b64(key.ik) if key else None,
            "wrapped_seed": _b64(key.wrapped_seed) if key else None,
            "cert": _b64(key.cert) if key else None,
            "state": key_state(key, time.time()),
            "not_after": key.not_after if key else None,
            "handle": key.handle if key else None,
            "fingerprint": certs.fingerprint(key.ik) if key else None,
            "org_public_key": b64u_encode(org.public_key),
            "kdf_iterations": request.app[CONFIG].kdf_iterations,
        }
    )


@routes.get("/api/crypto")
async def crypto_info(request: web.Request) -> web.Response:
    trust = request.app[TRUST]
    stored = await trust.current_revocation_list()
    return web.json_response(
        {
            "org_public_key": b64u_encode(trust.org.public_key),
            "org_fingerprint": trust.org.fingerprint,
            "revocation_list": None if stored is None else b64u_encode(stored.blob),
            "development": trust.org.development,
        }
    )


@routes.get("/api/identity")
async def get_identity(request: web.Request) -> web.Response:
    account = await signed_in(request)
    return _identity_view(request, await request.app[TRUST].identity(account))


@routes.put("/api/identity")
async def put_identity(request: web.Request) -> web.Response:
    account = await signed_in(request)
    body = await Body.read(request, ("ik", "wrapped_seed", "replace"))
    ik = body.data("ik", IDENTITY_KEY_BYTES)
    wrapped_seed = body.data("wrapped_seed", WRAPPED_SEED_BYTES)
    replace = body.flag("replace")
    try:
        key = await request.app[TRUST].register(account, ik, wrapped_seed, replace=replace)
    except TrustError as exc:
        raise _refused(exc) from None
    request.app[HUB].recheck_staff([account.id])
    return _identity_view(request, key)


# -- administration (supervisors) ----------------------------------------------------


def _listed(item: ListedKey, now: float) -> dict[str, object]:
    key = item.key
    return {
        "account_id": key.account_id,
        "username": item.username,
        # The certified handle, or the one a certificate should carry: the username.
        "handle": key.handle if key.handle is not None else item.username,
        "ik": b64u_encode(key.ik),
        "fingerprint": certs.fingerprint(key.ik),
        "state": key_state(key, now),
        "not_after": key.not_after,
    }


@routes.get("/api/admin/keys")
async def admin_keys(request: web.Request) -> web.Response:
    await supervisor(request)
    now = time.time()
    listing = await request.app[TRUST].database.identity.listing()
    return web.json_response([_listed(item, now) for item in listing])


@routes.put("/api/admin/keys/{account_id}/certificate")
async def admin_certificate(request: web.Request) -> web.Response:
    me = await supervisor(request)
    try:
        account_id = int(request.match_info["account_id"], 10)
    except ValueError:
        raise ApiError(404, "not_found") from None
    body = await Body.read(request, ("cert",))
    cert = body.data("cert", max_length=MAX_CERT_BYTES)
    trust = request.app[TRUST]
    try:
        key = await trust.certify(account_id, cert)
    except TrustError as exc:
        raise _refused(exc) from None
    request.app[HUB].recheck_staff([account_id])  # may take chats from now on
    account = await trust.database.accounts.get(account_id)
    username = account.username if account is not None else ""
    await record(
        request.app,
        me.username,
        "key.certify",
        f"certificate for {username}'s key {certs.fingerprint(key.ik)} stored",
    )
    return web.json_response(_listed(ListedKey(username, key), time.time()))


@routes.get("/api/admin/revocations")
async def admin_revocations(request: web.Request) -> web.Response:
    await supervisor(request)
    stored = await request.app[TRUST].current_revocation_list()
    return web.json_response(
        {
            "list": None if stored is None else b64u_encode(stored.blob),
            "issued_at": None if stored is None else stored.issued_at,
        }
    )


@routes.put("/api/admin/revocations")
async def admin_put_revocations(request: web.Request) -> web.Response:
    me = await supervisor(request)
    body = await Body.read(request, ("list",), MAX_LIST_BODY)
    blob = body.data("list", max_length=MAX_LIST_BYTES)
    try:
        stored, newly = await request.app[TRUST].store_revocation_list(blob)
    except TrustError as exc:
        raise _refused(exc) from None
    request.app[HUB].recheck_staff(newly)
    await record(
        request.app,
        me.username,
        "key.revocations",
        f"revocation list of {stored.issued_at} stored ({len(newly)} keys revoked now)",
    )
    return web.json_response(
        {"list": b64u_encode(stored.blob), "issued_at": stored.issued_at, "revoked": len(newly)}
    )
