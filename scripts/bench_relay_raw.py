"""The benchmark's yardstick: the least a WebSocket relay can do with aiohttp.

No authentication, no parsing, no sequence numbers, no bookkeeping beyond
pairing: ``/pair/{id}`` takes the first connection of a pair, the second one
with the same id is joined to it, and from then on every text frame from one
side is sent verbatim to the other. A connection waiting for its partner just
waits (the idle-memory figure). Same socket options as Helpline's (compression
off, same message size limit), same event loop (uvloop when installed).

Run by scripts/bench.py: ``python scripts/bench_relay_raw.py PORT``.
"""

from __future__ import annotations

import asyncio
import sys

from aiohttp import WSMsgType, web

MAX_MSG_SIZE = 96 * 1024  # Helpline's max_frame_bytes

_waiting: dict[str, web.WebSocketResponse] = {}
_peers: dict[web.WebSocketResponse, web.WebSocketResponse] = {}


async def pair(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(max_msg_size=MAX_MSG_SIZE, compress=False)
    await ws.prepare(request)
    pair_id = request.match_info["pair_id"]
    other = _waiting.pop(pair_id, None)
    if other is None:
        _waiting[pair_id] = ws
    else:
        _peers[ws] = other
        _peers[other] = ws
    try:
        async for msg in ws:
            if msg.type is WSMsgType.TEXT:
                peer = _peers.get(ws)
                if peer is not None:
                    await peer.send_str(msg.data)
    finally:
        if _waiting.get(pair_id) is ws:
            del _waiting[pair_id]
        peer = _peers.pop(ws, None)
        if peer is not None:
            _peers.pop(peer, None)
            await peer.close()
    return ws


def main() -> None:
    port = int(sys.argv[1])
    try:
        import uvloop

        loop = uvloop.new_event_loop()
    except ImportError:  # uvloop is a dependency on Linux; elsewhere asyncio's own loop
        loop = asyncio.new_event_loop()
    app = web.Application()
    app.router.add_get("/pair/{pair_id}", pair)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None, loop=loop)


if __name__ == "__main__":
    main()
