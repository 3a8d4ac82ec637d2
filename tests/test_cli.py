"""The command line: python -m helpline, run.py (helpline.cli)."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from crypto.password import derive_password_keys
from helpline.cli import main
from helpline.config import Config
from helpline.store import Database
from helpline.store.accounts import KdfParams
from helpline.store.passwords import verify_password, verify_secret

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "a long enough password"


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPLINE_")}
    env["HELPLINE_PASSWORD_COST"] = "min"
    env["HELPLINE_KDF_ITERATIONS"] = "1000"
    env.update(extra)
    return env


def helpline(
    *args: str, stdin: str = "", cwd: Path = ROOT, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "helpline", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=clean_env(**env),
        timeout=60,
    )


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'helpline.sqlite3'}"


@pytest.fixture
def hermetic(monkeypatch: pytest.MonkeyPatch) -> None:
    """For in-process runs: no HELPLINE_* from the caller, the cheapest hash."""
    for name in list(os.environ):
        if name.startswith("HELPLINE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HELPLINE_PASSWORD_COST", "min")
    monkeypatch.setenv("HELPLINE_KDF_ITERATIONS", "1000")


def add_args(db_url: str, username: str = "alice", *extra: str) -> list[str]:
    return [
        "account",
        "add",
        "--username",
        username,
        "--role",
        "counsellor",
        "--languages",
        "en,de",
        "--capacity",
        "2",
        "--password-stdin",
        "--database-url",
        db_url,
        *extra,
    ]


def run_main(argv: list[str], monkeypatch: pytest.MonkeyPatch, stdin: str = "") -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return main(argv)


async def stored_login(db_url: str, username: str) -> tuple[object, str] | None:
    db = await Database.open(db_url)
    try:
        return await db.accounts.find_login(username)
    finally:
        await db.close()


async def stored_kdf(db_url: str, username: str) -> KdfParams | None:
    db = await Database.open(db_url)
    try:
        return await db.accounts.kdf_params(username)
    finally:
        await db.close()


def test_help_lists_the_subcommands() -> None:
    result = helpline("--help")
    assert result.returncode == 0
    assert "serve" in result.stdout
    assert "account" in result.stdout
    account = helpline("account", "--help")
    assert account.returncode == 0
    assert "add" in account.stdout
    assert "list" in account.stdout


def test_account_add_creates_an_account_whose_password_verifies(db_url: str) -> None:
    result = helpline(*add_args(db_url), stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    assert "alice" in result.stdout
    assert PASSWORD not in result.stdout + result.stderr
    found = asyncio.run(stored_login(db_url, "alice"))
    assert found is not None
    account, password_hash = found
    assert account == type(account)(
        id=1, username="alice", role="counsellor", languages=("en", "de"), capacity=2
    )
    # What is stored is Argon2id of the login secret derived with the account's own
    # salt and the configured iterations, never of the password itself.
    kdf = asyncio.run(stored_kdf(db_url, "alice"))
    assert kdf is not None
    assert len(kdf.salt) == 16
    assert kdf.iterations == 1000
    secret = derive_password_keys(PASSWORD, kdf.salt, kdf.iterations).login_secret
    assert asyncio.run(verify_secret(password_hash, secret))
    wrong = derive_password_keys(PASSWORD + "\n", kdf.salt, kdf.iterations).login_secret
    assert not asyncio.run(verify_secret(password_hash, wrong))
    assert not asyncio.run(verify_password(password_hash, PASSWORD))


def test_account_list_shows_accounts_without_secrets(db_url: str) -> None:
    assert helpline(*add_args(db_url), stdin=PASSWORD).returncode == 0
    result = helpline("account", "list", "--database-url", db_url)
    assert result.returncode == 0, result.stderr
    assert "alice" in result.stdout
    assert "en,de" in result.stdout
    assert "argon2" not in result.stdout


def test_the_database_url_comes_from_the_environment(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'env.sqlite3'}"
    args = [a for a in add_args("unused") if a not in ("--database-url", "unused")]
    result = helpline(*args, stdin=PASSWORD, HELPLINE_DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    assert asyncio.run(stored_login(url, "alice")) is not None


def test_the_default_database_is_under_the_data_dir(tmp_path: Path) -> None:
    args = [a for a in add_args("unused") if a not in ("--database-url", "unused")]
    result = helpline(*args, stdin=PASSWORD, HELPLINE_DATA_DIR=str(tmp_path / "data"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "helpline.sqlite3").is_file()


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        ([], "", "empty"),
        ([], "\n", "empty"),
        ([], "short\n", "at least 8"),
        (["--languages", "en,xx"], PASSWORD, "unknown language"),
        (["--languages", ""], PASSWORD, "at least one language"),
        (["--capacity", "0"], PASSWORD, "capacity"),
        (["--capacity", "4"], PASSWORD, "capacity"),
        (["--username", "two words"], PASSWORD, "username"),
        (["--username", "x" * 65], PASSWORD, "username"),
    ],
)
def test_account_add_refuses_bad_input(
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    hermetic: None,
    args: list[str],
    stdin: str,
    message: str,
) -> None:
    assert run_main(add_args(db_url, "alice", *args), monkeypatch, stdin) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert message in err
    assert "Traceback" not in err
    assert asyncio.run(stored_login(db_url, "alice")) is None


def test_a_taken_username_is_refused_before_the_password_is_read(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], hermetic: None
) -> None:
    assert run_main(add_args(db_url), monkeypatch, PASSWORD) == 0
    assert run_main(add_args(db_url), monkeypatch, "") == 2
    assert "already taken" in capsys.readouterr().err


def test_errors_exit_2_in_one_line_without_a_traceback(tmp_path: Path, db_url: str) -> None:
    (tmp_path / "file").write_text("a file where a directory should be")
    for result in (
        helpline(*add_args(db_url), stdin="short\n"),
        helpline(*add_args("mysql://nobody@localhost/db"), stdin=PASSWORD),
        helpline(*add_args(db_url)[:-4]),  # no --password-stdin
        helpline("account", "list", HELPLINE_PORT="not a number"),
        helpline("account", "list", "--database-url", f"sqlite:///{tmp_path}/file/x.db"),
        helpline("serve", "--port", "70000"),
        helpline("frobnicate"),
    ):
        assert result.returncode == 2, (result.args, result.stderr)
        assert "Traceback" not in result.stderr
        assert result.stderr.strip(), result.args


def test_serve_passes_flags_and_environment_to_the_web_layer(
    monkeypatch: pytest.MonkeyPatch, hermetic: None
) -> None:
    served: list[Config] = []
    fake = types.ModuleType("helpline.web.app")
    fake.serve = served.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "helpline.web.app", fake)
    monkeypatch.setenv("HELPLINE_HOST", "0.0.0.0")
    monkeypatch.setenv("HELPLINE_PORT", "8000")
    assert main(["serve", "--port", "9001", "--database-url", "sqlite:///x.db"]) == 0
    assert len(served) == 1
    assert served[0].host == "0.0.0.0"
    assert served[0].port == 9001
    assert served[0].database_url == "sqlite:///x.db"


def test_run_py_is_serve_from_any_directory(tmp_path: Path) -> None:
    """`python run.py` works from anywhere (-I: not even the script's directory on the path)."""
    result = subprocess.run(
        [sys.executable, "-I", str(ROOT / "run.py"), "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=clean_env(),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "--port" in result.stdout
    assert "--database-url" in result.stdout


async def _enable_totp(db_url: str, username: str) -> None:
    db = await Database.open(db_url)
    try:
        found = await db.accounts.find_login(username)
        assert found is not None
        await db.totp.set_pending(found[0].id, b"sealed")
        assert await db.totp.confirm(found[0].id, b"sealed", 1)
    finally:
        await db.close()


async def _totp_enabled(db_url: str, username: str) -> bool:
    db = await Database.open(db_url)
    try:
        found = await db.accounts.find_login(username)
        assert found is not None
        return await db.totp.enabled(found[0].id)
    finally:
        await db.close()


def test_totp_reset_removes_the_second_factor(
    db_url: str, hermetic: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_main(add_args(db_url), monkeypatch, PASSWORD) == 0
    asyncio.run(_enable_totp(db_url, "alice"))
    reset = ["account", "totp-reset", "alice", "--database-url", db_url]
    assert run_main(reset, monkeypatch) == 0
    assert "removed the second factor of 'alice'" in capsys.readouterr().out
    assert not asyncio.run(_totp_enabled(db_url, "alice"))
    assert run_main(reset, monkeypatch) == 0
    assert "had no second factor" in capsys.readouterr().out
    nobody = ["account", "totp-reset", "nobody", "--database-url", db_url]
    assert run_main(nobody, monkeypatch) == 2
    assert "no account 'nobody'" in capsys.readouterr().err


def test_canned_add_list_remove(
    db_url: str, hermetic: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = ["--database-url", db_url]
    add = ["canned", "add", "--language", "en", "--title", "Hello", *database]
    assert run_main([*add, "--text", "Hello, how can I help?"], monkeypatch) == 0
    assert "added canned response 1 (en)" in capsys.readouterr().out
    assert run_main([*add, "--text-stdin"], monkeypatch, "Two\nlines\tand a tab\n") == 0
    german = ["canned", "add", "--language", "de", "--title", "Hallo", "--text", "Hallo!"]
    assert run_main([*german, *database], monkeypatch) == 0
    capsys.readouterr()
    assert run_main(["canned", "list", *database], monkeypatch) == 0
    assert capsys.readouterr().out.splitlines() == [
        "3\tde\tHallo\tHallo!",
        "1\ten\tHello\tHello, how can I help?",
        "2\ten\tHello\tTwo\\nlines\\tand a tab",
    ]
    assert run_main(["canned", "list", "--language", "de", *database], monkeypatch) == 0
    assert capsys.readouterr().out == "3\tde\tHallo\tHallo!\n"
    assert run_main(["canned", "remove", "1", *database], monkeypatch) == 0
    assert run_main(["canned", "remove", "1", *database], monkeypatch) == 2
    assert "no canned response 1" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--language", "xx", "--title", "T", "--text", "x"], "unknown language 'xx'"),
        (["--language", "en", "--title", "T" * 81, "--text", "x"], "the title must be"),
        (["--language", "en", "--title", "T", "--text", "x" * 2001], "the text must be"),
        (["--language", "en", "--title", "T", "--text", "bell\x07"], "the text must be"),
    ],
)
def test_canned_add_refuses_bad_input(
    db_url: str,
    hermetic: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    assert run_main(["canned", "add", *extra, "--database-url", db_url], monkeypatch) == 2
    assert message in capsys.readouterr().err
