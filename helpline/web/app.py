"""The application factory and ``serve`` (what ``python run.py`` runs).

The service file (:mod:`helpline.service`) is read first, so that a bad one
stops the start with a ConfigError. Resources open and close through
``cleanup_ctx``: the database (migrated at start), the organisation key and
identity keys (:mod:`helpline.web.trust`; in development mode a warning is
printed at every start), the hub (its tick and statistics tasks). aiohttp's access log is off:
its default format records the client's address and user agent, which this
service never keeps (docs/privacy.md). There are no middlewares: the staff
API's rules wrap its own routes (:func:`helpline.web.api.api_routes`).

``serve`` runs on uvloop where it is installed and, once started, hides the
objects made at start-up from the garbage collector (docs/performance.md).
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator

from aiohttp import web

import helpline
from helpline.config import Config
from helpline.logging import configure_logging
from helpline.service import load_service
from helpline.store.engine import Database
from helpline.web import (
    admin_audit_api,
    admin_service_api,
    admin_staff_api,
    colleagues_api,
    dashboard,
    history_api,
    identity_api,
    live_service,
    metrics,
    service_api,
    setup_api,
    sockets,
    staff_api,
    static,
    stats_job,
    totp_api,
    workspace_api,
)
from helpline.web.api import api_routes
from helpline.web.feedback import FeedbackTally
from helpline.web.hub import Hub
from helpline.web.keys import (
    CONFIG,
    DATABASE,
    FEEDBACK,
    HUB,
    PAGE_CSP,
    SERVICE,
    SERVICE_ANSWER,
    TRUST,
)
from helpline.web.live_service import LIVE
from helpline.web.security import add_security_headers, page_csp
from helpline.web.trust import DEV_KEY_FILE, DEVELOPMENT_WARNING, Trust, load_org_key

log = logging.getLogger(__name__)

FIRST_START_HINT = setup_api.FIRST_START_HINT  # printed with the one-time setup link


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "version": helpline.__version__})


async def _database_ctx(app: web.Application) -> AsyncIterator[None]:
    config = app[CONFIG]
    database = await Database.open(config.effective_database_url)
    app[DATABASE] = database
    yield
    await database.close()


async def _service_ctx(app: web.Application) -> AsyncIterator[None]:
    """The service settings from the database (the file imported if it changed), and
    the first start's link when there is no account yet."""
    await live_service.start(app)
    await setup_api.first_start(app)
    yield


async def _trust_ctx(app: web.Application) -> AsyncIterator[None]:
    config = app[CONFIG]
    org = load_org_key(config)
    if org.development:
        print(
            DEVELOPMENT_WARNING.format(
                path=config.data_dir / DEV_KEY_FILE, fingerprint=org.fingerprint
            ),
            flush=True,
        )
    trust = Trust(config, app[DATABASE], org)
    await trust.start()
    app[TRUST] = trust
    yield


async def _hub_ctx(app: web.Application) -> AsyncIterator[None]:
    hub = Hub(app[CONFIG], app[DATABASE], chat_gate=app[TRUST].refusal, service=app[SERVICE])
    app[HUB] = hub
    hub.service_check = app[LIVE].refresh  # a change made by the CLI reaches this server
    feedback = FeedbackTally(app[DATABASE], app[CONFIG].feedback_flush_s)
    app[FEEDBACK] = feedback
    await staff_api.setup_login(app)
    await hub.start()
    feedback.start()
    yield
    await hub.stop()
    await feedback.stop()


async def _end_long_requests(app: web.Application) -> None:
    """on_shutdown, before aiohttp waits for open requests to finish: end the dashboard's
    event streams and close the WebSockets, so that a stop does not sit out the shutdown
    timeout and clients see a clean end rather than a cut connection."""
    if dashboard.DASHBOARD in app:
        app[dashboard.DASHBOARD].end_streams()
    if HUB in app:
        app[HUB].close_all()


def create_app(config: Config) -> web.Application:
    """The application; a bad service file is a ConfigError here, before anything opens."""
    # Checked here so that a bad file stops the start; the settings in use come from the
    # database, into which a changed file is imported at start (helpline.service_sync).
    service = load_service(config.effective_service_file, config.languages, config.outcomes)
    # No middlewares: the staff API's rules wrap its routes only (api.api_route), so
    # that nothing stays on the stack of every open WebSocket.
    app = web.Application(client_max_size=64 * 1024)
    app[CONFIG] = config
    app[SERVICE] = service
    app[PAGE_CSP] = page_csp(service)
    app[SERVICE_ANSWER] = service_api.ServiceAnswer(service, service_api.ui_languages())
    app[history_api.HISTORY_BUILDS] = asyncio.Semaphore(1)
    app.cleanup_ctx.append(_database_ctx)
    app.cleanup_ctx.append(_service_ctx)
    app.cleanup_ctx.append(_trust_ctx)
    app.cleanup_ctx.append(_hub_ctx)
    app.cleanup_ctx.append(stats_job.stats_ctx)  # after the hub: its clock
    app.cleanup_ctx.append(dashboard.dashboard_ctx)  # after the hub: reads its switchboard
    app.on_shutdown.append(_end_long_requests)
    app.on_response_prepare.append(add_security_headers)
    app.router.add_get("/healthz", healthz)
    app.router.add_routes(api_routes(staff_api.routes, identity_api.routes, service_api.routes))
    app.router.add_routes(sockets.routes)
    app.router.add_routes(api_routes(colleagues_api.routes))
    app.router.add_routes(api_routes(totp_api.routes, workspace_api.routes))
    app.router.add_routes(api_routes(history_api.routes))
    app.router.add_routes(
        api_routes(
            admin_staff_api.routes,
            admin_service_api.routes,
            admin_audit_api.routes,
            setup_api.routes,
        )
    )
    app.router.add_routes(api_routes(dashboard.routes, metrics.routes))
    static.setup(app)
    return app


async def start(config: Config) -> web.AppRunner:
    """Start serving on the running loop and return the runner (tests use this).

    The caller chose the loop; :func:`serve` chooses uvloop when it can.
    """
    runner = web.AppRunner(
        create_app(config), access_log=None, handle_signals=False, shutdown_timeout=2.0
    )
    await runner.setup()
    try:
        await web.TCPSite(runner, config.host, config.port).start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop where it is installed (a dependency except on Windows), else asyncio's loop.

    uvloop's transports are written in C and gather the writes of one loop
    iteration into fewer system calls: less CPU per relayed frame
    (docs/performance.md). Nothing in Helpline depends on which loop runs it.
    """
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


async def _freeze_startup_objects(app: web.Application) -> None:
    """Hide what start-up made from the garbage collector (``gc.freeze``).

    The database layer, the static files and the modules are some 100,000
    objects that live as long as the process; without this every full
    collection walks them all again, and under relay load that was a few
    percent of the CPU. Objects made later are collected as usual.
    """
    gc.collect()
    gc.freeze()


def serve(config: Config) -> None:
    """Run until SIGINT or SIGTERM, on :func:`new_event_loop`."""
    configure_logging(config.log_level)
    print(f"Helpline {helpline.__version__} on http://{config.host}:{config.port}", flush=True)
    app = create_app(config)
    app.on_startup.append(_freeze_startup_objects)  # after cleanup_ctx: everything is open
    web.run_app(
        app,
        host=config.host,
        port=config.port,
        access_log=None,
        print=None,
        shutdown_timeout=2.0,
        loop=new_event_loop(),
    )
