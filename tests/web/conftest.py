"""HTTP API tests against a real server on a loopback port (the e2e fixtures), spoken
to with real HTTP clients: aiohttp for raw requests, helpline.client for sessions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiohttp

from helpline.client import StaffSession, sign_in
from helpline.core.staff import Role
from tests.e2e import conftest as e2e
from tests.e2e.conftest import KDF_ITERATIONS, PASSWORD, RunningServer

# The e2e fixtures: a real server on a loopback port, stopped after the test.
server_factory = e2e.server_factory
server = e2e.server


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


async def raw(
    server: RunningServer,
    method: str,
    path: str,
    body: Any = None,
    *,
    cookie: str | None = None,
    csrf: str | None = None,
    origin: str | None = None,
) -> Answer:
    """One request with exactly the given cookie, CSRF header and Origin."""
    headers = {}
    if cookie is not None:
        headers["Cookie"] = f"helpline_session={cookie}"
    if csrf is not None:
        headers["X-CSRF-Token"] = csrf
    if origin is not None:
        headers["Origin"] = origin
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            method, server.http + path, json=body, headers=headers, allow_redirects=False
        ) as response,
    ):
        return Answer(response.status, dict(response.headers), await response.read())


async def signed_in(
    server: RunningServer,
    username: str,
    *,
    role: Role = Role.COUNSELLOR,
    languages: tuple[str, ...] = ("en",),
    create: bool = True,
    totp: str | None = None,
) -> StaffSession:
    """A session made by the Python client's login (an account is made first)."""
    if create:
        await server.add_staff(username, languages, role=role, identity=False)
    return await sign_in(server.http, username, PASSWORD, min_iterations=KDF_ITERATIONS, totp=totp)
