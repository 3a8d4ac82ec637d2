"""Shared pieces of the staff HTTP API (docs/protocol.md §6): JSON bodies,
error answers, sessions and roles.

A handler raises :class:`ApiError`; :func:`api_route` (which every API route is
wrapped in, :func:`api_routes`) turns it into ``{"error": code, ...}`` with its
status, and refuses state-changing requests from a foreign ``Origin`` or
without the session's CSRF token first.
Request bodies are read with a size limit and checked field by field into
typed values here, so that no raw ``dict`` travels further than the handler
that read it.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable, Collection

from aiohttp import web

from crypto.encoding import b64u_decode, b64u_encode
from crypto.errors import CryptoError
from helpline.core.staff import Role, StaffAccount
from helpline.web.keys import CONFIG, DATABASE
from helpline.web.security import STATE_CHANGING, origin_allowed

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SESSION_COOKIE = "helpline_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_LABEL = b"HLP1/csrf"
RELOAD_LABEL = b"HLP1/reload"
MAX_BODY = 16 * 1024
#: Routes that never use the staff session, so need no CSRF token even when a browser
#: sends the cookie along: a login (it proves itself with the login secret, and the
#: browser may still hold a stale cookie) and the seeker page's feedback (the page
#: shares the origin, and a counsellor trying it out carries the cookie), and the
#: first start's setup (it proves itself with the one-time token, §6.8).
SESSIONLESS = frozenset({"/api/login", "/api/feedback", "/api/setup"})

#: The server secret (32 random bytes kept in the database, ``settings``): the key of
#: the CSRF tokens, the reload keys, the fake salts and the TOTP sealing key, each with
#: its own label.
SERVER_SECRET = web.AppKey("server_secret", bytes)


class ApiError(Exception):
    """A refused request: answered with ``status`` and ``{"error": code, **extra}``."""

    def __init__(self, status: int, code: str, **extra: object) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.extra = extra

    def response(self) -> web.Response:
        headers = {}
        retry = self.extra.get("retry_after_s")
        if isinstance(retry, int):
            headers["Retry-After"] = str(retry)
        return web.json_response(
            {"error": self.code, **self.extra}, status=self.status, headers=headers
        )


def csrf_token(secret: bytes, session_token: str) -> str:
    """The CSRF token of a session: b64u(HMAC-SHA256(secret, "HLP1/csrf" ‖ token)).

    Stateless: nothing is stored, and it lives exactly as long as the session.
    A page of another site cannot read it (the login answer and ``GET /api/me``
    are same-origin JSON), so it cannot send it either (docs/protocol.md §6.3).
    """
    return _session_mac(secret, CSRF_LABEL, session_token)


def reload_key(secret: bytes, session_token: str) -> str:
    """The reload key of a session: b64u(HMAC-SHA256(secret, "HLP1/reload" ‖ token)).

    The workspace mixes it into the key of the sealed state it keeps across a page
    reload, so a blob left on disk cannot be opened once the session is gone (the
    value is only ever given to the session's own page: login answer, ``GET /api/me``;
    docs/protocol.md §6.1). Stateless like :func:`csrf_token`, with its own label.
    """
    return _session_mac(secret, RELOAD_LABEL, session_token)


def _session_mac(secret: bytes, label: bytes, session_token: str) -> str:
    mac = hmac.new(secret, label + session_token.encode("utf-8"), hashlib.sha256)
    return b64u_encode(mac.digest())


def csrf_allowed(request: web.Request) -> bool:
    """True when the request has no session cookie, or the header carries its token."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return True
    given = request.headers.get(CSRF_HEADER, "")
    expected = csrf_token(request.app[SERVER_SECRET], token)
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("ascii"))


def api_route(handler: Handler, *, csrf: bool = True) -> Handler:
    """The staff API's rules around one handler: a state-changing request from a
    foreign ``Origin`` is refused with 403 ``bad_origin``, one with the session
    cookie but without its CSRF token (``csrf``: unless the route never uses the
    session) with 403 ``bad_csrf`` (docs/protocol.md §6.3), and an
    :class:`ApiError` becomes its answer.

    A wrapper per API route rather than application middlewares: a middleware
    wraps every handler, WebSocket handlers included, and its frame then stays
    in memory as long as each socket is open (some 800 bytes per connection).
    """

    @functools.wraps(handler)
    async def api_handler(request: web.Request) -> web.StreamResponse:
        if request.method in STATE_CHANGING:
            if not origin_allowed(request):
                return web.json_response({"error": "bad_origin"}, status=403)
            if csrf and not csrf_allowed(request):
                return web.json_response({"error": "bad_csrf"}, status=403)
        try:
            return await handler(request)
        except ApiError as exc:
            return exc.response()

    return api_handler


def api_routes(*tables: web.RouteTableDef) -> list[web.RouteDef]:
    """The routes of ``tables``, each handler wrapped in :func:`api_route` (with the
    CSRF check unless its path is in :data:`SESSIONLESS`)."""
    wrapped = []
    for table in tables:
        for route in table:
            assert isinstance(route, web.RouteDef)
            assert not isinstance(route.handler, type)  # functions, not class-based views
            wrapped.append(
                web.RouteDef(
                    route.method,
                    route.path,
                    api_route(route.handler, csrf=route.path not in SESSIONLESS),
                    route.kwargs,
                )
            )
    return wrapped


async def read_json_object(request: web.Request, max_bytes: int) -> dict[str, object]:
    """The request's body as a JSON object of at most ``max_bytes`` (else 413
    ``too_large``, 400 ``bad_json``); its fields are the caller's to check."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise ApiError(413, "too_large")
    # read() returns what is buffered so far: collect until the end of the body,
    # which may arrive in pieces over a slow link (Tor, a phone).
    raw = b""
    while len(raw) <= max_bytes:
        chunk = await request.content.read(max_bytes + 1 - len(raw))
        if not chunk:
            break
        raw += chunk
    if len(raw) > max_bytes:
        raise ApiError(413, "too_large")
    try:
        fields = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "bad_json") from None
    if not isinstance(fields, dict):
        raise ApiError(400, "bad_json")
    return fields


class Body:
    """A JSON object from a request, read field by field with types checked."""

    __slots__ = ("_fields",)

    def __init__(self, fields: dict[str, object]) -> None:
        self._fields = fields

    @classmethod
    async def read(
        cls,
        request: web.Request,
        allowed: Collection[str],
        max_bytes: int = MAX_BODY,
    ) -> Body:
        """The body as an object whose keys are all in ``allowed`` (else 400 bad_field)."""
        fields = await read_json_object(request, max_bytes)
        for name in fields:
            if name not in allowed:
                raise ApiError(400, "bad_field", field=name)
        return cls(fields)

    def has(self, name: str) -> bool:
        return self._fields.get(name) is not None

    def raw(self, name: str) -> object:
        """The field as JSON gave it (None when absent), for checks done elsewhere."""
        return self._fields.get(name)

    def text(self, name: str, max_length: int) -> str:
        value = self._fields.get(name)
        if not isinstance(value, str) or not 0 < len(value) <= max_length:
            raise ApiError(400, "bad_field", field=name)
        try:
            value.encode("utf-8")  # JSON allows lone surrogates ("\ud800"); nothing else does
        except UnicodeEncodeError:
            raise ApiError(400, "bad_field", field=name) from None
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        value = self._fields.get(name, default)
        if not isinstance(value, bool):
            raise ApiError(400, "bad_field", field=name)
        return value

    def integer(self, name: str, low: int, high: int) -> int:
        value = self._fields.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ApiError(400, "bad_field", field=name)
        return value

    def data(self, name: str, length: int | None = None, max_length: int = 4096) -> bytes:
        """A base64url field (strict, no padding), of exactly ``length`` bytes if given."""
        value = self._fields.get(name)
        if not isinstance(value, str) or len(value) > (max_length * 4 + 2) // 3:
            raise ApiError(400, "bad_field", field=name)
        try:
            return b64u_decode(value, length)
        except CryptoError:
            raise ApiError(400, "bad_field", field=name) from None


async def current_account(request: web.Request) -> StaffAccount | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    config = request.app[CONFIG]
    return await request.app[DATABASE].sessions.lookup(token, time.time(), config.session_idle_s)


async def signed_in(request: web.Request) -> StaffAccount:
    """The session's account, or 401 ``unauthorized``."""
    account = await current_account(request)
    if account is None:
        raise ApiError(401, "unauthorized")
    return account


async def supervisor(request: web.Request) -> StaffAccount:
    """The session's account if it is a supervisor's; 401 or 403 ``forbidden``."""
    account = await signed_in(request)
    if account.role is not Role.SUPERVISOR:
        raise ApiError(403, "forbidden")
    return account
