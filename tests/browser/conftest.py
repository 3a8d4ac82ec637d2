"""Fixtures for the browser tests: Debian's Chromium through Playwright, and its helpers.

Every test here that uses the ``browser`` fixture (directly or through another
fixture) is marked ``browser`` automatically: it is skipped when Chromium is missing,
and fails then under CI. The proxy and counsellor helpers' own tests need no browser.

- ``browser``: headless Chromium from /usr/bin/chromium (never a downloaded one).
- ``new_context(width=1280, height=800, locale="en-US", **options)``: a fresh
  context (no cookies, no storage); every page opened in it is recorded.
- ``new_page(width=..., locale=..., **options)``: a page in a fresh context.
- ``recorder(page)``: the page's :class:`~tests.browser.recorder.PageRecorder`.
  At teardown the test fails if a page threw or reported a CSP violation.
- ``proxy_factory(server)``: a :class:`~tests.browser.proxy.CuttableProxy` to it.
- ``neutral_site``: the quick exit's target, ``neutral_site.url`` (``/weather``).
- ``screenshot(page, name)``: a PNG in tests/browser/screenshots/ (git-ignored).
- ``axe(page)`` (tests/browser/axe.py): serious and critical axe-core violations.
- ``counsellor_factory(server, username=..., languages=...)``: a
  :class:`~tests.browser.counsellor.ScriptedCounsellor`, closed at the end.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, Playwright, async_playwright

from tests.browser.counsellor import ScriptedCounsellor
from tests.browser.neutral import NeutralSite
from tests.browser.proxy import CuttableProxy
from tests.browser.recorder import PageRecorder
from tests.browser.shots import screenshot as take_screenshot
from tests.conftest import missing_service
from tests.e2e.conftest import RunningServer, server, server_factory

__all__ = ["server", "server_factory"]

CHROMIUM = Path(os.environ.get("HELPLINE_TEST_CHROMIUM", "/usr/bin/chromium"))
HERE = Path(__file__).resolve().parent

ContextFactory = Callable[..., Awaitable[BrowserContext]]
PageFactory = Callable[..., Awaitable[Page]]
ProxyFactory = Callable[[RunningServer], Awaitable[CuttableProxy]]
CounsellorFactory = Callable[..., Awaitable[ScriptedCounsellor]]
Screenshot = Callable[[Page, str], Awaitable[Path]]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``browser`` every test in this folder that needs the browser fixture."""
    for item in items:
        if HERE in Path(item.path).resolve().parents and "browser" in getattr(
            item, "fixturenames", ()
        ):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
async def playwright() -> AsyncIterator[Playwright]:
    async with async_playwright() as p:
        yield p


@pytest.fixture
async def browser(playwright: Playwright) -> AsyncIterator[Browser]:
    """Headless Debian Chromium (function scope: it lives in the test's event loop)."""
    if not os.access(CHROMIUM, os.X_OK):
        missing_service(f"{CHROMIUM} is missing (apt-get install chromium)")
    browser = await playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        # Containers run as root without a user namespace for the sandbox, and with a
        # small /dev/shm: Chromium's usual flags for that.
        args=["--no-sandbox", "--disable-dev-shm-usage"],
    )
    yield browser
    with contextlib.suppress(Exception):
        await browser.close()


@pytest.fixture
async def _recorders() -> AsyncIterator[dict[Page, PageRecorder]]:
    recorders: dict[Page, PageRecorder] = {}
    yield recorders
    problems = [
        f"{rec.page.url}: {problem}"
        for rec in recorders.values()
        if not rec.expect_errors
        for problem in rec.problems()
    ]
    if problems:
        pytest.fail("the page reported errors:\n  " + "\n  ".join(problems), pytrace=False)


@pytest.fixture
def recorder(_recorders: dict[Page, PageRecorder]) -> Callable[[Page], PageRecorder]:
    """``recorder(page)``: what the page requested, its WebSocket frames, its errors."""

    def get(page: Page) -> PageRecorder:
        try:
            return _recorders[page]
        except KeyError:
            raise AssertionError("this page was not opened through new_context") from None

    return get


@pytest.fixture
async def new_context(
    browser: Browser, _recorders: dict[Page, PageRecorder]
) -> AsyncIterator[ContextFactory]:
    """``await new_context(width=360, locale="ar")``: a fresh, recorded browser context.

    Keyword options go to ``browser.new_context`` (``device_scale_factor``,
    ``color_scheme``, ``reduced_motion``, ``bypass_csp``...).
    """
    contexts: list[BrowserContext] = []

    def record(page: Page) -> None:
        _recorders.setdefault(page, PageRecorder(page).attach())

    async def make(
        *, width: int = 1280, height: int = 800, locale: str = "en-US", **options: Any
    ) -> BrowserContext:
        context = await browser.new_context(
            viewport={"width": width, "height": height}, locale=locale, **options
        )
        context.set_default_timeout(10_000)
        context.on("page", record)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        with contextlib.suppress(Exception):
            await context.close()


@pytest.fixture
def new_page(new_context: ContextFactory) -> PageFactory:
    """``page = await new_page(width=360, locale="de")``: a recorded page in a new context."""

    async def make(**options: Any) -> Page:
        context = await new_context(**options)
        return await context.new_page()

    return make


@pytest.fixture
async def proxy_factory() -> AsyncIterator[ProxyFactory]:
    """``proxy = await proxy_factory(server)``: a cuttable proxy to the server."""
    proxies: list[CuttableProxy] = []

    async def make(server: RunningServer) -> CuttableProxy:
        proxy = await CuttableProxy(server.config.host, server.config.port).start()
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        await proxy.close()


@pytest.fixture
async def neutral_site() -> AsyncIterator[NeutralSite]:
    """A neutral site on another loopback port: ``neutral_site.url`` ends in /weather."""
    site = await NeutralSite().start()
    yield site
    await site.close()


@pytest.fixture
def screenshot() -> Screenshot:
    """``await screenshot(page, "chat-ar-360")`` → tests/browser/screenshots/chat-ar-360.png."""
    return take_screenshot


@pytest.fixture
async def counsellor_factory() -> AsyncIterator[CounsellorFactory]:
    """``await counsellor_factory(server, "alice", ("en",))``: signed in and available."""
    made: list[ScriptedCounsellor] = []

    async def make(server: RunningServer, *args: Any, **kwargs: Any) -> ScriptedCounsellor:
        counsellor = await ScriptedCounsellor.start(server, *args, **kwargs)
        made.append(counsellor)
        return counsellor

    yield make
    for counsellor in made:
        with contextlib.suppress(Exception):
            await counsellor.close()
