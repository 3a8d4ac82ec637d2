"""Service settings over HTTP (docs/protocol.md §6.7), for supervisors.

- ``GET /api/admin/service``: the settings and every queue as stored, with
  whether it is open now.
- ``PUT /api/admin/service/queues/{code}``: one queue's whole settings (the
  object of the service file's ``queues.<code>``, every key optional); a code
  that is no queue yet creates one, appended to the list. The code is a BCP 47
  tag (:mod:`helpline.langtag`), stored in lower case: ``pt-BR`` names the
  queue ``pt-br``. Queues are never removed: switch one off (``closed``).
- ``PUT /api/admin/service/settings``: ``time_zone``, ``quick_exit_url``,
  ``transcripts``, ``feedback``, ``outcomes``, each optional.

Both PUTs check the whole resulting document as the service file is checked
(:func:`helpline.service.parse_service`), save it with the next version, write the
audit log (turning transcripts on or off is an entry of its own) and apply it
at once (:mod:`helpline.web.live_service`). 409 ``conflict`` when the CLI saved
a change in between: load and try again.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from aiohttp import web

from helpline.core import hours
from helpline.langtag import TagError, normalise_tag
from helpline.service import (
    Service,
    SettingError,
    parse_service,
    queue_document,
    to_document,
)
from helpline.service_sync import Conflict
from helpline.web.admin_forms import bad, setting_refused
from helpline.web.api import ApiError, read_json_object, supervisor
from helpline.web.keys import CONFIG, HUB, SERVICE
from helpline.web.live_service import LIVE

MAX_QUEUE_BODY = 512 * 1024  # 50 resources of 4,000 characters, escaped
SETTINGS_FIELDS = ("time_zone", "quick_exit_url", "transcripts", "feedback", "outcomes")

routes = web.RouteTableDef()


async def read_object(
    request: web.Request, allowed: Collection[str], max_bytes: int
) -> dict[str, Any]:
    """The JSON object of the request, every key in ``allowed`` (clear messages)."""
    obj = await read_json_object(request, max_bytes)
    for key in obj:
        if key not in allowed:
            raise bad(str(key)[:32], f"Unknown setting (allowed: {', '.join(sorted(allowed))}).")
    return obj


def queue_view(service: Service, code: str, now: float) -> dict[str, object]:
    queue = service.queues[code]
    return {
        "code": code,
        **queue_document(queue),
        "display_name": service.name(code),
        "open_now": hours.is_open(queue.hours, now),
    }


def settings_view(service: Service) -> dict[str, object]:
    """The top-level settings the staff pages change: those of the stored document."""
    document = to_document(service)
    return {name: document[name] for name in SETTINGS_FIELDS}


def _reparse(request: web.Request, document: dict[str, Any], prefix: str) -> Service:
    config = request.app[CONFIG]
    try:
        return parse_service(document, config.languages, outcomes=config.outcomes, stored=True)
    except SettingError as exc:
        raise setting_refused(exc, prefix) from None


def _conflict() -> ApiError:
    return ApiError(
        409, "conflict", message="The settings were changed elsewhere meanwhile: load them again."
    )


@routes.get("/api/admin/service")
async def get_service(request: web.Request) -> web.Response:
    await supervisor(request)
    service = request.app[SERVICE]
    now = request.app[HUB].clock()
    return web.json_response(
        {
            **settings_view(service),
            "queues": [queue_view(service, code, now) for code in service.queues],
        }
    )


@routes.put("/api/admin/service/queues/{code}")
async def put_queue(request: web.Request) -> web.Response:
    me = await supervisor(request)
    try:
        code = normalise_tag(request.match_info["code"])
    except TagError as exc:
        raise bad("code", str(exc)) from None
    given = await read_object(
        request,
        ("name", "hours", "holidays", "closed", "closed_message", "resources", "fallback"),
        MAX_QUEUE_BODY,
    )

    def make(service: Service) -> tuple[Service, str, str]:
        document = to_document(service)
        before = document["queues"].get(code)
        document["queues"][code] = given
        new = _reparse(request, document, f"queues.{code}.")
        after = queue_document(new.queues[code])
        if before is None:
            return new, "queue.create", f"queue {code} created"
        changed = [key for key in after if after[key] != before.get(key)]
        return new, "queue.edit", f"queue {code}: {', '.join(changed) or 'nothing'} changed"

    try:
        service = await request.app[LIVE].change(me.username, make)
    except Conflict:
        raise _conflict() from None
    return web.json_response(queue_view(service, code, request.app[HUB].clock()))


@routes.put("/api/admin/service/settings")
async def put_settings(request: web.Request) -> web.Response:
    me = await supervisor(request)
    given = await read_object(request, SETTINGS_FIELDS, 64 * 1024)

    def make(service: Service) -> tuple[Service, str, str]:
        document = to_document(service)
        document.update(given)
        new = _reparse(request, document, "")
        before, after = settings_view(service), settings_view(new)
        if before["transcripts"] != after["transcripts"]:
            # Its own entry, even when other settings changed with it: who turned it on.
            state = "on" if new.transcripts else "off"
            return new, "service.transcripts", f"transcripts turned {state}" + _also(before, after)
        changed = [_change(k, before[k], after[k]) for k in after if after[k] != before[k]]
        return new, "service.settings", "; ".join(changed) or "nothing changed"

    try:
        service = await request.app[LIVE].change(me.username, make)
    except Conflict:
        raise _conflict() from None
    return web.json_response(settings_view(service))


def _also(before: dict[str, object], after: dict[str, object]) -> str:
    others = [k for k in after if k != "transcripts" and after[k] != before[k]]
    return f"; also {', '.join(others)} changed" if others else ""


def _change(name: str, before: object, after: object) -> str:
    """One setting's change for the audit log, with both values: the settings are the
    operator's (a time zone, an address, codes), never anything about a seeker."""
    return f"{name} {_shown(before)} -> {_shown(after)}"


def _shown(value: object) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)
