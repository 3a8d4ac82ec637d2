"""Colleagues and help requests over HTTP (docs/protocol.md §6.4).

- ``GET /api/staff/colleagues`` (any staff session): who a chat could be
  transferred to. One entry per *other* account that is not disabled and whose
  identity key is valid now, with the public key and certificate the HLP1
  TRANSFER frame needs (``CounsellorSession.send_transfer(ik2, cert2)``) and
  the account's presence from the hub: ``status`` (``available``, ``away`` or
  ``offline``) and ``free`` (connected, below capacity, no pending offer).
- ``GET /api/admin/help`` (supervisors): the open help requests,
  ``[{"username", "since"}]``, oldest first. A request holds nothing else.
- ``POST /api/admin/help/{username}/ack`` (supervisors): close the request;
  the counsellor gets ``help {on:false, acknowledged:true}``. 404 ``not_found``
  when none is open.

The rules of every API route (origin, CSRF) come from :func:`helpline.web.api.api_routes`.
"""

from __future__ import annotations

import time

from aiohttp import web

from crypto.encoding import b64u_encode
from helpline.errors import StoreError
from helpline.web.admin_audit_api import record
from helpline.web.api import ApiError, signed_in, supervisor
from helpline.web.keys import DATABASE, HUB
from helpline.web.trust import key_state

routes = web.RouteTableDef()

MAX_USERNAME = 64


@routes.get("/api/staff/colleagues")
async def colleagues(request: web.Request) -> web.Response:
    me = await signed_in(request)
    database = request.app[DATABASE]
    try:
        accounts = await database.accounts.list()
        keys = {key.account_id: key for key in await database.identity.all()}
    except StoreError:
        raise ApiError(503, "unavailable") from None
    now = time.time()
    switchboard = request.app[HUB].switchboard
    listing: list[dict[str, object]] = []
    for account in accounts:
        key = keys.get(account.id)
        if account.id == me.id or account.disabled or key is None or key.cert is None:
            continue
        if key_state(key, now) != "valid":
            continue
        status, free = switchboard.presence(account.id)
        listing.append(
            {
                "username": account.username,
                "handle": key.handle if key.handle is not None else account.username,
                "languages": list(account.languages),
                "status": status,
                "free": free,
                "ik": b64u_encode(key.ik),
                "cert": b64u_encode(key.cert),
            }
        )
    return web.json_response(listing, headers={"Cache-Control": "no-store"})


@routes.get("/api/admin/help")
async def help_requests(request: web.Request) -> web.Response:
    await supervisor(request)
    open_requests = request.app[HUB].switchboard.help_requests()
    return web.json_response(
        [{"username": username, "since": since} for username, since in open_requests],
        headers={"Cache-Control": "no-store"},
    )


@routes.post("/api/admin/help/{username}/ack")
async def acknowledge_help(request: web.Request) -> web.Response:
    me = await supervisor(request)
    username = request.match_info["username"]
    if not 0 < len(username) <= MAX_USERNAME or not request.app[HUB].acknowledge_help(username):
        raise ApiError(404, "not_found")
    await record(request.app, me.username, "help.ack", f"help request of {username} acknowledged")
    return web.Response(status=204)
