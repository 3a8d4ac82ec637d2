"""The seeker's page and everything it loads, from our own server only.

The page (``helpline/web/seeker_page``: HTML, style sheet, JavaScript modules,
message catalogues), the browser implementation of HLP1 (``crypto/js``) and the
pinned tweetnacl 1.0.3 (``node_modules/tweetnacl``, installed by ``npm ci``
from package-lock.json) are read once at start and served from memory under
``/static/``, with an explicit list of files (no directory listing, no path
from the request ever reaches the file system). ``/static/manifest.json`` lists
each file's Subresource Integrity hash (SHA-384), so a release can publish the
hashes (docs/crypto.md).

The page itself is served at ``/``. Its HTML names every script, module and
style sheet with its ``integrity`` hash, filled in at start, so the browser
runs exactly the files this server read (modules through
``<link rel="modulepreload" integrity=…>``). All URLs are relative to the
page's own origin: the same page works on an onion address.
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
SEEKER_PAGE = Path(__file__).resolve().parent / "seeker_page"
LOCALES = SEEKER_PAGE / "locales"
TWEETNACL = Path(crypto.__file__).resolve().parent.parent / "node_modules" / "tweetnacl"
JS_TYPE = "text/javascript"
CSS_TYPE = "text/css"
JSON_TYPE = "application/json"
HTML_TYPE = "text/html"
ASSETS_MARK = "<!-- helpline:assets -->"
NACL_URL = "/static/vendor/tweetnacl/nacl-fast.min.js"
ENTRY_URL = "/static/seeker/js/app.mjs"
STYLE_URL = "/static/seeker/seeker.css"
# Test and benchmark helpers stay out of what browsers get.
NOT_SERVED = ("bench.mjs", "negative.mjs")

STATIC_FILES = web.AppKey("static_files", dict)
SEEKER_HTML = web.AppKey("seeker_html", bytes)


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
        files[NACL_URL] = _load(nacl, JS_TYPE)
    else:
        log.warning("tweetnacl is not installed (run npm ci): the browser crypto cannot load")
    files[STYLE_URL] = _load(SEEKER_PAGE / "seeker.css", CSS_TYPE)
    for path in sorted((SEEKER_PAGE / "js").glob("*.mjs")):
        if not path.name.endswith(".test.mjs"):
            files[f"/static/seeker/js/{path.name}"] = _load(path, JS_TYPE)
    for path in sorted(LOCALES.glob("*.json")):
        files[f"/static/seeker/locales/{path.name}"] = _load(path, JSON_TYPE)
    return files


def seeker_html(files: dict[str, StaticFile]) -> bytes:
    """The page's HTML with every asset named with its integrity hash.

    The classic tweetnacl script comes first (it sets ``self.nacl``; module
    scripts are deferred, so it has run before any module), then a
    ``modulepreload`` per module, so that each import is checked too.
    """
    tags = [f'<link rel="stylesheet" href="{STYLE_URL}" integrity="{files[STYLE_URL].integrity}">']
    if NACL_URL in files:
        tags.append(f'<script src="{NACL_URL}" integrity="{files[NACL_URL].integrity}"></script>')
    for url, found in files.items():
        if found.content_type == JS_TYPE and url.endswith(".mjs"):
            tags.append(f'<link rel="modulepreload" href="{url}" integrity="{found.integrity}">')
    tags.append(
        f'<script type="module" src="{ENTRY_URL}" integrity="{files[ENTRY_URL].integrity}">'
        "</script>"
    )
    template = (SEEKER_PAGE / "index.html").read_text(encoding="utf-8")
    if ASSETS_MARK not in template:
        raise RuntimeError("seeker_page/index.html lost its assets mark")
    return template.replace(ASSETS_MARK, "\n".join(tags)).encode("utf-8")


def bundle(files: dict[str, StaticFile]) -> dict[str, bytes]:
    """Everything a browser gets from this release, by URL path: the page's HTML at
    ``/`` and every static file (what :func:`bundle_digest` covers)."""
    contents = {path: found.body for path, found in files.items()}
    contents["/"] = seeker_html(files)
    return contents


def bundle_listing(contents: dict[str, bytes]) -> str:
    """One ``sha256  path`` line per file, sorted by path (``sha256sum``'s format)."""
    return "".join(
        f"{hashlib.sha256(body).hexdigest()}  {path}\n" for path, body in sorted(contents.items())
    )


def bundle_digest(contents: dict[str, bytes]) -> str:
    """The release's one number: SHA-256 of :func:`bundle_listing` (docs/crypto.md)."""
    return hashlib.sha256(bundle_listing(contents).encode("utf-8")).hexdigest()


async def seeker_page(request: web.Request) -> web.Response:
    # no-store: the browser keeps no copy of the page on disk (a cache outlives a
    # cleared history), and a changed release is never served from a stale copy.
    return web.Response(
        body=request.app[SEEKER_HTML],
        content_type=HTML_TYPE,
        charset="utf-8",
        headers={"Cache-Control": "no-store"},
    )


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
    files = collect()
    app[STATIC_FILES] = files
    app[SEEKER_HTML] = seeker_html(files)
    app.router.add_get("/", seeker_page)
    app.router.add_get("/static/manifest.json", manifest)
    app.router.add_get("/static/crypto/{name}", serve_file)
    app.router.add_get("/static/vendor/tweetnacl/{name}", serve_file)
    app.router.add_get("/static/seeker/{name}", serve_file)
    app.router.add_get("/static/seeker/js/{name}", serve_file)
    app.router.add_get("/static/seeker/locales/{name}", serve_file)
