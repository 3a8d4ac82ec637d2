"""What a page did, for assertions: requests, WebSocket frames, console and page errors.

Every page opened in a context from the ``new_context`` fixture gets a
:class:`PageRecorder` (``recorder(page)``); the fixture fails the test at teardown
if any page threw an uncaught error or the console reported a Content-Security-Policy
violation, unless the test said it expected them (``rec.expect_errors = True``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from playwright.async_api import ConsoleMessage, Error, Page, Request, WebSocket

CSP_MARKERS = ("Content Security Policy", "Content-Security-Policy")


@dataclass(frozen=True, slots=True)
class WsFrame:
    """One WebSocket frame the page sent or received (text as str, binary as bytes)."""

    url: str
    direction: Literal["sent", "received"]
    payload: str | bytes
    at: float


@dataclass(eq=False)
class PageRecorder:
    page: Page
    #: Every request URL, in order (documents, scripts, fetches, the WebSocket upgrade...).
    requests: list[str] = field(default_factory=list)
    #: URL of every WebSocket the page opened, in order.
    websockets: list[str] = field(default_factory=list)
    #: Every WebSocket frame, both ways, in order.
    frames: list[WsFrame] = field(default_factory=list)
    #: Console messages of type error (text), CSP violations among them.
    console_errors: list[str] = field(default_factory=list)
    #: Every console message as "type: text" (for debugging a failing test).
    console: list[str] = field(default_factory=list)
    #: Uncaught exceptions and unhandled rejections in the page.
    page_errors: list[str] = field(default_factory=list)
    #: WebSockets that closed, by URL (in order), for tests of reconnecting.
    closed_websockets: list[str] = field(default_factory=list)
    #: Set to True in a test that provokes errors on purpose: teardown will not fail.
    expect_errors: bool = False

    def attach(self) -> PageRecorder:
        self.page.on("request", self._on_request)
        self.page.on("websocket", self._on_websocket)
        self.page.on("console", self._on_console)
        self.page.on("pageerror", self._on_page_error)
        return self

    # -- views ----------------------------------------------------------------------------

    @property
    def sent(self) -> list[str | bytes]:
        return [f.payload for f in self.frames if f.direction == "sent"]

    @property
    def received(self) -> list[str | bytes]:
        return [f.payload for f in self.frames if f.direction == "received"]

    def origins(self) -> set[str]:
        """scheme://host:port of every request and WebSocket (data: and blob: left out)."""
        found = set()
        for url in [*self.requests, *self.websockets]:
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob", "about"):
                continue
            found.add(f"{parts.scheme}://{parts.netloc}")
        return found

    def foreign_requests(self, *allowed_origins: str) -> list[str]:
        """Request and WebSocket URLs outside ``allowed_origins`` (http and ws both)."""
        allowed = set()
        for origin in allowed_origins:
            netloc = urlsplit(origin).netloc
            allowed.add(netloc)
        return [
            url
            for url in [*self.requests, *self.websockets]
            if urlsplit(url).scheme not in ("data", "blob", "about")
            and urlsplit(url).netloc not in allowed
        ]

    def csp_violations(self) -> list[str]:
        return [text for text in self.console_errors if any(m in text for m in CSP_MARKERS)]

    def problems(self) -> list[str]:
        """Page errors and CSP violations, one line each (empty when all is well)."""
        return [f"page error: {e}" for e in self.page_errors] + [
            f"CSP violation: {v}" for v in self.csp_violations()
        ]

    def assert_clean(self) -> None:
        problems = self.problems()
        assert not problems, f"{self.page.url}:\n  " + "\n  ".join(problems)

    # -- listeners ------------------------------------------------------------------------

    def _on_request(self, request: Request) -> None:
        self.requests.append(request.url)

    def _on_websocket(self, ws: WebSocket) -> None:
        url = ws.url
        self.websockets.append(url)

        def sent(payload: str | bytes) -> None:
            self.frames.append(WsFrame(url, "sent", payload, time.monotonic()))

        def received(payload: str | bytes) -> None:
            self.frames.append(WsFrame(url, "received", payload, time.monotonic()))

        def closed(_: WebSocket) -> None:
            self.closed_websockets.append(url)

        ws.on("framesent", sent)
        ws.on("framereceived", received)
        ws.on("close", closed)

    def _on_console(self, message: ConsoleMessage) -> None:
        self.console.append(f"{message.type}: {message.text}")
        if message.type == "error":
            self.console_errors.append(message.text)

    def _on_page_error(self, error: Error) -> None:
        self.page_errors.append(f"{error.name}: {error.message}".strip())
