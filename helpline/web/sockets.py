"""The two WebSocket endpoints (docs/protocol.md §1).

Choices made deliberately against aiohttp's defaults: compression off,
``max_msg_size`` at ``max_frame_bytes`` (aiohttp closes with 1009 above it),
a heartbeat so half-open connections are found, and staff handshakes from a
foreign ``Origin`` refused before the upgrade.
"""

from __future__ import annotations

import logging

from aiohttp import WSMsgType, web

from helpline.errors import ProtocolError, StoreError
from helpline.web.api import SESSION_COOKIE, current_account
from helpline.web.encode import SEEKER, STAFF
from helpline.web.hub import CLOSE_SIGNED_OUT
from helpline.web.keys import CONFIG, HUB, TRUST
from helpline.web.security import origin_allowed

log = logging.getLogger(__name__)
routes = web.RouteTableDef()


def _socket(request: web.Request) -> web.WebSocketResponse:
    config = request.app[CONFIG]
    return web.WebSocketResponse(
        heartbeat=config.heartbeat_s,
        max_msg_size=config.max_frame_bytes,
        compress=False,
        autoping=True,
    )


@routes.get("/ws/seeker")
async def seeker_socket(request: web.Request) -> web.WebSocketResponse:
    hub = request.app[HUB]
    if hub.seeker_connections >= request.app[CONFIG].max_seeker_connections:
        # At the bound, refuse before the upgrade (cheap) rather than degrade everyone.
        raise web.HTTPServiceUnavailable(text="too many connections; try again soon")
    ws = _socket(request)
    writer = await ws.prepare(request)
    conn = hub.open(ws, writer, request, SEEKER)
    hub.expect_join(conn)
    try:
        async for msg in ws:
            if msg.type is WSMsgType.TEXT:
                hub.seeker_text(conn, msg.data)
            elif msg.type is WSMsgType.BINARY:
                hub.refuse(conn, ProtocolError("text frames only", code="binary_not_allowed"))
    finally:
        await hub.closed(conn)
    return ws


@routes.get("/ws/staff")
async def staff_socket(request: web.Request) -> web.WebSocketResponse:
    if not origin_allowed(request):
        raise web.HTTPForbidden(text="foreign origin")
    try:
        account = await current_account(request)
        if account is None:
            raise web.HTTPUnauthorized(text="sign in first")
        await request.app[TRUST].reload(account.id)  # the chat gate sees the key as stored
    except StoreError as exc:
        # The database is busy or away (a storm of reconnections after a restart): the
        # client tries again, as after any dropped connection; an error 500 says less.
        log.warning("staff connection refused for now: %s", exc.code)
        raise web.HTTPServiceUnavailable(
            text="try again soon", headers={"Retry-After": "2"}
        ) from None
    hub = request.app[HUB]
    ws = _socket(request)
    writer = await ws.prepare(request)
    conn = hub.open(ws, writer, request, STAFF)
    conn.session = request.cookies.get(SESSION_COOKIE)
    try:
        # Looked up again now that the socket is open: an account disabled (or a password
        # reset) while this request waited above was taken off duty before the hub knew
        # of this connection, and must not slip through until the next session check.
        try:
            account = await current_account(request)
        except StoreError as exc:
            log.warning("staff connection refused for now: %s", exc.code)
            account = None
        if account is None or account.disabled:
            await ws.close(code=CLOSE_SIGNED_OUT, message=b"session ended")
            return ws
        hub.staff_connected(conn, account)
        async for msg in ws:
            if msg.type is WSMsgType.TEXT:
                hub.staff_text(conn, msg.data)
            elif msg.type is WSMsgType.BINARY:
                hub.refuse(conn, ProtocolError("text frames only", code="binary_not_allowed"))
    finally:
        await hub.closed(conn)
    return ws
