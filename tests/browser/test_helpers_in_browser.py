"""The browser-side helpers themselves: recorders, CSP and page errors, axe, screenshots."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web
from playwright.async_api import Page

from helpline.web.security import SECURITY_HEADERS
from tests.browser.axe import axe, format_violations
from tests.browser.conftest import ContextFactory, PageFactory, ProxyFactory, Screenshot
from tests.browser.neutral import NeutralSite
from tests.browser.recorder import PageRecorder
from tests.conftest import free_port
from tests.e2e.conftest import ServerFactory

Recorder = Callable[[Page], PageRecorder]

GOOD = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Good</title>
<script src="/app.js"></script></head>
<body><main><h1>Hello</h1><p>Plain text.</p></main></body></html>"""

BAD = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bad</title></head>
<body><main><h1>Hello</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<button></button></main></body></html>"""

INLINE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Inline</title>
<script>document.title = "ran";</script></head><body><main><h1>x</h1></main></body></html>"""

THROWS = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Throws</title>
<script src="/boom.js"></script></head><body><main><h1>x</h1></main></body></html>"""


@pytest.fixture
async def csp_site() -> AsyncIterator[str]:
    """Pages under the server's own security headers (strict CSP), on a loopback port."""

    def serve(body: str, content_type: str) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handler(_: web.Request) -> web.Response:
            return web.Response(text=body, content_type=content_type, headers=SECURITY_HEADERS)

        return handler

    app = web.Application()
    for path, page in {"/good": GOOD, "/bad": BAD, "/inline": INLINE, "/throws": THROWS}.items():
        app.router.add_get(path, serve(page, "text/html"))
    app.router.add_get("/app.js", serve("window.ready = true;", "text/javascript"))
    app.router.add_get("/boom.js", serve("throw new Error('boom');", "text/javascript"))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_axe_runs_under_the_strict_csp(
    csp_site: str, new_page: PageFactory, recorder: Recorder
) -> None:
    page = await new_page()
    await page.goto(csp_site + "/good")
    assert await page.evaluate("window.ready") is True  # our own script runs
    assert await axe(page) == []
    # A <script> tag with axe's source would be refused by this CSP; evaluate is not.
    assert await page.evaluate("typeof window.axe.run") == "function"

    await page.goto(csp_site + "/bad")
    violations = await axe(page)
    ids = {v.id for v in violations}
    assert {"image-alt", "button-name"} <= ids
    assert all(v.impact in ("serious", "critical") for v in violations)
    text = format_violations(violations, "the bad page")
    assert "image-alt" in text
    assert "<img" in text
    assert "the bad page" in text
    recorder(page).assert_clean()  # injecting axe broke no CSP rule


async def test_csp_violations_and_page_errors_are_recorded(
    csp_site: str, new_page: PageFactory, recorder: Recorder
) -> None:
    page = await new_page()
    rec = recorder(page)
    rec.expect_errors = True  # on purpose: teardown must not fail this test
    await page.goto(csp_site + "/inline")
    assert await page.title() == "Inline"  # the inline script did not run
    await page.goto(csp_site + "/throws")
    await page.wait_for_load_state("load")
    for _ in range(50):
        if rec.page_errors and rec.csp_violations():
            break
        await asyncio.sleep(0.05)
    assert rec.csp_violations(), rec.console
    assert "script-src" in rec.csp_violations()[0]
    assert rec.page_errors == ["Error: boom"]
    with pytest.raises(AssertionError, match="CSP violation"):
        rec.assert_clean()


async def test_websocket_frames_and_a_cut(
    server_factory: ServerFactory,
    proxy_factory: ProxyFactory,
    new_page: PageFactory,
    recorder: Recorder,
) -> None:
    server = await server_factory()
    proxy = await proxy_factory(server)
    page = await new_page()
    rec = recorder(page)
    await page.goto(proxy.http + "/healthz")
    await page.evaluate(
        """(url) => new Promise((resolve, reject) => {
             const ws = new WebSocket(url);
             window.ws = ws;
             window.wsClosed = null;
             ws.onopen = () => ws.send(JSON.stringify({v: 1, type: "join", language: "en"}));
             ws.onmessage = () => resolve();
             ws.onclose = (e) => { window.wsClosed = e.code; };
             ws.onerror = () => reject(new Error("websocket error"));
           })""",
        proxy.ws + "/ws/seeker",
    )
    assert rec.websockets == [proxy.ws + "/ws/seeker"]
    assert json.loads(rec.sent[0]) == {"v": 1, "type": "join", "language": "en"}
    assert json.loads(rec.received[0])["type"] == "welcome"
    assert rec.foreign_requests(proxy.http) == []

    await proxy.cut()
    await page.wait_for_function("window.wsClosed !== null")
    assert await page.evaluate("window.wsClosed") == 1006
    assert rec.closed_websockets == [proxy.ws + "/ws/seeker"]
    proxy.restore()


async def test_set_offline_and_open_websockets(
    server_factory: ServerFactory, new_context: ContextFactory
) -> None:
    """What Playwright's offline mode does to a WebSocket that is already open.

    Chromium's emulated offline mode fails new requests, but an open WebSocket is
    neither closed nor errored: it stalls (a ping sent while offline gets its pong
    only once back online). It does not simulate a dropped connection, so the
    browser tests cut the proxy for that.
    """
    server = await server_factory()
    context = await new_context()
    page = await context.new_page()
    await page.goto(server.http + "/healthz")
    await page.evaluate(
        """(url) => new Promise((resolve) => {
             const ws = new WebSocket(url);
             window.ws = ws; window.wsClosed = null; window.pongs = 0;
             ws.onopen = () => ws.send(JSON.stringify({v: 1, type: "join", language: "en"}));
             ws.onmessage = (e) => {
               if (JSON.parse(e.data).type === "pong") window.pongs += 1;
               resolve();
             };
             ws.onclose = (e) => { window.wsClosed = e.code; };
           })""",
        server.ws + "/ws/seeker",
    )
    await context.set_offline(True)
    fetch_failed = await page.evaluate("fetch('/healthz').then(() => false, () => true)")
    await page.evaluate("window.ws.send(JSON.stringify({v: 1, type: 'ping'}))")
    await asyncio.sleep(1)
    offline = await page.evaluate("[window.ws.readyState, window.wsClosed, window.pongs]")
    await context.set_offline(False)
    await page.wait_for_function("window.pongs === 1", timeout=5000)
    online = await page.evaluate("[window.ws.readyState, window.wsClosed, window.pongs]")

    assert fetch_failed, "offline mode should fail new requests"
    assert offline == [1, None, 0], "offline: the socket stays open and stalls"
    assert online == [1, None, 1], "back online: the same socket goes on"


async def test_neutral_site_and_screenshot(
    neutral_site: NeutralSite, new_page: PageFactory, screenshot: Screenshot
) -> None:
    page = await new_page(width=360)
    await page.goto("about:blank")
    await page.evaluate("(url) => location.replace(url)", neutral_site.url)
    await page.wait_for_url(neutral_site.url)
    assert await page.inner_text("h1") == "Weather"
    assert neutral_site.hits[0] == "/weather"  # then Chromium asks for /favicon.ico
    path = await screenshot(page, "helpers/neutral site 360")
    assert path.name == "helpers-neutral-site-360.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    path.unlink()
