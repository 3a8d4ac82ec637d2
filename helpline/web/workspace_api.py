"""What the counsellor workspace reads besides the socket (docs/protocol.md §6.6):
canned responses, and the server's settings the workspace shows or obeys.

- ``GET /api/canned`` (session): the canned responses of the account's languages.
- ``/api/admin/canned`` (supervisor): list all, add, change, remove.
- ``GET /api/staff/settings`` (session): outcomes, timings, capacity, queue names.

Canned texts are written by supervisors and shown by the workspace as plain
text (never as HTML); control characters other than line breaks and tabs are
refused so that a text cannot reorder or hide itself in a terminal or a log.
"""

from __future__ import annotations

from aiohttp import web

from helpline.errors import StoreError
from helpline.store.canned import CannedResponse, acceptable
from helpline.store.models import CANNED_TEXT_MAX, CANNED_TITLE_MAX
from helpline.web.admin_audit_api import record
from helpline.web.api import ApiError, Body, signed_in, supervisor
from helpline.web.keys import CONFIG, DATABASE, SERVICE

MAX_CANNED_BODY = 4 * CANNED_TEXT_MAX + 1024  # JSON escapes may take several bytes a character

routes = web.RouteTableDef()


def _view(row: CannedResponse) -> dict[str, object]:
    return {"id": row.id, "language": row.language, "title": row.title, "text": row.text}


def _clean(value: str, field: str, *, lines: bool) -> str:
    if not acceptable(value, lines=lines):
        raise ApiError(400, "bad_field", field=field)
    return value


def _title(body: Body) -> str:
    return _clean(body.text("title", CANNED_TITLE_MAX), "title", lines=False)


def _text(body: Body) -> str:
    return _clean(body.text("text", CANNED_TEXT_MAX), "text", lines=True)


def _canned_id(request: web.Request) -> int:
    raw = request.match_info["canned_id"]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise ApiError(404, "not_found")
    return int(raw)


@routes.get("/api/canned")
async def canned(request: web.Request) -> web.Response:
    account = await signed_in(request)
    rows = await request.app[DATABASE].canned.list(account.languages)
    return web.json_response([_view(row) for row in rows])


@routes.get("/api/admin/canned")
async def admin_canned(request: web.Request) -> web.Response:
    await supervisor(request)
    rows = await request.app[DATABASE].canned.list()
    return web.json_response([_view(row) for row in rows])


@routes.post("/api/admin/canned")
async def add_canned(request: web.Request) -> web.Response:
    me = await supervisor(request)
    body = await Body.read(request, ("language", "title", "text"), MAX_CANNED_BODY)
    language = body.text("language", 16)
    if language not in request.app[SERVICE].queues:
        raise ApiError(400, "bad_field", field="language")
    title, text = _title(body), _text(body)
    try:
        row = await request.app[DATABASE].canned.add(language, title, text)
    except StoreError as exc:
        if exc.code == "too_many":
            raise ApiError(409, "too_many") from None
        raise
    await record(
        request.app, me.username, "canned.add", f"canned response {row.id} ({language}) added"
    )
    return web.json_response(_view(row), status=201)


@routes.put("/api/admin/canned/{canned_id}")
async def change_canned(request: web.Request) -> web.Response:
    me = await supervisor(request)
    canned_id = _canned_id(request)
    body = await Body.read(request, ("title", "text"), MAX_CANNED_BODY)
    if not body.has("title") and not body.has("text"):
        raise ApiError(400, "bad_field", field="text")
    title = _title(body) if body.has("title") else None
    text = _text(body) if body.has("text") else None
    row = await request.app[DATABASE].canned.update(canned_id, title=title, text=text)
    if row is None:
        raise ApiError(404, "not_found")
    changed = " and ".join(name for name, value in (("title", title), ("text", text)) if value)
    await record(
        request.app, me.username, "canned.change", f"canned response {row.id}: {changed} changed"
    )
    return web.json_response(_view(row))


@routes.delete("/api/admin/canned/{canned_id}")
async def remove_canned(request: web.Request) -> web.Response:
    me = await supervisor(request)
    canned_id = _canned_id(request)
    if not await request.app[DATABASE].canned.remove(canned_id):
        raise ApiError(404, "not_found")
    await record(request.app, me.username, "canned.remove", f"canned response {canned_id} removed")
    return web.Response(status=204)


@routes.get("/api/staff/settings")
async def staff_settings(request: web.Request) -> web.Response:
    await signed_in(request)
    config = request.app[CONFIG]
    service = request.app[SERVICE]  # the live settings: they change at run time
    return web.json_response(
        {
            "outcomes": list(service.outcomes),
            "wrap_up_s": config.wrap_up_s,  # the pause after each chat; 0 = none
            "offer_timeout_s": config.offer_timeout_s,
            "max_capacity": config.max_capacity,
            "session_idle_s": config.session_idle_s,
            "languages": [{"code": code, "name": service.name(code)} for code in service.queues],
        }
    )
