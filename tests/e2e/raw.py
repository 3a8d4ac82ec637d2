"""A deliberately dumb WebSocket peer for feeding the server bad input.

The client library (``helpline.client``) never sends a malformed frame, so the
bad-input tests speak raw JSON through ``websockets`` instead.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import websockets
from websockets.asyncio.client import ClientConnection

from crypto.encoding import b64u_decode, b64u_encode
from crypto.password import derive_password_keys

TIMEOUT = 10.0


class RawPeer:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.seen: list[dict[str, Any]] = []  # every frame received, in order
        self.unread: list[dict[str, Any]] = []  # received but not yet asked for
        # Send frames as our clients write them (no spaces, fields in the order given):
        # relay and ack frames then take the server's fast path (wire.decode_*_fast).
        self.compact = False

    @classmethod
    async def seeker(cls, ws_base: str, **kwargs: Any) -> RawPeer:
        return cls(await websockets.connect(f"{ws_base}/ws/seeker", **kwargs))

    @classmethod
    async def staff(cls, ws_base: str, http: str, cookie: str, **kwargs: Any) -> RawPeer:
        headers = {"Cookie": f"helpline_session={cookie}", "Origin": http}
        return cls(
            await websockets.connect(f"{ws_base}/ws/staff", additional_headers=headers, **kwargs)
        )

    async def send(self, **frame: Any) -> None:
        separators = (",", ":") if self.compact else None
        await self.ws.send(json.dumps({"v": 1, **frame}, separators=separators))

    async def send_text(self, text: str | bytes) -> None:
        await self.ws.send(text)

    async def recv(self, kind: str, timeout: float = TIMEOUT) -> dict[str, Any]:
        """The next frame of type ``kind`` not yet asked for; others wait in ``unread``."""
        for index, frame in enumerate(self.unread):
            if frame["type"] == kind:
                return self.unread.pop(index)
        while True:
            frame = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            self.seen.append(frame)
            if frame["type"] == kind:
                return frame  # type: ignore[no-any-return]
            self.unread.append(frame)

    async def error(self, timeout: float = TIMEOUT) -> str:
        frame = await self.recv("error", timeout)
        return str(frame["code"])

    async def closed_with(self, timeout: float = TIMEOUT) -> int | None:
        """Read until the server closes; the close code."""
        try:
            while True:
                await asyncio.wait_for(self.ws.recv(), timeout)
        except websockets.ConnectionClosed as exc:
            return exc.rcvd.code if exc.rcvd is not None else None

    async def close(self) -> None:
        await self.ws.close()


async def login_secret(http: str, username: str, password: str) -> str:
    """The base64url login secret for ``password``, after ``GET /api/salt`` (§6)."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{http}/api/salt", params={"username": username}) as response,
    ):
        assert response.status == 200, await response.text()
        answer = await response.json()
    keys = derive_password_keys(password, b64u_decode(answer["salt"]), answer["iterations"])
    return b64u_encode(keys.login_secret)


async def login(http: str, username: str, password: str) -> str:
    secret = await login_secret(http, username, password)
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{http}/api/login",
            json={"username": username, "secret": secret},
            headers={"Origin": http},
        ) as response,
    ):
        assert response.status == 200, await response.text()
        return response.cookies["helpline_session"].value


async def session_headers(http: str, cookie: str) -> dict[str, str]:
    """What a state-changing request with this session carries: the cookie, our
    Origin and the session's CSRF token (read from ``GET /api/me``, as the workspace does)."""
    headers = {"Cookie": f"helpline_session={cookie}", "Origin": http}
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{http}/api/me", headers=headers) as response,
    ):
        assert response.status == 200, await response.text()
        headers["X-CSRF-Token"] = (await response.json())["csrf"]
    return headers
