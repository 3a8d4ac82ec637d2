"""A TCP proxy on loopback that a test can cut and restore, like a network that drops.

The browser talks to the server through it (``proxy.http`` instead of the server's
address); the counsellor and the test itself talk to the server directly::

    proxy = await start_proxy(server.config.host, server.config.port)
    await page.goto(proxy.http + "/")
    await proxy.cut()      # every open connection is reset at once, new ones too
    proxy.restore()        # connections go through again

``cut()`` resets every open connection (TCP RST: the browser sees the WebSocket fail
at once, as after a lost network) and, until ``restore()``, new connections are
either reset as soon as they arrive (the default) or, with ``hold=True``, accepted
and left hanging, like a network that swallows packets; held connections are
forwarded when the proxy is restored. It knows nothing of HTTP: bytes go through
unchanged, so the ``Host`` and ``Origin`` the browser sends name the proxy, and the
page is same-origin with its WebSocket as it would be in production.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from dataclasses import dataclass, field

CHUNK = 64 * 1024


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST (SO_LINGER 0) rather than an orderly FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


@dataclass(eq=False)
class _Pair:
    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def reset(self) -> None:
        _reset(self.client)
        if self.upstream is not None:
            _reset(self.upstream)
        for task in self.tasks:
            task.cancel()


class CuttableProxy:
    """Forwards 127.0.0.1:``port`` to ``target_host``:``target_port``; see the module doc."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.host = "127.0.0.1"
        self.port = 0
        #: Connections accepted since the start (cut or not), for tests that count.
        self.accepted = 0
        #: Connections reset by ``cut()`` or refused while cut.
        self.resets = 0
        self._server: asyncio.Server | None = None
        self._pairs: set[_Pair] = set()
        self._cut = False
        self._hold = False
        self._open = asyncio.Event()
        self._open.set()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def http(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://{self.host}:{self.port}"

    @property
    def is_cut(self) -> bool:
        return self._cut

    @property
    def open_connections(self) -> int:
        """Connections currently forwarded (or held while cut)."""
        return len(self._pairs)

    async def start(self) -> CuttableProxy:
        self._server = await asyncio.start_server(self._accept, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def cut(self, *, hold: bool = False) -> None:
        """Reset every open connection; until ``restore()`` refuse (or hold) new ones."""
        self._cut, self._hold = True, hold
        self._open.clear()
        pairs, self._pairs = list(self._pairs), set()
        for pair in pairs:
            pair.reset()
            self.resets += 1
        await asyncio.sleep(0)  # let the cancelled pumps finish

    def restore(self) -> None:
        """Let connections through again (held ones are forwarded now)."""
        self._cut = self._hold = False
        self._open.set()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for pair in list(self._pairs):
            pair.reset()
        self._pairs.clear()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    async def __aenter__(self) -> CuttableProxy:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- inside ---------------------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._serve(reader, writer)
        finally:
            self._tasks.discard(task)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._cut and not self._hold:
            self.resets += 1
            _reset(writer)
            return
        pair = _Pair(writer)
        self._pairs.add(pair)
        try:
            await self._open.wait()  # held while cut with hold=True
            if pair not in self._pairs:  # reset by a cut while held
                return
            try:
                up_reader, up_writer = await asyncio.open_connection(
                    self.target_host, self.target_port
                )
            except OSError:
                _reset(writer)
                return
            pair.upstream = up_writer
            if pair not in self._pairs:  # cut while connecting
                pair.reset()
                return
            pair.tasks = [
                asyncio.create_task(_pump(reader, up_writer)),
                asyncio.create_task(_pump(up_reader, writer)),
            ]
            await asyncio.wait(pair.tasks, return_when=asyncio.FIRST_COMPLETED)
            # One side finished in order (EOF): let the other finish too.
            await asyncio.wait(pair.tasks)
        finally:
            self._pairs.discard(pair)
            for task in pair.tasks:
                task.cancel()
            for w in (writer, pair.upstream):
                if w is not None and not w.transport.is_closing():
                    w.close()


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy bytes one way until EOF, then half-close the other side."""
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        _reset(writer)


async def start_proxy(target_host: str, target_port: int) -> CuttableProxy:
    """A started :class:`CuttableProxy` on a free loopback port."""
    return await CuttableProxy(target_host, target_port).start()
