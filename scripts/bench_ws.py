"""The load generator's WebSocket client: as little work per frame as Python allows.

Why not aiohttp's or websockets' client: a load generator that costs more per
frame than the server under test measures itself. At 1,000 chats each sending
10 envelopes a second both ways (40,000 frames a second in and out of this one
process), aiohttp's client saturated its core and added hundreds of
milliseconds of its own queueing to every latency, for the raw relay as much as
for Helpline. This client writes frames synchronously to the transport and
parses them straight from ``data_received``: a few microseconds a frame.

It is only for the benchmark: client frames are masked with the key 0 (legal
framing; masking is there against cache poisoning through proxies, and
there are none on loopback), the handshake's key is fixed, and frames from the
server are assumed unfragmented (aiohttp never fragments).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

_HANDSHAKE = (
    "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: YmVuY2htYXJrIGtleSAxMg==\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
)
_ZERO_MASK = b"\x00\x00\x00\x00"
OP_TEXT, OP_CLOSE, OP_PING, OP_PONG = 0x1, 0x8, 0x9, 0xA


def client_frame(opcode: int, data: bytes) -> bytes:
    """A masked (key 0, so the payload is unchanged) final frame."""
    length = len(data)
    if length < 126:
        header = bytes((0x80 | opcode, 0x80 | length))
    elif length < 65536:
        header = bytes((0x80 | opcode, 0x80 | 126)) + length.to_bytes(2, "big")
    else:
        header = bytes((0x80 | opcode, 0x80 | 127)) + length.to_bytes(8, "big")
    return header + _ZERO_MASK + data


class WsClient(asyncio.Protocol):
    """One client connection. Text frames go to ``on_text`` when set, else to
    :meth:`receive`. Pings are answered; a close frame closes the connection."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.on_text: Callable[[str], None] | None = None
        self._buffer = bytearray()
        self._upgraded: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._inbox: deque[str | None] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self.paused = False

    @classmethod
    async def connect(cls, base: str, path: str, cookie: str | None = None) -> WsClient:
        host_port = base.removeprefix("ws://")
        host, port = host_port.rsplit(":", 1)
        loop = asyncio.get_running_loop()
        _, client = await loop.create_connection(cls, host, int(port))
        extra = f"Cookie: helpline_session={cookie}\r\n" if cookie else ""
        assert client.transport is not None
        client.transport.write(
            _HANDSHAKE.format(path=path, host=host_port, extra=extra).encode("ascii")
        )
        await asyncio.wait_for(client._upgraded, 30)
        return client

    # -- sending -----------------------------------------------------------------

    def send(self, text: str) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(client_frame(OP_TEXT, text.encode()))

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(client_frame(OP_CLOSE, (1000).to_bytes(2, "big")))
            self.transport.close()

    # -- receiving ---------------------------------------------------------------

    async def receive(self, timeout: float = 60) -> str | None:  # noqa: ASYNC109
        """The next text frame, or None once the connection is closed."""
        while not self._inbox:
            self._waiter = asyncio.get_running_loop().create_future()
            async with asyncio.timeout(timeout):
                await self._waiter
        return self._inbox.popleft()

    def put_back(self, texts: list[str]) -> None:
        """Frames read too early: :meth:`receive` returns them first, in order."""
        self._inbox.extendleft(reversed(texts))

    def _deliver(self, text: str | None) -> None:
        if text is not None and self.on_text is not None:
            self.on_text(text)
            return
        self._inbox.append(text)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    # -- asyncio.Protocol ----------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment] # uvloop's is no asyncio.Transport

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._upgraded.done():
            self._upgraded.set_exception(ConnectionError("closed during the handshake"))
        if not self.closed.done():
            self.closed.set_result(None)
        self._deliver(None)

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        if not self._upgraded.done():
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buffer[:end]).split(b"\r\n", 1)[0]
            del buffer[: end + 4]
            if b" 101 " not in status:
                self._upgraded.set_exception(ConnectionError(status.decode(errors="replace")))
                assert self.transport is not None
                self.transport.close()
                return
            self._upgraded.set_result(None)
        pos, size = 0, len(buffer)
        while size - pos >= 2:
            opcode, length = buffer[pos] & 0x0F, buffer[pos + 1] & 0x7F
            start = pos + 2
            if length == 126:
                if size - pos < 4:
                    break
                length, start = int.from_bytes(buffer[pos + 2 : pos + 4], "big"), pos + 4
            elif length == 127:
                if size - pos < 10:
                    break
                length, start = int.from_bytes(buffer[pos + 2 : pos + 10], "big"), pos + 10
            end = start + length
            if end > size:
                break
            if opcode == OP_TEXT:
                self._deliver(buffer[start:end].decode())
            elif opcode == OP_PING and self.transport is not None:
                self.transport.write(client_frame(OP_PONG, bytes(buffer[start:end])))
            elif opcode == OP_CLOSE and self.transport is not None:
                self.transport.write(client_frame(OP_CLOSE, bytes(buffer[start : start + 2])))
                self.transport.close()
            pos = end
        del buffer[:pos]
