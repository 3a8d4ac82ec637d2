"""Enrolling and removing the staff second factor over HTTP (docs/protocol.md §6.5).

``POST /api/totp/enrol`` makes a pending secret (a new enrol replaces it) and
answers it with its ``otpauth://`` URI; ``GET /api/totp/qr`` draws that URI as
an SVG QR code; ``POST /api/totp/confirm`` turns TOTP on with a code of the
pending secret (so the app surely has it); ``POST /api/totp/disable`` turns it
off with a current code. Wrong codes count as failed logins of the account
(the login limiter), so the session cannot be used to guess codes either.
While TOTP is on, a new enrolment is refused (409 ``totp_enabled``): a stolen
session must not be able to move the second factor to another phone.
"""

from __future__ import annotations

import time

from aiohttp import web

from helpline.core.staff import StaffAccount
from helpline.web import totp
from helpline.web.api import SERVER_SECRET, SESSION_COOKIE, ApiError, Body, signed_in
from helpline.web.keys import DATABASE, HUB
from helpline.web.staff_api import LOGIN_LIMITER, rate_limited

MAX_CODE_BODY = 256

routes = web.RouteTableDef()


def _key(request: web.Request) -> bytes:
    return totp.sealing_key(request.app[SERVER_SECRET])


def _open(request: web.Request, sealed: bytes) -> str:
    try:
        return totp.unseal(_key(request), sealed)
    except totp.SealError:
        raise ApiError(409, "no_enrolment") from None


async def _code(request: web.Request, account: StaffAccount) -> str:
    """The body's ``code``, once the account is not locked out."""
    body = await Body.read(request, ("code",), MAX_CODE_BODY)
    code = body.text("code", totp.DIGITS)
    if not totp.is_code(code):
        raise ApiError(400, "bad_field", field="code")
    wait = request.app[LOGIN_LIMITER].retry_after(account.username, time.time())
    if wait > 0:
        raise rate_limited(wait)
    return code


def _wrong_code(request: web.Request, account: StaffAccount) -> ApiError:
    request.app[LOGIN_LIMITER].failed(account.username, time.time())
    return ApiError(400, "bad_code")


@routes.post("/api/totp/enrol")
async def enrol(request: web.Request) -> web.Response:
    account = await signed_in(request)
    secret = totp.new_secret()
    if not await request.app[DATABASE].totp.set_pending(
        account.id, totp.seal(_key(request), secret)
    ):
        raise ApiError(409, "totp_enabled")
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
    code = await _code(request, account)
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
    # Sessions begun before the second factor (perhaps not by this person) end.
    token = request.cookies.get(SESSION_COOKIE, "")
    await database.sessions.delete_others(account.id, token)
    request.app[HUB].end_sessions(account_id=account.id, keep=token)
    return web.json_response({"totp": True})


@routes.post("/api/totp/disable")
async def disable(request: web.Request) -> web.Response:
    account = await signed_in(request)
    code = await _code(request, account)
    database = request.app[DATABASE]
    record = await database.totp.get(account.id)
    if record is None or record.secret is None:
        raise ApiError(409, "no_totp")
    step = totp.matching_step(_open(request, record.secret), code, time.time())
    if step is None or not await database.totp.disable(account.id, step):
        raise _wrong_code(request, account)
    return web.json_response({"totp": False})
