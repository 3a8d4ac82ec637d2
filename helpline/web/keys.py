"""Typed application state (aiohttp ``AppKey``s)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from helpline.config import Config
from helpline.service import Service
from helpline.store.engine import Database

if TYPE_CHECKING:
    from helpline.web.hub import Hub
    from helpline.web.trust import Trust

CONFIG = web.AppKey("config", Config)
DATABASE = web.AppKey("database", Database)
HUB: web.AppKey[Hub] = web.AppKey("hub")
TRUST: web.AppKey[Trust] = web.AppKey("trust")
SERVICE = web.AppKey("service", Service)  # the service file, read at start
UI_LANGUAGES: web.AppKey[tuple[str, ...]] = web.AppKey("ui_languages")  # the page's locales
PAGE_CSP = web.AppKey("page_csp", str)  # the seeker page's Content-Security-Policy
