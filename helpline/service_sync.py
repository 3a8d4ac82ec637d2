"""Where the service settings come from: the database, and the service file once.

The settings (:mod:`helpline.service`) are kept as one JSON document in the
database (:mod:`helpline.store.service_store`), so supervisors and the CLI can
change them while the server runs. The service file stays the operator's way to
write them down: whenever it is opened (the server's start, a CLI command) and
the file's SHA-256 differs from that of the file last imported, the file is
imported: it replaces every setting it can hold, that is everything but the
queues added in the database for codes outside ``HELPLINE_LANGUAGES``, which are
kept. Otherwise the database wins, and the file may go stale without harm.
Each import and each change is written to the audit log.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from types import MappingProxyType

from helpline.config import Config
from helpline.errors import ConfigError, StoreError
from helpline.service import (
    Service,
    default_service,
    parse_service,
    read_service_file,
    to_document,
)
from helpline.store.engine import Database


@dataclass(frozen=True, slots=True)
class Loaded:
    service: Service
    version: int  # 0: nothing saved yet


class Conflict(StoreError):
    """Another change was saved between reading the settings and saving this one."""

    code = "conflict"


def parse_stored(text: str, config: Config) -> Service:
    """The stored document, checked like a file (a broken one is a ConfigError)."""
    try:
        obj = json.loads(text)
    except ValueError:
        raise ConfigError("the stored service settings are not JSON") from None
    try:
        return parse_service(obj, config.languages, outcomes=config.outcomes, stored=True)
    except ConfigError as exc:
        raise ConfigError(f"the stored service settings: {exc}") from None


def encode(service: Service) -> str:
    return json.dumps(to_document(service), ensure_ascii=False, separators=(",", ":"))


async def load(database: Database, config: Config, *, actor: str, now: float) -> Loaded:
    """The current settings, importing the service file first if it changed."""
    for _ in range(3):  # another process may import or change at the same moment
        stored = await database.service.load()
        current = None if stored.document is None else parse_stored(stored.document, config)
        path = config.effective_service_file
        if path is not None:
            raw = read_service_file(path)
            sha = hashlib.sha256(raw).hexdigest()
            if sha != stored.file_sha256:
                service = _merge(_parse_file(raw, str(path), config), current, config)
                version = await database.service.save(
                    encode(service), stored.version, file_sha256=sha
                )
                if version is None:
                    continue
                await database.audit.add(
                    actor, "service.import", f"service file {path.name} imported", now
                )
                return Loaded(service, version)
        if current is None:
            return Loaded(default_service(config.languages, config.outcomes), stored.version)
        return Loaded(current, stored.version)
    raise Conflict("the service settings keep changing; try again")


def _parse_file(raw: bytes, name: str, config: Config) -> Service:
    try:
        obj = json.loads(raw)
    except ValueError as exc:
        raise ConfigError(f"service file {name}: not UTF-8 JSON ({exc})") from None
    try:
        return parse_service(obj, config.languages, outcomes=config.outcomes)
    except ConfigError as exc:
        raise ConfigError(f"service file {name}: {exc}") from None


def _merge(imported: Service, current: Service | None, config: Config) -> Service:
    """The file's settings plus the database's queues it cannot hold (codes outside
    ``HELPLINE_LANGUAGES``), in the database's order after the file's."""
    if current is None:
        return imported
    queues = dict(imported.queues)
    for code, queue in current.queues.items():
        if code not in queues and code not in config.languages:
            queues[code] = replace(queue, hours=replace(queue.hours, time_zone=imported.time_zone))
    return replace(imported, queues=MappingProxyType(queues))


async def save(
    database: Database,
    version: int,
    service: Service,
    *,
    actor: str,
    action: str,
    detail: str,
    now: float,
) -> int:
    """Store a changed service (made from ``version``) and audit it; the new version,
    or :class:`Conflict` when another change came first."""
    new_version = await database.service.save(encode(service), version)
    if new_version is None:
        raise Conflict("the service settings were changed meanwhile; try again")
    await database.audit.add(actor, action, detail, now)
    return new_version


async def change(
    database: Database,
    config: Config,
    make: Callable[[Service], tuple[Service, str, str]],
    *,
    actor: str,
    now: float,
) -> Service:
    """Load, change with ``make`` (which returns the new service, the audit action and
    its detail, or raises a ConfigError) and save: what the CLI does."""
    loaded = await load(database, config, actor=actor, now=now)
    service, action, detail = make(loaded.service)
    await save(
        database, loaded.version, service, actor=actor, action=action, detail=detail, now=now
    )
    return service


__all__ = ["Conflict", "Loaded", "change", "encode", "load", "parse_stored", "save"]
