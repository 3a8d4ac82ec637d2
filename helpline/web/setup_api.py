"""First start: the one-time link that creates the first supervisor (docs/protocol.md §6.8).

When the database has no account at start, the server makes a random token
(256 bits, in memory only, valid ``setup_token_ttl_s``, good for one use) and
prints ``http://<host>:<port>/staff/setup#<token>`` on standard output (never
to the log). The token travels in the URL's fragment, which a browser never
sends in a request line, so no proxy's access log sees it; the setup page reads
it and sends it in the body of ``POST /api/setup``.

- ``GET /api/setup`` → ``{"needed": bool, "iterations": n}``: whether there is
  no account yet, and the PBKDF2 iteration count to derive the login secret with.
- ``POST /api/setup`` ``{"token", "username", "salt", "secret", "iterations"}``
  → 201 and a session for the new supervisor (the answer and cookie of
  ``POST /api/login``); 403 ``bad_token`` (wrong, used or expired), 409
  ``already_set_up`` (an account exists), 400 ``bad_field``.

The route is in :data:`helpline.web.api.SESSIONLESS`: it proves itself with the
token, not a session.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable

from aiohttp import web

from helpline.core.staff import Role
from helpline.errors import StoreError
from helpline.store.models import KDF_SALT_BYTES
from helpline.store.passwords import hash_secret
from helpline.web.admin_audit_api import record
from helpline.web.admin_forms import check_username, kdf_iterations
from helpline.web.api import ApiError, Body
from helpline.web.keys import CONFIG, DATABASE
from helpline.web.staff_api import SECRET_BYTES, start_session

SETUP_PATH = "/staff/setup"
TOKEN_BYTES = 32

FIRST_START_HINT = """\
No staff accounts yet. Open this link within {within} to create the first
supervisor (it works once; behind a reverse proxy use your public address instead of
{origin}):

    {origin}{path}#{token}

or create one on this machine with:

    python -m helpline account add --username admin --role supervisor \\
        --languages {languages} --capacity 1 --password-stdin
"""


class SetupToken:
    """The first-start token: compared in constant time, used once, expiring."""

    __slots__ = ("_clock", "_expires_at", "_used", "token")

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.time) -> None:
        self.token = secrets.token_urlsafe(TOKEN_BYTES)
        self._clock = clock
        self._expires_at = clock() + ttl_s
        self._used = False

    def take(self, given: str) -> bool:
        """True once, for the right token before it expires."""
        fresh = not self._used and self._clock() < self._expires_at
        right = hmac.compare_digest(given.encode("utf-8", "replace"), self.token.encode("ascii"))
        if fresh and right:
            self._used = True
            return True
        return False

    def give_back(self) -> None:
        """The account could not be created (a database error): the link still works."""
        self._used = False


SETUP = web.AppKey("setup_token", SetupToken)

routes = web.RouteTableDef()


async def first_start(app: web.Application) -> None:
    """Make the token and print the link when there is no account (at start)."""
    config = app[CONFIG]
    if await app[DATABASE].accounts.count() != 0:
        return
    setup = SetupToken(config.setup_token_ttl_s)
    app[SETUP] = setup
    print(
        FIRST_START_HINT.format(
            within=_minutes(config.setup_token_ttl_s),
            origin=_local_origin(config.host, config.port),
            path=SETUP_PATH,
            token=setup.token,
            languages=config.languages[0],
        ),
        flush=True,
    )


def _minutes(seconds: float) -> str:
    minutes = max(1, int(seconds // 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def _local_origin(host: str, port: int) -> str:
    """Where a browser on this machine reaches the server: a wildcard address (listen
    everywhere) is not one a browser can open, so it becomes the loopback address."""
    if host in ("", "0.0.0.0"):  # noqa: S104 - recognising it, not binding to it
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal in a URL
    return f"http://{host}:{port}"


@routes.get("/api/setup")
async def get_setup(request: web.Request) -> web.Response:
    needed = await request.app[DATABASE].accounts.count() == 0
    return web.json_response({"needed": needed, "iterations": request.app[CONFIG].kdf_iterations})


@routes.post("/api/setup")
async def post_setup(request: web.Request) -> web.Response:
    body = await Body.read(request, ("token", "username", "salt", "secret", "iterations"))
    token = body.text("token", 64)
    username = check_username(body)
    salt = body.data("salt", KDF_SALT_BYTES)
    secret = body.data("secret", SECRET_BYTES)
    iterations = kdf_iterations(body, request.app[CONFIG])
    database = request.app[DATABASE]
    if await database.accounts.count() != 0:
        raise ApiError(409, "already_set_up")
    setup = request.app.get(SETUP)
    if setup is None or not setup.take(token):
        raise ApiError(403, "bad_token")
    config = request.app[CONFIG]
    try:
        password_hash = await hash_secret(secret, config.password_cost)
        if await database.accounts.count() != 0:  # another request won meanwhile
            raise ApiError(409, "already_set_up")
        account = await database.accounts.create(
            username,
            Role.SUPERVISOR,
            (),
            1,
            password_hash,
            kdf_salt=salt,
            kdf_iterations=iterations,
        )
    except StoreError:
        setup.give_back()
        raise
    await record(request.app, username, "setup", f"first supervisor {username} created")
    return await start_session(request, account, password_hash, status=201)
