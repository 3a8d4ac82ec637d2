"""A neutral site on its own loopback port: the quick exit's destination in tests.

``/weather`` answers a plain HTML page (no script); every path asked for is kept in
``hits``, so a test can check that quick exit landed here and what it asked for.
"""

from __future__ import annotations

from aiohttp import web

from tests.conftest import free_port

WEATHER_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Weather</title></head>
<body><h1>Weather</h1><p>Sunny spells, 18 °C.</p></body></html>
"""


class NeutralSite:
    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = 0
        #: Paths requested, in order.
        self.hits: list[str] = []
        self._runner: web.AppRunner | None = None

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The quick-exit target: ``http://127.0.0.1:PORT/weather``."""
        return self.origin + "/weather"

    async def start(self) -> NeutralSite:
        app = web.Application()
        app.router.add_get("/weather", self._weather)
        app.router.add_get("/{tail:.*}", self._other)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        self.port = free_port()
        await web.TCPSite(self._runner, self.host, self.port).start()
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _weather(self, request: web.Request) -> web.Response:
        self.hits.append(request.path_qs)
        return web.Response(text=WEATHER_HTML, content_type="text/html")

    async def _other(self, request: web.Request) -> web.Response:
        self.hits.append(request.path_qs)
        raise web.HTTPNotFound()
