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

The counsellor workspace is served the same way at ``/staff/`` from the
checkout's top-level ``counsellor_ui/`` (``index.html``, ``*.css``,
``js/*.mjs``, ``locales/*.json``; its files under ``/static/staff/``). It is
not a Python package: like ``node_modules``, it is found next to ``crypto/``,
which an editable install (``pip install -e .``, what ``make setup`` does)
leaves in the checkout. Without it the server starts all the same, with a
warning, and ``/staff/`` answers 404.

Two more pages come from ``counsellor_ui/`` the same way, each served only when
its HTML and entry module exist: the supervisors' page at ``/staff/supervisor``
(``supervisor.html``, entry ``js/supervisor.mjs``) and the first-start page at
``/staff/setup`` (``setup.html``, entry ``js/setup.mjs``; the one-time token
travels in the URL's fragment, which no request line carries). They preload the
browser crypto and the workspace's modules, like ``/staff/``, so that every
module they may import is checked against its hash; the supervisors' page also
names ``admin.css`` (the administration panels' refinements) when it exists.
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
CHECKOUT = Path(crypto.__file__).resolve().parent.parent
TWEETNACL = CHECKOUT / "node_modules" / "tweetnacl"
COUNSELLOR_UI = CHECKOUT / "counsellor_ui"
JS_TYPE = "text/javascript"
CSS_TYPE = "text/css"
JSON_TYPE = "application/json"
HTML_TYPE = "text/html"
ASSETS_MARK = "<!-- helpline:assets -->"
NACL_URL = "/static/vendor/tweetnacl/nacl-fast.min.js"
ENTRY_URL = "/static/seeker/js/app.mjs"
STYLE_URL = "/static/seeker/seeker.css"
STAFF_ENTRY_URL = "/static/staff/js/app.mjs"
STAFF_STYLE_URL = "/static/staff/staff.css"
SUPERVISOR_ENTRY_URL = "/static/staff/js/supervisor.mjs"
#: The administration panels' refinements (counsellor_ui/admin.css), on the supervisors' page.
ADMIN_STYLE_URL = "/static/staff/admin.css"
SETUP_ENTRY_URL = "/static/staff/js/setup.mjs"
#: The modules of the seeker page the workspace imports too.
SHARED_URLS = ("/static/seeker/js/delivery.mjs", "/static/seeker/js/link.mjs")
#: The HTML pages, by URL path (each in the bundle when it exists).
PAGES = ("/", "/staff/", "/staff/supervisor", "/staff/setup")
# Test and benchmark helpers stay out of what browsers get.
NOT_SERVED = ("bench.mjs", "negative.mjs")

STATIC_FILES = web.AppKey("static_files", dict)
SEEKER_HTML = web.AppKey("seeker_html", bytes)
STAFF_HTML = web.AppKey("staff_html", bytes)  # empty: no counsellor_ui/ in this checkout
#: The pages of counsellor_ui/ besides the workspace that this checkout has, by path.
OTHER_HTML = web.AppKey("other_staff_html", dict)


@dataclass(frozen=True, slots=True)
class StaffPage:
    """A page of ``counsellor_ui/`` besides the workspace: its HTML file and entry."""

    path: str
    html: str
    entry_url: str
    #: Style sheets after staff.css, each named when the checkout has it.
    extra_styles: tuple[str, ...] = ()


SUPERVISOR_PAGE = StaffPage(
    "/staff/supervisor", "supervisor.html", SUPERVISOR_ENTRY_URL, (ADMIN_STYLE_URL,)
)
SETUP_PAGE = StaffPage("/staff/setup", "setup.html", SETUP_ENTRY_URL)
OTHER_PAGES = (SUPERVISOR_PAGE, SETUP_PAGE)


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
    files.update(_collect_staff(COUNSELLOR_UI))
    return files


def _collect_staff(root: Path) -> dict[str, StaticFile]:
    if not (root / "index.html").is_file() or not (root / "js" / "app.mjs").is_file():
        log.warning("%s/index.html or js/app.mjs is missing: /staff/ is not served", root)
        return {}
    files: dict[str, StaticFile] = {}
    for path in sorted(root.glob("*.css")):  # staff.css, and admin.css for the supervisors
        files[f"/static/staff/{path.name}"] = _load(path, CSS_TYPE)
    for path in sorted((root / "js").glob("*.mjs")):
        if not path.name.endswith(".test.mjs") and path.name not in NOT_SERVED:
            files[f"/static/staff/js/{path.name}"] = _load(path, JS_TYPE)
    for path in sorted((root / "locales").glob("*.json")):
        files[f"/static/staff/locales/{path.name}"] = _load(path, JSON_TYPE)
    return files


def _page_html(
    template: str,
    files: dict[str, StaticFile],
    *,
    style_url: str,
    extra_styles: tuple[str, ...] = (),
    entry_url: str,
    modules: list[str],
    name: str,
) -> bytes:
    """A page's HTML with every asset named with its integrity hash.

    The classic tweetnacl script comes first (it sets ``self.nacl``; module
    scripts are deferred, so it has run before any module), then a
    ``modulepreload`` per module the page may import, so that each import is
    checked too.
    """
    tags = []
    for url in (style_url, *extra_styles):
        if url in files:
            tags.append(f'<link rel="stylesheet" href="{url}" integrity="{files[url].integrity}">')
    if NACL_URL in files:
        tags.append(f'<script src="{NACL_URL}" integrity="{files[NACL_URL].integrity}"></script>')
    for url in modules:
        tags.append(f'<link rel="modulepreload" href="{url}" integrity="{files[url].integrity}">')
    tags.append(
        f'<script type="module" src="{entry_url}" integrity="{files[entry_url].integrity}">'
        "</script>"
    )
    if ASSETS_MARK not in template:
        raise RuntimeError(f"{name} lost its assets mark")
    return template.replace(ASSETS_MARK, "\n".join(tags)).encode("utf-8")


def _modules(files: dict[str, StaticFile], *prefixes: str) -> list[str]:
    return [
        url
        for url, found in files.items()
        if found.content_type == JS_TYPE and url.endswith(".mjs") and url.startswith(prefixes)
    ]


def seeker_html(files: dict[str, StaticFile]) -> bytes:
    """The seeker page's HTML: the crypto and the page's own modules preloaded."""
    return _page_html(
        (SEEKER_PAGE / "index.html").read_text(encoding="utf-8"),
        files,
        style_url=STYLE_URL,
        entry_url=ENTRY_URL,
        modules=_modules(files, "/static/crypto/", "/static/seeker/"),
        name="seeker_page/index.html",
    )


def staff_html(files: dict[str, StaticFile]) -> bytes | None:
    """The workspace's HTML (None without ``counsellor_ui/``): the crypto, the seeker
    page's delivery and link modules and the workspace's own modules preloaded."""
    if STAFF_ENTRY_URL not in files:
        return None
    modules = _modules(files, "/static/crypto/", "/static/staff/")
    modules.extend(url for url in SHARED_URLS if url in files)
    return _page_html(
        (COUNSELLOR_UI / "index.html").read_text(encoding="utf-8"),
        files,
        style_url=STAFF_STYLE_URL,
        entry_url=STAFF_ENTRY_URL,
        modules=modules,
        name="counsellor_ui/index.html",
    )


def other_staff_html(files: dict[str, StaticFile], page: StaffPage) -> bytes | None:
    """The HTML of a page of ``counsellor_ui/`` besides the workspace (None when its
    HTML or entry module is not in this checkout): the crypto and the workspace's
    modules preloaded (the seeker page's are not used there)."""
    source = COUNSELLOR_UI / page.html
    if page.entry_url not in files or not source.is_file():
        return None
    return _page_html(
        source.read_text(encoding="utf-8"),
        files,
        style_url=STAFF_STYLE_URL,
        extra_styles=page.extra_styles,
        entry_url=page.entry_url,
        modules=_modules(files, "/static/crypto/", "/static/staff/"),
        name=f"counsellor_ui/{page.html}",
    )


def other_pages(files: dict[str, StaticFile]) -> dict[str, bytes]:
    """URL path → HTML of each of :data:`OTHER_PAGES` this checkout has (none without
    the workspace)."""
    if STAFF_ENTRY_URL not in files:
        return {}
    pages = {}
    for page in OTHER_PAGES:
        html = other_staff_html(files, page)
        if html is not None:
            pages[page.path] = html
    return pages


def bundle(files: dict[str, StaticFile]) -> dict[str, bytes]:
    """Everything a browser gets from this release, by URL path: the pages' HTML at
    ``/``, ``/staff/``, ``/staff/supervisor`` and ``/staff/setup`` and every static
    file (what :func:`bundle_digest` covers)."""
    contents = {path: found.body for path, found in files.items()}
    contents["/"] = seeker_html(files)
    staff = staff_html(files)
    if staff is not None:
        contents["/staff/"] = staff
    contents.update(other_pages(files))
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


async def staff_page(request: web.Request) -> web.Response:
    body = request.app[STAFF_HTML]
    if not body:
        raise web.HTTPNotFound()
    return web.Response(
        body=body, content_type=HTML_TYPE, charset="utf-8", headers={"Cache-Control": "no-store"}
    )


async def other_page(request: web.Request) -> web.Response:
    """``/staff/supervisor`` or ``/staff/setup``: like the workspace's page."""
    body: bytes | None = request.app[OTHER_HTML].get(request.path)
    if body is None:
        raise web.HTTPNotFound()
    return web.Response(
        body=body, content_type=HTML_TYPE, charset="utf-8", headers={"Cache-Control": "no-store"}
    )


async def staff_redirect(request: web.Request) -> web.Response:
    raise web.HTTPFound("/staff/")


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
    app[STAFF_HTML] = staff_html(files) or b""
    app[OTHER_HTML] = other_pages(files)
    app.router.add_get("/", seeker_page)
    app.router.add_get("/static/manifest.json", manifest)
    app.router.add_get("/static/crypto/{name}", serve_file)
    app.router.add_get("/static/vendor/tweetnacl/{name}", serve_file)
    app.router.add_get("/static/seeker/{name}", serve_file)
    app.router.add_get("/static/seeker/js/{name}", serve_file)
    app.router.add_get("/static/seeker/locales/{name}", serve_file)
    app.router.add_get("/staff", staff_redirect)
    app.router.add_get("/staff/", staff_page)
    for page in OTHER_PAGES:
        app.router.add_get(page.path, other_page)
    app.router.add_get("/static/staff/{name}", serve_file)
    app.router.add_get("/static/staff/js/{name}", serve_file)
    app.router.add_get("/static/staff/locales/{name}", serve_file)
