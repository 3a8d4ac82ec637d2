"""One WebSocket connection, and how frames reach its socket without anyone waiting.

Sending to a slow receiver must never hold up the sender's handler or anyone
else (docs/protocol.md §5), so :meth:`Connection.send` never waits: it
appends the encoded frame to the connection's queue. At the end of the turn
of the event loop, :class:`Outgoing` writes every connection's queue to its
socket with one ``writelines``: frames for the same receiver in one turn
(a burst of envelopes, an envelope and a ``delivered``) cost one system
call, where one ``send_str`` each cost one apiece. Nothing runs per
connection in between: no task, no event, so an idle connection carries
nothing but this object.

When the socket is full (the transport is paused for writing: the receiver
reads slowly) the queue is not written; a task made for the occasion waits
for the socket to drain, writes what has queued up meanwhile in chunks, and
ends. Frames are never reordered: every frame goes through the one queue. At
the bound (``outbox_frames`` frames or ``outbox_bytes`` bytes queued) the
connection is cut and the client resumes later; the envelopes it missed are
still in the chat's buffer, so nothing is lost.

Data frames are written straight to the transport, framed as RFC 6455 §5.2
says for a server (no mask, no compression: compression is off, §1) and
never after aiohttp has begun the closing handshake (``ws.closed``). aiohttp
writes its control frames (ping, pong, close) to the same transport; whole
frames are never interleaved, so the stream stays well formed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
from typing import Final

from aiohttp import web
from aiohttp.abc import AbstractStreamWriter

from helpline.core.effects import ConnId
from helpline.core.ratelimit import TokenBucket

log = logging.getLogger(__name__)

CLOSE_TOO_SLOW = 4008
CLOSE_FLOODING = 4009
CLOSE_TOO_MANY_ERRORS = 4011
CLOSE_GRACE_S = 2.0  # how long a close frame may take before the socket is cut
#: How much the drain task writes at once before it looks whether the socket is full
#: again, so that a long queue moves to the transport's buffer a little at a time.
WRITE_CHUNK_BYTES: Final = 64 * 1024

# RFC 6455 §5.2: FIN and opcode 1 (text), then the length in 7 bits, or 126 and 16 bits,
# or 127 and 64 bits; a server's frames are not masked.
_TEXT_FIN: Final = 0x81
_HEADER_7: Final = struct.Struct("!BB").pack
_HEADER_16: Final = struct.Struct("!BBH").pack
_HEADER_64: Final = struct.Struct("!BBQ").pack


def text_frame(data: bytes) -> bytes:
    """The header of an unmasked, final WebSocket text frame carrying ``data``."""
    size = len(data)
    if size < 126:
        return _HEADER_7(_TEXT_FIN, size)
    if size < 65536:
        return _HEADER_16(_TEXT_FIN, 126, size)
    return _HEADER_64(_TEXT_FIN, 127, size)


class Outgoing:
    """The connections with frames queued in this turn of the event loop.

    The first one to queue a frame schedules :meth:`flush` with ``call_soon``;
    it runs once the handlers woken in this turn have had their go, and writes
    every queue.
    """

    __slots__ = ("_pending",)

    def __init__(self) -> None:
        self._pending: list[Connection] = []

    def add(self, conn: Connection) -> None:
        pending = self._pending
        pending.append(conn)
        if len(pending) == 1:
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        for conn in pending:
            try:
                conn.flush()
            except Exception as exc:  # one connection must not stall the others
                log.warning("flushing a connection failed: %s", type(exc).__name__)
                conn.abort(CLOSE_TOO_SLOW, "")


class Connection:
    __slots__ = (
        "_close",
        "_closing",
        "_max_bytes",
        "_max_frames",
        "_outgoing",
        "_protocol",
        "_queue",
        "_queued_bytes",
        "_task",
        "_writer",
        "errors",
        "flood",
        "id",
        "role",
        "session",
        "ws",
    )

    def __init__(
        self,
        conn_id: ConnId,
        role: str,
        ws: web.WebSocketResponse,
        writer: AbstractStreamWriter,
        request: web.Request,
        *,
        outgoing: Outgoing,
        max_frames: int,
        max_bytes: int,
        flood: TokenBucket,
    ) -> None:
        self.id = conn_id
        self.role = role  # "seeker" or "staff": which frame classes it receives
        # Staff only: the session token it was opened with, re-checked while it is open.
        # Memory only, like every token.
        self.session: str | None = None
        self.ws = ws
        # What ws.prepare() returned: waits for the socket to drain.
        self._writer = writer
        # aiohttp's protocol for this socket: whether it is paused for writing, and its
        # transport (None once the connection is lost).
        self._protocol = request.protocol
        self._outgoing = outgoing
        # Encoded frames not written yet; None when there are none.
        self._queue: list[bytes] | None = None
        self._queued_bytes = 0
        self._max_frames = max_frames
        self._max_bytes = max_bytes
        # The task that waits for the socket to drain (or closes it), only while one does.
        self._task: asyncio.Task[None] | None = None
        self._close: tuple[int, str] | None = None
        self._closing = False
        self.errors = 0
        self.flood = flood

    @property
    def closing(self) -> bool:
        return self._closing or self._close is not None

    def send(self, text: str) -> None:
        """Queue a frame for the end of this turn of the loop; never waits.

        At the bound of the queue the connection is cut (4008).
        """
        if self._closing or self._close is not None:
            return
        data = text.encode()
        queue = self._queue
        if queue is None:
            self._queue = [data]
            self._queued_bytes = len(data)
            if self._task is None:  # else the drain task writes it
                self._outgoing.add(self)
            return
        queue.append(data)
        self._queued_bytes += len(data)
        if len(queue) > self._max_frames or self._queued_bytes > self._max_bytes:
            self._drop_queue()
            self._abort(CLOSE_TOO_SLOW, "reading too slowly; resume")

    def flush(self) -> None:
        """Write the queue now, unless the socket is full (then a task waits for it)."""
        if self._task is not None or self._queue is None:
            return
        if self._protocol.writing_paused:
            self._task = asyncio.get_running_loop().create_task(self._drain_and_write())
            return
        queue = self._queue
        self._drop_queue()
        self._write(queue)

    def close(self, code: int, reason: str) -> None:
        """Close after the frames already queued have been written."""
        if self._close is None and not self._closing:
            self._close = (code, reason)
            if self._task is None:
                self._task = asyncio.get_running_loop().create_task(self._drain_and_write())

    def abort(self, code: int, reason: str) -> None:
        """Close now, dropping anything queued."""
        self._drop_queue()
        self._abort(code, reason)

    async def finish(self) -> None:
        """Stop the task, if there is one, when the handler ends."""
        self._closing = True
        self._drop_queue()
        task = self._task
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _drop_queue(self) -> None:
        self._queue = None
        self._queued_bytes = 0

    def _write(self, frames: list[bytes]) -> None:
        """Write whole frames to the transport in one call (the queue already let go of them)."""
        if self._closing:
            return
        transport = self._protocol.transport
        if transport is None or transport.is_closing() or self.ws.closed:
            # The peer went away (the reader notices and reports the loss), or the
            # closing handshake has begun: no data frame may follow a close frame.
            self._closing = True
            return
        parts: list[bytes] = []
        for data in frames:
            parts.append(text_frame(data))
            parts.append(data)
        try:
            transport.writelines(parts)
        except Exception as exc:  # a receiver's failure must not reach the sender
            self._closing = True
            log.debug("writing to a connection failed: %s", type(exc).__name__)

    def _abort(self, code: int, reason: str) -> None:
        """Close now (the socket may be full, so queued frames are dropped)."""
        if self._closing:
            return
        self._closing = True
        if self._task is not None:
            self._task.cancel()
        if code == CLOSE_TOO_SLOW:
            # Its buffers are full: not even a close frame would get through. Cut it.
            self._cut()
            return
        task = asyncio.get_running_loop().create_task(self._close_socket(code, reason))
        task.add_done_callback(_ignore_result)

    async def _drain_and_write(self) -> None:
        """Write the queue as the socket drains, in chunks; then close if asked."""
        try:
            while (queue := self._queue) is not None and not self._closing:
                if self._protocol.writing_paused:
                    if self._protocol.transport is None:
                        break  # lost while full: drain() would not wait
                    await self._writer.drain()
                    continue
                taken = size = 0
                while taken < len(queue) and size < WRITE_CHUNK_BYTES:
                    size += len(queue[taken])
                    taken += 1
                if taken == len(queue):
                    self._drop_queue()
                    self._write(queue)
                else:
                    self._queue = queue[taken:]
                    self._queued_bytes -= size
                    self._write(queue[:taken])
            if self._close is not None and not self._closing:
                self._closing = True
                await self._close_socket(*self._close)
        except ConnectionError:
            # The peer went away while we waited; the reader notices and reports the loss.
            self._closing = True
        finally:
            if self._task is asyncio.current_task():
                self._task = None

    async def _close_socket(self, code: int, reason: str) -> None:
        try:
            await asyncio.wait_for(
                self.ws.close(code=code, message=reason.encode()), timeout=CLOSE_GRACE_S
            )
        except (Exception, asyncio.CancelledError):
            # No clean close within the grace (or the close itself was interrupted):
            # cut the connection so the reader ends and the loss is reported.
            self._cut()
            raise

    def _cut(self) -> None:
        transport = self._protocol.transport
        if transport is not None:
            transport.abort()


def _ignore_result(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.debug("closing a connection failed: %s", type(task.exception()).__name__)
