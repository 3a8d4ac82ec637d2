"""A scripted counsellor in Python, the other end of a chat in the browser tests.

It signs in, registers an identity key (certified at once in development mode),
goes available and runs HLP1 (:class:`crypto.session.CounsellorSession`) over
:class:`helpline.client.CounsellorClient`, connected to the server directly (not
through the test's proxy)::

    counsellor = await ScriptedCounsellor.start(server)   # signed in, available
    ...the seeker joins in the browser...
    await counsellor.accept_next()
    await counsellor.wait_established()     # counsellor.safety_code is set
    await counsellor.send_text("Hello, I am here.")
    assert await counsellor.next_text() == "hi"
    await counsellor.end("support_given")   # HLP1 close frame, then the protocol end
    await counsellor.close()

A background task reads every event: handshake messages are answered at once,
decrypted messages queue up for :meth:`next_text`, typing indicators for
:meth:`next_typing`. After a re-hello (the seeker's page reloaded) the messages of
the previous epoch that the seeker had not acknowledged are sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from asyncio import FIRST_COMPLETED
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp

from crypto import events
from crypto import session as hlp1
from crypto.encoding import b64u_decode, b64u_encode
from crypto.errors import CryptoError
from crypto.password import derive_password_keys, wrap_seed
from crypto.primitives import ed25519_public, random_bytes
from helpline.client import CounsellorClient, sign_in
from helpline.wire import (
    Offer,
    RelayOut,
    ServerFrame,
    StaffChatEnded,
    StaffMatched,
)
from tests.e2e.conftest import KDF_ITERATIONS, PASSWORD, RunningServer

TIMEOUT = 20.0
T = TypeVar("T")


def now() -> int:
    return int(time.time())


async def register_identity(
    http_base: str, username: str, password: str = PASSWORD
) -> tuple[str, bytes, bytes]:
    """Sign in, register a fresh identity key as the workspace does; (cookie, seed, cert).

    The server must be in development mode, which certifies the key at once.
    """
    signed_in = await sign_in(http_base, username, password, min_iterations=KDF_ITERATIONS)
    cookie = signed_in.cookie
    headers = signed_in.headers()  # cookie, Origin and the CSRF token (§6.3)
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{http_base}/api/salt", params={"username": username}) as r:
            salt = await r.json()
        keys = derive_password_keys(password, b64u_decode(salt["salt"]), salt["iterations"])
        seed = random_bytes(32)
        body = {
            "ik": b64u_encode(ed25519_public(seed)),
            "wrapped_seed": b64u_encode(wrap_seed(seed, keys.wrapping_key)),
        }
        async with http.put(f"{http_base}/api/identity", json=body, headers=headers) as r:
            assert r.status == 200, await r.text()
        async with http.get(f"{http_base}/api/identity", headers=headers) as r:
            identity = await r.json()
    assert identity["state"] == "valid", f"identity not certified: {identity}"
    return cookie, seed, b64u_decode(identity["cert"])


@dataclass(eq=False)
class ScriptedCounsellor:
    server: RunningServer
    username: str
    client: CounsellorClient
    seed: bytes
    cert: bytes
    chat_id: str | None = None
    session: hlp1.CounsellorSession | None = None
    #: Every Established event of the chat (one per epoch).
    established: list[events.Established] = field(default_factory=list)
    #: Texts received, in order (also handed out one by one by next_text()).
    texts: list[str] = field(default_factory=list)
    #: The seeker's HLP1 close reason, once it closed.
    peer_closed: str | None = None
    #: The server's chat_ended reason, once the chat ended.
    ended_reason: str | None = None
    #: HLP1 errors on received payloads (frames the session refused), as codes.
    crypto_errors: list[str] = field(default_factory=list)
    _offers: asyncio.Queue[Offer] = field(default_factory=asyncio.Queue)
    _matched: asyncio.Queue[StaffMatched] = field(default_factory=asyncio.Queue)
    _texts: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    _typing: asyncio.Queue[bool] = field(default_factory=asyncio.Queue)
    _established: asyncio.Event = field(default_factory=asyncio.Event)
    _ended: asyncio.Event = field(default_factory=asyncio.Event)
    _peer_closed: asyncio.Event = field(default_factory=asyncio.Event)
    # Texts of our messages in the current epoch, by n (sent again after a re-hello).
    _epoch_texts: dict[int, str] = field(default_factory=dict)
    _pump: asyncio.Task[None] | None = None
    _failure: BaseException | None = None

    @classmethod
    async def start(
        cls,
        server: RunningServer,
        username: str = "counsellor",
        languages: tuple[str, ...] = ("en",),
        *,
        capacity: int = 1,
        available: bool = True,
    ) -> ScriptedCounsellor:
        """Create the account, register its key, connect and (by default) go available."""
        await server.add_staff(username, languages, capacity=capacity, identity=False)
        cookie, seed, cert = await register_identity(server.http, username)
        client = CounsellorClient(server.ws, cookie=cookie, auto_reconnect=True)
        await client.connect()
        self = cls(server, username, client, seed, cert)
        self._pump = asyncio.create_task(self._read_events())
        if available:
            await self.set_available()
        return self

    # -- the chat ------------------------------------------------------------------------

    @property
    def safety_code(self) -> str | None:
        return self.established[-1].safety_code if self.established else None

    @property
    def handle(self) -> str:
        return self.username

    async def set_available(self, available: bool = True) -> None:
        await self.client.set_status("available" if available else "away")

    async def accept_next(self, timeout: float = TIMEOUT) -> str:
        """Wait for an offer, accept it, wait until matched; return the chat_id."""
        offer = await self._wait(self._offers.get(), timeout, "an offer")
        await self.client.accept(offer.chat_id)
        matched = await self._wait(self._matched.get(), timeout, "matched")
        self.chat_id = matched.chat_id
        self.session = hlp1.CounsellorSession(b64u_decode(matched.chat_id), self.seed, self.cert)
        self._established.clear()
        self._ended.clear()
        return matched.chat_id

    async def wait_established(self, timeout: float = TIMEOUT) -> events.Established:
        """Wait until the seeker's handshake completed (the first, or the next epoch)."""
        await self._wait(self._established.wait(), timeout, "the HLP1 handshake")
        return self.established[-1]

    async def send_text(self, text: str) -> None:
        session = self._session()
        n = session.sent
        frame = session.send_message(text)
        self._epoch_texts[n] = text
        await self._relay(frame)

    async def send_typing(self, on: bool = True) -> None:
        await self._relay(self._session().send_typing(on))

    async def next_text(self, timeout: float = TIMEOUT) -> str:
        """The next decrypted message from the seeker, in order."""
        return await self._wait(self._texts.get(), timeout, "a message from the seeker")

    async def next_typing(self, timeout: float = TIMEOUT) -> bool:
        """The next typing indicator from the seeker (True: typing)."""
        return await self._wait(self._typing.get(), timeout, "a typing indicator")

    async def wait_peer_closed(self, timeout: float = TIMEOUT) -> str:
        """Wait for the seeker's HLP1 close frame; return its reason."""
        await self._wait(self._peer_closed.wait(), timeout, "the seeker's close frame")
        assert self.peer_closed is not None
        return self.peer_closed

    async def wait_ended(self, timeout: float = TIMEOUT) -> str:
        """Wait for the server's chat_ended; return its reason."""
        await self._wait(self._ended.wait(), timeout, "chat_ended")
        assert self.ended_reason is not None
        return self.ended_reason

    async def end(self, outcome: str | None = "support_given", reason: str = "done") -> None:
        """End the chat: the HLP1 close frame first (if the session is open), then ``end``."""
        chat_id = self._chat_id()
        session = self.session
        if session is not None and session.established:
            await self._relay(session.send_close(reason))
        await self.client.end(chat_id, outcome=outcome)

    async def close(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._pump
        await self.client.close()

    async def __aenter__(self) -> ScriptedCounsellor:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- inside --------------------------------------------------------------------------

    def _session(self) -> hlp1.CounsellorSession:
        if self.session is None or not self.session.established:
            raise AssertionError("no established HLP1 session: call wait_established() first")
        return self.session

    def _chat_id(self) -> str:
        if self.chat_id is None:
            raise AssertionError("no chat: call accept_next() first")
        return self.chat_id

    async def _relay(self, frame: bytes) -> None:
        await self.client.send(b64u_encode(frame), chat_id=self._chat_id())

    async def _wait(self, awaitable: Awaitable[T], timeout: float, what: str) -> T:
        """``awaitable``'s result; TimeoutError naming ``what``; fails if the reader died."""
        task = asyncio.ensure_future(awaitable)
        waiters: set[asyncio.Future[Any]] = {task}
        if self._pump is not None:
            waiters.add(self._pump)
        done, _ = await asyncio.wait(waiters, timeout=timeout, return_when=FIRST_COMPLETED)
        if task in done:
            return task.result()
        task.cancel()
        if self._pump in done:
            raise AssertionError(
                f"the counsellor's client failed while waiting for {what}: {self._failure!r}"
            )
        raise TimeoutError(f"{self.username}: no {what} within {timeout} s")

    async def _read_events(self) -> None:
        try:
            while True:
                event = await self.client.next_event(timeout=None)
                await self._on_event(event)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # a broken client: tell the waiters
            self._failure = exc
            raise

    async def _on_event(self, event: ServerFrame) -> None:
        if isinstance(event, Offer):
            self._offers.put_nowait(event)
        elif isinstance(event, StaffMatched):
            self._matched.put_nowait(event)
        elif isinstance(event, StaffChatEnded):
            if event.chat_id == self.chat_id:
                self.ended_reason = event.reason
                self._ended.set()
        elif isinstance(event, RelayOut) and event.chat_id == self.chat_id:
            await self._on_payload(b64u_decode(event.payload))

    async def _on_payload(self, payload: bytes) -> None:
        session = self.session
        if session is None or session.closed:
            return
        try:
            happened = session.receive(payload, now())
        except CryptoError as exc:
            self.crypto_errors.append(exc.code)
            return
        for ev in happened:
            if isinstance(ev, events.Outgoing):
                await self._relay(ev.payload)
            elif isinstance(ev, events.Established):
                await self._on_established(ev)
            elif isinstance(ev, events.Message):
                self.texts.append(ev.text)
                self._texts.put_nowait(ev.text)
            elif isinstance(ev, events.Typing):
                self._typing.put_nowait(ev.on)
            elif isinstance(ev, events.PeerClosed):
                self.peer_closed = ev.reason
                self._peer_closed.set()

    async def _on_established(self, ev: events.Established) -> None:
        previous = self._epoch_texts
        self._epoch_texts = {}
        self.established.append(ev)
        if len(self.established) > 1:  # a re-hello: send what the seeker never acked
            first = 0 if ev.prev_epoch_ack is None else ev.prev_epoch_ack + 1
            for n in range(first, ev.prev_epoch_sent):
                if n in previous:
                    await self.send_text(previous[n])
        self._established.set()
