"""The whole chain works here: Playwright, Debian's Chromium, the proxy, a real server."""

from __future__ import annotations

import json
from collections.abc import Callable

from playwright.async_api import Page

from tests.browser.conftest import PageFactory, ProxyFactory
from tests.browser.recorder import PageRecorder
from tests.e2e.conftest import ServerFactory


async def test_healthz_through_the_proxy(
    server_factory: ServerFactory,
    proxy_factory: ProxyFactory,
    new_page: PageFactory,
    recorder: Callable[[Page], PageRecorder],
) -> None:
    server = await server_factory()
    proxy = await proxy_factory(server)
    page = await new_page(width=360, locale="en-GB")
    response = await page.goto(proxy.http + "/healthz")
    assert response is not None
    assert response.ok
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert json.loads(await page.inner_text("body"))["status"] == "ok"

    rec = recorder(page)
    assert rec.requests == [proxy.http + "/healthz"]
    assert rec.origins() == {proxy.http}
    assert rec.foreign_requests(proxy.http) == []
    assert proxy.accepted >= 1
    assert await page.evaluate("navigator.language") == "en-GB"
    assert await page.evaluate("window.innerWidth") == 360
