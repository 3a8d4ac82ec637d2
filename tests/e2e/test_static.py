"""The seeker's page and the browser's crypto come from our own server, byte for byte,
pinned by SRI hashes."""

from __future__ import annotations

import base64
import hashlib
import json
import re
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
    manifest = json.loads(body)
    assert "/static/crypto/hlp1.mjs" in manifest
    assert "/static/crypto/session.mjs" in manifest
    assert "/static/vendor/tweetnacl/nacl-fast.min.js" in manifest
    assert not [p for p in manifest if p.endswith(".test.mjs") or p.endswith("bench.mjs")]
    for path, integrity in manifest.items():
        status, headers, body = await get(server.http + path)
        assert status == 200, path
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert integrity == sri(body)
        if path.startswith("/static/crypto/"):
            assert body == (ROOT / "crypto" / "js" / Path(path).name).read_bytes()
        elif path.startswith("/static/seeker/"):
            source = ROOT / "helpline/web/seeker_page" / path.removeprefix("/static/seeker/")
            assert body == source.read_bytes()
        elif path.startswith("/static/staff/"):  # the counsellor workspace
            assert (
                body == (ROOT / "counsellor_ui" / path.removeprefix("/static/staff/")).read_bytes()
            )
        else:
            assert body == (ROOT / "node_modules/tweetnacl/nacl-fast.min.js").read_bytes()
        kind = {".mjs": "text/javascript", ".js": "text/javascript", ".css": "text/css"}
        expected = kind.get(Path(path).suffix, "application/json")
        assert headers["Content-Type"].startswith(expected), path


async def test_the_page_names_every_script_and_style_with_its_hash(
    server_factory: ServerFactory,
) -> None:
    server = await server_factory()
    _, _, body = await get(f"{server.http}/static/manifest.json")
    manifest = json.loads(body)
    status, headers, page = await get(f"{server.http}/")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert headers["Referrer-Policy"] == "no-referrer"
    csp = headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    html = page.decode()
    named = dict(re.findall(r'(?:src|href)="([^"]+)" integrity="([^"]+)"', html))
    scripts = {
        p
        for p in manifest
        if p.endswith((".mjs", ".js", ".css")) and not p.startswith("/static/staff/")
    }
    assert set(named) == scripts  # every module is preloaded with its hash, nothing else
    assert all(named[p] == manifest[p] for p in named)
    assert "<script>" not in html
    assert " style=" not in html
    assert "http://" not in html
    assert "https://" not in html


@pytest.mark.parametrize(
    "path",
    [
        "/static/crypto/units.test.mjs",
        "/static/crypto/bench.mjs",
        "/static/crypto/..%2Fsession.py",
        "/static/crypto/%2e%2e%2f%2e%2e%2fpyproject.toml",
        "/static/vendor/tweetnacl/nacl.js",
        "/static/crypto/",
        "/static/seeker/js/page.test.mjs",
        "/static/seeker/index.html",
        "/static/seeker/js/",
        "/index.html",
    ],
)
async def test_nothing_else_is_served(server_factory: ServerFactory, path: str) -> None:
    server = await server_factory()
    status, _, _ = await get(server.http + path)
    assert status == 404
