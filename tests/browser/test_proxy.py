"""The cuttable proxy on its own (no browser): bytes go through, cut resets, restore heals."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import aiohttp
import pytest

from helpline.client import ClientError, SeekerClient
from tests.browser.proxy import CuttableProxy, start_proxy
from tests.e2e.conftest import ServerFactory


@pytest.fixture
async def echo() -> AsyncIterator[tuple[str, int]]:
    """A TCP echo server on loopback."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    yield "127.0.0.1", server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


@pytest.fixture
async def proxy(echo: tuple[str, int]) -> AsyncIterator[CuttableProxy]:
    async with CuttableProxy(*echo) as p:
        yield p


async def roundtrip(proxy: CuttableProxy, data: bytes = b"hello") -> bytes:
    reader, writer = await asyncio.open_connection(proxy.host, proxy.port)
    try:
        writer.write(data)
        await writer.drain()
        return await asyncio.wait_for(reader.readexactly(len(data)), 5)
    finally:
        writer.close()


async def assert_dead(reader: asyncio.StreamReader) -> None:
    """The connection ends (reset or EOF) within a few seconds, with no data."""
    try:
        data = await asyncio.wait_for(reader.read(100), 5)
    except ConnectionResetError:
        return
    assert data == b""


async def test_forwards_both_ways(proxy: CuttableProxy) -> None:
    assert await roundtrip(proxy) == b"hello"
    big = bytes(range(256)) * 4096  # 1 MiB, more than one chunk
    assert await roundtrip(proxy, big) == big
    assert proxy.accepted == 2


async def test_cut_resets_open_connections_and_refuses_new_ones(proxy: CuttableProxy) -> None:
    reader, writer = await asyncio.open_connection(proxy.host, proxy.port)
    writer.write(b"ping")
    assert await asyncio.wait_for(reader.readexactly(4), 5) == b"ping"
    assert proxy.open_connections == 1

    await proxy.cut()
    assert proxy.is_cut
    await assert_dead(reader)
    writer.close()
    assert proxy.open_connections == 0

    # While cut, a new connection is accepted by the kernel and then reset at once.
    reader2, writer2 = await asyncio.open_connection(proxy.host, proxy.port)
    writer2.write(b"lost")
    await assert_dead(reader2)
    writer2.close()
    assert proxy.resets == 2

    proxy.restore()
    assert await roundtrip(proxy) == b"hello"


async def test_hold_keeps_new_connections_until_restored(proxy: CuttableProxy) -> None:
    await proxy.cut(hold=True)
    reader, writer = await asyncio.open_connection(proxy.host, proxy.port)
    writer.write(b"later")
    await writer.drain()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(reader.readexactly(5), 0.3)
    proxy.restore()
    assert await asyncio.wait_for(reader.readexactly(5), 5) == b"later"
    writer.close()


async def test_a_second_cut_resets_held_connections(proxy: CuttableProxy) -> None:
    await proxy.cut(hold=True)
    reader, writer = await asyncio.open_connection(proxy.host, proxy.port)
    await asyncio.sleep(0.05)
    await proxy.cut()
    await assert_dead(reader)
    writer.close()
    proxy.restore()
    assert await roundtrip(proxy) == b"hello"


async def test_unreachable_target_resets() -> None:
    async with CuttableProxy("127.0.0.1", 1) as proxy:
        reader, writer = await asyncio.open_connection(proxy.host, proxy.port)
        await assert_dead(reader)
        writer.close()


async def test_http_and_websocket_of_a_real_server(server_factory: ServerFactory) -> None:
    server = await server_factory()
    proxy = await start_proxy(server.config.host, server.config.port)
    try:
        async with aiohttp.ClientSession() as http, http.get(proxy.http + "/healthz") as r:
            assert r.status == 200
            assert (await r.json())["status"] == "ok"

        seeker = SeekerClient(proxy.ws)
        await seeker.join("en")
        assert seeker.connected
        await proxy.cut()
        info = await seeker.wait_disconnected(5)
        assert info.code == 1006  # no close frame: the network just went away
        with pytest.raises((OSError, ClientError)):
            await seeker.resume()  # reset while cut: no HTTP answer
        proxy.restore()
        resumed = await seeker.resume()
        assert resumed.chat_id is None  # still queued, nothing lost
        await seeker.leave()
    finally:
        await proxy.close()
