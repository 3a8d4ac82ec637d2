"""The organisation key file (Argon2id + secretbox), written once, mode 0600."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from crypto import keyfile
from crypto.certs import fingerprint, org_public_key
from crypto.errors import CryptoError
from crypto.keyfile import (
    MIN_MEMLIMIT,
    MIN_OPSLIMIT,
    OrgKeyFile,
    generate_org_keys,
    read_keyfile_document,
    read_org_keyfile,
    write_org_keyfile,
)

FAST = {"opslimit": MIN_OPSLIMIT, "memlimit": MIN_MEMLIMIT}


@pytest.mark.parametrize("with_records", [True, False])
def test_round_trip(tmp_path: Path, with_records: bool) -> None:
    keys = generate_org_keys(with_records)
    path = tmp_path / "org.key"
    write_org_keyfile(path, "a long passphrase", keys, **FAST)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_org_keyfile(path, "a long passphrase") == keys
    doc = read_keyfile_document(path)
    assert doc["signing_fingerprint"] == fingerprint(org_public_key(keys.signing_seed))
    assert (doc["records_public_key"] is None) is not with_records
    assert keys.signing_seed.hex() not in path.read_text()


def test_passphrase_is_nfc_normalised(tmp_path: Path) -> None:
    """Written with the NFC form, opened with the NFD form (as macOS may type it)."""
    keys = generate_org_keys(False)
    path = tmp_path / "org.key"
    write_org_keyfile(path, "Caf\u00e9 cr\u00e8me", keys, **FAST)
    assert read_org_keyfile(path, "Cafe\u0301 cre\u0300me") == keys
    assert read_org_keyfile(path, "Caf\u00e9 cr\u00e8me") == keys


def test_file_written_from_a_non_nfc_passphrase_still_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file written before normalisation from an NFD passphrase keeps opening."""
    keys = generate_org_keys(False)
    path = tmp_path / "org.key"
    real = keyfile._derive
    monkeypatch.setattr(
        keyfile, "_derive", lambda p, s, o, m, nfc=True: real(p, s, o, m, nfc=False)
    )
    write_org_keyfile(path, "Cafe\u0301", keys, **FAST)
    monkeypatch.undo()
    assert read_org_keyfile(path, "Cafe\u0301") == keys
    with pytest.raises(CryptoError, match="bad_passphrase"):
        read_org_keyfile(path, "Caf\u00e9")  # the raw NFD bytes were used, not NFC


def test_invalid_passphrase_error_keeps_no_passphrase(tmp_path: Path) -> None:
    path = tmp_path / "org.key"
    with pytest.raises(CryptoError) as info:
        write_org_keyfile(path, "CANARY\ud800", generate_org_keys(False), **FAST)
    assert info.value.code == "bad_passphrase"
    assert info.value.__cause__ is None
    assert info.value.__context__ is None
    assert "CANARY" not in str(info.value)


def test_wrong_passphrase(tmp_path: Path) -> None:
    path = tmp_path / "org.key"
    write_org_keyfile(path, "right", generate_org_keys(False), **FAST)
    with pytest.raises(CryptoError) as info:
        read_org_keyfile(path, "wrong")
    assert info.value.code == "bad_passphrase"


def test_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "org.key"
    path.write_text("precious")
    with pytest.raises(CryptoError, match="file_exists"):
        write_org_keyfile(path, "pw", generate_org_keys(True), **FAST)
    assert path.read_text() == "precious"


def test_swapped_public_key_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "org.key"
    write_org_keyfile(path, "pw", generate_org_keys(False), **FAST)
    doc = json.loads(path.read_text())
    other = generate_org_keys(False)
    doc["signing_public_key"] = read_keyfile_document(path)["signing_public_key"][::-1]
    doc["signing_fingerprint"] = fingerprint(org_public_key(other.signing_seed))
    bad = tmp_path / "bad.key"
    bad.write_text(json.dumps(doc))
    with pytest.raises(CryptoError, match="bad_keyfile"):
        read_org_keyfile(bad, "pw")


@pytest.mark.parametrize(
    "content", ["", "[]", '{"format":"x"}', "not json", '{"format":"helpline-org-key"}']
)
def test_malformed_files(tmp_path: Path, content: str) -> None:
    path = tmp_path / "org.key"
    path.write_text(content)
    with pytest.raises(CryptoError, match="bad_keyfile"):
        read_org_keyfile(path, "pw")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CryptoError, match="bad_keyfile"):
        read_org_keyfile(tmp_path / "nope", "pw")


def test_key_lengths_are_checked() -> None:
    with pytest.raises(CryptoError, match="bad_key"):
        OrgKeyFile(b"short", None)
