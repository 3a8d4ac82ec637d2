"""Staff HTTP API: login, logout, who am I (docs/protocol.md §6).

Passwords are checked against Argon2id hashes off the event loop. An unknown
username costs the same hash work as a wrong password, so response times do
not reveal which usernames exist. Rate limiting is per username and global,
never per address (nothing about a client's address is used or kept).
"""

from __future__ import annotations

import json
import time

from aiohttp import web

from helpline.core.ratelimit import LoginLimiter
from helpline.core.staff import StaffAccount
from helpline.store.passwords import hash_password, verify_password
from helpline.web.keys import CONFIG, DATABASE

SESSION_COOKIE = "helpline_session"
MAX_LOGIN_BODY = 4096
MAX_USERNAME = 64
MAX_PASSWORD = 1024

LOGIN_LIMITER = web.AppKey("login_limiter", LoginLimiter)
DUMMY_HASH = web.AppKey("dummy_hash", str)

routes = web.RouteTableDef()


async def setup_login(app: web.Application) -> None:
    config = app[CONFIG]
    app[LOGIN_LIMITER] = LoginLimiter(
        config.login_failures_before_lockout,
        config.login_lockout_max_s,
        config.login_global_per_s,
        time.time(),
    )
    # Verified against for unknown usernames, so that they cost as much as a wrong password.
    app[DUMMY_HASH] = await hash_password(
        "not a real password, only for timing", config.password_cost
    )


async def current_account(request: web.Request) -> StaffAccount | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    config = request.app[CONFIG]
    return await request.app[DATABASE].sessions.lookup(token, time.time(), config.session_idle_s)


def _error(status: int, code: str, **extra: object) -> web.Response:
    return web.json_response({"error": code, **extra}, status=status)


@routes.post("/api/login")
async def login(request: web.Request) -> web.Response:
    if request.content_length is not None and request.content_length > MAX_LOGIN_BODY:
        return _error(413, "too_large")
    try:
        body = json.loads(await request.content.read(MAX_LOGIN_BODY + 1))
    except (ValueError, UnicodeDecodeError):
        return _error(400, "bad_json")
    if not isinstance(body, dict):
        return _error(400, "bad_json")
    username, password = body.get("username"), body.get("password")
    if (
        not isinstance(username, str)
        or not isinstance(password, str)
        or not 0 < len(username) <= MAX_USERNAME
        or not 0 < len(password) <= MAX_PASSWORD
    ):
        return _error(400, "bad_field")
    limiter = request.app[LOGIN_LIMITER]
    wait = limiter.retry_after(username, time.time())
    if wait > 0:
        return web.json_response(
            {"error": "rate_limited", "retry_after_s": int(wait) + 1},
            status=429,
            headers={"Retry-After": str(int(wait) + 1)},
        )
    database = request.app[DATABASE]
    found = await database.accounts.find_login(username)
    stored = found[1] if found is not None else request.app[DUMMY_HASH]
    ok = await verify_password(stored, password)
    if found is None or not ok or found[0].disabled:
        limiter.failed(username, time.time())
        return _error(401, "bad_credentials")
    limiter.succeeded(username)
    account = found[0]
    token = await database.sessions.create(account.id, time.time())
    response = web.json_response({"username": account.username, "role": account.role.value})
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        secure=request.secure,
        path="/",
    )
    return response


@routes.post("/api/logout")
async def logout(request: web.Request) -> web.Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await request.app[DATABASE].sessions.delete(token)
    response = web.Response(status=204)
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


@routes.get("/api/me")
async def me(request: web.Request) -> web.Response:
    account = await current_account(request)
    if account is None:
        return _error(401, "unauthorized")
    return web.json_response(
        {
            "username": account.username,
            "role": account.role.value,
            "languages": list(account.languages),
            "capacity": account.capacity,
        }
    )
