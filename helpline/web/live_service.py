"""The service settings of a running server, changed without a restart.

At start (:func:`start`, in the app's ``cleanup_ctx``, before the hub exists)
the settings are loaded from the database, importing the service file when it
changed (:mod:`helpline.service_sync`). A change, by a supervisor
(:mod:`helpline.web.admin_service_api`) or found by :meth:`LiveService.refresh`
(the CLI changed the database: the version moved), is applied everywhere at
once: ``app[SERVICE]``, the hub (queue hours, feedback, outcomes, new queues in
the switchboard), ``GET /api/service``'s answer and the page's CSP.
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections.abc import Callable

from aiohttp import web

from helpline import service_sync
from helpline.service import Service
from helpline.web.keys import CONFIG, DATABASE, HUB, PAGE_CSP, SERVICE, SERVICE_ANSWER
from helpline.web.security import page_csp

log = logging.getLogger(__name__)


class LiveService:
    """The version of the settings this server runs with, and how to change them."""

    __slots__ = ("_app", "_lock", "version")

    def __init__(self, app: web.Application, version: int = 0) -> None:
        self._app = app
        self.version = version
        # One change at a time in this process: read, change and save must not interleave.
        self._lock = asyncio.Lock()

    @property
    def service(self) -> Service:
        return self._app[SERVICE]

    def apply(self, service: Service, version: int) -> None:
        app = self._app
        self.version = version
        with warnings.catch_warnings():
            # aiohttp frowns on changing a started application's state; these entries
            # are documented to change at run time, and handlers read them each time.
            warnings.simplefilter("ignore", DeprecationWarning)
            app[SERVICE] = service
            app[PAGE_CSP] = page_csp(service)
        app[SERVICE_ANSWER].replace(service)
        hub = app.get(HUB)
        if hub is not None:
            hub.set_service(service)

    async def refresh(self) -> None:
        """Load the settings again if another process changed them."""
        database = self._app[DATABASE]
        if await database.service.version() == self.version:
            return
        async with self._lock:
            stored = await database.service.load()
            if stored.version == self.version:
                return
            if stored.document is None:  # nothing saved yet: the defaults stand
                self.version = stored.version
                return
            self.apply(
                service_sync.parse_stored(stored.document, self._app[CONFIG]), stored.version
            )
            log.info("service settings changed elsewhere: applied")

    async def change(
        self, actor: str, make: Callable[[Service], tuple[Service, str, str]]
    ) -> Service:
        """Change the settings with ``make`` (new service, audit action, detail; it may
        raise a :class:`~helpline.service.SettingError`), save, audit and apply.
        :class:`~helpline.service_sync.Conflict` when another process saved first."""
        await self.refresh()
        async with self._lock:
            service, action, detail = make(self.service)
            version = await service_sync.save(
                self._app[DATABASE],
                self.version,
                service,
                actor=actor,
                action=action,
                detail=detail,
                now=time.time(),
            )
            self.apply(service, version)
        return service


LIVE = web.AppKey("live_service", LiveService)


async def start(app: web.Application) -> None:
    """Load (and import) the settings; called while the application starts."""
    loaded = await service_sync.load(app[DATABASE], app[CONFIG], actor="server", now=time.time())
    live = LiveService(app, loaded.version)
    app[LIVE] = live
    live.apply(loaded.service, loaded.version)
