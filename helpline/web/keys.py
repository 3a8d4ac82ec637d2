"""Typed application state (aiohttp ``AppKey``s)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from helpline.config import Config
from helpline.service import Service
from helpline.store.engine import Database

if TYPE_CHECKING:
    from helpline.web.feedback import FeedbackTally
    from helpline.web.hub import Hub
    from helpline.web.service_api import ServiceAnswer
    from helpline.web.trust import Trust

CONFIG = web.AppKey("config", Config)
DATABASE = web.AppKey("database", Database)
HUB: web.AppKey[Hub] = web.AppKey("hub")
TRUST: web.AppKey[Trust] = web.AppKey("trust")
SERVICE = web.AppKey("service", Service)  # the live service settings: replaced at run time
SERVICE_ANSWER: web.AppKey[ServiceAnswer] = web.AppKey("service_answer")  # GET /api/service
PAGE_CSP = web.AppKey("page_csp", str)  # the seeker page's Content-Security-Policy
FEEDBACK: web.AppKey[FeedbackTally] = web.AppKey("feedback")  # answers until written
