"""The interop tests use the end-to-end tests' real-server fixtures."""

from tests.e2e.conftest import server, server_factory

__all__ = ["server", "server_factory"]
