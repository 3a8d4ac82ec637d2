"""Logging for the server: plain lines on stderr, and never a client's address.

A seeker's safety can depend on nobody being able to tell that they used the
helpline, so the server must not write down where a connection came from
(docs/privacy.md). The first line of defence is not to log addresses at all:
the server passes ``access_log=None`` to aiohttp and no handler reads
``request.remote``. This module adds two more, because a single forgotten
argument or a third-party library's log line would otherwise be enough:

* aiohttp's access logger (``aiohttp.access``), whose default format carries the
  remote address and the user agent, is switched off here whatever the web
  layer passes to aiohttp;
* :class:`Redactor`, a filter on the one root handler, replaces anything that
  looks like an IPv4 or IPv6 address in a record's message, arguments, traceback
  and stack with ``<ip>``. Tracebacks matter: ``OSError`` and aiohttp's
  connection errors name the peer.

Libraries that log data at their debug level are held above it whatever the
server's level (:data:`LIBRARY_FLOORS`): aiosqlite logs every SQL call with its
parameters (a username typed wrongly, which may be a password; password and
session hashes), SQLAlchemy's echo the same, websockets every frame, asyncio
every connection with the peer's port. ``DEBUG`` is then safe to turn on in
production: it adds the server's own records only.

The redaction is deliberately greedy: a version string that looks like an
address is redacted too, which costs nothing.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import sys
from typing import TextIO

from helpline.errors import ConfigError

__all__ = ["LIBRARY_FLOORS", "REDACTED", "Redactor", "configure_logging", "redact"]

REDACTED = "<ip>"

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"

#: Loggers whose every record is dropped: aiohttp's access log names the client.
SILENCED_LOGGERS = ("aiohttp.access",)

#: The lowest level at which these libraries may log; below it they log data.
LIBRARY_FLOORS: dict[str, int] = {
    "aiosqlite": logging.WARNING,  # DEBUG: each SQL call with its parameters
    "sqlalchemy": logging.WARNING,  # INFO (echo): statements and parameters
    "asyncpg": logging.WARNING,
    "websockets": logging.INFO,  # DEBUG: each frame, payload included
    "asyncio": logging.INFO,  # DEBUG: each connection, with the peer's port
}

_IPV4 = r"\d{1,3}(?:\.\d{1,3}){3}"

# A dotted quad not inside a longer run of digits and dots ("1.2.3.4.5" is not one).
_IPV4_RE = re.compile(rf"(?<![\d.]){_IPV4}(?!\.?\d)")

# Candidates for IPv6: two to seven hex groups with their colons (empty groups for
# "::"), then a last group or an embedded IPv4 address, then an optional zone
# ("%eth0"). A candidate is redacted only if ipaddress accepts it, so that times
# ("12:34:56") and MAC addresses stay readable.
_IPV6_CANDIDATE_RE = re.compile(
    rf"(?<![\w.%])(?:[0-9A-Fa-f]{{0,4}}:){{2,7}}(?:{_IPV4}|[0-9A-Fa-f]{{0,4}})"
    r"(?:%[\w.-]+)?(?![\w:]|\.\d)"
)


def _redact_ipv6(match: re.Match[str]) -> str:
    candidate = match.group(0)
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return candidate
    return REDACTED


def redact(text: str) -> str:
    """``text`` with every IPv4 and IPv6 address replaced by ``<ip>``."""
    # IPv6 first, so that "::ffff:1.2.3.4" goes as a whole.
    return _IPV4_RE.sub(REDACTED, _IPV6_CANDIDATE_RE.sub(_redact_ipv6, text))


class Redactor(logging.Filter):
    """Removes IP addresses from a record before any handler formats it.

    The message is rendered once here (``msg % args``) and the result redacted,
    so an address cannot slip through in an argument of any type (a peername
    tuple, an ``IPv4Address``, an exception). The traceback and stack text are
    rendered and redacted too. The filter never drops a record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            # A broken format string: leave the error to the handler, but redact
            # what it will print.
            if isinstance(record.msg, str):
                record.msg = redact(record.msg)
            if isinstance(record.args, tuple):
                record.args = tuple(_redact_arg(arg) for arg in record.args)
        else:
            record.msg = redact(message)
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def _redact_arg(arg: object) -> object:
    if isinstance(arg, str):
        return redact(arg)
    if arg is None or isinstance(arg, int | float):
        return arg  # may be meant for %d or %f
    text = str(arg)
    redacted = redact(text)
    return arg if redacted == text else redacted


class _ServerHandler(logging.StreamHandler[TextIO]):
    """The one root handler :func:`configure_logging` installs (and replaces)."""


def configure_logging(level: str, *, stream: TextIO | None = None) -> None:
    """Send the server's log records to stderr (or ``stream``), addresses removed.

    ``level`` is a standard level name (``DEBUG``, ``INFO``, ``WARNING``,
    ``ERROR``, ``CRITICAL``; any case); the libraries in :data:`LIBRARY_FLOORS`
    never log below their floor. Calling it again replaces the handler it
    installed before; other handlers on the root logger are left alone.
    """
    numeric = logging.getLevelNamesMapping().get(level.strip().upper())
    if numeric is None:
        raise ConfigError(f"unknown log level: {level!r}")

    handler = _ServerHandler(sys.stderr if stream is None else stream)
    handler.setFormatter(logging.Formatter(LOG_FORMAT, DATE_FORMAT))
    handler.addFilter(Redactor())

    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _ServerHandler)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(numeric)

    for name, floor in LIBRARY_FLOORS.items():
        logging.getLogger(name).setLevel(max(numeric, floor))
    for name in SILENCED_LOGGERS:
        _silence(logging.getLogger(name))


def _silence(logger: logging.Logger) -> None:
    # Above CRITICAL, isEnabledFor() is false for every record, so aiohttp does not
    # even format its access line; should a record come through anyway, it reaches
    # only a NullHandler, never the root handler.
    logger.setLevel(logging.CRITICAL + 1)
    logger.propagate = False
    logger.handlers[:] = [logging.NullHandler()]
