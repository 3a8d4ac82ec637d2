"""Helpers and fixtures shared by every test.

Tests that need a service are marked (``postgres``, ``browser``; see pyproject.toml).
Outside CI a missing service skips them; under CI (``CI=true``, set by .ci/run) it
fails them, so that a green CI run has really exercised PostgreSQL and the browser.
Server fixtures live in tests/server_fixtures.py.
"""

from __future__ import annotations

import os
import shutil
import socket
from typing import NoReturn

import pytest

POSTGRES_URL_ENV = "HELPLINE_TEST_POSTGRES_URL"


def in_ci() -> bool:
    """True when running under CI (the ``CI`` environment variable is true)."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def missing_service(reason: str) -> NoReturn:
    """Fail under CI, skip elsewhere: for a test whose service is not available."""
    if in_ci():
        pytest.fail(f"{reason} (required under CI)", pytrace=False)
    pytest.skip(reason)


def require_postgres_url() -> str:
    """The PostgreSQL URL for tests; skips (or fails under CI) if it is not set."""
    url = os.environ.get(POSTGRES_URL_ENV, "").strip()
    if not url:
        missing_service(f"{POSTGRES_URL_ENV} is not set")
    return url


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def postgres_url() -> str:
    """``HELPLINE_TEST_POSTGRES_URL``, or skip (fail under CI)."""
    return require_postgres_url()


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres") is not None:
        require_postgres_url()
    if item.get_closest_marker("browser") is not None and shutil.which("chromium") is None:
        missing_service("chromium is not installed")
