"""The command line: ``python -m helpline`` (or ``helpline``).

::

    helpline serve [--host H] [--port P] [--database-url URL]
    helpline account add --username U --role counsellor|supervisor
                         --languages en,de --capacity N --password-stdin
    helpline account list
    helpline account edit|disable|enable|password USERNAME ...   (helpline.admin_cli)
    helpline account totp-reset USERNAME
    helpline queue list|show|set|put ...; service show|set ...; audit list ...
    helpline canned list [--language L]
    helpline canned add --language L --title T (--text TEXT | --text-stdin)
    helpline canned remove ID
    helpline bundle [--list] [--check URL]

Settings not given as flags come from ``HELPLINE_*`` environment variables
(helpline.config). User errors print one line to stderr and exit with 2.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
import time
from collections.abc import Sequence
from typing import TextIO

from helpline import __version__, admin_cli, bundle_cli, keys_cli
from helpline.config import Config
from helpline.core.staff import Role
from helpline.errors import HelplineError
from helpline.store import Database
from helpline.store.accounts import username_problem
from helpline.store.canned import CannedResponse, acceptable
from helpline.store.models import CANNED_TEXT_MAX, CANNED_TITLE_MAX, USERNAME_MAX
from helpline.store.passwords import hash_secret

EXIT_OK = 0
EXIT_USAGE = 2
PASSWORD_MIN = 8
PASSWORD_MAX = 1024


UsageError = admin_cli.AdminUsageError  # a mistake on the command line: one line, exit 2


def _add_database_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="sqlite:///path or postgresql://… (default: $HELPLINE_DATABASE_URL, "
        "else var/helpline.sqlite3 under the data directory)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="helpline",
        description="Privacy-first backend for anonymous, end-to-end encrypted chat helplines.",
    )
    parser.add_argument("--version", action="version", version=f"helpline {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    serve = commands.add_parser("serve", help="run the server until SIGINT or SIGTERM")
    serve.add_argument("--host", help="address to listen on (default: $HELPLINE_HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default: $HELPLINE_PORT, 8080)")
    _add_database_flag(serve)

    account = commands.add_parser("account", help="manage staff accounts")
    account_commands = account.add_subparsers(
        dest="account_command", metavar="ACTION", required=True
    )

    add = account_commands.add_parser(
        "add", help="create a staff account", description="Create a staff account."
    )
    add.add_argument("--username", required=True, help=f"1 to {USERNAME_MAX} characters, no spaces")
    add.add_argument("--role", required=True, choices=[role.value for role in Role])
    add.add_argument(
        "--languages",
        default="",
        help="comma-separated queue codes this person answers, e.g. en,de "
        "(required for counsellors)",
    )
    add.add_argument(
        "--capacity", type=int, default=1, help="chats at once, 1 to max_capacity (default 1)"
    )
    add.add_argument(
        "--password-stdin",
        action="store_true",
        required=True,
        help="read the password from standard input (one line; never pass it as an argument)",
    )
    _add_database_flag(add)

    listing = account_commands.add_parser("list", help="list staff accounts")
    _add_database_flag(listing)

    reset = account_commands.add_parser(
        "totp-reset",
        help="remove an account's second factor (a lost phone)",
        description="Remove the account's TOTP second factor: it signs in with its password "
        "alone until it enrols again.",
    )
    reset.add_argument("username")
    _add_database_flag(reset)
    admin_cli.register_account(account_commands)

    canned = commands.add_parser("canned", help="manage canned responses")
    canned_commands = canned.add_subparsers(dest="canned_command", metavar="ACTION", required=True)
    canned_list = canned_commands.add_parser(
        "list", help="list canned responses (tab-separated: id, language, title, text)"
    )
    canned_list.add_argument("--language", help="only this queue's")
    _add_database_flag(canned_list)
    canned_add = canned_commands.add_parser("add", help="add a canned response")
    canned_add.add_argument("--language", required=True, help="a configured queue code")
    canned_add.add_argument("--title", required=True, help=f"1 to {CANNED_TITLE_MAX} characters")
    text = canned_add.add_mutually_exclusive_group(required=True)
    text.add_argument("--text", help=f"1 to {CANNED_TEXT_MAX} characters")
    text.add_argument(
        "--text-stdin", action="store_true", help="read the text from standard input (all of it)"
    )
    _add_database_flag(canned_add)
    canned_remove = canned_commands.add_parser("remove", help="remove a canned response")
    canned_remove.add_argument("id", type=int, help="its id, as `canned list` shows it")
    _add_database_flag(canned_remove)

    admin_cli.register(commands)
    keys_cli.register(commands)
    bundle_cli.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version or a usage error (already printed)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        if args.command == "serve":
            return _serve(args)
        if args.command == "keys":
            return keys_cli.main(args)
        if args.command == "bundle":
            return bundle_cli.main(args)
        if args.command == "canned":
            return asyncio.run(_canned(args, sys.stdin))
        if args.command in ("queue", "service", "audit"):
            return int(asyncio.run(admin_cli.main(args, _config(args), sys.stdin)))
        if args.account_command == "add":
            return asyncio.run(_account_add(args, sys.stdin))
        if args.account_command == "totp-reset":
            return asyncio.run(_account_totp_reset(args))
        if args.account_command in admin_cli.ACCOUNT_ACTIONS:
            return asyncio.run(
                admin_cli.account_action(
                    args, _config(args), sys.stdin, _read_password, _derive_login_secret
                )
            )
        return asyncio.run(admin_cli.account_list(_config(args)))
    except (UsageError, HelplineError) as exc:
        print(f"helpline: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`helpline audit list | head`): not an error of ours.
        # Point stdout at nothing, so that flushing it at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def _config(
    args: argparse.Namespace, *, host: str | None = None, port: int | None = None
) -> Config:
    return Config.from_env(database_url=args.database_url, host=host, port=port)


def _serve(args: argparse.Namespace) -> int:
    config = _config(args, host=args.host, port=args.port)
    from helpline.web.app import serve  # the web layer is only needed here

    serve(config)
    return EXIT_OK


def _read_password(stdin: TextIO) -> str:
    if stdin.isatty():
        password = getpass.getpass("Password: ")
    else:
        password = stdin.readline()
        if password.endswith("\n"):
            password = password[:-1]
            if password.endswith("\r"):
                password = password[:-1]
    if not password:
        raise UsageError("the password is empty")
    if len(password) < PASSWORD_MIN:
        raise UsageError(f"the password must have at least {PASSWORD_MIN} characters")
    if len(password) > PASSWORD_MAX:
        raise UsageError(f"the password must have at most {PASSWORD_MAX} characters")
    return password


def _check_username(username: str) -> str:
    problem = username_problem(username)
    if problem is not None:
        raise UsageError(problem)
    return username


async def _account_add(args: argparse.Namespace, stdin: TextIO) -> int:
    config = _config(args)
    role = Role(args.role)
    username = _check_username(args.username)
    if not 1 <= args.capacity <= config.max_capacity:
        raise UsageError(f"the capacity must be between 1 and {config.max_capacity}")
    database = await Database.open(config.effective_database_url)
    try:
        queues = await admin_cli.current_queues(database, config)
        languages = admin_cli.parse_languages(args.languages, queues, role)
        if await database.accounts.find_login(username) is not None:
            raise UsageError(f"username {username!r} is already taken")
        password = _read_password(stdin)
        salt, login_secret = await _derive_login_secret(password, config.kdf_iterations)
        password_hash = await hash_secret(login_secret, config.password_cost)
        account = await database.accounts.create(
            username,
            role,
            languages,
            args.capacity,
            password_hash,
            kdf_salt=salt,
            kdf_iterations=config.kdf_iterations,
        )
        await database.audit.add(
            admin_cli.ACTOR,
            "staff.create",
            f"{role.value} {username} created (languages {','.join(languages) or 'none'}, "
            f"capacity {args.capacity})",
            time.time(),
        )
    finally:
        await database.close()
    print(f"created {account.role.value} {account.username!r} (id {account.id})")
    return EXIT_OK


async def _derive_login_secret(password: str, iterations: int) -> tuple[bytes, bytes]:
    """A fresh salt and the login secret the client will derive from ``password``
    (PBKDF2 in a worker thread); the server stores only Argon2id of the secret."""
    import secrets

    from crypto.errors import CryptoError
    from crypto.password import SALT_BYTES, derive_password_keys

    salt = secrets.token_bytes(SALT_BYTES)
    try:
        keys = await asyncio.to_thread(derive_password_keys, password, salt, iterations)
    except CryptoError as exc:
        raise UsageError(f"cannot use this password ({exc.code})") from None
    return salt, keys.login_secret


async def _account_totp_reset(args: argparse.Namespace) -> int:
    config = _config(args)
    database = await Database.open(config.effective_database_url)
    try:
        found = await database.accounts.find_login(args.username)
        if found is None:
            raise UsageError(f"no account {args.username!r}")
        removed = await database.totp.reset(found[0].id)
        if removed:
            await database.audit.add(
                admin_cli.ACTOR,
                "staff.totp_reset",
                f"{args.username}: second factor removed",
                time.time(),
            )
    finally:
        await database.close()
    if removed:
        print(f"removed the second factor of {args.username!r}: it signs in with its password")
    else:
        print(f"{args.username!r} had no second factor")
    return EXIT_OK


def _canned_line(row: CannedResponse) -> str:
    # One line per response, for scripts: line breaks and tabs in the text escaped.
    text = row.text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
    return f"{row.id}\t{row.language}\t{row.title}\t{text}"


def _canned_input(args: argparse.Namespace, stdin: TextIO) -> tuple[str, str]:
    title = args.title
    if not 0 < len(title) <= CANNED_TITLE_MAX or not acceptable(title, lines=False):
        raise UsageError(f"the title must be 1 to {CANNED_TITLE_MAX} characters on one line")
    text = stdin.read().rstrip("\n") if args.text_stdin else args.text
    if not 0 < len(text) <= CANNED_TEXT_MAX or not acceptable(text, lines=True):
        raise UsageError(
            f"the text must be 1 to {CANNED_TEXT_MAX} characters, without control characters"
        )
    return title, text


async def _canned(args: argparse.Namespace, stdin: TextIO) -> int:
    config = _config(args)
    if args.canned_command == "add":
        title, text = _canned_input(args, stdin)
    database = await Database.open(config.effective_database_url)
    try:
        if args.canned_command == "add":
            queues = await admin_cli.current_queues(database, config)
            if args.language not in queues:
                known = ",".join(queues)
                raise UsageError(f"unknown language {args.language!r} (queues: {known})")
        if args.canned_command == "list":
            languages = None if args.language is None else [args.language]
            for row in await database.canned.list(languages):
                print(_canned_line(row))
        elif args.canned_command == "add":
            row = await database.canned.add(args.language, title, text)
            await database.audit.add(
                admin_cli.ACTOR,
                "canned.add",
                f"canned response {row.id} ({row.language}) added",
                time.time(),
            )
            print(f"added canned response {row.id} ({row.language})")
        elif not await database.canned.remove(args.id):
            raise UsageError(f"no canned response {args.id}")
        else:
            await database.audit.add(
                admin_cli.ACTOR, "canned.remove", f"canned response {args.id} removed", time.time()
            )
            print(f"removed canned response {args.id}")
    finally:
        await database.close()
    return EXIT_OK
