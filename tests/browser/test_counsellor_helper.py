"""The scripted counsellor against a Python seeker over the real server (no browser)."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from crypto import events
from crypto import session as hlp1
from crypto.certs import verify_revocation_list
from crypto.encoding import b64u_decode, b64u_encode
from helpline.client import SeekerClient
from helpline.wire import RelayOut, SeekerChatEnded, SeekerMatched
from tests.browser.conftest import CounsellorFactory
from tests.e2e.conftest import RunningServer, ServerFactory


class PythonSeeker:
    """A seeker in Python: SeekerSession over SeekerClient."""

    def __init__(self, server: RunningServer) -> None:
        self.server = server
        self.client = SeekerClient(server.ws)
        self.session: hlp1.SeekerSession | None = None
        self.established: events.Established | None = None
        self.texts: list[str] = []
        self.typing: list[bool] = []
        self.closed: str | None = None

    async def start(self, language: str = "en") -> str:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{self.server.http}/api/crypto") as r,
        ):
            info = await r.json()
        org_pub = b64u_decode(info["org_public_key"])
        revocations = verify_revocation_list(
            org_pub, b64u_decode(info["revocation_list"]), int(time.time())
        )
        await self.client.join(language)
        chat_id = (await self.client.expect(SeekerMatched, timeout=20)).chat_id
        self.session = hlp1.SeekerSession(b64u_decode(chat_id), org_pub, revocations)
        await self.client.send(b64u_encode(self.session.hello(int(time.time()))))
        return chat_id

    async def pump_until(self, done: object, timeout: float = 20) -> None:
        """Handle relays until ``done()`` is true."""
        assert self.session is not None
        async with asyncio.timeout(timeout):
            while not done():  # type: ignore[operator]
                envelope = await self.client.expect(RelayOut, timeout=timeout)
                for event in self.session.receive(b64u_decode(envelope.payload), int(time.time())):
                    if isinstance(event, events.Outgoing):
                        await self.client.send(b64u_encode(event.payload))
                    elif isinstance(event, events.Established):
                        self.established = event
                    elif isinstance(event, events.Message):
                        self.texts.append(event.text)
                    elif isinstance(event, events.Typing):
                        self.typing.append(event.on)
                    elif isinstance(event, events.PeerClosed):
                        self.closed = event.reason

    async def send_text(self, text: str) -> None:
        assert self.session is not None
        await self.client.send(b64u_encode(self.session.send_message(text)))


async def test_a_whole_conversation(
    server_factory: ServerFactory, counsellor_factory: CounsellorFactory
) -> None:
    server = await server_factory()
    counsellor = await counsellor_factory(server, "helper", ("en",))
    seeker = PythonSeeker(server)

    seeker_start = asyncio.create_task(seeker.start("en"))
    chat_id = await counsellor.accept_next()
    assert await seeker_start == chat_id == counsellor.chat_id

    await seeker.pump_until(lambda: seeker.established is not None)
    established = await counsellor.wait_established()
    assert seeker.established is not None
    assert established.safety_code == seeker.established.safety_code == counsellor.safety_code
    assert seeker.established.handle == counsellor.handle == "helper"

    texts = ["hello", "I need to talk", "é" * 300, "<b>not html</b>"]
    for text in texts:
        await seeker.send_text(text)
    assert [await counsellor.next_text() for _ in texts] == texts
    assert counsellor.texts == texts

    await counsellor.send_typing(True)
    await counsellor.send_text("I am here. Take your time.")
    await counsellor.send_typing(False)
    await seeker.pump_until(lambda: len(seeker.texts) == 1 and len(seeker.typing) == 2)
    assert seeker.texts == ["I am here. Take your time."]
    assert seeker.typing == [True, False]

    await counsellor.end("support_given")
    await seeker.pump_until(lambda: seeker.closed is not None)
    assert seeker.closed == "done"
    ended = await seeker.client.expect(SeekerChatEnded, timeout=10)
    assert ended.chat_id == chat_id
    assert await counsellor.wait_ended() == ended.reason
    assert counsellor.crypto_errors == []
    await seeker.client.close()


async def test_seeker_typing_and_close(
    server_factory: ServerFactory, counsellor_factory: CounsellorFactory
) -> None:
    server = await server_factory()
    counsellor = await counsellor_factory(server, "second", ("de",))
    seeker = PythonSeeker(server)
    seeker_start = asyncio.create_task(seeker.start("de"))
    await counsellor.accept_next()
    await seeker_start
    await seeker.pump_until(lambda: seeker.established is not None)
    await counsellor.wait_established()

    assert seeker.session is not None
    await seeker.client.send(b64u_encode(seeker.session.send_typing(True)))
    assert await counsellor.next_typing() is True
    await seeker.client.send(b64u_encode(seeker.session.send_close("bye")))
    assert await counsellor.wait_peer_closed() == "bye"
    await seeker.client.leave()
    await counsellor.wait_ended()
