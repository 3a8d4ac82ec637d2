"""Administration on the command line (docs/operations.md), for scripting: the same
operations as the supervisors' pages, each written to the audit log with actor ``cli``.

::

    helpline account edit USERNAME [--role R] [--languages en,de] [--capacity N]
    helpline account disable USERNAME | enable USERNAME
    helpline account password USERNAME --password-stdin
    helpline queue list
    helpline queue show CODE
    helpline queue set CODE [--name N | --no-name] [--closed | --open]
                            [--closed-message M | --no-closed-message]
                            [--fallback CODE | --no-fallback] [--hours JSON | --always-open]
                            [--add-holiday YYYY-MM-DD]... [--remove-holiday YYYY-MM-DD]...
    helpline queue put CODE < queue.json
    helpline service show
    helpline service set [--time-zone Z] [--quick-exit-url U] [--transcripts on|off]
                         [--feedback on|off] [--outcomes a,b,c]
    helpline audit list [--limit N] [--before ID]

A running server notices a change within ``session_check_s``: service settings by
their version number, a disabled account or a reset password because its sessions
are gone (its staff connections close).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TextIO

from crypto import certs
from crypto.encoding import b64u_encode
from helpline import service_sync
from helpline.config import Config
from helpline.core import hours
from helpline.core.staff import Role, StaffAccount
from helpline.errors import StoreError
from helpline.langtag import TagError, normalise_tag
from helpline.service import Service, parse_service, queue_document, to_document
from helpline.store import Database
from helpline.store.accounts import KdfParams
from helpline.store.audit import MAX_PAGE
from helpline.store.passwords import hash_secret

ACTOR = "cli"
ACCOUNT_ACTIONS = ("edit", "disable", "enable", "password")


class AdminUsageError(Exception):
    """A mistake on the command line: one line, exit 2 (helpline.cli turns it so)."""


def _last_supervisor(exc: StoreError, username: str) -> Exception:
    """The store's refusal to leave no enabled supervisor, as a usage error; any other
    database error as it is."""
    if exc.code != "last_supervisor":
        return exc
    return AdminUsageError(
        f"{username!r} is the last enabled supervisor: create or enable another one first"
    )


def _database_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", metavar="URL", help="as for `account add`")


def register_account(actions: Any) -> None:
    """The account actions of this module, under ``helpline account``."""
    edit = actions.add_parser("edit", help="change an account's role, languages or capacity")
    edit.add_argument("username")
    edit.add_argument("--role", choices=[role.value for role in Role])
    edit.add_argument("--languages", help="comma-separated queue codes (replaces the list)")
    edit.add_argument("--capacity", type=int, help="chats at once, 1 to max_capacity")
    _database_flag(edit)
    for name, text in (
        ("disable", "disable an account: signed out everywhere, no more chats"),
        ("enable", "enable a disabled account"),
    ):
        sub = actions.add_parser(name, help=text)
        sub.add_argument("username")
        _database_flag(sub)
    password = actions.add_parser(
        "password",
        help="set a new password (ends every session; the identity key must be made again)",
    )
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true", required=True)
    _database_flag(password)


def register(commands: Any) -> None:
    """``queue``, ``service`` and ``audit``."""
    queue = commands.add_parser("queue", help="list and configure queues")
    queue_actions = queue.add_subparsers(dest="queue_command", metavar="ACTION", required=True)
    _database_flag(queue_actions.add_parser("list", help="every queue, one line each"))
    show = queue_actions.add_parser("show", help="one queue's settings as JSON")
    show.add_argument("code")
    _database_flag(show)
    put = queue_actions.add_parser(
        "put", help="replace (or create) a queue's settings with a JSON object from stdin"
    )
    put.add_argument("code")
    _database_flag(put)
    edit = queue_actions.add_parser("set", help="change (or create) a queue")
    edit.add_argument("code", help="a BCP 47 language tag, such as en, pt-BR or sr-Latn")
    name = edit.add_mutually_exclusive_group()
    name.add_argument("--name", help="the name seekers see")
    name.add_argument("--no-name", action="store_true", help="use the built-in name")
    closed = edit.add_mutually_exclusive_group()
    closed.add_argument("--closed", action="store_true", help="switch the queue off")
    closed.add_argument("--open", action="store_true", help="switch the queue on")
    message = edit.add_mutually_exclusive_group()
    message.add_argument("--closed-message")
    message.add_argument("--no-closed-message", action="store_true")
    fallback = edit.add_mutually_exclusive_group()
    fallback.add_argument("--fallback", help="another queue's code")
    fallback.add_argument("--no-fallback", action="store_true")
    weekly = edit.add_mutually_exclusive_group()
    weekly.add_argument("--hours", help='JSON, e.g. {"mon": [["09:00", "17:00"]]}')
    weekly.add_argument("--always-open", action="store_true", help="no opening hours")
    edit.add_argument("--add-holiday", action="append", default=[], metavar="YYYY-MM-DD")
    edit.add_argument("--remove-holiday", action="append", default=[], metavar="YYYY-MM-DD")
    _database_flag(edit)

    service = commands.add_parser("service", help="show and change the service settings")
    service_actions = service.add_subparsers(
        dest="service_command", metavar="ACTION", required=True
    )
    _database_flag(service_actions.add_parser("show", help="the settings as JSON"))
    change = service_actions.add_parser("set", help="change service settings")
    change.add_argument("--time-zone", help='IANA name, such as "Europe/Amsterdam"')
    change.add_argument("--quick-exit-url")
    change.add_argument("--transcripts", choices=("on", "off"))
    change.add_argument("--feedback", choices=("on", "off"))
    change.add_argument("--outcomes", help="comma-separated outcome codes (replaces the list)")
    _database_flag(change)

    audit = commands.add_parser("audit", help="read the administration audit log")
    audit_actions = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    listing = audit_actions.add_parser(
        "list", help="newest first, tab-separated: id, time (UTC), actor, action, detail"
    )
    listing.add_argument("--limit", type=int, default=50, help=f"1 to {MAX_PAGE}")
    listing.add_argument("--before", type=int, help="only entries with a smaller id")
    _database_flag(listing)


async def _open(config: Config) -> tuple[Database, service_sync.Loaded]:
    database = await Database.open(config.effective_database_url)
    try:
        loaded = await service_sync.load(database, config, actor=ACTOR, now=time.time())
    except BaseException:
        await database.close()
        raise
    return database, loaded


async def current_queues(database: Database, config: Config) -> tuple[str, ...]:
    """The queue codes as the server has them (the database, else the configuration)."""
    loaded = await service_sync.load(database, config, actor=ACTOR, now=time.time())
    return tuple(loaded.service.queues)


def parse_languages(raw: str, queues: tuple[str, ...], role: Role) -> tuple[str, ...]:
    codes: list[str] = []
    for part in raw.split(","):
        code = part.strip()
        if not code:
            continue
        if code not in queues:
            raise AdminUsageError(f"unknown language {code!r} (queues: {','.join(queues)})")
        if code not in codes:
            codes.append(code)
    if role is Role.COUNSELLOR and not codes:
        raise AdminUsageError("a counsellor needs at least one language (--languages)")
    return tuple(codes)


async def _account(database: Database, username: str) -> StaffAccount:
    found = await database.accounts.find_login(username)
    if found is None:
        raise AdminUsageError(f"no account {username!r}")
    return found[0]


async def account_action(
    args: argparse.Namespace,
    config: Config,
    stdin: TextIO,
    read_password: Callable[[TextIO], str],
    derive: Callable[[str, int], Any],
) -> int:
    database = await Database.open(config.effective_database_url)
    try:
        account = await _account(database, args.username)
        now = time.time()
        if args.account_command == "edit":
            role = None if args.role is None else Role(args.role)
            languages = None
            if args.languages is not None:
                queues = await current_queues(database, config)
                languages = parse_languages(args.languages, queues, role or account.role)
            if args.capacity is not None and not 1 <= args.capacity <= config.max_capacity:
                raise AdminUsageError(f"the capacity must be between 1 and {config.max_capacity}")
            if (role or account.role) is Role.COUNSELLOR and not (languages or account.languages):
                raise AdminUsageError("a counsellor needs at least one language (--languages)")
            try:
                after = await database.accounts.update(
                    account.id, role=role, languages=languages, capacity=args.capacity
                )
            except StoreError as exc:
                raise _last_supervisor(exc, account.username) from None
            detail = f"{account.username}: role {after.role.value}, languages "
            detail += f"{','.join(after.languages) or 'none'}, capacity {after.capacity}"
            await database.audit.add(ACTOR, "staff.edit", detail, now)
            print(f"changed {account.username!r}: {detail.split(': ', 1)[1]}")
        elif args.account_command in ("disable", "enable"):
            disabled = args.account_command == "disable"
            if disabled == account.disabled:  # nothing to do, and nothing for the audit log
                print(f"{account.username!r} is already {args.account_command}d")
                return 0
            try:
                await database.accounts.set_disabled(account.id, disabled)
            except StoreError as exc:
                raise _last_supervisor(exc, account.username) from None
            what = "disabled" if disabled else "enabled"
            action = f"staff.{args.account_command}"
            await database.audit.add(ACTOR, action, f"{account.username} {what}", now)
            print(f"{what} {account.username!r}")
            if disabled:
                print(
                    "Signed out everywhere; a running server closes its connections within "
                    "session_check_s. Revoke its identity key with `helpline keys revoke`."
                )
        else:
            password = read_password(stdin)
            salt, secret = await derive(password, config.kdf_iterations)
            password_hash = await hash_secret(secret, config.password_cost)
            await database.accounts.reset_login_secret(
                account.id, password_hash, KdfParams(salt, config.kdf_iterations)
            )
            dropped = await database.identity.remove(account.id)
            detail = f"{account.username}: password reset, every session ended"
            if dropped is not None:
                detail += f"; identity key {b64u_encode(dropped.ik)} dropped"
            await database.audit.add(ACTOR, "staff.password", detail, now)
            print(f"new password for {account.username!r}; every session ended")
            if dropped is not None:
                print(
                    "Its identity key was dropped: the workspace makes a new one at the next "
                    "sign-in, to be certified. Revoke the old one with\n"
                    f"    helpline keys revoke --public-key={b64u_encode(dropped.ik)}"
                )
    finally:
        await database.close()
    return 0


def _key_column(state: str, not_after: int | None, fingerprint: str | None) -> str:
    if state == "none":
        return "no key"
    if state == "valid" and not_after is not None:
        state = f"valid until {datetime.fromtimestamp(not_after, UTC):%Y-%m-%d}"
    return f"{state} {fingerprint}"


async def account_list(config: Config) -> int:
    from helpline.web.trust import key_state  # the same rule as the server's

    database = await Database.open(config.effective_database_url)
    try:
        accounts = await database.accounts.list()
        keys = {key.account_id: key for key in await database.identity.all()}
    finally:
        await database.close()
    if not accounts:
        print("no staff accounts yet: add one with `helpline account add`")
        return 0
    now = time.time()
    print(f"{'id':>4}  {'username':<20} {'role':<10} {'languages':<16} {'cap':>3}  state     key")
    for account in accounts:
        key = keys.get(account.id)
        column = _key_column(
            key_state(key, now),
            None if key is None else key.not_after,
            None if key is None else certs.fingerprint(key.ik),
        )
        languages = ",".join(account.languages) or "-"
        state = "disabled" if account.disabled else "active"
        print(
            f"{account.id:>4}  {account.username:<20} {account.role.value:<10} "
            f"{languages:<16} {account.capacity:>3}  {state:<8}  {column}"
        )
    return 0


def _queue_line(service: Service, code: str, now: float) -> str:
    queue = service.queues[code]
    state = (
        "switched off" if queue.closed else "open" if hours.is_open(queue.hours, now) else "closed"
    )
    weekly = "always" if queue.hours.weekly is None else "weekly hours"
    return "\t".join((code, service.name(code) or "-", state, weekly, queue.fallback or "-"))


def _code(raw: str) -> str:
    try:
        return normalise_tag(raw)
    except TagError as exc:
        raise AdminUsageError(str(exc)) from None


def _queue_changes(args: argparse.Namespace) -> dict[str, Any] | None:
    """What ``queue set`` / ``queue put`` change (None: put, the whole object from stdin)."""
    if args.queue_command == "put":
        return None
    changes: dict[str, Any] = {}
    if args.name is not None or args.no_name:
        changes["name"] = args.name
    if args.closed or args.open:
        changes["closed"] = bool(args.closed)
    if args.closed_message is not None or args.no_closed_message:
        changes["closed_message"] = args.closed_message
    if args.fallback is not None or args.no_fallback:
        changes["fallback"] = None if args.fallback is None else _code(args.fallback)
    if args.always_open:
        changes["hours"] = None
    elif args.hours is not None:
        try:
            changes["hours"] = json.loads(args.hours)
        except ValueError:
            raise AdminUsageError(
                '--hours must be JSON, e.g. {"mon": [["09:00", "17:00"]]}'
            ) from None
    return changes


async def queue_command(args: argparse.Namespace, config: Config, stdin: TextIO) -> int:
    database, loaded = await _open(config)
    try:
        service = loaded.service
        now = time.time()
        if args.queue_command == "list":
            for code in service.queues:
                print(_queue_line(service, code, now))
            return 0
        code = _code(args.code)
        if args.queue_command == "show":
            if code not in service.queues:
                raise AdminUsageError(f"no queue {code!r}")
            print(json.dumps(queue_document(service.queues[code]), ensure_ascii=False, indent=2))
            return 0
        changes = _queue_changes(args)
        if changes is None:
            try:
                given = json.loads(stdin.read())
            except ValueError:
                raise AdminUsageError("the queue's settings must be a JSON object") from None
        else:
            given = (
                queue_document(service.queues[code]) if code in service.queues else {}
            ) | changes
            holidays = set(given.get("holidays", [])) | set(args.add_holiday)
            given["holidays"] = sorted(holidays - set(args.remove_holiday))
        document = to_document(service)
        created = code not in document["queues"]
        document["queues"][code] = given
        new = parse_service(document, config.languages, outcomes=config.outcomes, stored=True)
        action = "queue.create" if created else "queue.edit"
        detail = f"queue {code} {'created' if created else 'changed'}"
        await service_sync.save(
            database, loaded.version, new, actor=ACTOR, action=action, detail=detail, now=now
        )
        print(_queue_line(new, code, now))
    finally:
        await database.close()
    return 0


def _settings_changes(args: argparse.Namespace) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if args.time_zone is not None:
        changes["time_zone"] = args.time_zone
    if args.quick_exit_url is not None:
        changes["quick_exit_url"] = args.quick_exit_url
    if args.transcripts is not None:
        changes["transcripts"] = args.transcripts == "on"
    if args.feedback is not None:
        changes["feedback"] = args.feedback == "on"
    if args.outcomes is not None:
        changes["outcomes"] = [c.strip() for c in args.outcomes.split(",") if c.strip()]
    return changes


async def service_command(args: argparse.Namespace, config: Config) -> int:
    database, loaded = await _open(config)
    try:
        service = loaded.service
        if args.service_command == "show":
            print(json.dumps(to_document(service), ensure_ascii=False, indent=2))
            return 0
        changes = _settings_changes(args)
        if not changes:
            raise AdminUsageError("nothing to change: give at least one setting")
        document = to_document(service) | changes
        new = parse_service(document, config.languages, outcomes=config.outcomes, stored=True)
        if new.transcripts != service.transcripts:
            action = "service.transcripts"
            detail = f"transcripts turned {'on' if new.transcripts else 'off'}"
            others = sorted(name for name in changes if name != "transcripts")
            if others:  # named too, so that the one entry tells the whole change
                detail += f"; {', '.join(others)} changed"
        else:
            action, detail = "service.settings", f"{', '.join(sorted(changes))} changed"
        await service_sync.save(
            database,
            loaded.version,
            new,
            actor=ACTOR,
            action=action,
            detail=detail,
            now=time.time(),
        )
        print(f"saved: {detail}")
    finally:
        await database.close()
    return 0


async def audit_command(args: argparse.Namespace, config: Config) -> int:
    if not 1 <= args.limit <= MAX_PAGE:
        raise AdminUsageError(f"--limit must be between 1 and {MAX_PAGE}")
    database = await Database.open(config.effective_database_url)
    try:
        entries = await database.audit.list(args.before, args.limit)
    finally:
        await database.close()
    for entry in entries:
        when = datetime.fromtimestamp(entry.at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        print(f"{entry.id}\t{when}\t{entry.actor}\t{entry.action}\t{entry.detail}")
    return 0


def main(args: argparse.Namespace, config: Config, stdin: TextIO) -> Any:
    """The coroutine of a ``queue``, ``service`` or ``audit`` command."""
    if args.command == "queue":
        return queue_command(args, config, stdin)
    if args.command == "service":
        return service_command(args, config)
    return audit_command(args, config)
