"""Administration on the command line (helpline.admin_cli): accounts, queues, the
service settings and the audit log, every change audited with actor ``cli``."""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path

import pytest

from crypto.certs import identity_public_key
from crypto.encoding import b64u_encode
from crypto.password import derive_password_keys
from helpline.store import Database
from helpline.store.passwords import verify_secret
from tests.test_cli import PASSWORD, add_args, db_url, hermetic, run_main

__all__ = ["db_url", "hermetic"]  # fixtures


def entries(url: str) -> list[tuple[str, str, str]]:
    async def read() -> list[tuple[str, str, str]]:
        database = await Database.open(url)
        try:
            return [(e.actor, e.action, e.detail) for e in await database.audit.list()]
        finally:
            await database.close()

    return asyncio.run(read())


def run(args: list[str], url: str, monkeypatch: pytest.MonkeyPatch, stdin: str = "") -> int:
    return run_main([*args, "--database-url", url], monkeypatch, stdin)


def test_account_edit_disable_enable(
    db_url: str, hermetic: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_main(add_args(db_url), monkeypatch, PASSWORD) == 0
    edit = ["account", "edit", "alice", "--languages", "fr,en", "--capacity", "3"]
    assert run(edit, db_url, monkeypatch) == 0
    assert "languages fr,en, capacity 3" in capsys.readouterr().out
    for bad, message in (
        (["--languages", "xx"], "unknown language 'xx'"),
        (["--languages", ""], "at least one language"),
        (["--capacity", "0"], "capacity"),
    ):
        assert run(["account", "edit", "alice", *bad], db_url, monkeypatch) == 2
        assert message in capsys.readouterr().err
    assert run(["account", "edit", "nobody"], db_url, monkeypatch) == 2
    assert "no account 'nobody'" in capsys.readouterr().err
    assert run(["account", "disable", "alice"], db_url, monkeypatch) == 0
    assert run(["account", "list"], db_url, monkeypatch) == 0
    listing = capsys.readouterr().out
    assert "fr,en" in listing
    assert "disabled" in listing
    assert "no key" in listing
    assert run(["account", "enable", "alice"], db_url, monkeypatch) == 0
    capsys.readouterr()
    assert run(["account", "enable", "alice"], db_url, monkeypatch) == 0  # a no-op
    assert "already enabled" in capsys.readouterr().out
    assert [action for actor, action, _ in entries(db_url)] == [
        "staff.enable",
        "staff.disable",
        "staff.edit",
        "staff.create",
    ]
    assert {actor for actor, _, _ in entries(db_url)} == {"cli"}


def test_account_password_resets_the_secret_and_drops_the_key(
    db_url: str, hermetic: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_main(add_args(db_url), monkeypatch, PASSWORD) == 0
    seed = secrets.token_bytes(32)
    ik = identity_public_key(seed)

    async def give_key() -> None:
        database = await Database.open(db_url)
        try:
            await database.identity.register(1, ik, bytes(72), 0.0, replace=False)
            await database.sessions.create(1, 0.0)
        finally:
            await database.close()

    asyncio.run(give_key())
    assert run(["account", "list"], db_url, monkeypatch) == 0
    assert "pending" in capsys.readouterr().out
    args = ["account", "password", "alice", "--password-stdin"]
    assert run(args, db_url, monkeypatch, "short\n") == 2
    assert "at least 8" in capsys.readouterr().err
    assert run(args, db_url, monkeypatch, "another good password\n") == 0
    out = capsys.readouterr().out
    assert f"--public-key={b64u_encode(ik)}" in out

    async def check() -> None:
        database = await Database.open(db_url)
        try:
            assert await database.identity.get(1) is None
            kdf = await database.accounts.kdf_params("alice")
            assert kdf is not None
            found = await database.accounts.find_login("alice")
            assert found is not None
            secret = derive_password_keys("another good password", kdf.salt, kdf.iterations)
            assert await verify_secret(found[1], secret.login_secret)
        finally:
            await database.close()

    asyncio.run(check())
    actor, action, detail = entries(db_url)[0]
    assert (actor, action) == ("cli", "staff.password")
    assert "another good password" not in detail


def test_queues_set_show_put_list(
    db_url: str, hermetic: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HELPLINE_LANGUAGES", "en,de")
    hours = json.dumps({"mon": [["09:00", "17:00"]], "tue": [["09:00", "12:00"]]})
    args = ["queue", "set", "en", "--name", "English", "--hours", hours]
    assert run([*args, "--add-holiday", "2030-12-25", "--fallback", "de"], db_url, monkeypatch) == 0
    capsys.readouterr()
    assert run(["queue", "show", "en"], db_url, monkeypatch) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["name"] == "English"
    assert shown["hours"]["mon"] == [["09:00", "17:00"]]
    assert shown["hours"]["sun"] == []
    assert shown["holidays"] == ["2030-12-25"]
    assert shown["fallback"] == "de"
    # Only what is given changes.
    args = ["queue", "set", "en", "--closed", "--remove-holiday", "2030-12-25"]
    assert run(args, db_url, monkeypatch) == 0
    assert run(["queue", "show", "en"], db_url, monkeypatch) == 0
    shown = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert (shown["closed"], shown["holidays"], shown["name"]) == (True, [], "English")
    # A new queue by its BCP 47 tag, in lower case; put replaces a whole queue.
    assert run(["queue", "set", "sr-Latn", "--name", "Srpski"], db_url, monkeypatch) == 0
    put = {"name": "Srpski (latinica)", "closed_message": "Zatvoreno."}
    assert run(["queue", "put", "sr-latn"], db_url, monkeypatch, json.dumps(put)) == 0
    capsys.readouterr()
    assert run(["queue", "list"], db_url, monkeypatch) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["en", "de", "sr-latn"]
    assert lines[0].split("\t")[2] == "switched off"
    assert lines[2].split("\t")[1] == "Srpski (latinica)"
    for bad, message in (
        (["queue", "set", "pt_BR"], "letters, digits and hyphens"),
        (["queue", "set", "en", "--hours", '{"mon": [["17:00", "09:00"]]}'], "end must be after"),
        (["queue", "set", "en", "--hours", "{nope"], "--hours must be JSON"),
        (["queue", "set", "en", "--fallback", "en"], "another queue"),
        (["queue", "set", "en", "--add-holiday", "2030-02-30"], "YYYY-MM-DD"),
        (["queue", "show", "fi"], "no queue 'fi'"),
    ):
        assert run(bad, db_url, monkeypatch) == 2, bad
        err = capsys.readouterr().err
        assert message in err
        assert err.count("\n") == 1
    actions = [action for _, action, _ in entries(db_url)]
    assert actions == ["queue.edit", "queue.create", "queue.edit", "queue.edit"]


def test_service_show_set_and_the_audit_list(
    db_url: str,
    hermetic: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    assert run(["service", "show"], db_url, monkeypatch) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["time_zone"], shown["transcripts"]) == ("UTC", False)
    change = ["service", "set", "--transcripts", "on", "--time-zone", "Europe/Oslo"]
    assert run(change, db_url, monkeypatch) == 0
    assert "transcripts turned on" in capsys.readouterr().out
    assert run(["service", "set", "--outcomes", "helped,other"], db_url, monkeypatch) == 0
    assert run(["service", "show"], db_url, monkeypatch) == 0
    shown = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert shown["outcomes"] == ["helped", "other"]
    assert shown["time_zone"] == "Europe/Oslo"
    for bad, message in (
        (["service", "set"], "nothing to change"),
        (["service", "set", "--time-zone", "Nowhere/Land"], "unknown time zone"),
        (["service", "set", "--quick-exit-url", "javascript:x"], "http"),
        (["service", "set", "--outcomes", "Not Valid"], "outcome code"),
    ):
        assert run(bad, db_url, monkeypatch) == 2
        assert message in capsys.readouterr().err
    assert run(["audit", "list", "--limit", "2"], db_url, monkeypatch) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    first = lines[0].split("\t")
    assert first[2:4] == ["cli", "service.settings"]
    assert first[1].endswith("Z")
    second = lines[1].split("\t")
    # The transcripts entry names what else changed in the same command.
    assert second[2:] == ["cli", "service.transcripts", "transcripts turned on; time_zone changed"]
    assert run(["audit", "list", "--before", first[0]], db_url, monkeypatch) == 0
    assert capsys.readouterr().out.splitlines() == [lines[1]]
    assert run(["audit", "list", "--limit", "0"], db_url, monkeypatch) == 2


def test_a_changed_service_file_is_imported_by_the_cli_too(
    db_url: str,
    hermetic: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    path = tmp_path / "service.json"
    path.write_text(json.dumps({"feedback": False}))
    monkeypatch.setenv("HELPLINE_SERVICE_FILE", str(path))
    assert run(["service", "show"], db_url, monkeypatch) == 0
    assert json.loads(capsys.readouterr().out)["feedback"] is False
    assert run(["service", "set", "--feedback", "on"], db_url, monkeypatch) == 0
    # The file did not change: the database wins.
    assert run(["service", "show"], db_url, monkeypatch) == 0
    assert json.loads(capsys.readouterr().out.split("\n", 1)[1])["feedback"] is True
    actions = [(actor, action) for actor, action, _ in entries(db_url)]
    assert actions == [("cli", "service.settings"), ("cli", "service.import")]
