"""What the seeker's page asks the server over HTTP (docs/protocol.md §7).

``GET /api/service``: the queues with their names, whether each is open now
and until when (or from when), the operator's resources and closed message,
and the page's settings (quick exit, feedback, transcripts, the interface
languages the server has locale files for). No cookie is read or set; the
answer is the same for everyone at the same moment, and ``no-store`` (every
``/api/`` answer, :mod:`helpline.web.security`) keeps an opening that passed
from being served from a cache.

``POST /api/feedback``: one answer to the one question, with the one-use
ticket the seeker's ``chat_ended`` carried (:mod:`helpline.core.feedback`). It
is counted per UTC day, language and answer only, and written in hourly
batches (:mod:`helpline.web.feedback`, docs/privacy.md).
The ticket, not an address, is what limits answers: one per ended chat.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from aiohttp import web

from helpline.core import hours
from helpline.core.feedback import ANSWERS, feedback_day
from helpline.errors import StoreError
from helpline.service import Service
from helpline.web.api import ApiError, Body
from helpline.web.keys import FEEDBACK, HUB, SERVICE_ANSWER
from helpline.wire import fields

log = logging.getLogger(__name__)

MAX_ANSWER_AGE_S = 30.0
LOCALES_DIR = Path(__file__).resolve().parent / "seeker_page" / "locales"

routes = web.RouteTableDef()


def ui_languages(directory: Path = LOCALES_DIR) -> tuple[str, ...]:
    """The interface languages of the seeker's page: the sorted stems of the locale
    files found at start (none while the directory does not exist)."""
    if not directory.is_dir():
        return ()
    return tuple(sorted(path.stem for path in directory.glob("*.json") if path.is_file()))


def describe(service: Service, ui: tuple[str, ...], now: float) -> dict[str, object]:
    """The body of ``GET /api/service`` at ``now`` (Unix seconds)."""
    languages = []
    for code, queue in service.queues.items():
        state = hours.status(queue.hours, now)
        languages.append(
            {
                "code": code,
                "name": service.name(code),
                "open": state.open,
                "opens_at": state.opens_at,
                "closes_at": state.closes_at,
                "closed_message": None if state.open else queue.closed_message,
                "fallback": queue.fallback,
                "resources": [
                    {"title": r.title, "text": r.text, "url": r.url, "phone": r.phone}
                    for r in queue.resources
                ],
            }
        )
    return {
        "languages": languages,
        "transcripts": service.transcripts,
        "quick_exit_url": service.quick_exit_url,
        "feedback": service.feedback,
        "ui_languages": list(ui),
        "time_zone": service.time_zone_name,
    }


def _changes(answer: dict[str, object]) -> list[float]:
    """When a queue in ``answer`` opens or closes next (what makes the answer stale)."""
    languages = answer["languages"]
    assert isinstance(languages, list)
    return [
        moment
        for queue in languages
        for moment in (queue["opens_at"], queue["closes_at"])
        if moment is not None
    ]


class ServiceAnswer:
    """The body of ``GET /api/service``, made again only when it may have changed.

    Anyone may ask, as often as they like, and the answer is computed on the event
    loop that relays chats: so it is kept until the next time a queue opens or
    closes, and for at most :data:`MAX_ANSWER_AGE_S`.
    """

    __slots__ = ("_body", "_made", "_service", "_ui", "_until")

    def __init__(self, service: Service, ui: tuple[str, ...]) -> None:
        self._service = service
        self._ui = ui
        self._body = b""
        self._made = self._until = float("-inf")

    def replace(self, service: Service) -> None:
        """New settings (changed at run time): the next answer is made from them."""
        self._service = service
        self._made = self._until = float("-inf")

    def body(self, now: float) -> bytes:
        if not self._made <= now < self._until:  # stale, or the clock stepped back
            answer = describe(self._service, self._ui, now)
            self._body = json.dumps(answer, ensure_ascii=False).encode()
            self._made = now
            self._until = min([now + MAX_ANSWER_AGE_S, *_changes(answer)])
        return self._body


@routes.get("/api/service")
async def get_service(request: web.Request) -> web.Response:
    app = request.app
    return web.Response(
        body=app[SERVICE_ANSWER].body(app[HUB].clock()), content_type="application/json"
    )


@routes.post("/api/feedback")
async def post_feedback(request: web.Request) -> web.Response:
    body = await Body.read(request, ("ticket", "answer"))
    ticket = body.text("ticket", 64)
    if not fields.is_token(ticket):
        raise ApiError(400, "bad_field", field="ticket")
    answer = body.text("answer", 32)
    if answer not in ANSWERS:  # checked first: a bad answer does not use up the ticket
        raise ApiError(400, "bad_field", field="answer")
    hub = request.app[HUB]
    now = hub.clock()
    language = hub.tickets.redeem(ticket, now)
    if language is None:
        raise ApiError(404, "unknown_ticket")
    try:
        await request.app[FEEDBACK].add(feedback_day(now), language, answer)
    except StoreError as exc:
        log.warning("could not record feedback: %s", exc.code)
        raise ApiError(503, "unavailable") from None
    return web.Response(status=204)
