"""``helpline keys``: the organisation's key, certificates, revocations and records (HLP1).

::

    helpline keys init-org --out FILE [--records] [--passphrase-stdin]
    helpline keys certify --server URL --key-file FILE --username SUPERVISOR
                          [--renew] [--yes] [--days N] [--secrets-stdin]
    helpline keys revoke --server URL --key-file FILE --username SUPERVISOR
                         [--revoke USERNAME]... [--fingerprint FP]... [--public-key=B64U]...
                         [--yes] [--secrets-stdin]
    helpline keys open-records FILE --key-file FILE [--passphrase-stdin]
    helpline keys fingerprint (--key-file FILE [--passphrase-stdin] | --public-key=B64U)

The organisation's signing key (``ORG_sign``, and the records key ``ORG_rec``) lives in
a passphrase-protected file on the operator's machine, never on the server
(docs/crypto.md, "Keeping the organisation key"). These commands open that file
locally, talk to the server's admin API as a supervisor (``certify``, ``revoke``), and
sign certificates and revocation lists here; the server only stores what they upload.

Secrets are never arguments (they would end up in the shell history and the process
list): they are typed at hidden prompts or, for scripts, read from standard input one
per line (``--passphrase-stdin``: the key file's passphrase; ``--secrets-stdin``: the
supervisor's password, then the key file's passphrase, then the authenticator code
if the account has a second factor). Errors print one line and
exit with 2; no secret is ever printed.

Two hidden options exist for tests only: ``--min-iterations`` (certify, revoke) lowers
the least PBKDF2 iteration count the tool accepts from the server, and ``--kdf-cost``
(init-org) picks a cheaper Argon2id cost for the key file. Neither is for real use.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import Any, NoReturn, TextIO

from crypto import certs, keyfile, password, records
from crypto.encoding import b64u_decode, b64u_encode
from crypto.errors import CryptoError

EXIT_OK = 0
EXIT_ERROR = 2

SESSION_COOKIE = "helpline_session"
CSRF_HEADER = "X-CSRF-Token"  # docs/protocol.md §6.3
DAY = 86_400
MAX_CERT_DAYS = 90  # HLP1 "Keys" 3: a verifier requires not_after ≤ now + 90 days
# A certificate issued for the full 90 days would be refused by a verifier whose clock is
# a little behind ours; we keep this margin below the limit (docs/crypto.md, ambiguities).
CLOCK_MARGIN_S = 3600
LIST_DAYS = 30  # a new revocation list is valid this long (HLP1 allows up to 35 days)
PASSPHRASE_MIN = 12
SECRET_MAX = 1024
MAX_ITERATIONS = 10_000_000  # a server asking for more is broken or hostile (CPU)
HTTP_TIMEOUT_S = 30.0
MAX_RESPONSE_BYTES = 16 * 1024 * 1024
REVOKED_LABEL = b"HLP1/revoked\x00"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
COPY_SUFFIX = ".revocations"
KEY_FILE_HELP = "the organisation key file (made by init-org)"


class KeysError(Exception):
    """A mistake on the command line, a refusal or a failure: one line, exit 2."""


def fail(message: str) -> NoReturn:
    raise KeysError(message)


# --- Command line ------------------------------------------------------------------------


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``keys`` command group to the subparsers of :func:`helpline.cli.build_parser`."""
    keys = commands.add_parser(
        "keys",
        help="organisation key, certificates, revocations, records (docs/crypto.md)",
        description="The organisation key and what it signs: run these on the machine "
        "that holds the key file, never on the server (docs/crypto.md).",
    )
    actions = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)

    init = actions.add_parser(
        "init-org",
        help="create the organisation key file",
        description="Generate the organisation signing key (and with --records the records "
        "key), write them to a new passphrase-protected file, and print the public keys, "
        "their fingerprints and the server's HELPLINE_ORG_PUBLIC_KEY setting.",
    )
    init.add_argument("--out", required=True, type=Path, metavar="FILE", help="new key file")
    init.add_argument(
        "--records",
        action="store_true",
        help="also create the records key (needed to read transcripts, if you turn them on)",
    )
    _passphrase_flag(init)
    init.add_argument(
        "--kdf-cost", choices=("moderate", "min"), default="moderate", help=argparse.SUPPRESS
    )

    certify = actions.add_parser(
        "certify",
        help="certify counsellors' identity keys",
        description="List the identity keys waiting for certification, certify the ones "
        "you confirm, and upload the certificates. Compare each fingerprint with the one "
        "the counsellor reads from their own screen before you confirm.",
    )
    _server_flags(certify)
    certify.add_argument(
        "--renew",
        action="store_true",
        help="also re-certify every currently valid key (run at least every 90 days)",
    )
    certify.add_argument(
        "--days",
        type=int,
        default=MAX_CERT_DAYS,
        help=f"validity of the new certificates, 1 to {MAX_CERT_DAYS} days "
        f"(default {MAX_CERT_DAYS})",
    )
    certify.add_argument("--yes", action="store_true", help="certify without asking")

    revoke = actions.add_parser(
        "revoke",
        help="sign and upload a new revocation list",
        description="Add the named keys to the revocation list, sign it (valid for "
        f"{LIST_DAYS} days) and upload it. With no key named, re-sign the current list: "
        "do this at least monthly, or seekers cannot start chats.",
    )
    _server_flags(revoke)
    revoke.add_argument(
        "--revoke",
        action="append",
        default=[],
        metavar="USERNAME",
        help="revoke every identity key of this account (repeatable)",
    )
    revoke.add_argument(
        "--fingerprint",
        action="append",
        default=[],
        metavar="FP",
        help='revoke the listed key with this fingerprint, e.g. "3f2a 91c0 …" (repeatable)',
    )
    revoke.add_argument(
        "--public-key",
        action="append",
        default=[],
        metavar="B64U",
        help="revoke this identity key even if the server does not list it (repeatable; "
        "write --public-key=B64U, since a key may begin with '-')",
    )
    revoke.add_argument("--yes", action="store_true", help="revoke without asking")

    opener = actions.add_parser(
        "open-records",
        help="decrypt sealed chat records, offline",
        description="Check and decrypt a sealed records file with the records key and print "
        "the transcript. Needs no network; run it on the machine holding the key file.",
    )
    opener.add_argument("records_file", type=Path, metavar="FILE", help="records (JSON lines)")
    opener.add_argument("--key-file", required=True, type=Path, metavar="FILE", help=KEY_FILE_HELP)
    _passphrase_flag(opener)

    finger = actions.add_parser(
        "fingerprint",
        help="show a key's fingerprint",
        description="Print the fingerprint of the organisation's keys in a key file "
        "(after checking its passphrase) or of a public key.",
    )
    which = finger.add_mutually_exclusive_group(required=True)
    which.add_argument("--key-file", type=Path, metavar="FILE", help=KEY_FILE_HELP)
    which.add_argument(
        "--public-key",
        metavar="B64U",
        help="an Ed25519 or X25519 public key (write --public-key=B64U: it may begin with '-')",
    )
    _passphrase_flag(finger)


def _passphrase_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--passphrase-stdin",
        action="store_true",
        help="read the key file's passphrase from standard input (one line) instead of "
        "asking at the terminal",
    )


def _server_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--server",
        required=True,
        metavar="URL",
        help="the helpline's address, e.g. https://help.example.org (http:// only for "
        "localhost and .onion)",
    )
    parser.add_argument("--key-file", required=True, type=Path, metavar="FILE", help=KEY_FILE_HELP)
    parser.add_argument("--username", required=True, help="a supervisor's username")
    parser.add_argument(
        "--secrets-stdin",
        action="store_true",
        help="read the supervisor's password, then the key file's passphrase, from "
        "standard input (one line each) instead of asking at the terminal",
    )
    parser.add_argument(
        "--min-iterations",
        type=int,
        default=password.PBKDF2_ITERATIONS,
        help=argparse.SUPPRESS,
    )


def main(args: argparse.Namespace, stdin: TextIO | None = None) -> int:
    """Run one ``keys`` action; every error becomes one line on stderr and exit 2."""
    io = Terminal(stdin if stdin is not None else sys.stdin)
    actions = {
        "init-org": _init_org,
        "certify": _certify,
        "revoke": _revoke,
        "open-records": _open_records,
        "fingerprint": _fingerprint,
    }
    try:
        return actions[args.keys_command](args, io)
    except KeysError as exc:
        print(f"helpline: error: {exc}", file=sys.stderr)
    except CryptoError as exc:
        print(f"helpline: error: {_crypto_message(exc)}", file=sys.stderr)
    except OSError as exc:  # files: name the file and the reason, nothing else
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"helpline: error: {where}{exc.strerror or exc}", file=sys.stderr)
    return EXIT_ERROR


def _crypto_message(exc: CryptoError) -> str:
    known = {
        "bad_passphrase": "wrong passphrase for the key file (or the file is damaged)",
        "bad_encoding": "a value is not valid base64url",
    }
    return known.get(exc.code, str(exc))


# --- Secrets and questions ---------------------------------------------------------------


class Terminal:
    """Secrets and yes/no questions, from the terminal or from standard input lines."""

    def __init__(self, stdin: TextIO) -> None:
        self.stdin = stdin

    def interactive(self) -> bool:
        return self.stdin.isatty()

    def secret(self, prompt: str, from_stdin: bool) -> str:
        if from_stdin and not self.interactive():
            line = self.stdin.readline()
            if not line:
                fail(f"standard input ended before the {prompt.lower()}")
            value = line.removesuffix("\n").removesuffix("\r")
        elif self.interactive():
            value = getpass.getpass(f"{prompt}: ")
        else:
            fail("no terminal to ask for secrets: use --passphrase-stdin or --secrets-stdin")
        if not value:
            fail(f"the {prompt.lower()} is empty")
        if len(value) > SECRET_MAX:
            fail(f"the {prompt.lower()} is longer than {SECRET_MAX} characters")
        return value

    def confirm(self, question: str) -> bool:
        """Ask on stdout; "y" or "yes" means yes, anything else (or end of input) no."""
        print(f"{question} [y/N] ", end="", flush=True)
        line = self.stdin.readline()
        if not self.interactive():
            print(line.strip())
        return line.strip().lower() in ("y", "yes")


def _new_passphrase(args: argparse.Namespace, io: Terminal) -> str:
    phrase = io.secret("Passphrase", args.passphrase_stdin)
    if io.interactive():  # typed at a hidden prompt: a typo would lose the key
        again = io.secret("Passphrase again", False)
        if again != phrase:
            fail("the two passphrases differ")
    if len(phrase) < PASSPHRASE_MIN:
        fail(f"the passphrase must have at least {PASSPHRASE_MIN} characters")
    return phrase


# --- Key file ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OrgKeys:
    """The opened key file with its public halves."""

    signing_seed: bytes
    signing_public: bytes
    records_secret: bytes | None
    records_public: bytes | None


def _open_keyfile(path: Path, phrase: str) -> OrgKeys:
    if not path.is_file():
        fail(f"{path}: no such key file")
    keys = keyfile.read_org_keyfile(path, phrase)
    return _with_publics(keys)


def _with_publics(keys: keyfile.OrgKeyFile) -> OrgKeys:
    records_public = None
    if keys.records_secret is not None:
        records_public = certs.records_public_key(keys.records_secret)
    return OrgKeys(
        signing_seed=keys.signing_seed,
        signing_public=certs.org_public_key(keys.signing_seed),
        records_secret=keys.records_secret,
        records_public=records_public,
    )


def _print_publics(keys: OrgKeys) -> None:
    print(f"organisation signing key:  {b64u_encode(keys.signing_public)}")
    print(f"  fingerprint:             {certs.fingerprint(keys.signing_public)}")
    if keys.records_public is not None:
        print(f"records key (public half): {b64u_encode(keys.records_public)}")
        print(f"  fingerprint:             {certs.fingerprint(keys.records_public)}")


def _init_org(args: argparse.Namespace, io: Terminal) -> int:
    out: Path = args.out
    if out.exists() or out.is_symlink():
        fail(f"{out} already exists: refusing to overwrite a key file")
    if not out.parent.is_dir():
        fail(f"{out.parent}: no such directory")
    phrase = _new_passphrase(args, io)
    generated = keyfile.generate_org_keys(with_records=args.records)
    if args.kdf_cost == "min":  # tests only: libsodium's floor
        keyfile.write_org_keyfile(
            out, phrase, generated, opslimit=keyfile.MIN_OPSLIMIT, memlimit=keyfile.MIN_MEMLIMIT
        )
    else:
        keyfile.write_org_keyfile(out, phrase, generated)
    keys = _with_publics(generated)
    print(f"wrote {out}: keep it offline, with a backup, and its passphrase apart from it")
    _print_publics(keys)
    print()
    print("Server configuration (environment of `helpline serve`):")
    print(f"HELPLINE_ORG_PUBLIC_KEY={b64u_encode(keys.signing_public)}")
    print()
    print("Publish the signing key's fingerprint where seekers and staff can check it.")
    return EXIT_OK


def _fingerprint(args: argparse.Namespace, io: Terminal) -> int:
    if args.public_key is not None:
        key = b64u_decode(args.public_key)
        if len(key) != 32:
            fail("a public key has 32 bytes")
        print(certs.fingerprint(key))
        return EXIT_OK
    phrase = io.secret("Key file passphrase", args.passphrase_stdin)
    _print_publics(_open_keyfile(args.key_file, phrase))
    return EXIT_OK


# --- The admin API over HTTP ---------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an error: the login secret and the cookie go nowhere else."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _check_server_url(url: str) -> str:
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        fail(f"--server needs an http(s):// address, not {url!r}")
    if parsed.query or parsed.fragment or parsed.username or parsed.password:
        fail("--server takes the bare address, e.g. https://help.example.org")
    host = parsed.hostname
    if parsed.scheme == "http" and host not in LOOPBACK_HOSTS and not host.endswith(".onion"):
        fail(
            f"refusing plain http:// to {host}: the login and the keys would travel in clear "
            "(use https://)"
        )
    return url.rstrip("/")


class AdminApi:
    """The few JSON requests the tool makes; one session cookie after :meth:`login`,
    and its CSRF token on every state-changing request."""

    def __init__(self, base: str) -> None:
        self.base = _check_server_url(base)
        self.cookie: str | None = None
        self.csrf: str | None = None
        self._opener = urllib.request.build_opener(_NoRedirect)

    def request(self, method: str, path: str, body: object = None) -> tuple[int, Any, Any]:
        """(status, parsed JSON or None, headers); network failures become KeysError."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if self.cookie is not None:
            headers["Cookie"] = f"{SESSION_COOKIE}={self.cookie}"
            if self.csrf is not None and method not in ("GET", "HEAD"):
                headers[CSRF_HEADER] = self.csrf
        request = urllib.request.Request(  # noqa: S310 - scheme checked: http(s) only
            self.base + path, data=data, headers=headers, method=method
        )
        try:
            with self._opener.open(request, timeout=HTTP_TIMEOUT_S) as response:
                status, raw = response.status, response.read(MAX_RESPONSE_BYTES)
                response_headers = response.headers
        except urllib.error.HTTPError as exc:
            status, raw, response_headers = exc.code, exc.read(MAX_RESPONSE_BYTES), exc.headers
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            fail(f"cannot reach {self.base}: {reason}")
        try:
            parsed = json.loads(raw) if raw else None
        except (ValueError, UnicodeDecodeError):
            parsed = None
        return status, parsed, response_headers

    def get_json(self, path: str) -> Any:
        status, body, _ = self.request("GET", path)
        if status != 200:
            fail(f"GET {path.split('?')[0]} answered {_describe_failure(status, body)}")
        return body

    def login(
        self,
        username: str,
        secret: str,
        min_iterations: int,
        ask_code: Callable[[], str] | None = None,
    ) -> None:
        """Salt, PBKDF2, then ``POST /api/login`` with the login secret (never the password);
        for an account with a second factor, again with the code ``ask_code`` gives."""
        salt_answer = self.get_json("/api/salt?" + urllib.parse.urlencode({"username": username}))
        salt = b64u_decode(_str_field(salt_answer, "salt"))
        iterations = _int_field(salt_answer, "iterations")
        if not 8 <= len(salt) <= 64:
            fail("the server sent a salt of a strange length")
        if not min_iterations <= iterations <= MAX_ITERATIONS:
            fail(
                f"the server asks for {iterations} PBKDF2 iterations, outside "
                f"{min_iterations}..{MAX_ITERATIONS}: refusing to log in"
            )
        keys = password.derive_password_keys(secret, salt, iterations)
        fields = {"username": username, "secret": b64u_encode(keys.login_secret)}
        status, body, headers = self.request("POST", "/api/login", fields)
        code = body.get("error") if isinstance(body, dict) else None
        if status == 401 and code == "totp_required" and ask_code is not None:
            status, body, headers = self.request(
                "POST", "/api/login", {**fields, "totp": ask_code()}
            )
            code = body.get("error") if isinstance(body, dict) else None
        if status == 401 and code == "totp_required":
            fail("this account needs its authenticator code")
        if status == 401 and code == "bad_code":
            fail("wrong or already used authenticator code")
        if status == 401:
            fail("wrong username or password")
        if status == 429:
            wait = body.get("retry_after_s") if isinstance(body, dict) else None
            fail(f"too many failed logins: try again in {wait} s")
        if status != 200:
            fail(f"login answered {_describe_failure(status, body)}")
        self.cookie = _session_cookie(headers.get_all("Set-Cookie") or [])
        if self.cookie is None:
            fail("the server answered the login without a session cookie")
        csrf = body.get("csrf") if isinstance(body, dict) else None
        self.csrf = csrf if isinstance(csrf, str) else None


def _session_cookie(values: Iterable[str]) -> str | None:
    for value in values:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(value)
        except CookieError:
            continue
        morsel = jar.get(SESSION_COOKIE)
        if morsel is not None and morsel.value:
            return morsel.value
    return None


def _describe_failure(status: int, body: Any) -> str:
    code = body.get("error") if isinstance(body, dict) else None
    if status == 401:
        return "401: not logged in"
    if status == 403:
        return f"403 ({_safe(str(code))}): this needs a supervisor" if code else "403"
    return f"{status} ({_safe(str(code))})" if code else f"HTTP {status}"


def _str_field(obj: Any, name: str) -> str:
    value = obj.get(name) if isinstance(obj, dict) else None
    if not isinstance(value, str):
        fail(f"the server's answer lacks {name!r}")
    return value


def _int_field(obj: Any, name: str) -> int:
    value = obj.get(name) if isinstance(obj, dict) else None
    if not isinstance(value, int) or isinstance(value, bool):
        fail(f"the server's answer lacks {name!r}")
    return value


def _safe(text: str) -> str:
    """Text from the server, shown without control or bidi characters that fool terminals."""
    if text.isprintable():
        return text
    return text.encode("unicode_escape").decode("ascii")


# --- Talking to the server as the key holder ---------------------------------------------


@dataclass(frozen=True)
class KeyEntry:
    """One row of ``GET /api/admin/keys``; the fingerprint is recomputed here."""

    account_id: int | str
    username: str
    handle: str
    ik: bytes
    state: str
    not_after: int | None

    @property
    def fingerprint(self) -> str:
        return certs.fingerprint(self.ik)

    def describe(self) -> str:
        return (
            f"{_safe(self.username)}  handle {_safe(self.handle)!r}  "
            f"fingerprint {self.fingerprint}  ({self.state})"
        )


def _connect(args: argparse.Namespace, io: Terminal) -> tuple[AdminApi, OrgKeys, Any]:
    """Open the key file, check the server's org key against it, then log in."""
    api = AdminApi(args.server)
    if not args.key_file.is_file():
        fail(f"{args.key_file}: no such key file")
    secret = io.secret(f"Password of {args.username}", args.secrets_stdin)
    phrase = io.secret("Key file passphrase", args.secrets_stdin)
    keys = _open_keyfile(args.key_file, phrase)
    info = api.get_json("/api/crypto")
    served = info.get("org_public_key") if isinstance(info, dict) else None
    if not isinstance(served, str) or not served:
        fail("the server has no organisation key configured (HELPLINE_ORG_PUBLIC_KEY)")
    if b64u_decode(served) != keys.signing_public:
        dev = " (it runs in development mode, with its own key)" if info.get("development") else ""
        fail(
            f"the server's organisation key {certs.fingerprint(b64u_decode(served))} is not "
            f"the key file's {certs.fingerprint(keys.signing_public)}{dev}: refusing to sign"
        )
    print(f"the server's organisation key matches the key file: {_fp(keys.signing_public)}")
    api.login(
        args.username,
        secret,
        args.min_iterations,
        ask_code=lambda: io.secret("Authenticator code", args.secrets_stdin),
    )
    return api, keys, info


def _fp(key: bytes) -> str:
    return certs.fingerprint(key)


def _list_keys(api: AdminApi) -> list[KeyEntry]:
    rows = api.get_json("/api/admin/keys")
    if not isinstance(rows, list):
        fail("the server's key list is not a list")
    entries = []
    for row in rows:
        account_id = row.get("account_id") if isinstance(row, dict) else None
        if not isinstance(account_id, int | str) or isinstance(account_id, bool):
            fail("a row of the server's key list lacks 'account_id'")
        ik = b64u_decode(_str_field(row, "ik"))
        if len(ik) != 32:
            fail(f"the server lists a key of {len(ik)} bytes for account {account_id}")
        not_after = row.get("not_after")
        entries.append(
            KeyEntry(
                account_id=account_id,
                username=_str_field(row, "username"),
                handle=_str_field(row, "handle"),
                ik=ik,
                state=_str_field(row, "state"),
                not_after=not_after if isinstance(not_after, int) else None,
            )
        )
    return entries


def _signed_list(org_public: bytes, blob: bytes) -> certs.RevocationList:
    """Verify a list's signature and form, whether or not it is still current.

    An expired list must still be readable (re-signing it is the monthly renewal), so it
    is checked as of its own ``issued_at``.
    """
    if len(blob) < len(REVOKED_LABEL) + 8 or not blob.startswith(REVOKED_LABEL):
        fail("the revocation list is malformed")
    issued_at = int.from_bytes(blob[len(REVOKED_LABEL) : len(REVOKED_LABEL) + 8], "big")
    return certs.verify_revocation_list(org_public, blob, issued_at)


# --- certify ------------------------------------------------------------------------------


def _certify(args: argparse.Namespace, io: Terminal) -> int:
    if not 1 <= args.days <= MAX_CERT_DAYS:
        fail(f"--days must be between 1 and {MAX_CERT_DAYS}")
    api, keys, info = _connect(args, io)
    revoked: frozenset[bytes] = frozenset()
    blob = info.get("revocation_list")
    if isinstance(blob, str) and blob:
        revoked = _signed_list(keys.signing_public, b64u_decode(blob)).revoked
    entries = [e for e in _list_keys(api) if e.ik not in revoked and e.state != "revoked"]
    waiting = [e for e in entries if e.state in ("pending", "expired")]
    renewing = [e for e in entries if e.state == "valid"] if args.renew else []

    now = int(time.time())
    not_after = min(now + args.days * DAY, now + MAX_CERT_DAYS * DAY - CLOCK_MARGIN_S)
    chosen: list[KeyEntry] = []
    if not waiting:
        print("no keys are waiting for certification")
    else:
        print(f"{len(waiting)} key(s) waiting for certification:")
        for entry in waiting:
            print(f"  {entry.describe()}")
        print("Compare each fingerprint with the one the counsellor reads on their own screen.")
        for entry in waiting:
            if args.yes or io.confirm(f"Certify {entry.describe()}?"):
                chosen.append(entry)
    if args.renew:
        if not renewing:
            print("no valid keys to renew")
        else:
            print(f"{len(renewing)} valid key(s) to renew until {_when(not_after)}:")
            for entry in renewing:
                print(f"  {entry.describe()}")
            if args.yes or io.confirm(f"Renew these {len(renewing)} certificate(s)?"):
                chosen.extend(renewing)

    failures = 0
    for entry in chosen:
        try:
            cert = certs.make_certificate(keys.signing_seed, entry.ik, not_after, entry.handle)
        except CryptoError as exc:
            failures += 1
            print(f"not certified {_safe(entry.username)}: {_crypto_message(exc)}", file=sys.stderr)
            continue
        path = f"/api/admin/keys/{urllib.parse.quote(str(entry.account_id), safe='')}/certificate"
        status, body, _ = api.request("PUT", path, {"cert": b64u_encode(cert)})
        if status in (200, 204):
            print(
                f"certified {_safe(entry.username)} ({entry.fingerprint}) until {_when(not_after)}"
            )
        else:
            failures += 1
            print(
                f"upload refused for {_safe(entry.username)}: {_describe_failure(status, body)}",
                file=sys.stderr,
            )
    if failures:
        fail(f"{failures} of {len(chosen)} certificate(s) failed")
    if chosen:
        print(f"{len(chosen)} certificate(s) uploaded; renew before {_when(not_after)}")
    return EXIT_OK


def _when(t: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(t))


# --- revoke -------------------------------------------------------------------------------


def _revoke(args: argparse.Namespace, io: Terminal) -> int:
    extra_keys = [b64u_decode(k) for k in args.public_key]
    if any(len(k) != 32 for k in extra_keys):
        fail("a public key has 32 bytes")
    api, keys, _ = _connect(args, io)

    current = api.get_json("/api/admin/revocations")
    blob = current.get("list") if isinstance(current, dict) else None
    revoked: set[bytes] = set()
    newest = 0
    if isinstance(blob, str) and blob:
        served = _signed_list(keys.signing_public, b64u_decode(blob))
        revoked |= served.revoked
        newest = served.issued_at

    # A hostile server could hand us an old list to make us re-sign a revoked key back into
    # service; we keep our own copy of the last list we signed and never drop its keys.
    copy = Path(str(args.key_file) + COPY_SUFFIX)
    if copy.is_file():
        try:
            mine = _signed_list(keys.signing_public, b64u_decode(copy.read_text("ascii").strip()))
        except (CryptoError, UnicodeDecodeError):
            fail(f"{copy} is not a revocation list signed with this key file: move it away")
        missing = mine.revoked - revoked
        if mine.issued_at > newest or missing:
            print(
                f"warning: the server's list is older than the one signed here last "
                f"({_when(mine.issued_at)}); keeping every key from {copy}",
                file=sys.stderr,
            )
        revoked |= mine.revoked
        newest = max(newest, mine.issued_at)

    adding = _keys_to_revoke(args, _list_keys(api) if args.revoke or args.fingerprint else [])
    adding = [(k, label) for k, label in adding if k not in revoked]
    if adding:
        print(f"{len(adding)} key(s) to revoke:")
        for _, label in adding:
            print(f"  {label}")
        if not (args.yes or io.confirm(f"Revoke these {len(adding)} key(s)?")):
            fail("nothing revoked")
        revoked |= {k for k, _ in adding}
    elif args.revoke or args.fingerprint or args.public_key:
        print("every key named is already revoked")

    now = max(int(time.time()), newest)
    expires = now + LIST_DAYS * DAY
    signed = certs.make_revocation_list(keys.signing_seed, now, expires, sorted(revoked))
    certs.verify_revocation_list(keys.signing_public, signed, now)
    status, body, _ = api.request("PUT", "/api/admin/revocations", {"list": b64u_encode(signed)})
    if status not in (200, 204):
        fail(f"the server refused the revocation list: {_describe_failure(status, body)}")
    try:
        copy.write_text(b64u_encode(signed) + "\n", "ascii")
    except OSError as exc:
        print(f"warning: could not keep a copy in {copy}: {exc.strerror}", file=sys.stderr)
    print(
        f"revocation list uploaded: {len(revoked)} key(s) revoked, valid until "
        f"{_when(expires)}; re-sign it before then (keys revoke with no key named)"
    )
    return EXIT_OK


def _keys_to_revoke(
    args: argparse.Namespace, entries: Sequence[KeyEntry]
) -> list[tuple[bytes, str]]:
    found: dict[bytes, str] = {}
    for username in args.revoke:
        mine = [e for e in entries if e.username == username]
        if not mine:
            fail(f"the server lists no identity key for {username!r}")
        for entry in mine:
            found.setdefault(entry.ik, entry.describe())
    for raw in args.fingerprint:
        wanted = _normal_fingerprint(raw)
        match = [e for e in entries if _normal_fingerprint(e.fingerprint) == wanted]
        if not match:
            fail(f"the server lists no identity key with fingerprint {raw!r}")
        for entry in match:
            found.setdefault(entry.ik, entry.describe())
    for key in (b64u_decode(k) for k in args.public_key):
        found.setdefault(key, f"public key {b64u_encode(key)}  fingerprint {_fp(key)}")
    return list(found.items())


def _normal_fingerprint(text: str) -> str:
    return "".join(text.split()).lower()


# --- open-records -------------------------------------------------------------------------


def _open_records(args: argparse.Namespace, io: Terminal) -> int:
    source: Path = args.records_file
    if not source.is_file():
        fail(f"{source}: no such records file")
    phrase = io.secret("Key file passphrase", args.passphrase_stdin)
    keys = _open_keyfile(args.key_file, phrase)
    if keys.records_secret is None:
        fail(f"{args.key_file} holds no records key (it was made without --records)")
    opened = records.open_records(
        source.read_bytes(), keys.records_secret, keys.signing_public, int(time.time())
    )
    _print_transcript(opened)
    return EXIT_OK


DIRECTIONS = {0: "seeker", 1: "counsellor"}


def _print_transcript(opened: records.OpenedRecords) -> None:
    """The checked transcript; message text is escaped so it cannot drive the terminal."""
    print(f"chat {opened.chat_id.hex()}  epoch {opened.epoch}  (times in UTC)")
    print(
        f"counsellor {_safe(opened.handle)!r}  identity key {_fp(opened.ik)}  "
        f"(certificate until {_when(opened.not_after)}; revocation is not checked offline)"
    )
    for entry in opened.entries:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(entry.unix_ms // 1000))
        lines = entry.text.split("\n") or [""]
        print(f"{stamp}  {DIRECTIONS[entry.dir]:<10}  {_safe(lines[0])}")
        for more in lines[1:]:
            print(f"{'':<33}{_safe(more)}")
    count = len(opened.entries)
    if opened.complete and opened.final_unix_ms is not None:
        ended = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(opened.final_unix_ms // 1000))
        print(f"-- end of the record: {count} message(s), closed {ended} UTC")
    else:
        print(
            f"-- CUT SHORT: {count} message(s) and no final entry; what followed is missing "
            "(a closed tab, a crash, or removal: these cannot be told apart)"
        )
