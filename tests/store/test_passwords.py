"""Argon2id password hashes (helpline.store.passwords)."""

from __future__ import annotations

import pytest

from helpline.errors import ConfigError
from helpline.store.passwords import hash_password, verify_password


async def test_a_hash_verifies_its_password_only() -> None:
    stored = await hash_password("correct horse", "min")
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored
    assert await verify_password(stored, "correct horse")
    assert not await verify_password(stored, "correct horse ")
    assert not await verify_password(stored, "")


async def test_each_hash_has_its_own_salt() -> None:
    assert await hash_password("same password", "min") != await hash_password(
        "same password", "min"
    )


async def test_non_ascii_passwords() -> None:
    stored = await hash_password("pässwörd-密码", "min")
    assert await verify_password(stored, "pässwörd-密码")
    assert not await verify_password(stored, "passwort-密码")


async def test_the_interactive_preset_is_what_production_uses() -> None:
    stored = await hash_password("a production password", "interactive")
    assert "$m=65536,t=2," in stored
    assert await verify_password(stored, "a production password")


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "not a hash",
        "$argon2id$",
        "$argon2id$v=19$m=8,t=1,p=1$garbage",
        "$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
        "$2b$12$abcdefghijklmnopqrstuuq9Vd7x7m1kz5iQdXv2o3d1D2Y9a8ZqS",
        "$argon2id$" + "x" * 10_000,
        "$argon2id$v=19$m=8,t=1,p=1$é",
    ],
)
async def test_a_malformed_hash_never_verifies_and_never_raises(stored: str) -> None:
    assert not await verify_password(stored, "password")


async def test_a_password_with_a_lone_surrogate_does_not_raise() -> None:
    stored = await hash_password("password", "min")
    assert not await verify_password(stored, "pass\ud800word")


async def test_an_unknown_cost_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        await hash_password("password", "cheap")
