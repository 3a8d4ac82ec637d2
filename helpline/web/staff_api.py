"""Staff HTTP API: salt, login, logout, who am I, password change (docs/protocol.md §6).

A login of an account with a second factor (:mod:`helpline.web.totp`) also
needs the current 6-digit code, asked for only once the login secret checked
out (401 ``totp_required``); a wrong or used code counts as a failed login.

The server never receives a password. The client fetches the account's salt
and iteration count (``GET /api/salt``), derives a 32-byte *login secret* with
PBKDF2 (``crypto.password``) and sends that; the server keeps only an Argon2id
hash of the secret. The other value derived from the password, the wrapping
key, never leaves the client.

``GET /api/salt`` answers every username the same way: a username without an
account gets a fake salt, ``HMAC-SHA256(server secret, "HLP1/fake-salt" ‖
username)[0:16]``, stable across requests and restarts, with the configured
iteration count. Secrets are checked against Argon2id hashes off the event
loop, and an unknown username costs the same hash work as a wrong secret, so
neither answers nor response times reveal which usernames exist. Rate limiting
is per username and global, never per address (nothing about a client's
address is used or kept).
"""

from __future__ import annotations

import hashlib
import hmac
import time

from aiohttp import web

from crypto.encoding import b64u_encode
from helpline.core.ratelimit import LoginLimiter, TokenBucket
from helpline.core.staff import StaffAccount
from helpline.store.accounts import KdfParams
from helpline.store.models import KDF_SALT_BYTES
from helpline.store.passwords import hash_secret, verify_secret
from helpline.store.settings import FAKE_SALT_SECRET
from helpline.web import totp
from helpline.web.api import (
    SERVER_SECRET,
    SESSION_COOKIE,
    ApiError,
    Body,
    csrf_token,
    current_account,
    reload_key,
    signed_in,
)
from helpline.web.keys import CONFIG, DATABASE, HUB
from helpline.web.security import is_https

__all__ = [
    "LOGIN_LIMITER",
    "SESSION_COOKIE",
    "current_account",
    "rate_limited",
    "routes",
    "setup_login",
    "start_session",
]

MAX_LOGIN_BODY = 4096
MAX_USERNAME = 64
SECRET_BYTES = 32
WRAPPED_SEED_BYTES = 24 + 32 + 16  # nonce ‖ secretbox(seed): crypto.password.wrap_seed
KDF_ITERATIONS_MAX = 10_000_000
FAKE_SALT_LABEL = b"HLP1/fake-salt"

LOGIN_LIMITER = web.AppKey("login_limiter", LoginLimiter)
SALT_LIMITER = web.AppKey("salt_limiter", TokenBucket)
DUMMY_HASH = web.AppKey("dummy_hash", str)
FAKE_SALT_KEY = web.AppKey("fake_salt_key", bytes)

routes = web.RouteTableDef()


async def setup_login(app: web.Application) -> None:
    config = app[CONFIG]
    now = time.time()
    app[LOGIN_LIMITER] = LoginLimiter(
        config.login_failures_before_lockout,
        config.login_lockout_max_s,
        config.login_global_per_s,
        now,
    )
    # Salt requests have a global budget of their own, as large as the login one.
    app[SALT_LIMITER] = TokenBucket(
        config.login_global_per_s, max(1.0, config.login_global_per_s), now
    )
    # Verified against for unknown usernames, so that they cost as much as a wrong secret.
    app[DUMMY_HASH] = await hash_secret(bytes(SECRET_BYTES), config.password_cost)
    # One server secret, used with a label per purpose (fake salts, CSRF, TOTP sealing).
    app[SERVER_SECRET] = app[FAKE_SALT_KEY] = await app[DATABASE].settings.secret(FAKE_SALT_SECRET)


def fake_salt(key: bytes, username: str) -> bytes:
    """The salt answered for a username that has no account."""
    digest = hmac.new(key, FAKE_SALT_LABEL + username.encode("utf-8"), hashlib.sha256).digest()
    return digest[:KDF_SALT_BYTES]


def rate_limited(wait: float) -> ApiError:
    return ApiError(429, "rate_limited", retry_after_s=int(wait) + 1)


@routes.get("/api/salt")
async def salt(request: web.Request) -> web.Response:
    username = request.query.get("username", "")
    if not 0 < len(username) <= MAX_USERNAME or "\x00" in username:
        raise ApiError(400, "bad_field", field="username")
    if not request.app[SALT_LIMITER].take(time.time()):
        raise rate_limited(0)
    found = await request.app[DATABASE].accounts.kdf_params(username)
    if found is None:
        found = KdfParams(
            fake_salt(request.app[FAKE_SALT_KEY], username), request.app[CONFIG].kdf_iterations
        )
    return web.json_response({"salt": b64u_encode(found.salt), "iterations": found.iterations})


@routes.post("/api/login")
async def login(request: web.Request) -> web.Response:
    body = await Body.read(request, ("username", "secret", "totp"), MAX_LOGIN_BODY)
    username = body.text("username", MAX_USERNAME)
    secret = body.data("secret", SECRET_BYTES)
    code = None
    if body.has("totp"):
        code = body.text("totp", totp.DIGITS)
        if not totp.is_code(code):
            raise ApiError(400, "bad_field", field="totp")
    limiter = request.app[LOGIN_LIMITER]
    wait = limiter.retry_after(username, time.time())
    if wait > 0:
        raise rate_limited(wait)
    # Count the attempt as a failure before the slow check, so that parallel guesses
    # are counted too; a success clears it.
    limiter.failed(username, time.time())
    database = request.app[DATABASE]
    found = await database.accounts.find_login(username)
    stored = found[1] if found is not None else request.app[DUMMY_HASH]
    ok = await verify_secret(stored, secret)
    if found is None or not ok or found[0].disabled:
        raise ApiError(401, "bad_credentials")
    account = found[0]
    # Only now, with the right secret, does the answer say a code is needed.
    await _check_login_code(request, account.id, code)
    limiter.succeeded(username)
    return await start_session(request, account, stored)


async def start_session(
    request: web.Request, account: StaffAccount, verified_hash: str, status: int = 200
) -> web.Response:
    """A new session for ``account``: the login answer and the session cookie (also the
    first start's, :mod:`helpline.web.setup_api`). 401 ``bad_credentials`` when the
    password hash is no longer ``verified_hash``."""
    database = request.app[DATABASE]
    token = await database.sessions.create(account.id, time.time(), verified_hash=verified_hash)
    if token is None:  # the password changed while this login was being checked
        raise ApiError(401, "bad_credentials")
    server_secret = request.app[SERVER_SECRET]
    response = web.json_response(
        {
            "username": account.username,
            "role": account.role.value,
            "csrf": csrf_token(server_secret, token),
            "reload_key": reload_key(server_secret, token),
        },
        status=status,
    )
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        secure=is_https(request),
        path="/",
    )
    return response


async def _check_login_code(request: web.Request, account_id: int, code: str | None) -> None:
    """Nothing when the account has no second factor or ``code`` is fresh and right;
    else 401 ``totp_required`` or ``bad_code`` (the attempt stays counted as failed)."""
    database = request.app[DATABASE]
    record = await database.totp.get(account_id)
    if record is None or record.secret is None:
        return
    if code is None:
        raise ApiError(401, "totp_required")
    key = totp.sealing_key(request.app[SERVER_SECRET])
    try:
        secret = totp.unseal(key, record.secret)
    except totp.SealError:
        raise ApiError(401, "bad_code") from None
    step = totp.matching_step(secret, code, time.time())
    if step is None or not await database.totp.use_step(account_id, step):
        raise ApiError(401, "bad_code")


@routes.post("/api/password")
async def change_password(request: web.Request) -> web.Response:
    """New login secret, salt (and iteration count) and re-wrapped identity seed, at once."""
    account = await signed_in(request)
    config = request.app[CONFIG]
    body = await Body.read(
        request, ("secret", "new_secret", "new_salt", "new_iterations", "wrapped_seed")
    )
    secret = body.data("secret", SECRET_BYTES)
    new_secret = body.data("new_secret", SECRET_BYTES)
    new_salt = body.data("new_salt", KDF_SALT_BYTES)
    iterations = config.kdf_iterations
    if body.has("new_iterations"):
        iterations = body.integer("new_iterations", config.kdf_iterations, KDF_ITERATIONS_MAX)
    wrapped_seed = None
    if body.has("wrapped_seed"):
        wrapped_seed = body.data("wrapped_seed", WRAPPED_SEED_BYTES)
    database = request.app[DATABASE]
    has_key = await database.identity.get(account.id) is not None
    if has_key and wrapped_seed is None:
        raise ApiError(400, "bad_field", field="wrapped_seed")
    if not has_key and wrapped_seed is not None:
        raise ApiError(409, "no_identity")

    limiter = request.app[LOGIN_LIMITER]
    wait = limiter.retry_after(account.username, time.time())
    if wait > 0:
        raise rate_limited(wait)
    stored = await database.accounts.password_hash(account.id)
    if stored is None or not await verify_secret(stored, secret):
        limiter.failed(account.username, time.time())
        raise ApiError(401, "bad_credentials")
    limiter.succeeded(account.username)
    new_hash = await hash_secret(new_secret, config.password_cost)
    changed = await database.accounts.change_login_secret(
        account.id,
        old_hash=stored,
        new_hash=new_hash,
        kdf=KdfParams(new_salt, iterations),
        wrapped_seed=wrapped_seed,
    )
    if not changed:  # changed by another request meanwhile, or the key went away
        raise ApiError(409, "conflict")
    token = request.cookies.get(SESSION_COOKIE, "")
    await database.sessions.delete_others(account.id, token)
    request.app[HUB].end_sessions(account_id=account.id, keep=token)
    return web.json_response({"iterations": iterations})


@routes.post("/api/logout")
async def logout(request: web.Request) -> web.Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await request.app[DATABASE].sessions.delete(token)
        request.app[HUB].end_sessions(token=token)
    response = web.Response(status=204)
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


@routes.get("/api/me")
async def me(request: web.Request) -> web.Response:
    account = await signed_in(request)
    token = request.cookies.get(SESSION_COOKIE, "")
    return web.json_response(
        {
            "username": account.username,
            "role": account.role.value,
            "languages": list(account.languages),
            "capacity": account.capacity,
            "totp": await request.app[DATABASE].totp.enabled(account.id),
            "csrf": csrf_token(request.app[SERVER_SECRET], token),
            "reload_key": reload_key(request.app[SERVER_SECRET], token),
        }
    )
