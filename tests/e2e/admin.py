"""Helpers for the administration tests: a supervisor's session over real HTTP, and
login secrets derived as the browser derives them."""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import dataclass
from typing import Any

import aiohttp
import websockets

from crypto.encoding import b64u_encode
from crypto.password import SALT_BYTES, derive_password_keys
from helpline.core.staff import Role
from tests.e2e.conftest import KDF_ITERATIONS, PASSWORD, RunningServer
from tests.e2e.raw import RawPeer, login, session_headers


@dataclass
class Caller:
    """Requests with one session's cookie, Origin and CSRF token."""

    server: RunningServer
    headers: dict[str, str]

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                method, self.server.http + path, json=body, headers=self.headers
            ) as response,
        ):
            raw = await response.read()
            return response.status, json.loads(raw) if raw else None

    async def get(self, path: str) -> tuple[int, Any]:
        return await self.call("GET", path)


async def caller(server: RunningServer, username: str, password: str = PASSWORD) -> Caller:
    cookie = await login(server.http, username, password)
    return Caller(server, await session_headers(server.http, cookie))


async def supervisor(server: RunningServer, username: str = "sam") -> Caller:
    await server.add_staff(username, (), role=Role.SUPERVISOR, identity=False)
    return await caller(server, username)


def new_secret(password: str, iterations: int = KDF_ITERATIONS) -> dict[str, Any]:
    """``salt``, ``secret`` and ``iterations`` as the browser derives them from a password."""
    salt = secrets.token_bytes(SALT_BYTES)
    keys = derive_password_keys(password, salt, iterations)
    return {
        "salt": b64u_encode(salt),
        "secret": b64u_encode(keys.login_secret),
        "iterations": iterations,
    }


async def frames_until_closed(peer: RawPeer, timeout: float = 10.0) -> tuple[list[str], int]:
    """The types of the frames received until the server closed, and the close code."""
    kinds = [frame["type"] for frame in peer.unread]
    try:
        while True:
            kinds.append(json.loads(await asyncio.wait_for(peer.ws.recv(), timeout))["type"])
    except websockets.ConnectionClosed as exc:
        return kinds, exc.rcvd.code if exc.rcvd is not None else 0


async def audit(admin: Caller, limit: int = 50) -> list[dict[str, Any]]:
    status, body = await admin.get(f"/api/admin/audit?limit={limit}")
    assert status == 200, body
    entries: list[dict[str, Any]] = body["entries"]
    return entries
