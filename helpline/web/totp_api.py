"""Enrolling and removing the staff second factor over HTTP (docs/protocol.md §6.5).

``POST /api/totp/enrol`` makes a pending secret (a new enrol replaces it) and
answers it with its ``otpauth://`` URI; ``GET /api/totp/qr`` draws that URI as
an SVG QR code; ``POST /api/totp/confirm`` turns TOTP on with a code of the
pending secret (so the app surely has it); ``POST /api/totp/disable`` turns it
off with a current code. All three also need the current login ``secret``
(checked as ``POST /api/password`` does), so a session alone (perhaps left open
on a shared computer) cannot bind another authenticator and lock the owner out.
Wrong secrets and wrong codes count as failed logins of the account (the login
limiter), so the session cannot be used to guess either; only a whole success
clears the count. While TOTP is on, a new enrolment is refused (409
``totp_enabled``): a stolen session must not be able to move the second factor
to another phone.
"""

from __future__ import annotations

import time

from aiohttp import web

from helpline.core.staff import StaffAccount
from helpline.store.passwords import verify_secret
from helpline.web import totp
from helpline.web.api import SERVER_SECRET, SESSION_COOKIE, ApiError, Body, signed_in
from helpline.web.keys import DATABASE, HUB
from helpline.web.staff_api import LOGIN_LIMITER, SECRET_BYTES, rate_limited

MAX_BODY = 512

routes = web.RouteTableDef()


def _key(request: web.Request) -> bytes:
    return totp.sealing_key(request.app[SERVER_SECRET])


def _open(request: web.Request, sealed: bytes) -> str:
    try:
        return totp.unseal(_key(request), sealed)
    except totp.SealError:
        raise ApiError(409, "no_enrolment") from None


async def _read(request: web.Request, *, with_code: bool) -> tuple[bytes, str]:
    """The body's ``secret`` and (with ``with_code``) its ``code``, else ``""``."""
    fields = ("secret", "code") if with_code else ("secret",)
    body = await Body.read(request, fields, MAX_BODY)
    secret = body.data("secret", SECRET_BYTES)
    code = ""
    if with_code:
        code = body.text("code", totp.DIGITS)
        if not totp.is_code(code):
            raise ApiError(400, "bad_field", field="code")
    return secret, code


async def _authorised(request: web.Request, account: StaffAccount, *, with_code: bool) -> str:
    """The body's ``code`` (``""`` without ``with_code``), once the body's ``secret`` is
    the account's current login secret and the account is not locked out.

    As ``POST /api/password``: 429 while locked, 401 ``bad_credentials`` for a wrong
    secret (counted as a failed login). A right secret does not clear the count yet:
    only the whole request's success does (:func:`_succeeded`), so right secrets
    cannot be mixed in to wipe the count of wrong codes."""
    secret, code = await _read(request, with_code=with_code)
    limiter = request.app[LOGIN_LIMITER]
    wait = limiter.retry_after(account.username, time.time())
    if wait > 0:
        raise rate_limited(wait)
    stored = await request.app[DATABASE].accounts.password_hash(account.id)
    if stored is None or not await verify_secret(stored, secret):
        limiter.failed(account.username, time.time())
        raise ApiError(401, "bad_credentials")
    return code


def _succeeded(request: web.Request, account: StaffAccount) -> None:
    request.app[LOGIN_LIMITER].succeeded(account.username)


def _wrong_code(request: web.Request, account: StaffAccount) -> ApiError:
    request.app[LOGIN_LIMITER].failed(account.username, time.time())
    return ApiError(400, "bad_code")


@routes.post("/api/totp/enrol")
async def enrol(request: web.Request) -> web.Response:
    account = await signed_in(request)
    await _authorised(request, account, with_code=False)
    secret = totp.new_secret()
    if not await request.app[DATABASE].totp.set_pending(
        account.id, totp.seal(_key(request), secret)
    ):
        raise ApiError(409, "totp_enabled")
    _succeeded(request, account)
    return web.json_response(
        {"secret": secret, "uri": totp.provisioning_uri(secret, account.username)}
    )


@routes.get("/api/totp/qr")
async def qr(request: web.Request) -> web.Response:
    account = await signed_in(request)
    record = await request.app[DATABASE].totp.get(account.id)
    if record is None or record.pending_secret is None:
        raise ApiError(404, "not_found")
    uri = totp.provisioning_uri(_open(request, record.pending_secret), account.username)
    return web.Response(
        body=totp.qr_svg(uri),
        content_type="image/svg+xml",
        headers={"Cache-Control": "no-store"},  # it shows the secret
    )


@routes.post("/api/totp/confirm")
async def confirm(request: web.Request) -> web.Response:
    account = await signed_in(request)
    code = await _authorised(request, account, with_code=True)
    database = request.app[DATABASE]
    record = await database.totp.get(account.id)
    if record is not None and record.enabled:
        raise ApiError(409, "totp_enabled")
    if record is None or record.pending_secret is None:
        raise ApiError(409, "no_enrolment")
    step = totp.matching_step(_open(request, record.pending_secret), code, time.time())
    if step is None:
        raise _wrong_code(request, account)
    if not await database.totp.confirm(account.id, record.pending_secret, step):
        raise ApiError(409, "conflict")  # enrolled again meanwhile: confirm that one
    _succeeded(request, account)
    # Sessions begun before the second factor (perhaps not by this person) end.
    token = request.cookies.get(SESSION_COOKIE, "")
    await database.sessions.delete_others(account.id, token)
    request.app[HUB].end_sessions(account_id=account.id, keep=token)
    return web.json_response({"totp": True})


@routes.post("/api/totp/disable")
async def disable(request: web.Request) -> web.Response:
    account = await signed_in(request)
    code = await _authorised(request, account, with_code=True)
    database = request.app[DATABASE]
    record = await database.totp.get(account.id)
    if record is None or record.secret is None:
        raise ApiError(409, "no_totp")
    step = totp.matching_step(_open(request, record.secret), code, time.time())
    if step is None or not await database.totp.disable(account.id, step):
        raise _wrong_code(request, account)
    _succeeded(request, account)
    return web.json_response({"totp": False})
