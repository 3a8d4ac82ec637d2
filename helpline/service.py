"""The operator's service settings: the service file (docs/operations.md).

A JSON file (``HELPLINE_SERVICE_FILE``, else ``<data_dir>/service.json`` when
it exists) with what the seeker's page needs to know and the opening hours of
each queue. It is read once at start, parsed and checked into the frozen
dataclasses below; anything wrong is a :class:`~helpline.errors.ConfigError`
whose message names the field (``queues.en.hours.mon[0]``), and the server
does not start. Unknown keys are refused too, so a typo is never silently
ignored. Without a file every queue is open all the time, with no resources.

Bounds (the file is the operator's, but a bound keeps a mistake from becoming
an outage): at most :data:`MAX_RESOURCES` resources and :data:`MAX_HOLIDAYS`
holidays per queue, :data:`MAX_PERIODS` periods per weekday,
:data:`MAX_EMBED_ORIGINS` embedding origins, and the text lengths below; more
is refused at start.

The settings live in the database (:mod:`helpline.service_sync`): the file is
imported when it changed, and supervisors change them at run time. The same
checks apply to both; a :class:`SettingError` names the field and the problem.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from helpline.config import Config
from helpline.core.hours import WEEKDAYS, OpeningHours, Period
from helpline.endonyms import ENDONYMS as ENDONYMS  # re-exported
from helpline.errors import ConfigError
from helpline.langtag import is_tag

DEFAULT_QUICK_EXIT_URL = "https://www.bbc.com/weather"
DEFAULT_TIME_ZONE = "UTC"
MAX_FILE_BYTES = 1024 * 1024
MAX_RESOURCES = 50
MAX_HOLIDAYS = 1000
MAX_PERIODS = 24
MAX_EMBED_ORIGINS = 50
MAX_NAME = 64
MAX_TITLE = 200
MAX_TEXT = 4000
MAX_PHONE = 64
MAX_URL = 2000
MAX_QUEUES = 100
MAX_OUTCOMES = 32
#: The outcome codes a counsellor may give an ended chat, until supervisors change them.
DEFAULT_OUTCOMES: tuple[str, ...] = Config().outcomes

_OUTCOME = re.compile(r"[a-z0-9_-]{1,64}")
_TIME = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])|24:00")
_HOST = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")


@dataclass(frozen=True, slots=True)
class Resource:
    """Help elsewhere, shown to seekers of a queue (a title, a text, optionally a link
    and a phone number)."""

    title: str
    text: str
    url: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class QueueSettings:
    """One queue's settings; ``hours`` carries its opening hours and holidays.
    ``fallback``: the queue a seeker who named none also waits in after
    ``fallback_after_s`` (docs/protocol.md §4), or None."""

    hours: OpeningHours
    name: str | None = None
    closed_message: str | None = None
    resources: tuple[Resource, ...] = ()
    fallback: str | None = None

    @property
    def closed(self) -> bool:
        return self.hours.closed


@dataclass(frozen=True, slots=True)
class Service:
    """The service settings. ``queues`` has an entry for every queue, in display order."""

    time_zone: ZoneInfo
    queues: Mapping[str, QueueSettings]
    quick_exit_url: str = DEFAULT_QUICK_EXIT_URL
    transcripts: bool = False
    feedback: bool = True
    embed_origins: tuple[str, ...] = field(default_factory=tuple)
    outcomes: tuple[str, ...] = DEFAULT_OUTCOMES

    @property
    def time_zone_name(self) -> str:
        return self.time_zone.key

    def queue(self, code: str) -> QueueSettings:
        return self.queues[code]

    def name(self, code: str) -> str | None:
        """The operator's name for the queue, else the built-in endonym, else None."""
        own = self.queues[code].name if code in self.queues else None
        return own or ENDONYMS.get(code) or ENDONYMS.get(code.split("-")[0])


class SettingError(ConfigError):
    """One setting is wrong: ``field`` is its path (``queues.en.hours.mon[0]``) and
    ``problem`` what is wrong with it, in words (the message is both)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}" if field else problem)
        self.field = field
        self.problem = problem


def _bad(where: str, problem: str) -> SettingError:
    return SettingError(where, problem)


def default_service(
    languages: tuple[str, ...], outcomes: tuple[str, ...] = DEFAULT_OUTCOMES
) -> Service:
    """No service file: every queue open all the time, nothing else configured."""
    zone = ZoneInfo(DEFAULT_TIME_ZONE)
    return Service(
        time_zone=zone,
        queues=MappingProxyType({code: QueueSettings(OpeningHours(zone)) for code in languages}),
        outcomes=outcomes,
    )


def load_service(
    path: Path | None, languages: tuple[str, ...], outcomes: tuple[str, ...] = DEFAULT_OUTCOMES
) -> Service:
    """Read and check the service file at ``path`` (None: :func:`default_service`)."""
    if path is None:
        return default_service(languages, outcomes)
    try:
        return parse_service(json.loads(read_service_file(path)), languages, outcomes=outcomes)
    except ValueError as exc:  # not JSON (ConfigError is no ValueError)
        raise ConfigError(f"service file {path}: not UTF-8 JSON ({exc})") from None
    except ConfigError as exc:
        raise ConfigError(f"service file {path}: {exc}") from None


def read_service_file(path: Path) -> bytes:
    """The bytes of the service file (their SHA-256 decides whether it is imported again)."""
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"service file {path}: cannot read it ({exc.strerror})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigError(f"service file {path}: larger than {MAX_FILE_BYTES} bytes")
    return raw


def parse_service(
    obj: object,
    languages: tuple[str, ...],
    *,
    outcomes: tuple[str, ...] = DEFAULT_OUTCOMES,
    stored: bool = False,
) -> Service:
    """The service settings from a parsed JSON document.

    A service file (``stored`` False) configures the queues of ``languages``
    (``HELPLINE_LANGUAGES``), which come first in that order, and may add queues
    under other accepted language tags in normal form after them. The document
    in the database (``stored``) holds every queue, in its own order, under any
    accepted language tag in normal form (:mod:`helpline.langtag`); a code of
    ``languages`` it lacks is added at the end, open all the time. ``outcomes``
    is the default of a document without ``outcomes``.
    """
    top = _object(obj, "the service file")
    _keys(
        top,
        "",
        {
            "time_zone",
            "quick_exit_url",
            "transcripts",
            "feedback",
            "embed_origins",
            "queues",
            "outcomes",
        },
    )
    zone = _time_zone(top.get("time_zone", DEFAULT_TIME_ZONE), "time_zone")
    quick_exit = _url(top.get("quick_exit_url", DEFAULT_QUICK_EXIT_URL), "quick_exit_url")
    transcripts = _bool(top.get("transcripts", False), "transcripts")
    feedback = _bool(top.get("feedback", True), "feedback")
    origins = _list(top.get("embed_origins", []), "embed_origins", MAX_EMBED_ORIGINS)
    embed = tuple(_origin(o, f"embed_origins[{i}]") for i, o in enumerate(origins))
    given = _object(top.get("queues", {}), "queues")
    if len(given) > MAX_QUEUES:
        raise _bad("queues", f"at most {MAX_QUEUES} queues")
    for code in given:
        if code not in languages and not is_tag(code):
            raise _bad(
                f"queues.{code[:32]}",
                "neither a configured language queue "
                f"(HELPLINE_LANGUAGES is {','.join(languages)}) "
                "nor a language code in normal form (lower case, such as pt-br)",
            )
    if stored:
        order = [*given, *(c for c in languages if c not in given)]
    else:  # a file may add queues too (what `service show` prints is a service file)
        order = [*languages, *(c for c in given if c not in languages)]
    queues = {
        code: _queue(given[code], f"queues.{code}", zone)
        if code in given
        else QueueSettings(OpeningHours(zone))
        for code in order
    }
    for code, queue in queues.items():
        if queue.fallback is not None and (queue.fallback == code or queue.fallback not in queues):
            raise _bad(f"queues.{code}.fallback", "must be the code of another queue")
    return Service(
        time_zone=zone,
        queues=MappingProxyType(queues),
        quick_exit_url=quick_exit,
        transcripts=transcripts,
        feedback=feedback,
        embed_origins=embed,
        outcomes=_outcomes(top.get("outcomes", list(outcomes)), "outcomes"),
    )


def to_document(service: Service) -> dict[str, Any]:
    """The JSON document of ``service`` (what the database keeps; parse_service reads it)."""
    return {
        "time_zone": service.time_zone_name,
        "quick_exit_url": service.quick_exit_url,
        "transcripts": service.transcripts,
        "feedback": service.feedback,
        "embed_origins": list(service.embed_origins),
        "outcomes": list(service.outcomes),
        "queues": {code: queue_document(queue) for code, queue in service.queues.items()},
    }


def queue_document(queue: QueueSettings) -> dict[str, Any]:
    """One queue as the service file writes it (every key present)."""
    weekly = queue.hours.weekly
    return {
        "name": queue.name,
        "hours": None
        if weekly is None
        else {
            day: [[_hhmm(p.start), _hhmm(p.end)] for p in periods]
            for day, periods in zip(WEEKDAYS, weekly, strict=True)
        },
        "holidays": sorted(d.isoformat() for d in queue.hours.holidays),
        "closed": queue.hours.closed,
        "closed_message": queue.closed_message,
        "fallback": queue.fallback,
        "resources": [
            {"title": r.title, "text": r.text, "url": r.url, "phone": r.phone}
            for r in queue.resources
        ],
    }


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


# The pieces ---------------------------------------------------------------------


def parse_queue(value: object, where: str, zone: ZoneInfo) -> QueueSettings:
    """One queue's settings (``where`` prefixes the field paths of errors)."""
    return _queue(value, where, zone)


def _queue(value: object, where: str, zone: ZoneInfo) -> QueueSettings:
    obj = _object(value, where)
    _keys(
        obj,
        where,
        {"name", "hours", "holidays", "closed", "closed_message", "resources", "fallback"},
    )
    weekly = None if obj.get("hours") is None else _weekly(obj["hours"], f"{where}.hours")
    holidays = _list(obj.get("holidays", []), f"{where}.holidays", MAX_HOLIDAYS)
    hours = OpeningHours(
        time_zone=zone,
        weekly=weekly,
        holidays=frozenset(_date(d, f"{where}.holidays[{i}]") for i, d in enumerate(holidays)),
        closed=_bool(obj.get("closed", False), f"{where}.closed"),
    )
    resources = _list(obj.get("resources", []), f"{where}.resources", MAX_RESOURCES)
    fallback = obj.get("fallback")
    if fallback is not None and not isinstance(fallback, str):
        raise _bad(f"{where}.fallback", "must be null or the code of another queue")
    return QueueSettings(
        hours=hours,
        name=_optional_text(obj.get("name"), f"{where}.name", MAX_NAME),
        closed_message=_optional_text(
            obj.get("closed_message"), f"{where}.closed_message", MAX_TEXT, lines=True
        ),
        resources=tuple(_resource(r, f"{where}.resources[{i}]") for i, r in enumerate(resources)),
        fallback=fallback,
    )


def _outcomes(value: object, where: str) -> tuple[str, ...]:
    codes = _list(value, where, MAX_OUTCOMES)
    if not codes:
        raise _bad(where, "at least one outcome code is needed")
    for i, code in enumerate(codes):
        if not isinstance(code, str) or not _OUTCOME.fullmatch(code):
            raise _bad(
                f"{where}[{i}]",
                "an outcome code is 1 to 64 characters a-z, 0-9, _ and -, such as support_given",
            )
    if len(set(codes)) != len(codes):
        raise _bad(where, "an outcome code is listed twice")
    return tuple(codes)


def _weekly(value: object, where: str) -> tuple[tuple[Period, ...], ...]:
    obj = _object(value, where)
    _keys(obj, where, set(WEEKDAYS))
    return tuple(_day(obj.get(day, []), f"{where}.{day}") for day in WEEKDAYS)


def _day(value: object, where: str) -> tuple[Period, ...]:
    periods: list[Period] = []
    for i, item in enumerate(_list(value, where, MAX_PERIODS)):
        at = f"{where}[{i}]"
        if not isinstance(item, list) or len(item) != 2:
            raise _bad(at, 'must be a pair ["HH:MM", "HH:MM"]')
        start = _minute(item[0], f"{at}[0]")
        end = _minute(item[1], f"{at}[1]")
        if end <= start:
            raise _bad(at, "the end must be after the start")
        if start == 1440:
            raise _bad(at, "24:00 can only end a period")
        if periods and start < periods[-1].end:
            raise _bad(at, "periods must be in order and must not overlap")
        periods.append(Period(start, end))
    return tuple(periods)


def _minute(value: object, where: str) -> int:
    if not isinstance(value, str) or not _TIME.fullmatch(value):
        raise _bad(where, 'a time must be "HH:MM" (00:00 to 24:00)')
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def _date(value: object, where: str) -> date:
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _bad(where, 'a date must be "YYYY-MM-DD"')


def _resource(value: object, where: str) -> Resource:
    obj = _object(value, where)
    _keys(obj, where, {"title", "text", "url", "phone"})
    url = obj.get("url")
    return Resource(
        title=_text(obj.get("title"), f"{where}.title", MAX_TITLE),
        text=_text(obj.get("text", ""), f"{where}.text", MAX_TEXT, empty=True, lines=True),
        url=None if url is None else _url(url, f"{where}.url"),
        phone=_optional_text(obj.get("phone"), f"{where}.phone", MAX_PHONE),
    )


def _time_zone(value: object, where: str) -> ZoneInfo:
    if not isinstance(value, str) or not value:
        raise _bad(where, 'must be an IANA time zone name such as "Europe/Amsterdam"')
    if value in _NOT_ZONES or value not in _zone_names():
        raise _bad(where, f"unknown time zone {value[:64]!r}")
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise _bad(where, f"unknown time zone {value[:64]!r}") from None


#: Names in the time zone database that are not places: the host's own zone (which
#: differs from one machine to the next) and placeholders.
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


@functools.cache
def _zone_names() -> frozenset[str]:
    """The IANA names the time zone database knows (read once: a directory walk)."""
    return frozenset(available_timezones())


def _url(value: object, where: str) -> str:
    """An absolute http or https URL with a host, and nothing that could break out
    of an HTML attribute or a header."""
    if not isinstance(value, str) or not 0 < len(value) <= MAX_URL:
        raise _bad(where, "must be an http:// or https:// URL")
    if any(c.isspace() or not c.isprintable() or c in "\"'<>\\" for c in value):
        raise _bad(where, "must not contain spaces, quotes or control characters")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise _bad(where, "not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _bad(where, "must be an http:// or https:// URL")
    return value


def _origin(value: object, where: str) -> str:
    """``scheme://host[:port]``, http or https, nothing else (it goes into a CSP header)."""
    problem = _bad(where, 'an origin is "https://host" or "https://host:port", nothing more')
    if not isinstance(value, str) or len(value) > 300:
        raise problem
    scheme, sep, rest = value.partition("://")
    if scheme not in ("http", "https") or not sep:
        raise problem
    host, colon, port = rest.partition(":")
    if not _HOST.fullmatch(host) or (
        colon and not (port.isascii() and port.isdigit() and 0 < int(port) < 65536)
    ):
        raise problem
    return value


def _object(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(where, "must be a JSON object")
    return value


def _keys(obj: dict[str, Any], where: str, allowed: set[str]) -> None:
    for key in obj:
        if key not in allowed:
            prefix = f"{where}." if where else ""
            raise _bad(
                f"{prefix}{key[:32]}", f"unknown setting (allowed: {', '.join(sorted(allowed))})"
            )


def _list(value: object, where: str, max_items: int) -> list[Any]:
    if not isinstance(value, list):
        raise _bad(where, "must be a JSON list")
    if len(value) > max_items:
        raise _bad(where, f"at most {max_items} entries")
    return value


def _bool(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise _bad(where, "must be true or false")
    return value


def _text(
    value: object, where: str, max_length: int, *, empty: bool = False, lines: bool = False
) -> str:
    if not isinstance(value, str) or len(value) > max_length or (not value and not empty):
        raise _bad(where, f"must be a string of at most {max_length} characters")
    return _plain(value, where, lines=lines)


def _optional_text(
    value: object, where: str, max_length: int, *, lines: bool = False
) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= max_length:
        raise _bad(where, f"must be null or a string of at most {max_length} characters")
    return _plain(value, where, lines=lines)


#: Format characters a text may hold: the zero-width non-joiner and joiner, which
#: Persian, Arabic and Indic scripts need to be written correctly.
_JOINERS = "\u200c\u200d"


def _plain(value: str, where: str, *, lines: bool) -> str:
    """``value`` if it is text a seeker's page may show as it is: valid Unicode (no lone
    surrogate, which JSON allows), no control characters but (with ``lines``) line
    breaks and tabs, and no invisible format characters (bidi overrides, isolates,
    zero-width spaces) but the joiners: a name must not reorder or hide itself."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _bad(where, "must be valid Unicode text") from None
    for c in value:
        category = unicodedata.category(c)
        if (category == "Cc" and not (lines and c in "\n\t")) or (
            category == "Cf" and c not in _JOINERS
        ):
            breaks = "" if lines else ", line breaks"
            raise _bad(where, f"must not contain control characters{breaks} or bidi controls")
    return value
