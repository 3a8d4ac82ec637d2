"""``helpline keys`` (helpline/keys_cli.py), run as subprocesses against a real server.

The server runs in production mode with the public key of a key file the test
creates with ``keys init-org``; a counsellor registers an identity key the way the
browser does (``PUT /api/identity``), and the CLI certifies and revokes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pyotp
import pytest

from crypto import certs, keyfile, password, records
from crypto.encoding import b64u_decode, b64u_encode
from helpline.core.staff import Role
from helpline.store.passwords import hash_secret
from helpline.web import totp
from helpline.web.api import SERVER_SECRET
from helpline.web.keys import DATABASE
from tests.e2e.conftest import RunningServer, ServerFactory
from tests.e2e.conftest import server_factory as server_factory  # the fixture, for tests/ too

ROOT = Path(__file__).resolve().parent.parent
PASSPHRASE = "a passphrase for the test key file"
SUPERVISOR_PASSWORD = "supervisor password 1"
COUNSELLOR_PASSWORD = "counsellor password 1"
ITERATIONS = 1000  # server config kdf_iterations; the CLI needs --min-iterations to accept it
TEST_KDF = ("--kdf-cost", "min")  # init-org's hidden cheap Argon2id for tests


@dataclass
class Run:
    code: int
    out: str
    err: str


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPLINE_")}
    env["PYTHONPATH"] = str(ROOT)
    return env


async def helpline(*args: str, stdin: str = "") -> Run:
    """``python -m helpline ARGS`` without blocking the event loop the server runs on."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "helpline",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=ROOT,
        env=clean_env(),
    )
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), timeout=120)
    assert process.returncode is not None
    return Run(process.returncode, out.decode(), err.decode())


def read_text(path: Path) -> str:
    return path.read_text(encoding="ascii")


def assert_one_line_error(run: Run, *fragments: str) -> None:
    assert run.code == 2, run
    lines = run.err.strip().splitlines()
    assert len(lines) == 1, run.err
    assert lines[0].startswith("helpline: error: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def assert_no_secrets(run: Run) -> None:
    for secret in (PASSPHRASE, SUPERVISOR_PASSWORD, COUNSELLOR_PASSWORD):
        assert secret not in run.out
        assert secret not in run.err


async def init_org(key_file: Path, *extra: str) -> Run:
    return await helpline(
        "keys", "init-org", "--out", str(key_file), "--passphrase-stdin", *TEST_KDF, *extra,
        stdin=PASSPHRASE + "\n",
    )  # fmt: skip


def org_public_key_from(run: Run) -> str:
    for line in run.out.splitlines():
        if line.startswith("HELPLINE_ORG_PUBLIC_KEY="):
            return line.removeprefix("HELPLINE_ORG_PUBLIC_KEY=")
    raise AssertionError(f"no HELPLINE_ORG_PUBLIC_KEY line in {run.out!r}")


def server_flags(server: RunningServer, key_file: Path, username: str = "sup") -> list[str]:
    return [
        "--server", server.http, "--key-file", str(key_file), "--username", username,
        "--secrets-stdin", "--min-iterations", str(ITERATIONS),
    ]  # fmt: skip


SECRETS = f"{SUPERVISOR_PASSWORD}\n{PASSPHRASE}\n"


async def add_account(server: RunningServer, username: str, role: Role, secret: str) -> int:
    """An account whose login secret is derived from ``secret`` as a client does."""
    salt = os.urandom(password.SALT_BYTES)
    keys = password.derive_password_keys(secret, salt, ITERATIONS)
    account = await server.app[DATABASE].accounts.create(
        username,
        role,
        ("en",),
        1,
        await hash_secret(keys.login_secret, "min"),
        kdf_salt=salt,
        kdf_iterations=ITERATIONS,
    )
    return int(account.id)


@contextlib.asynccontextmanager
async def browser() -> AsyncIterator[aiohttp.ClientSession]:
    """A browser's cookie jar (aiohttp keeps cookies from 127.0.0.1 only when unsafe)."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


async def login(
    session: aiohttp.ClientSession, server: RunningServer, username: str, secret: str
) -> password.PasswordKeys:
    async with session.get(server.http + "/api/salt", params={"username": username}) as answer:
        assert answer.status == 200
        kdf = await answer.json()
    keys = password.derive_password_keys(secret, b64u_decode(kdf["salt"]), kdf["iterations"])
    body = {"username": username, "secret": b64u_encode(keys.login_secret)}
    async with session.post(server.http + "/api/login", json=body) as answer:
        assert answer.status == 200, await answer.text()
        # As the workspace does: the CSRF token goes with every later request (§6.3).
        session.headers["X-CSRF-Token"] = (await answer.json())["csrf"]
    return keys


async def register_identity(server: RunningServer, username: str) -> bytes:
    """What the counsellor's browser does on first sign-in; returns the public key."""
    seed = os.urandom(32)
    ik = certs.identity_public_key(seed)
    async with browser() as session:
        keys = await login(session, server, username, COUNSELLOR_PASSWORD)
        body = {
            "ik": b64u_encode(ik),
            "wrapped_seed": b64u_encode(password.wrap_seed(seed, keys.wrapping_key)),
        }
        async with session.put(server.http + "/api/identity", json=body) as answer:
            assert answer.status in (200, 201), await answer.text()
    return ik


async def own_certificate(server: RunningServer, org_pub: bytes) -> certs.Certificate:
    """Alice's certificate as her workspace fetches it, checked as a seeker would."""
    async with browser() as session:
        await login(session, server, "alice", COUNSELLOR_PASSWORD)
        async with session.get(server.http + "/api/identity") as answer:
            assert answer.status == 200
            identity = await answer.json()
    assert b64u_decode(identity["org_public_key"]) == org_pub
    return certs.verify_certificate(org_pub, b64u_decode(identity["cert"]), int(time.time()))


async def admin_keys(server: RunningServer) -> dict[str, dict[str, Any]]:
    """``GET /api/admin/keys`` as the supervisor, by username."""
    async with browser() as session:
        await login(session, server, "sup", SUPERVISOR_PASSWORD)
        async with session.get(server.http + "/api/admin/keys") as answer:
            assert answer.status == 200
            rows = await answer.json()
    return {row["username"]: row for row in rows}


async def served_revocations(server: RunningServer, org_pub: bytes) -> certs.RevocationList:
    async with (
        aiohttp.ClientSession() as session,
        session.get(server.http + "/api/crypto") as answer,
    ):
        info = await answer.json()
    assert info["development"] is False
    return certs.verify_revocation_list(
        org_pub, b64u_decode(info["revocation_list"]), int(time.time())
    )


@dataclass
class Org:
    key_file: Path
    public: bytes
    server: RunningServer
    alice: bytes  # the counsellor's identity public key, pending


@pytest.fixture
async def org(tmp_path: Path, server_factory: ServerFactory) -> Org:
    """A key file, a production server with its public key, a supervisor and a
    counsellor (alice) who registered an identity key."""
    key_file = tmp_path / "org.key"
    run = await init_org(key_file, "--records")
    assert run.code == 0, run
    public = org_public_key_from(run)
    server = await server_factory(org_public_key=public, kdf_iterations=ITERATIONS)
    await add_account(server, "sup", Role.SUPERVISOR, SUPERVISOR_PASSWORD)
    await add_account(server, "alice", Role.COUNSELLOR, COUNSELLOR_PASSWORD)
    alice = await register_identity(server, "alice")
    return Org(key_file, b64u_decode(public), server, alice)


# --- init-org and fingerprint -----------------------------------------------------------


async def test_init_org_writes_a_key_file_and_prints_the_public_keys(tmp_path: Path) -> None:
    key_file = tmp_path / "org.key"
    run = await init_org(key_file, "--records")
    assert run.code == 0, run
    assert_no_secrets(run)
    public = b64u_decode(org_public_key_from(run))
    assert len(public) == 32
    assert certs.fingerprint(public) in run.out
    assert "records key (public half): " in run.out
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert PASSPHRASE not in key_file.read_text()

    shown = await helpline("keys", "fingerprint", f"--public-key={b64u_encode(public)}")
    assert shown.code == 0
    assert shown.out.strip() == certs.fingerprint(public)

    opened = await helpline(
        "keys", "fingerprint", "--key-file", str(key_file), "--passphrase-stdin",
        stdin=PASSPHRASE + "\n",
    )  # fmt: skip
    assert opened.code == 0, opened
    assert certs.fingerprint(public) in opened.out
    assert "records key" in opened.out


async def test_init_org_refuses_to_overwrite(tmp_path: Path) -> None:
    key_file = tmp_path / "org.key"
    assert (await init_org(key_file)).code == 0
    before = key_file.read_bytes()
    again = await init_org(key_file)
    assert_one_line_error(again, "already exists")
    assert key_file.read_bytes() == before


async def test_init_org_refuses_a_short_passphrase(tmp_path: Path) -> None:
    run = await helpline(
        "keys", "init-org", "--out", str(tmp_path / "k"), "--passphrase-stdin", *TEST_KDF,
        stdin="short\n",
    )  # fmt: skip
    assert_one_line_error(run, "at least 12")
    assert not (tmp_path / "k").exists()


async def test_a_wrong_passphrase_is_one_line(tmp_path: Path) -> None:
    key_file = tmp_path / "org.key"
    assert (await init_org(key_file)).code == 0
    run = await helpline(
        "keys", "fingerprint", "--key-file", str(key_file), "--passphrase-stdin",
        stdin="not the passphrase at all\n",
    )  # fmt: skip
    assert_one_line_error(run, "wrong passphrase")


async def test_fingerprint_refuses_a_key_that_is_not_base64url() -> None:
    run = await helpline("keys", "fingerprint", "--public-key=abc=")
    assert_one_line_error(run)


# --- certify ----------------------------------------------------------------------------


async def test_certify_then_revoke_then_renew_the_list(org: Org) -> None:
    """The operator's story from docs/crypto.md, against a real server."""
    assert (await admin_keys(org.server))["alice"]["state"] == "pending"

    run = await helpline(
        "keys", "certify", *server_flags(org.server, org.key_file), "--yes", stdin=SECRETS
    )
    assert run.code == 0, run
    assert_no_secrets(run)
    assert certs.fingerprint(org.alice) in run.out
    assert "certified alice" in run.out
    row = (await admin_keys(org.server))["alice"]
    assert row["state"] == "valid"
    now = int(time.time())
    assert now + 89 * 86400 < row["not_after"] <= now + 90 * 86400
    cert = await own_certificate(org.server, org.public)
    assert (cert.ik, cert.handle, cert.not_after) == (org.alice, "alice", row["not_after"])

    run = await helpline(
        "keys", "revoke", *server_flags(org.server, org.key_file), "--revoke", "alice", "--yes",
        stdin=SECRETS,
    )  # fmt: skip
    assert run.code == 0, run
    assert_no_secrets(run)
    assert (await admin_keys(org.server))["alice"]["state"] == "revoked"
    first = await served_revocations(org.server, org.public)
    assert first.revoked == frozenset({org.alice})
    assert first.expires_at - first.issued_at == 30 * 86400
    copy = Path(str(org.key_file) + ".revocations")
    assert read_text(copy).strip() == b64u_encode(first.raw)

    # The monthly renewal: no key named, the same keys, re-signed.
    run = await helpline("keys", "revoke", *server_flags(org.server, org.key_file), stdin=SECRETS)
    assert run.code == 0, run
    renewed = await served_revocations(org.server, org.public)
    assert renewed.revoked == first.revoked
    assert renewed.issued_at >= first.issued_at

    # A revoked key is never certified again, whatever the server says.
    run = await helpline(
        "keys",
        "certify",
        *server_flags(org.server, org.key_file),
        "--yes",
        "--renew",
        stdin=SECRETS,
    )
    assert run.code == 0, run
    assert "certified" not in run.out


async def test_revoke_by_fingerprint_and_the_first_list(org: Org) -> None:
    run = await helpline("keys", "revoke", *server_flags(org.server, org.key_file), stdin=SECRETS)
    assert run.code == 0, run
    assert (await served_revocations(org.server, org.public)).revoked == frozenset()

    run = await helpline(
        "keys", "revoke", *server_flags(org.server, org.key_file),
        "--fingerprint", certs.fingerprint(org.alice).upper(), "--yes", stdin=SECRETS,
    )  # fmt: skip
    assert run.code == 0, run
    assert (await served_revocations(org.server, org.public)).revoked == frozenset({org.alice})


async def test_revoke_asks_first(org: Org) -> None:
    run = await helpline(
        "keys", "revoke", *server_flags(org.server, org.key_file), "--revoke", "alice",
        stdin=SECRETS + "n\n",
    )  # fmt: skip
    assert_one_line_error(run, "nothing revoked")
    assert (await admin_keys(org.server))["alice"]["state"] == "pending"


async def test_revoke_refuses_an_unknown_username(org: Org) -> None:
    run = await helpline(
        "keys", "revoke", *server_flags(org.server, org.key_file), "--revoke", "nobody", "--yes",
        stdin=SECRETS,
    )  # fmt: skip
    assert_one_line_error(run, "no identity key for 'nobody'")


async def test_certify_asks_for_each_key(org: Org) -> None:
    run = await helpline(
        "keys", "certify", *server_flags(org.server, org.key_file), stdin=SECRETS + "n\n"
    )
    assert run.code == 0, run
    assert certs.fingerprint(org.alice) in run.out
    assert (await admin_keys(org.server))["alice"]["state"] == "pending"

    run = await helpline(
        "keys", "certify", *server_flags(org.server, org.key_file), "--days", "7",
        stdin=SECRETS + "y\n",
    )  # fmt: skip
    assert run.code == 0, run
    row = (await admin_keys(org.server))["alice"]
    assert row["state"] == "valid"
    assert row["not_after"] <= int(time.time()) + 7 * 86400

    # --renew re-certifies valid keys, here for the full 90 days.
    run = await helpline(
        "keys", "certify", *server_flags(org.server, org.key_file), "--renew", "--yes",
        stdin=SECRETS,
    )  # fmt: skip
    assert run.code == 0, run
    assert "certified alice" in run.out
    assert (await admin_keys(org.server))["alice"]["not_after"] > int(time.time()) + 89 * 86400


async def test_certify_refuses_a_server_with_another_org_key(org: Org, tmp_path: Path) -> None:
    other = tmp_path / "other.key"
    assert (await init_org(other)).code == 0
    run = await helpline(
        "keys", "certify", *server_flags(org.server, other), "--yes", stdin=SECRETS
    )
    assert_one_line_error(run, "is not the key file's", "refusing to sign")
    assert (await admin_keys(org.server))["alice"]["state"] == "pending"


async def test_certify_logs_in_only_as_a_supervisor_with_a_strong_kdf(org: Org) -> None:
    flags = server_flags(org.server, org.key_file)
    weak = flags[: flags.index("--min-iterations")]  # the server asks for 1000 iterations
    run = await helpline("keys", "certify", *weak, "--yes", stdin=SECRETS)
    assert_one_line_error(run, "PBKDF2 iterations", "refusing to log in")

    run = await helpline(
        "keys", "certify", *flags, "--yes", stdin=f"not the password\n{PASSPHRASE}\n"
    )
    assert_one_line_error(run, "wrong username or password")

    run = await helpline(
        "keys", "certify", *server_flags(org.server, org.key_file, username="alice"), "--yes",
        stdin=f"{COUNSELLOR_PASSWORD}\n{PASSPHRASE}\n",
    )  # fmt: skip
    assert_one_line_error(run, "403", "supervisor")
    assert (await admin_keys(org.server))["alice"]["state"] == "pending"


@pytest.mark.parametrize(
    ("server", "message"),
    [
        ("http://help.example.org", "refusing plain http://"),
        ("ftp://127.0.0.1", "http(s)://"),
        ("https://help.example.org/?x=1", "bare address"),
    ],
)
async def test_certify_checks_the_server_address(tmp_path: Path, server: str, message: str) -> None:
    run = await helpline(
        "keys", "certify", "--server", server, "--key-file", str(tmp_path / "none"),
        "--username", "sup", "--secrets-stdin", stdin=SECRETS,
    )  # fmt: skip
    assert_one_line_error(run, message)


async def test_certify_days_are_limited(tmp_path: Path) -> None:
    run = await helpline(
        "keys", "certify", "--server", "http://127.0.0.1:9", "--key-file", str(tmp_path / "k"),
        "--username", "sup", "--days", "91", "--secrets-stdin", stdin=SECRETS,
    )  # fmt: skip
    assert_one_line_error(run, "--days")


# --- open-records -----------------------------------------------------------------------


def write_records(key_file: Path, out: Path, *, final: bool = True, swap: bool = False) -> None:
    """A sealed stream as the counsellor's client writes it, for the key file's org."""
    org = keyfile.read_org_keyfile(key_file, PASSPHRASE)
    assert org.records_secret is not None
    seed = os.urandom(32)
    cert = certs.make_certificate(
        org.signing_seed, certs.identity_public_key(seed), int(time.time()) + 86400, "Alice"
    )
    writer = records.RecordWriter(
        os.urandom(16), 0, seed, cert, certs.records_public_key(org.records_secret)
    )
    ms = 1_700_000_000_000
    entries = [
        writer.entry(0, ms, "hello\nsecond line"),
        writer.entry(1, ms + 5000, "hi \x1b[31mthere"),
    ]
    if final:
        entries.append(writer.final(ms + 9000))
    if swap:
        entries[0], entries[1] = entries[1], entries[0]
    out.write_bytes(writer.lines(entries))


async def open_records(records_file: Path, key_file: Path) -> Run:
    return await helpline(
        "keys", "open-records", str(records_file), "--key-file", str(key_file),
        "--passphrase-stdin", stdin=PASSPHRASE + "\n",
    )  # fmt: skip


async def test_open_records_prints_the_transcript(tmp_path: Path) -> None:
    key_file = tmp_path / "org.key"
    assert (await init_org(key_file, "--records")).code == 0
    write_records(key_file, tmp_path / "chat.records")
    run = await open_records(tmp_path / "chat.records", key_file)
    assert run.code == 0, run
    lines = run.out.splitlines()
    assert "'Alice'" in lines[1]
    assert lines[2] == "2023-11-14 22:13:20  seeker      hello"
    assert lines[3].strip() == "second line"
    assert lines[4].startswith("2023-11-14 22:13:25  counsellor  hi ")
    assert "\x1b" not in run.out  # escaped, not sent to the terminal
    assert "\\x1b[31mthere" in lines[4]
    assert "end of the record: 2 message(s), closed 2023-11-14 22:13:29 UTC" in lines[5]
    assert "CUT SHORT" not in run.out


async def test_open_records_marks_a_stream_cut_short(tmp_path: Path) -> None:
    key_file = tmp_path / "org.key"
    assert (await init_org(key_file, "--records")).code == 0
    write_records(key_file, tmp_path / "chat.records", final=False)
    run = await open_records(tmp_path / "chat.records", key_file)
    assert run.code == 0, run
    assert "hello" in run.out
    assert run.out.splitlines()[-1].startswith("-- CUT SHORT: 2 message(s)")


async def test_open_records_refuses_reordered_entries(tmp_path: Path) -> None:
    key_file = tmp_path / "org.key"
    assert (await init_org(key_file, "--records")).code == 0
    write_records(key_file, tmp_path / "chat.records", swap=True)
    run = await open_records(tmp_path / "chat.records", key_file)
    assert_one_line_error(run, "bad_records")
    assert "hello" not in run.out


async def test_open_records_needs_the_records_key(tmp_path: Path) -> None:
    with_records = tmp_path / "with.key"
    without = tmp_path / "without.key"
    assert (await init_org(with_records, "--records")).code == 0
    assert (await init_org(without)).code == 0
    write_records(with_records, tmp_path / "chat.records")
    run = await open_records(tmp_path / "chat.records", without)
    assert_one_line_error(run, "holds no records key")


async def test_revoke_keeps_keys_a_server_forgot(org: Org) -> None:
    """A server that drops (or rolls back) its list cannot get a revoked key re-signed."""
    run = await helpline(
        "keys", "revoke", *server_flags(org.server, org.key_file), "--revoke", "alice", "--yes",
        stdin=SECRETS,
    )  # fmt: skip
    assert run.code == 0, run
    await org.server.app[DATABASE].identity.clear_revocation_list()

    run = await helpline("keys", "revoke", *server_flags(org.server, org.key_file), stdin=SECRETS)
    assert run.code == 0, run
    assert "warning: the server's list is older" in run.err
    assert (await served_revocations(org.server, org.public)).revoked == frozenset({org.alice})


async def test_certify_asks_a_supervisor_with_a_second_factor_for_the_code(org: Org) -> None:
    """With TOTP on, the login needs the code: the third line of --secrets-stdin."""
    secret = pyotp.random_base32()
    database = org.server.app[DATABASE]
    found = await database.accounts.find_login("sup")
    assert found is not None
    sealed = totp.seal(totp.sealing_key(org.server.app[SERVER_SECRET]), secret)
    await database.totp.set_pending(found[0].id, sealed)
    assert await database.totp.confirm(found[0].id, sealed, 1)
    flags = server_flags(org.server, org.key_file)
    run = await helpline("keys", "certify", *flags, "--yes", stdin=SECRETS)
    assert_one_line_error(run, "authenticator code")
    code = pyotp.TOTP(secret).now()
    run = await helpline("keys", "certify", *flags, "--yes", stdin=f"{SECRETS}{code}\n")
    assert run.code == 0, run
    assert "certified alice" in run.out
