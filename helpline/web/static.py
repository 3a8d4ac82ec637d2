"""Our own copies of the browser's crypto: nothing is loaded from a third party.

The browser implementation of HLP1 (``crypto/js``) and the pinned tweetnacl
1.0.3 (``node_modules/tweetnacl``, installed by ``npm ci`` from
package-lock.json) are read once at start and served from memory under
``/static/``, with an explicit list of files (no directory listing, no path
from the request ever reaches the file system). ``/static/manifest.json`` lists
each file's Subresource Integrity hash (SHA-384), so pages can pin them with
``integrity=`` and a release can publish the hashes (docs/crypto.md).
"""

from __future__ import annotations

import base64
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

import crypto

log = logging.getLogger(__name__)

CRYPTO_JS = Path(crypto.__file__).resolve().parent / "js"
TWEETNACL = Path(crypto.__file__).resolve().parent.parent / "node_modules" / "tweetnacl"
JS_TYPE = "text/javascript"
# Test and benchmark helpers stay out of what browsers get.
NOT_SERVED = ("bench.mjs", "negative.mjs")

STATIC_FILES = web.AppKey("static_files", dict)


@dataclass(frozen=True, slots=True)
class StaticFile:
    body: bytes
    content_type: str
    integrity: str


def _load(path: Path, content_type: str) -> StaticFile:
    body = path.read_bytes()
    digest = base64.b64encode(hashlib.sha384(body).digest()).decode("ascii")
    return StaticFile(body, content_type, f"sha384-{digest}")


def collect() -> dict[str, StaticFile]:
    """URL path → file, for every file we serve."""
    files = {
        f"/static/crypto/{path.name}": _load(path, JS_TYPE)
        for path in sorted(CRYPTO_JS.glob("*.mjs"))
        if not path.name.endswith(".test.mjs") and path.name not in NOT_SERVED
    }
    nacl = TWEETNACL / "nacl-fast.min.js"
    if nacl.is_file():
        files["/static/vendor/tweetnacl/nacl-fast.min.js"] = _load(nacl, JS_TYPE)
    else:
        log.warning("tweetnacl is not installed (run npm ci): the browser crypto cannot load")
    return files


async def serve_file(request: web.Request) -> web.Response:
    found: StaticFile | None = request.app[STATIC_FILES].get(request.path)
    if found is None:
        raise web.HTTPNotFound()
    return web.Response(
        body=found.body,
        content_type=found.content_type,
        charset="utf-8",
        headers={"Cache-Control": "no-cache"},
    )


async def manifest(request: web.Request) -> web.Response:
    files: dict[str, StaticFile] = request.app[STATIC_FILES]
    return web.json_response({path: f.integrity for path, f in sorted(files.items())})


def setup(app: web.Application) -> None:
    app[STATIC_FILES] = collect()
    app.router.add_get("/static/manifest.json", manifest)
    app.router.add_get("/static/crypto/{name}", serve_file)
    app.router.add_get("/static/vendor/tweetnacl/{name}", serve_file)
