"""A Python client for the Helpline WebSocket protocol (docs/protocol.md), on ``websockets``.

Used by the tests, the benchmarks and the command-line counsellor client::

    async with SeekerClient("ws://127.0.0.1:8080") as seeker:
        await seeker.join("en")
        matched = await seeker.expect(SeekerMatched)
        await seeker.send(ciphertext_b64u)

    cookie = await login("http://127.0.0.1:8080", "alice", "secret")
    async with CounsellorClient("ws://127.0.0.1:8080", cookie=cookie) as staff:
        await staff.connect()
        await staff.set_status("available")
        offer = await staff.expect(Offer)
        await staff.accept(offer.chat_id)

Delivery (§3) is the client's job and is done here: envelopes are numbered per
chat, kept until ``delivered`` and held back locally beyond the window
(:class:`~helpline.client_delivery.ChatDelivery`); replays are dropped;
acknowledgements are coalesced (one ``ack`` per chat per event-loop turn);
after :meth:`reconnect` everything after the server's ``accepted_seq`` is sent
again. Payloads are opaque base64url strings: encryption (HLP1) is the
caller's business.

Received frames are *events*: every frame the server sent, in order, except
replayed relays, in a bounded queue (``event_queue_size``, default 1,024). When
nobody reads them (a benchmark that only looks at :meth:`received_payloads`)
the oldest event is dropped and counted in ``events_dropped``, so that reading
never stalls delivery. :meth:`expect` waits for one class of event and keeps
the others, in order, for :meth:`next_event` and later calls.

Each connection has a reader task (decodes, updates delivery state, queues
events) and a writer task (sends queued text in order), so that every method
that only sends returns without waiting for the network.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import ClassVar, Final, NoReturn, Self, TypedDict, TypeVar, Unpack

import aiohttp
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI
from websockets.typing import Origin

from crypto.encoding import b64u_decode, b64u_encode
from crypto.errors import CryptoError
from crypto.password import PBKDF2_ITERATIONS, derive_password_keys
from helpline.client_delivery import ChatDelivery, Envelope
from helpline.errors import AuthError, HelplineError, ProtocolError
from helpline.wire import (
    Accept,
    Block,
    ClientRole,
    Decline,
    Delivered,
    End,
    ErrorFrame,
    Frame,
    HelpRequest,
    Join,
    Leave,
    Ping,
    RelayOut,
    Requeue,
    Requeued,
    Resume,
    Resumed,
    SeekerAck,
    SeekerChatEnded,
    SeekerMatched,
    SeekerRelay,
    SeekerWelcome,
    ServerFrame,
    SetStatus,
    StaffAck,
    StaffChatEnded,
    StaffMatched,
    StaffRelay,
    StaffWelcome,
    StatusUpdate,
    TransferLanguage,
    TransferTo,
    decode_server_frame,
)
from helpline.wire.fields import check_payload

__all__ = [
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "ClientError",
    "ClientOptions",
    "CloseInfo",
    "CounsellorClient",
    "SeekerClient",
    "StaffSession",
    "login",
    "session_of",
    "sign_in",
]

logger = logging.getLogger(__name__)

SESSION_COOKIE: Final = "helpline_session"
#: Close codes after which a client must not resume on its own (§2.6).
STOP_CODES: Final = frozenset({1000, 1009, 4001, 4010, 4011})

_E = TypeVar("_E", bound=Frame)


class ClientError(HelplineError):
    """The server refused a request, or the client cannot do it in its state.

    ``code`` is the server's error code (§2.5) when the server refused, else one
    of ``not_connected``, ``closed``, ``no_token``, ``no_chat``, ``unknown_chat``,
    ``handshake_failed``, ``bad_server_frame``, ``internal``.
    """

    code = "client"


@dataclass(frozen=True, slots=True)
class CloseInfo:
    """How the last connection ended: the close code (1006 when there was no close frame)."""

    code: int
    reason: str

    @property
    def should_resume(self) -> bool:
        return self.code not in STOP_CODES


#: The header that carries a session's CSRF token on state-changing requests (§6.3).
CSRF_HEADER: Final = "X-CSRF-Token"


@dataclass(frozen=True, slots=True)
class StaffSession:
    """A signed-in staff session: the cookie's value and its CSRF token (§6.1, §6.3)."""

    http_base: str
    cookie: str
    csrf: str

    def headers(self) -> dict[str, str]:
        """What a state-changing request with this session carries (cookie, CSRF, Origin)."""
        return {
            "Cookie": f"{SESSION_COOKIE}={self.cookie}",
            CSRF_HEADER: self.csrf,
            "Origin": self.http_base,
        }

    async def request(self, method: str, path: str, body: object = None) -> tuple[int, object]:
        """One JSON request to the staff API with this session: (status, parsed body or None)."""
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                method,
                self.http_base + path,
                json=body,
                headers=self.headers(),
            ) as response,
        ):
            return response.status, await _json_body(response)


async def login(
    http_base: str,
    username: str,
    password: str,
    *,
    min_iterations: int = PBKDF2_ITERATIONS,
    totp: str | None = None,
) -> str:
    """Sign in (§6) and return the ``helpline_session`` cookie's value (see :func:`sign_in`)."""
    found = await sign_in(http_base, username, password, min_iterations=min_iterations, totp=totp)
    return found.cookie


async def session_of(http_base: str, cookie: str) -> StaffSession:
    """The :class:`StaffSession` of a cookie obtained elsewhere (asks ``GET /api/me``)."""
    http_base = http_base.rstrip("/")
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            http_base + "/api/me", headers={"Cookie": f"{SESSION_COOKIE}={cookie}"}
        ) as response,
    ):
        body = await _json_body(response)
        csrf = body.get("csrf") if isinstance(body, dict) else None
        if response.status != 200 or not isinstance(csrf, str):
            raise AuthError("no valid staff session", code="unauthorized")
        return StaffSession(http_base, cookie, csrf)


async def sign_in(
    http_base: str,
    username: str,
    password: str,
    *,
    min_iterations: int = PBKDF2_ITERATIONS,
    totp: str | None = None,
) -> StaffSession:
    """Sign in (§6) and return the session: the ``helpline_session`` cookie's value
    and its CSRF token, which every state-changing request must carry (§6.3).

    The password never leaves this process: ``GET /api/salt`` gives the
    account's salt and iteration count, PBKDF2 (in a worker thread) derives the
    login secret (``crypto.password``), and ``POST /api/login`` sends only that.
    A server asking for fewer than ``min_iterations`` is refused: with a cheap
    derivation, whoever runs the server could guess the password from the login
    secret and so unwrap the identity key (docs/crypto.md). Only tests lower it.

    ``totp`` is the current 6-digit code of an account with a second factor (§6.5).

    Raises :class:`~helpline.errors.AuthError` with code ``bad_credentials``,
    ``totp_required``, ``bad_code``, ``rate_limited`` (the message carries
    ``retry_after_s``) or ``unauthorized``.
    """
    http_base = http_base.rstrip("/")
    async with aiohttp.ClientSession() as session:
        async with session.get(http_base + "/api/salt", params={"username": username}) as response:
            body = await _json_body(response)
            if response.status != 200:
                _login_failed(response.status, body)
            salt, iterations = _salt_answer(body)
            if iterations < min_iterations:
                raise AuthError(
                    f"the server asks for only {iterations} PBKDF2 iterations", code="weak_kdf"
                )
        try:
            keys = await asyncio.to_thread(derive_password_keys, password, salt, iterations)
        except CryptoError as exc:
            raise AuthError(f"cannot derive the login secret ({exc.code})") from None
        fields = {"username": username, "secret": b64u_encode(keys.login_secret)}
        if totp is not None:
            fields["totp"] = totp
        async with session.post(
            http_base + "/api/login", json=fields, headers={"Origin": http_base}
        ) as response:
            answer = await _json_body(response)
            if response.status == 200:
                morsel = response.cookies.get(SESSION_COOKIE)
                if morsel is None or not morsel.value:
                    raise AuthError("login answered without a session cookie", code="unauthorized")
                csrf = answer.get("csrf") if isinstance(answer, dict) else None
                # A server from before CSRF tokens answers none, and checks none.
                return StaffSession(http_base, morsel.value, csrf if isinstance(csrf, str) else "")
            _login_failed(response.status, answer)


#: The most PBKDF2 iterations a server may ask for (more would stall the client).
MAX_KDF_ITERATIONS: Final = 10_000_000


async def _json_body(response: aiohttp.ClientResponse) -> object:
    try:
        return await response.json(content_type=None)
    except (ValueError, aiohttp.ClientError):
        return None


def _salt_answer(body: object) -> tuple[bytes, int]:
    salt = body.get("salt") if isinstance(body, dict) else None
    iterations = body.get("iterations") if isinstance(body, dict) else None
    if (
        not isinstance(salt, str)
        or not isinstance(iterations, int)
        or isinstance(iterations, bool)
        or not 1 <= iterations <= MAX_KDF_ITERATIONS
    ):
        raise AuthError("the server's salt answer is malformed", code="unauthorized")
    try:
        return b64u_decode(salt), iterations
    except CryptoError:
        raise AuthError("the server's salt is not base64url", code="unauthorized") from None


def _login_failed(status: int, body: object) -> NoReturn:
    error = body.get("error") if isinstance(body, dict) else None
    if status == 429:
        retry = body.get("retry_after_s") if isinstance(body, dict) else None
        raise AuthError(f"login rate-limited; retry after {retry} s", code="rate_limited")
    if status == 401 and error == "totp_required":
        raise AuthError("this account needs its authenticator code", code="totp_required")
    if status == 401 and error == "bad_code":
        raise AuthError("wrong or already used authenticator code", code="bad_code")
    if status == 401:
        raise AuthError("bad username or password", code=str(error or "bad_credentials"))
    raise AuthError(f"login failed with HTTP {status}", code="unauthorized")


#: The answers to the one feedback question (``POST /api/feedback``, §7).
FEEDBACK_ANSWERS: Final = ("helpful", "somewhat", "not_helpful")


async def send_feedback(base: str, ticket: str, answer: str) -> None:
    """Answer the feedback question with the ticket of ``chat_ended`` (§7).

    ``base`` is the server's http(s) or ws(s) base URL. Raises :class:`ClientError`
    with the server's code: ``unknown_ticket`` (unknown, used or expired),
    ``bad_field``, ``bad_origin``, or ``http_<status>`` without one.
    """
    http_base = http_base_of(base)
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            http_base + "/api/feedback",
            json={"ticket": ticket, "answer": answer},
            headers={"Origin": http_base},
        ) as response,
    ):
        if response.status == 204:
            return
        body = await _json_body(response)
        error = body.get("error") if isinstance(body, dict) else None
        code = error if isinstance(error, str) else f"http_{response.status}"
        raise ClientError(f"feedback refused with HTTP {response.status}", code=code)


def http_base_of(ws_base: str) -> str:
    """``ws://host:port`` → ``http://host:port`` (``wss`` → ``https``); http(s) stays."""
    base = ws_base.rstrip("/")
    if base.startswith("ws://"):
        return "http://" + base.removeprefix("ws://")
    if base.startswith("wss://"):
        return "https://" + base.removeprefix("wss://")
    return base


def _ws_base_of(base: str) -> str:
    base = base.rstrip("/")
    if base.startswith("http://"):
        return "ws://" + base.removeprefix("http://")
    if base.startswith("https://"):
        return "wss://" + base.removeprefix("https://")
    return base


class _Connection:
    """One WebSocket connection and its two tasks."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.outgoing: asyncio.Queue[str] = asyncio.Queue()
        self.reader: asyncio.Task[None] | None = None
        self.writer: asyncio.Task[None] | None = None


class ClientOptions(TypedDict, total=False):
    """Keyword options of both clients (see ``_Client.__init__``)."""

    event_queue_size: int
    window_frames: int
    window_bytes: int
    max_frame_bytes: int
    auto_reconnect: bool
    reconnect_delay: float
    max_reconnect_delay: float
    open_timeout: float
    record_payloads: bool


class _Client:
    """What seekers and counsellors share: connection, delivery, events.

    Options: ``event_queue_size`` bounds the event queue (oldest dropped when
    full); ``window_frames``/``window_bytes`` are the server's window (§3);
    ``max_frame_bytes`` bounds incoming frames; ``auto_reconnect`` resumes after
    a lost connection (never after the close codes of :data:`STOP_CODES`), first
    after ``reconnect_delay`` s, doubling up to ``max_reconnect_delay``;
    ``record_payloads`` keeps received payloads for :meth:`received_payloads`.
    """

    ROLE: ClassVar[ClientRole]
    PATH: ClassVar[str]

    def __init__(
        self,
        base_url: str,
        *,
        event_queue_size: int = 1024,
        window_frames: int = 64,
        window_bytes: int = 1024 * 1024,
        max_frame_bytes: int = 4 * 1024 * 1024,
        auto_reconnect: bool = False,
        reconnect_delay: float = 0.2,
        max_reconnect_delay: float = 10.0,
        open_timeout: float = 10.0,
        record_payloads: bool = True,
    ) -> None:
        self.base_url = _ws_base_of(base_url)
        self.url = self.base_url + self.PATH
        self.window_frames = window_frames
        self.window_bytes = window_bytes
        self.max_frame_bytes = max_frame_bytes
        self.auto_reconnect = auto_reconnect
        self.reconnect_delay = reconnect_delay
        self.max_reconnect_delay = max_reconnect_delay
        self.open_timeout = open_timeout
        self.record_payloads = record_payloads
        #: Delivery state per chat, including ended chats (their payloads stay readable).
        self.chats: dict[str, ChatDelivery] = {}
        #: How the last connection ended; None while a connection is open.
        self.close_info: CloseInfo | None = None
        self.events_dropped = 0
        self.reconnects = 0
        # None wakes a waiting reader of events so that it sees a failure.
        self._events: asyncio.Queue[ServerFrame | None] = asyncio.Queue(maxsize=event_queue_size)
        self._stash: deque[ServerFrame] = deque()
        self._conn: _Connection | None = None
        self._handshake: asyncio.Future[ServerFrame] | None = None
        self._closing = False
        self._ready = False  # the current connection's handshake is done
        self._ack_scheduled = False
        self._failures: deque[ClientError] = deque()
        self._lock = asyncio.Lock()
        self._auto_task: asyncio.Task[None] | None = None
        self._disconnected = asyncio.Event()

    # Public: state and events ---------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._conn is not None

    def received_payloads(self, chat_id: str | None = None) -> list[str]:
        """Payloads received in ``chat_id`` in delivery order, each once (a copy)."""
        chat = self.chats.get(chat_id or self._default_chat_id())
        return list(chat.received) if chat is not None else []

    async def next_event(self, timeout: float | None = 5.0) -> ServerFrame:  # noqa: ASYNC109
        """The next received frame (kept ones first); TimeoutError after ``timeout`` s."""
        self._raise_failure()
        if self._stash:
            return self._stash.popleft()
        async with asyncio.timeout(timeout):
            while True:
                event = await self._events.get()
                self._raise_failure()
                if event is not None:
                    return event

    async def expect(self, frame_type: type[_E], timeout: float | None = 5.0) -> _E:  # noqa: ASYNC109
        """The first received frame of class ``frame_type``; every other one is kept.

        Raises TimeoutError naming the frames that did arrive meanwhile, and
        :class:`ClientError` if the client failed (a malformed server frame).
        """
        self._raise_failure()
        for kept in self._stash:
            if isinstance(kept, frame_type):
                self._stash.remove(kept)
                return kept
        try:
            async with asyncio.timeout(timeout):
                while True:
                    event = await self._events.get()
                    self._raise_failure()
                    if isinstance(event, frame_type):
                        return event
                    if event is not None:
                        self._keep(event)
        except TimeoutError:
            seen = ", ".join(type(event).__name__ for event in self._stash) or "nothing"
            raise TimeoutError(
                f"no {frame_type.__name__} within {timeout} s; received: {seen}"
            ) from None

    def pending_events(self) -> list[ServerFrame]:
        """Every received frame not yet taken, without waiting (and without taking them)."""
        while not self._events.empty():
            event = self._events.get_nowait()
            if event is not None:
                self._keep(event)
        return list(self._stash)

    def _keep(self, event: ServerFrame) -> None:
        """Keep an event for later; the kept ones are bounded like the queue."""
        if len(self._stash) >= max(self._events.maxsize, 1):
            self._stash.popleft()
            self.events_dropped += 1
        self._stash.append(event)

    async def wait_disconnected(self, timeout: float | None = 5.0) -> CloseInfo:  # noqa: ASYNC109
        """Wait until the current connection ends; return how it ended."""
        async with asyncio.timeout(timeout):
            await self._disconnected.wait()
        assert self.close_info is not None
        return self.close_info

    # Public: sending -------------------------------------------------------------------

    async def send(self, payload: str, chat_id: str | None = None) -> int:
        """Send an envelope in ``chat_id`` (seekers: their chat); return its ``seq``.

        The envelope goes out now if the window allows, else when ``delivered``
        makes room, and again after a reconnect if the server did not take it.
        Raises FrameError for a payload that is not base64url.
        """
        check_payload("relay", payload)
        chat_id = chat_id or self._default_chat_id()
        chat = self.chats.get(chat_id)
        if chat is None or chat.closed:
            raise ClientError(f"no open chat {chat_id!r}", code="unknown_chat")
        self._send_envelopes(chat, chat.submit(payload))
        return chat.last_seq

    async def ping(self) -> None:
        """Send the application ``ping``; the ``Pong`` arrives as an event."""
        self._write(Ping(), required=True)

    # Public: connection ----------------------------------------------------------------

    async def drop(self) -> None:
        """Cut the connection abruptly (no ``leave``, no close frame), as a network failure.

        With ``auto_reconnect`` the client then reconnects by itself.
        """
        conn = self._conn
        if conn is None:
            return
        conn.ws.transport.abort()
        if conn.reader is not None:
            await asyncio.wait([conn.reader])

    async def reconnect(self) -> ServerFrame:
        """Drop the connection if any, open a new one and resume (§3, §5).

        Returns ``Resumed`` (seekers) or ``StaffWelcome`` (counsellors).
        """
        async with self._lock:
            await self.drop()
            self.reconnects += 1
            return await self._resume_session()

    async def close(self) -> None:
        """Close normally (1000) without ``leave``; no more reconnects."""
        self._closing = True
        if self._auto_task is not None:
            self._auto_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._auto_task
        conn = self._conn
        if conn is not None:
            await conn.ws.close()
            if conn.reader is not None:
                await asyncio.wait([conn.reader])

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # Role hooks --------------------------------------------------------------------------

    def _default_chat_id(self) -> str:
        raise ClientError("chat_id is required", code="no_chat")

    def _headers(self) -> dict[str, str]:
        return {}

    def _origin(self) -> str | None:
        return None

    async def _resume_session(self) -> ServerFrame:
        raise NotImplementedError

    def _on_frame(self, frame: ServerFrame) -> bool:
        """Update state for a received frame; False to keep it out of the events."""
        raise NotImplementedError

    def _relay_frame(self, chat_id: str, envelope: Envelope) -> Frame:
        raise NotImplementedError

    def _ack_frame(self, chat_id: str, seq: int) -> Frame:
        raise NotImplementedError

    # Connection machinery ----------------------------------------------------------------

    async def _open(self) -> None:
        """Open a connection and start its reader and writer (no protocol frame sent)."""
        if self._closing:
            raise ClientError("the client is closed", code="closed")
        assert self._conn is None, "already connected"
        origin = self._origin()
        try:
            ws = await connect(
                self.url,
                origin=None if origin is None else Origin(origin),
                additional_headers=self._headers(),
                compression=None,  # §1: never compress ciphertext
                proxy=None,
                user_agent_header=None,
                open_timeout=self.open_timeout,
                max_size=self.max_frame_bytes,
                max_queue=256,
            )
        except InvalidStatus as exc:
            status = exc.response.status_code
            if status == 401:
                raise AuthError("no valid staff session", code="unauthorized") from None
            if status == 403:
                raise AuthError("the server refused this Origin", code="bad_origin") from None
            raise ClientError(
                f"handshake refused: HTTP {status}", code="handshake_failed"
            ) from None
        except (InvalidHandshake, InvalidURI) as exc:
            raise ClientError(f"handshake failed: {exc}", code="handshake_failed") from None
        conn = _Connection(ws)
        self._conn = conn
        self.close_info = None
        self._disconnected.clear()
        for chat in self.chats.values():
            chat.new_connection()
        conn.reader = asyncio.create_task(self._read(conn), name=f"helpline-{self.ROLE}-reader")
        conn.writer = asyncio.create_task(
            self._write_loop(conn), name=f"helpline-{self.ROLE}-writer"
        )

    async def _handshake_reply(self, frame: Frame | None) -> ServerFrame:
        """Send ``frame`` (None: just connect) and wait for the reply the reader hands over.

        The reply is the first ``welcome``, ``resumed`` or ``error`` frame.
        """
        waiter: asyncio.Future[ServerFrame] = asyncio.get_running_loop().create_future()
        self._handshake = waiter
        try:
            if self._conn is None:
                await self._open()
            if frame is not None:
                self._write(frame, required=True)
            async with asyncio.timeout(self.open_timeout):
                reply = await waiter
        finally:
            self._handshake = None
        if isinstance(reply, ErrorFrame):
            raise ClientError(reply.message, code=reply.code)
        return reply

    async def _read(self, conn: _Connection) -> None:
        try:
            async for message in conn.ws:
                if not isinstance(message, str):
                    self._fail(ClientError("binary frame from the server", code="bad_server_frame"))
                    continue
                try:
                    frame = decode_server_frame(message, role=self.ROLE)
                except ProtocolError as exc:
                    self._fail(
                        ClientError(f"bad frame from the server: {exc}", code="bad_server_frame")
                    )
                    continue
                try:
                    self._dispatch(frame)
                except Exception as exc:
                    logger.exception("helpline client: handling %s failed", type(frame).__name__)
                    self._fail(
                        ClientError(f"handling {frame.TYPE} failed: {exc!r}", code="internal")
                    )
        except ConnectionClosed:
            pass
        finally:
            self._on_disconnect(conn)

    async def _write_loop(self, conn: _Connection) -> None:
        queue = conn.outgoing
        send = conn.ws.send
        with contextlib.suppress(ConnectionClosed):
            while True:
                await send(await queue.get())

    def _on_disconnect(self, conn: _Connection) -> None:
        if conn.writer is not None:
            conn.writer.cancel()
        if self._conn is conn:
            self._conn = None
            self._ready = False
        code = conn.ws.close_code
        self.close_info = CloseInfo(1006 if code is None else code, conn.ws.close_reason or "")
        self._disconnected.set()
        if self._handshake is not None and not self._handshake.done():
            self._handshake.set_exception(
                ClientError(f"connection closed ({self.close_info.code})", code="closed")
            )
        if (
            self.auto_reconnect
            and not self._closing
            and self.close_info.should_resume
            and (self._auto_task is None or self._auto_task.done())
        ):
            self._auto_task = asyncio.get_running_loop().create_task(self._auto_reconnect())

    async def _auto_reconnect(self) -> None:
        delay = self.reconnect_delay
        if self.close_info is not None and self.close_info.code in (1001, 4009):
            delay = max(delay, 1.0)  # §2.6: server shutting down, or we flooded: pause
        while not self._closing:
            await asyncio.sleep(delay)
            if self.connected:
                return
            try:
                await self.reconnect()
                return
            except (AuthError, ClientError) as exc:
                if exc.code in ("bad_token", "no_token", "unauthorized", "bad_origin", "closed"):
                    logger.warning("helpline client: giving up reconnecting: %s", exc.code)
                    return
            except (OSError, TimeoutError) as exc:
                logger.info("helpline client: reconnect failed: %r", exc)
            delay = min(delay * 2, self.max_reconnect_delay)

    def _dispatch(self, frame: ServerFrame) -> None:
        if isinstance(frame, SeekerWelcome | Resumed | StaffWelcome):
            self._ready = True  # the handshake is done: relays and acks may flow
        if isinstance(frame, RelayOut):
            chat = self._chat(frame.chat_id)
            if not chat.on_relay(frame.seq, frame.payload):
                self._schedule_ack()  # a replay: the server needs our ack again
                return
            self._schedule_ack()
        elif isinstance(frame, Delivered):
            chat = self._chat(frame.chat_id)
            self._send_envelopes(chat, chat.on_delivered(frame.seq))
        keep = self._on_frame(frame)
        waiter = self._handshake
        if (
            waiter is not None
            and not waiter.done()
            and isinstance(frame, SeekerWelcome | Resumed | StaffWelcome | ErrorFrame)
        ):
            waiter.set_result(frame)
        if keep:
            self._push_event(frame)

    def _push_event(self, frame: ServerFrame) -> None:
        if self._events.full():
            self._events.get_nowait()
            self.events_dropped += 1
        self._events.put_nowait(frame)

    def _fail(self, error: ClientError) -> None:
        logger.warning("helpline client: %s", error)
        self._failures.append(error)
        if self._events.empty():
            self._events.put_nowait(None)  # wake next_event/expect so that it raises

    def _raise_failure(self) -> None:
        if self._failures:
            raise self._failures.popleft()

    def _chat(self, chat_id: str) -> ChatDelivery:
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = self.chats[chat_id] = ChatDelivery(
                chat_id,
                window_frames=self.window_frames,
                window_bytes=self.window_bytes,
                record_payloads=self.record_payloads,
            )
        return chat

    def _resend(self, chat_id: str, accepted_seq: int) -> None:
        chat = self._chat(chat_id)
        self._send_envelopes(chat, chat.on_resume(accepted_seq))
        self._schedule_ack()

    def _send_envelopes(self, chat: ChatDelivery, envelopes: Iterable[Envelope]) -> None:
        for envelope in envelopes:
            self._write_delivery(self._relay_frame(chat.chat_id, envelope))

    def _write(self, frame: Frame, *, required: bool = False) -> None:
        """Queue a command for the writer; without a connection it fails (``required``)."""
        conn = self._conn
        if conn is None:
            if required:
                raise ClientError("not connected", code="not_connected")
            return
        conn.outgoing.put_nowait(frame.serialize())

    def _write_delivery(self, frame: Frame) -> None:
        """Queue a relay or ack, only once the handshake is done.

        Before it (and offline) they are owed, not lost: relays go out again after
        ``accepted_seq`` and acks are due again on every new connection.
        """
        conn = self._conn
        if conn is not None and self._ready:
            conn.outgoing.put_nowait(frame.serialize())

    def _schedule_ack(self) -> None:
        if not self._ack_scheduled:
            self._ack_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush_acks)

    def _flush_acks(self) -> None:
        self._ack_scheduled = False
        if self._conn is None or not self._ready:
            return
        for chat in self.chats.values():
            seq = chat.ack_due()
            if seq is not None:
                self._write_delivery(self._ack_frame(chat.chat_id, seq))
                chat.acked(seq)


class SeekerClient(_Client):
    """A help-seeker: ``join`` or ``resume``, then one chat at a time (§2.1, §2.3)."""

    ROLE: ClassVar[ClientRole] = "seeker"
    PATH: ClassVar[str] = "/ws/seeker"

    def __init__(
        self, base_url: str, *, token: str | None = None, **options: Unpack[ClientOptions]
    ) -> None:
        super().__init__(base_url, **options)
        #: The resume token from ``welcome``; None before joining and after the chat ended.
        self.token = token
        #: The open chat, if any.
        self.chat_id: str | None = None
        self.welcome: SeekerWelcome | None = None
        #: The feedback ticket of the last ``chat_ended`` (None: none, or feedback is off);
        #: answer with :func:`send_feedback`.
        self.feedback_ticket: str | None = None

    async def join(self, language: str, fallback_language: str | None = None) -> SeekerWelcome:
        """Connect if needed and enter the queue; return ``welcome`` (ClientError if refused)."""
        reply = await self._handshake_reply(Join(language, fallback_language))
        assert isinstance(reply, SeekerWelcome)
        return reply

    async def resume(self) -> Resumed:
        """Connect if needed and resume with the token; re-sends what the server lacks."""
        if self.token is None:
            raise ClientError("no resume token", code="no_token")
        reply = await self._handshake_reply(Resume(self.token))
        assert isinstance(reply, Resumed)
        return reply

    async def leave(self, timeout: float = 5.0) -> CloseInfo | None:  # noqa: ASYNC109
        """Leave the queue or end the chat; the token is forgotten (§2.1).

        Waits up to ``timeout`` s for the server to close (1000), then closes.
        """
        self._closing = True
        self.token = None
        conn = self._conn
        if conn is None:
            return self.close_info
        self._write(Leave(), required=True)
        with contextlib.suppress(TimeoutError):
            await self.wait_disconnected(timeout)
        await self.close()
        return self.close_info

    async def _resume_session(self) -> ServerFrame:
        return await self.resume()

    def _default_chat_id(self) -> str:
        if self.chat_id is None:
            raise ClientError("not in a chat", code="no_chat")
        return self.chat_id

    def _on_frame(self, frame: ServerFrame) -> bool:
        if isinstance(frame, SeekerWelcome):
            self.token = frame.token
            self.welcome = frame
        elif isinstance(frame, Resumed):
            self.chat_id = frame.chat_id
            if frame.chat_id is not None and frame.state == "ended":
                self._chat(frame.chat_id).closed = True  # replays, then chat_ended (§3)
            elif frame.chat_id is not None:
                self._resend(frame.chat_id, frame.accepted_seq)
        elif isinstance(frame, SeekerMatched):
            self.chat_id = frame.chat_id
            self._chat(frame.chat_id)
        elif isinstance(frame, Requeued):
            if self.chat_id is not None:
                self._chat(self.chat_id).closed = True
            self.chat_id = None
        elif isinstance(frame, SeekerChatEnded):
            self._chat(frame.chat_id).closed = True
            self.token = None
            self.feedback_ticket = frame.feedback
            if self.chat_id == frame.chat_id:
                self.chat_id = None
        return True

    def _relay_frame(self, chat_id: str, envelope: Envelope) -> Frame:
        return SeekerRelay(envelope.seq, envelope.payload, chat_id)

    def _ack_frame(self, chat_id: str, seq: int) -> Frame:
        return SeekerAck(seq, chat_id)


class CounsellorClient(_Client):
    """A counsellor on ``/ws/staff`` with a session cookie (§1, §2.2, §2.4)."""

    ROLE: ClassVar[ClientRole] = "staff"
    PATH: ClassVar[str] = "/ws/staff"

    def __init__(
        self,
        base_url: str,
        *,
        cookie: str | None = None,
        origin: str | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(base_url, **options)
        self.cookie = cookie
        #: The session's CSRF token after :meth:`login` (for HTTP requests, §6.3).
        self.csrf: str | None = None
        #: The ``Origin`` header: the server's own origin unless told otherwise.
        self.origin = origin or http_base_of(self.base_url)
        self.welcome: StaffWelcome | None = None
        self.status: StatusUpdate | None = None

    async def login(
        self,
        http_base: str | None,
        username: str,
        password: str,
        *,
        min_iterations: int = PBKDF2_ITERATIONS,
        totp: str | None = None,
    ) -> str:
        """Sign in over HTTP (§6) and keep the session cookie for the WebSocket (and
        its CSRF token in :attr:`csrf`).

        ``http_base`` None means the server's own origin (``ws://h:p`` → ``http://h:p``).
        """
        found = await sign_in(
            http_base or http_base_of(self.base_url),
            username,
            password,
            min_iterations=min_iterations,
            totp=totp,
        )
        self.cookie, self.csrf = found.cookie, found.csrf
        return self.cookie

    async def connect(self) -> StaffWelcome:
        """Open the staff connection; return ``welcome`` (re-sends what the server lacks)."""
        if self._conn is not None:
            raise ClientError("already connected", code="already_connected")
        reply = await self._handshake_reply(None)
        assert isinstance(reply, StaffWelcome)
        return reply

    async def set_status(
        self,
        status: str,
        languages: Iterable[str] | None = None,
        capacity: int | None = None,
    ) -> None:
        """Change availability; the server answers with ``StatusUpdate`` (an event)."""
        langs = None if languages is None else tuple(languages)
        self._write(SetStatus(status, langs, capacity), required=True)

    async def accept(self, chat_id: str) -> None:
        """Accept an offer; ``StaffMatched`` follows as an event."""
        self._write(Accept(chat_id), required=True)

    async def decline(self, chat_id: str) -> None:
        self._write(Decline(chat_id), required=True)

    async def end(self, chat_id: str, outcome: str | None = None) -> None:
        self._write(End(chat_id, outcome), required=True)

    async def requeue(self, chat_id: str) -> None:
        self._write(Requeue(chat_id), required=True)

    async def transfer_to(self, chat_id: str, username: str, payload: str) -> int:
        """Hand the chat to the colleague ``username`` (§2.2) with ``payload`` (the HLP1
        TRANSFER frame) as the chat's next envelope; return its seq.

        Send nothing else in the chat until the answer: ``StaffChatEnded`` with reason
        ``transferred``, or an ``ErrorFrame`` (``not_allowed``, …) echoing this seq, after
        which the chat goes on as before (the envelope was not taken either).
        """
        check_payload("transfer", payload)
        chat = self.chats.get(chat_id)
        if chat is None or chat.closed:
            raise ClientError(f"no open chat {chat_id!r}", code="unknown_chat")
        if chat.waiting:
            raise ClientError("envelopes are still waiting for the window", code="window_full")
        seq = chat.next_seq()
        self._write(TransferTo(chat_id, username, seq, payload), required=True)
        return seq

    async def transfer_language(self, chat_id: str, language: str) -> None:
        """Hand the seeker to the front of ``language``'s queue (§2.2)."""
        self._write(TransferLanguage(chat_id, language), required=True)

    async def block(self, chat_id: str) -> None:
        """End an abusive chat; the seeker's token is forgotten (§2.2)."""
        self._write(Block(chat_id), required=True)

    async def ask_help(self, on: bool = True) -> None:
        """Ask a supervisor for help, or withdraw it; ``HelpState`` follows as an event."""
        self._write(HelpRequest(on), required=True)

    async def _resume_session(self) -> ServerFrame:
        return await self.connect()

    def _headers(self) -> dict[str, str]:
        return {} if self.cookie is None else {"Cookie": f"{SESSION_COOKIE}={self.cookie}"}

    def _origin(self) -> str | None:
        return self.origin

    def _default_chat_id(self) -> str:
        open_chats = [chat_id for chat_id, chat in self.chats.items() if not chat.closed]
        if len(open_chats) != 1:
            raise ClientError("chat_id is required", code="no_chat")
        return open_chats[0]

    def _on_frame(self, frame: ServerFrame) -> bool:
        if isinstance(frame, StaffWelcome):
            self.welcome = frame
            for info in frame.chats:
                self._chat(info.chat_id).closed = False
                self._resend(info.chat_id, info.accepted_seq)
        elif isinstance(frame, StatusUpdate):
            self.status = frame
        elif isinstance(frame, StaffMatched):
            chat = self._chat(frame.chat_id)
            chat.closed = False
            chat.start_after(frame.accepted_seq)  # > 0: a chat a colleague handed over
        elif isinstance(frame, StaffChatEnded):
            self._chat(frame.chat_id).closed = True
        return True

    def _relay_frame(self, chat_id: str, envelope: Envelope) -> Frame:
        return StaffRelay(chat_id, envelope.seq, envelope.payload)

    def _ack_frame(self, chat_id: str, seq: int) -> Frame:
        return StaffAck(chat_id, seq)
