"""Security headers and the same-origin rule for staff requests.

aiohttp accepts any ``Origin`` by default; a staff WebSocket or a state-changing
staff request from another site would ride on the counsellor's cookie
(cross-site WebSocket hijacking, CSRF). We refuse those: the staff socket
checks :func:`origin_allowed` before the upgrade, and every staff API route
before its handler (:func:`helpline.web.api.api_route`). The seeker endpoint
uses no cookie, so its origin does not matter to its security.

Framing: every response forbids it (``frame-ancestors 'none'``) except the
seeker's page (:data:`PAGE_PATHS`), which the operator may let other sites
embed (``embed_origins`` in the service file): its policy is
:func:`page_csp`, ``frame-ancestors 'self'`` and those origins. No response
carries ``X-Frame-Options``: it cannot name several origins, and a browser that
honoured it would refuse what ``frame-ancestors`` allows. CSP is the one rule.
A handler that sets its own ``Content-Security-Policy`` keeps it (``setdefault``);
the page's handler should then build it with :func:`page_csp`.

The counsellor workspace (:data:`STAFF_PATHS`) is never framed; its policy,
:func:`staff_csp`, names the server's own ``ws:``/``wss:`` origin in
``connect-src`` as well, for browsers whose ``'self'`` does not cover
WebSockets yet, and lets it show images of its own origin (the TOTP QR code).
The supervisors' page (``/staff/supervisor``) and the first-start page
(``/staff/setup``) open no WebSocket: they get every other response's policy
(``connect-src 'self'`` covers the dashboard's Server-Sent Events), never framed,
no inline script or style (the dashboard's chart is SVG drawn with DOM calls and
styled by classes from the style sheet).
"""

from __future__ import annotations

import re

from aiohttp import web

from helpline.service import Service
from helpline.web.keys import CONFIG, PAGE_CSP

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})

#: The seeker's page: the only documents other sites may frame (the service's embed origins).
PAGE_PATHS = frozenset({"/"})
#: The counsellor workspace's page.
STAFF_PATHS = frozenset({"/staff/"})
# A Host header that can go into a policy as it is (no ';', quotes or spaces).
_HOST_RE = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")

_CSP_BASE = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
)

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "Content-Security-Policy": _CSP_BASE + "frame-ancestors 'none'",
}


def page_csp(service: Service) -> str:
    """The seeker page's Content-Security-Policy: as every other response's, except that
    the page itself and the service's ``embed_origins`` may frame it."""
    return _CSP_BASE + " ".join(("frame-ancestors 'self'", *service.embed_origins))


def staff_csp(request: web.Request) -> str:
    """The workspace page's Content-Security-Policy: every other response's, with the
    own origin's WebSocket scheme in ``connect-src``; never framed."""
    connect = "connect-src 'self'"
    host = request.host
    if _HOST_RE.fullmatch(host):
        connect += f" {'wss' if is_https(request) else 'ws'}://{host}"
    return _CSP_BASE.replace("connect-src 'self'", connect) + "frame-ancestors 'none'"


def origin_allowed(request: web.Request) -> bool:
    """True when the request has no Origin (not a browser) or a same-site one."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    # Behind a TLS proxy aiohttp sees plain HTTP while the browser's origin is https.
    own = f"{'https' if is_https(request) else request.scheme}://{request.host}"
    return origin == own or origin in request.app[CONFIG].allowed_origins


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: every response, errors included, gets the headers.

    Except the ``101 Switching Protocols`` that opens a WebSocket (a refused
    handshake is an ordinary response and gets them): these headers govern
    documents and what they load, and a browser ignores them on an upgrade,
    which carries no document. The upgrade's headers stay in memory as long as
    the socket is open, and these would add about 2 KiB to every connection.
    """
    if response.status == 101:
        response.headers.popall("Server", None)
        return
    if request.path in PAGE_PATHS:
        response.headers.setdefault("Content-Security-Policy", request.app[PAGE_CSP])
    elif request.path in STAFF_PATHS:
        response.headers.setdefault("Content-Security-Policy", staff_csp(request))
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.path.startswith("/api/"):
        response.headers["Cache-Control"] = "no-store"
    if is_https(request):
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    response.headers.popall("Server", None)


def is_https(request: web.Request) -> bool:
    """Whether the browser reached us over HTTPS (directly, or through the TLS proxy)."""
    return request.secure or request.app[CONFIG].behind_tls_proxy
