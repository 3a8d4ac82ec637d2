"""The browser's crypto comes from our own server, byte for byte, pinned by SRI hashes."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import aiohttp
import pytest

from tests.e2e.conftest import ServerFactory

ROOT = Path(__file__).parents[2]


async def get(url: str) -> tuple[int, dict[str, str], bytes]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, dict(response.headers), await response.read()


def sri(body: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(body).digest()).decode()


async def test_crypto_modules_and_tweetnacl_are_served(server_factory: ServerFactory) -> None:
    server = await server_factory()
    status, headers, body = await get(f"{server.http}/static/manifest.json")
    assert status == 200
    import json

    manifest = json.loads(body)
    assert "/static/crypto/hlp1.mjs" in manifest
    assert "/static/crypto/session.mjs" in manifest
    assert "/static/vendor/tweetnacl/nacl-fast.min.js" in manifest
    assert not [p for p in manifest if p.endswith(".test.mjs") or p.endswith("bench.mjs")]
    for path, integrity in manifest.items():
        status, headers, body = await get(server.http + path)
        assert status == 200, path
        assert headers["Content-Type"].startswith("text/javascript"), path
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert integrity == sri(body)
        if path.startswith("/static/crypto/"):
            assert body == (ROOT / "crypto" / "js" / Path(path).name).read_bytes()
        else:
            assert body == (ROOT / "node_modules/tweetnacl/nacl-fast.min.js").read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/static/crypto/units.test.mjs",
        "/static/crypto/bench.mjs",
        "/static/crypto/..%2Fsession.py",
        "/static/crypto/%2e%2e%2f%2e%2e%2fpyproject.toml",
        "/static/vendor/tweetnacl/nacl.js",
        "/static/crypto/",
    ],
)
async def test_nothing_else_is_served(server_factory: ServerFactory, path: str) -> None:
    server = await server_factory()
    status, _, _ = await get(server.http + path)
    assert status == 404
