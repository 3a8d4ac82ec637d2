"""The administration audit log over HTTP (docs/protocol.md §6.7), and how the web
layer writes to it.

``GET /api/admin/audit?before=<id>&limit=<n>`` (supervisors) →
``{"entries": [{"id", "at", "actor", "action", "detail"}]}``, newest first;
``limit`` 1 to 200 (default 50), ``before`` an id from the previous page.

:func:`record` is called by every administrative handler after its change
succeeded. A failure to write the log is logged (the code only) and does not
undo the change: the change has happened and the supervisor must see so.
"""

from __future__ import annotations

import logging
import time

from aiohttp import web

from helpline.errors import StoreError
from helpline.store.audit import MAX_PAGE
from helpline.web.admin_forms import bad
from helpline.web.api import supervisor
from helpline.web.keys import DATABASE

log = logging.getLogger(__name__)

routes = web.RouteTableDef()


async def record(app: web.Application, actor: str, action: str, detail: str) -> None:
    """One entry: ``actor`` a username (or ``server``), never anything about a seeker."""
    try:
        await app[DATABASE].audit.add(actor, action, detail, time.time())
    except StoreError as exc:
        log.warning("could not write the audit log: %s", exc.code)


def _whole(request: web.Request, name: str, low: int, high: int, default: int | None) -> int | None:
    raw = request.query.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12 or not low <= int(raw) <= high:
        raise bad(name, f"{name} is a whole number from {low} to {high}.")
    return int(raw)


@routes.get("/api/admin/audit")
async def audit(request: web.Request) -> web.Response:
    await supervisor(request)
    limit = _whole(request, "limit", 1, MAX_PAGE, 50)
    before = _whole(request, "before", 1, 2**53, None)
    assert limit is not None
    entries = await request.app[DATABASE].audit.list(before, limit)
    return web.json_response(
        {
            "entries": [
                {"id": e.id, "at": e.at, "actor": e.actor, "action": e.action, "detail": e.detail}
                for e in entries
            ]
        }
    )
