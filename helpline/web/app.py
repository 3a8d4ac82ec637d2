"""The application factory and ``serve`` (what ``python run.py`` runs).

Resources open and close through ``cleanup_ctx``: the database (migrated at
start), the organisation key and identity keys (:mod:`helpline.web.trust`;
in development mode a warning is printed at every start), the hub (its tick
and statistics tasks). aiohttp's access log is off:
its default format records the client's address and user agent, which this
service never keeps (docs/privacy.md).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web

import helpline
from helpline.config import Config
from helpline.logging import configure_logging
from helpline.store.engine import Database
from helpline.web import identity_api, sockets, staff_api, static
from helpline.web.api import api_error_middleware
from helpline.web.hub import Hub
from helpline.web.keys import CONFIG, DATABASE, HUB, TRUST
from helpline.web.security import add_security_headers, security_middleware
from helpline.web.trust import DEV_KEY_FILE, DEVELOPMENT_WARNING, Trust, load_org_key

log = logging.getLogger(__name__)

FIRST_START_HINT = """\
No staff accounts yet. Create the first supervisor with:

    python -m helpline account add --username admin --role supervisor \\
        --languages {languages} --capacity 1 --password-stdin
"""


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "version": helpline.__version__})


async def _database_ctx(app: web.Application) -> AsyncIterator[None]:
    config = app[CONFIG]
    database = await Database.open(config.effective_database_url)
    app[DATABASE] = database
    if await database.accounts.count() == 0:
        print(FIRST_START_HINT.format(languages=config.languages[0]), flush=True)
    yield
    await database.close()


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
    hub = Hub(app[CONFIG], app[DATABASE], chat_gate=app[TRUST].refusal)
    app[HUB] = hub
    await staff_api.setup_login(app)
    await hub.start()
    yield
    await hub.stop()


def create_app(config: Config) -> web.Application:
    app = web.Application(
        middlewares=[security_middleware, api_error_middleware],
        client_max_size=64 * 1024,
    )
    app[CONFIG] = config
    app.cleanup_ctx.append(_database_ctx)
    app.cleanup_ctx.append(_trust_ctx)
    app.cleanup_ctx.append(_hub_ctx)
    app.on_response_prepare.append(add_security_headers)
    app.router.add_get("/healthz", healthz)
    app.router.add_routes(staff_api.routes)
    app.router.add_routes(identity_api.routes)
    app.router.add_routes(sockets.routes)
    static.setup(app)
    return app


async def start(config: Config) -> web.AppRunner:
    """Start serving and return the runner (tests and ``serve`` use this)."""
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


def serve(config: Config) -> None:
    """Run until SIGINT or SIGTERM."""
    configure_logging(config.log_level)
    print(f"Helpline {helpline.__version__} on http://{config.host}:{config.port}", flush=True)
    web.run_app(
        create_app(config),
        host=config.host,
        port=config.port,
        access_log=None,
        print=None,
        shutdown_timeout=2.0,
    )
