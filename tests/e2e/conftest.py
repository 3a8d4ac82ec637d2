"""A real server on a loopback port, with real accounts, for end-to-end tests."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from helpline.config import Config
from helpline.core.staff import Role, StaffAccount
from helpline.store.passwords import hash_password
from helpline.web.app import start
from helpline.web.hub import Hub
from helpline.web.keys import DATABASE, HUB
from tests.conftest import free_port

PASSWORD = "correct horse battery staple"


@dataclass
class RunningServer:
    config: Config
    app: Any

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
    ) -> StaffAccount:
        database = self.app[DATABASE]
        account: StaffAccount = await database.accounts.create(
            username, role, languages, capacity, await hash_password(password, "min")
        )
        return account


def test_config(tmp_path: Path, **overrides: Any) -> Config:
    base: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": free_port(),
        "data_dir": tmp_path,
        "languages": ("en", "de", "fr"),
        "password_cost": "min",
        "heartbeat_s": 5.0,
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
