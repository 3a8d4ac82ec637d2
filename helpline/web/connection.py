"""One WebSocket connection: a bounded outbox drained by its own writer task.

Why a writer task: sending to a slow receiver must never hold up the sender's
handler or anyone else (docs/protocol.md §5). Handlers only append to the
outbox (no await); the writer task awaits the socket. At the bound
(``outbox_frames`` frames or ``outbox_bytes`` bytes) the connection is closed
with 4008 and the client resumes later; the envelopes it missed are still in
the chat's buffer, so nothing is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque

from aiohttp import web

from helpline.core.effects import ConnId
from helpline.core.ratelimit import TokenBucket

log = logging.getLogger(__name__)

CLOSE_TOO_SLOW = 4008
CLOSE_FLOODING = 4009
CLOSE_TOO_MANY_ERRORS = 4011
CLOSE_GRACE_S = 2.0  # how long a close frame may take before the socket is cut


class Connection:
    __slots__ = (
        "_close",
        "_closing",
        "_max_bytes",
        "_max_frames",
        "_outbox",
        "_outbox_bytes",
        "_request",
        "_wakeup",
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
        request: web.Request,
        *,
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
        self._request = request
        self._outbox: deque[str] = deque()
        self._outbox_bytes = 0
        self._max_frames = max_frames
        self._max_bytes = max_bytes
        self._wakeup = asyncio.Event()
        self._close: tuple[int, str] | None = None
        self._closing = False
        self.errors = 0
        self.flood = flood
        self._writer = asyncio.create_task(self._write_loop(), name=f"ws-writer-{conn_id}")

    @property
    def closing(self) -> bool:
        return self._closing or self._close is not None

    def send(self, text: str) -> None:
        """Queue a frame; never waits. At the bound the connection is closed (4008)."""
        if self._close is not None or self._closing:
            return
        self._outbox.append(text)
        self._outbox_bytes += len(text)
        if len(self._outbox) > self._max_frames or self._outbox_bytes > self._max_bytes:
            self._outbox.clear()
            self._outbox_bytes = 0
            self._abort(CLOSE_TOO_SLOW, "reading too slowly; resume")
            return
        self._wakeup.set()

    def close(self, code: int, reason: str) -> None:
        """Close after the frames already queued have been written."""
        if self._close is None and not self._closing:
            self._close = (code, reason)
            self._wakeup.set()

    def _abort(self, code: int, reason: str) -> None:
        """Close now, dropping anything queued (the writer may be stuck on a full socket)."""
        if self._closing:
            return
        self._closing = True
        self._writer.cancel()
        if code == CLOSE_TOO_SLOW:
            # Its buffers are full: not even a close frame would get through. Cut it.
            self._cut()
            return
        task = asyncio.get_running_loop().create_task(self._close_socket(code, reason))
        task.add_done_callback(_ignore_result)

    def abort(self, code: int, reason: str) -> None:
        self._outbox.clear()
        self._outbox_bytes = 0
        self._abort(code, reason)

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
        transport = self._request.transport
        if transport is not None:
            transport.abort()

    async def _write_loop(self) -> None:
        outbox = self._outbox
        ws = self.ws
        try:
            while True:
                while outbox:
                    text = outbox.popleft()
                    self._outbox_bytes -= len(text)
                    await ws.send_str(text)
                if self._close is not None:
                    code, reason = self._close
                    self._closing = True
                    await self._close_socket(code, reason)
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
        except (ConnectionError, RuntimeError):
            # The peer went away mid-write; the reader notices and reports the loss.
            return

    async def finish(self) -> None:
        """Stop the writer when the handler ends."""
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer


def _ignore_result(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.debug("closing a connection failed: %s", type(task.exception()).__name__)
