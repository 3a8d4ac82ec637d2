"""A real server on a loopback port, with real accounts, for end-to-end tests."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from crypto.certs import identity_public_key
from crypto.password import SALT_BYTES, derive_password_keys, wrap_seed
from helpline.config import Config
from helpline.core.staff import Role, StaffAccount
from helpline.store.passwords import hash_secret
from helpline.web.app import start
from helpline.web.hub import Hub
from helpline.web.keys import DATABASE, HUB, TRUST
from tests.conftest import free_port

PASSWORD = "correct horse battery staple"
KDF_ITERATIONS = 1000  # PBKDF2 iterations in tests (600,000 in production)


@dataclass
class RunningServer:
    config: Config
    app: Any
    # The identity seed of every account add_staff gave a key, by username.
    identity_seeds: dict[str, bytes] = field(default_factory=dict)

    @property
    def http(self) -> str:
        return f"http://{self.config.host}:{self.config.port}"

    @property
    def ws(self) -> str:
        return f"ws://{self.config.host}:{self.config.port}"

    @property
    def hub(self) -> Hub:
        hub: Hub = self.app[HUB]
        return hub

    async def add_staff(
        self,
        username: str,
        languages: tuple[str, ...] = ("en",),
        capacity: int = 1,
        role: Role = Role.COUNSELLOR,
        password: str = PASSWORD,
        identity: bool = True,
    ) -> StaffAccount:
        """An account as ``account add`` makes it (salt, Argon2id of the login secret)
        and, with ``identity``, an identity key registered as the browser would:
        certified at once in development mode, pending otherwise."""
        database = self.app[DATABASE]
        salt = secrets.token_bytes(SALT_BYTES)
        keys = derive_password_keys(password, salt, self.config.kdf_iterations)
        account: StaffAccount = await database.accounts.create(
            username,
            role,
            languages,
            capacity,
            await hash_secret(keys.login_secret, "min"),
            kdf_salt=salt,
            kdf_iterations=self.config.kdf_iterations,
        )
        if identity:
            seed = secrets.token_bytes(32)
            await self.app[TRUST].register(
                account,
                identity_public_key(seed),
                wrap_seed(seed, keys.wrapping_key),
                replace=False,
            )
            self.identity_seeds[username] = seed
        return account


def test_config(tmp_path: Path, **overrides: Any) -> Config:
    base: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": free_port(),
        "data_dir": tmp_path,
        "languages": ("en", "de", "fr"),
        "password_cost": "min",
        "kdf_iterations": KDF_ITERATIONS,
        "heartbeat_s": 5.0,
        "feedback_flush_s": 0.0,  # answers written at once, so tests can read them
    }
    base.update(overrides)
    return Config(**base)


ServerFactory = Callable[..., Awaitable[RunningServer]]


@pytest.fixture
async def server_factory(tmp_path: Path) -> AsyncIterator[ServerFactory]:
    """Start servers with config overrides; every one is stopped at the end."""
    runners = []

    async def make(**overrides: Any) -> RunningServer:
        config = test_config(tmp_path / f"server{len(runners)}", **overrides)
        runner = await start(config)
        runners.append(runner)
        return RunningServer(config, runner.app)

    yield make
    for runner in reversed(runners):
        with contextlib.suppress(Exception):
            await runner.cleanup()


@pytest.fixture
async def server(server_factory: ServerFactory) -> RunningServer:
    return await server_factory()
