"""Login secret and wrapping key from one password; wrapped identity seeds."""

from __future__ import annotations

import pytest

from crypto.errors import CryptoError
from crypto.password import (
    MAX_ITERATIONS,
    PBKDF2_ITERATIONS,
    SALT_BYTES,
    check_iterations,
    derive_password_keys,
    unwrap_seed,
    wrap_seed,
)

from .helpers import seed

SALT = bytes(range(SALT_BYTES))


def test_constants() -> None:
    assert PBKDF2_ITERATIONS >= 600_000
    assert SALT_BYTES == 16


@pytest.mark.parametrize(
    "bad",
    [1, 0, -1, PBKDF2_ITERATIONS - 1, MAX_ITERATIONS + 1, 600_000.0, "600000", True, None],
)
def test_check_iterations_refuses_a_weak_count_from_the_server(bad: object) -> None:
    with pytest.raises(CryptoError) as info:
        check_iterations(bad)  # type: ignore[arg-type]
    assert info.value.code == "weak_kdf"


def test_check_iterations_accepts_the_range() -> None:
    assert check_iterations(PBKDF2_ITERATIONS) == PBKDF2_ITERATIONS
    assert check_iterations(MAX_ITERATIONS) == MAX_ITERATIONS
    assert check_iterations(1000, 1000) == 1000  # tests lower the minimum explicitly
    with pytest.raises(CryptoError, match="weak_kdf"):
        check_iterations(999, 1000)
    # derive_password_keys itself is unchanged: the vectors use 1,000 iterations
    assert derive_password_keys("x", SALT, 1000)


def test_bad_password_error_keeps_no_password() -> None:
    with pytest.raises(CryptoError) as info:
        derive_password_keys("CANARY\ud800", SALT, 1000)
    assert info.value.code == "bad_password"
    assert info.value.__cause__ is None
    assert info.value.__context__ is None
    assert "CANARY" not in str(info.value)


def test_nfc_and_independence() -> None:
    a = derive_password_keys("Cafe\u0301", SALT, 1000)
    b = derive_password_keys("Café", SALT, 1000)
    assert a == b
    assert a.login_secret != a.wrapping_key
    assert len(a.login_secret) == len(a.wrapping_key) == 32
    assert derive_password_keys("Café", bytes(16), 1000) != a
    assert derive_password_keys("Café", SALT, 1001) != a


def test_wrap_and_unwrap() -> None:
    keys = derive_password_keys("pw", SALT, 1000)
    wrapped = wrap_seed(seed(3), keys.wrapping_key)
    assert len(wrapped) == 72
    assert wrap_seed(seed(3), keys.wrapping_key) != wrapped  # random nonce
    assert unwrap_seed(wrapped, keys.wrapping_key) == seed(3)
    wrong = derive_password_keys("pW", SALT, 1000)
    for bad_key, blob in [(wrong.wrapping_key, wrapped), (keys.wrapping_key, wrapped[:-1])]:
        with pytest.raises(CryptoError) as info:
            unwrap_seed(blob, bad_key)
        assert info.value.code == "bad_mac"


@pytest.mark.parametrize(("password", "salt"), [("\ud800", SALT), ("pw", b"short")])
def test_bad_inputs(password: str, salt: bytes) -> None:
    with pytest.raises(CryptoError, match="bad_password"):
        derive_password_keys(password, salt, 1000)
