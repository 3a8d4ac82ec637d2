"""Transfers, blocking, help requests, wrap-up and queue figures over real sockets.

A real server on a loopback port; seekers and counsellors through
``helpline.client``; for the transfer to a colleague, real HLP1 sessions on both
sides (``crypto.session``): the seeker makes a fresh handshake for the next
epoch with the colleague, who never sees counsellor 1's keys (docs/protocol.md
§2.2, §2.4, §4, §6.4; docs/crypto.md).
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import aiohttp
import pytest

from crypto import events
from crypto import session as hlp1
from crypto.certs import verify_revocation_list
from crypto.encoding import b64u_decode, b64u_encode
from crypto.errors import CryptoError
from helpline.client import ClientError, CounsellorClient, SeekerClient, login, session_of
from helpline.core.feedback import MemoryTickets
from helpline.core.staff import Role
from helpline.wire import (
    ErrorFrame,
    HelpState,
    Offer,
    Peer,
    QueueFigures,
    QueueUpdate,
    RelayOut,
    Requeued,
    SeekerChatEnded,
    SeekerMatched,
    StaffChatEnded,
    StaffMatched,
    StatusUpdate,
)
from tests.e2e.conftest import KDF_ITERATIONS, PASSWORD, RunningServer, ServerFactory

T = 10.0


def now() -> int:
    return int(time.time())


async def counsellor(
    server: RunningServer, name: str, *, available: bool = True
) -> CounsellorClient:
    client = CounsellorClient(
        server.ws, cookie=await login(server.http, name, PASSWORD, min_iterations=KDF_ITERATIONS)
    )
    await client.connect()
    if available:
        await client.set_status("available")
        await client.expect(StatusUpdate)
    return client


async def matched_pair(
    server: RunningServer, staff: CounsellorClient, language: str = "en"
) -> tuple[SeekerClient, str]:
    seeker = SeekerClient(server.ws)
    await seeker.join(language)
    await seeker.expect(QueueUpdate, timeout=T)  # taken, so that later ones are the new ones
    offer = await staff.expect(Offer, timeout=T)
    assert offer.transfer_from is None
    await staff.accept(offer.chat_id)
    matched = await staff.expect(StaffMatched, timeout=T)
    assert matched.accepted_seq == 0
    await seeker.expect(SeekerMatched, timeout=T)
    return seeker, offer.chat_id


class Hlp1Seeker:
    def __init__(self, server: RunningServer, client: SeekerClient, chat_id: str) -> None:
        self.server = server
        self.client = client
        self.chat_id = chat_id
        self.session: hlp1.SeekerSession | None = None
        self.established: list[events.Established] = []
        self.texts: list[str] = []
        self.transfers: list[events.TransferRequested] = []

    async def start(self) -> None:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{self.server.http}/api/crypto") as r,
        ):
            info = await r.json()
        org_pub = b64u_decode(info["org_public_key"])
        revocations = verify_revocation_list(org_pub, b64u_decode(info["revocation_list"]), now())
        self.session = hlp1.SeekerSession(b64u_decode(self.chat_id), org_pub, revocations)
        await self.client.send(b64u_encode(self.session.hello(now())))

    async def pump(self) -> None:
        assert self.session is not None
        envelope = await self.client.expect(RelayOut, timeout=T)
        for event in self.session.receive(b64u_decode(envelope.payload), now()):
            if isinstance(event, events.Outgoing):
                await self.client.send(b64u_encode(event.payload))
            elif isinstance(event, events.Established):
                self.established.append(event)
            elif isinstance(event, events.Message):
                self.texts.append(event.text)
            elif isinstance(event, events.TransferRequested):
                self.transfers.append(event)
                # A fresh handshake for the next epoch, with the colleague (HLP1).
                await self.client.send(b64u_encode(self.session.hello(now())))

    async def send_text(self, text: str) -> None:
        assert self.session is not None
        await self.client.send(b64u_encode(self.session.send_message(text)))


class Hlp1Counsellor:
    def __init__(self, client: CounsellorClient, chat_id: str, seed: bytes, cert: bytes) -> None:
        self.client = client
        self.chat_id = chat_id
        self.session = hlp1.CounsellorSession(b64u_decode(chat_id), seed, cert)
        self.established: list[events.Established] = []
        self.texts: list[str] = []
        self.unreadable = 0  # envelopes of an older epoch (acknowledged all the same)

    async def pump(self) -> None:
        envelope = await self.client.expect(RelayOut, timeout=T)
        assert envelope.chat_id == self.chat_id
        try:
            happened = self.session.receive(b64u_decode(envelope.payload), now())
        except CryptoError:
            self.unreadable += 1
            return
        for event in happened:
            if isinstance(event, events.Outgoing):
                await self.client.send(b64u_encode(event.payload), chat_id=self.chat_id)
            elif isinstance(event, events.Established):
                self.established.append(event)
            elif isinstance(event, events.Message):
                self.texts.append(event.text)

    async def send_text(self, text: str) -> None:
        await self.client.send(b64u_encode(self.session.send_message(text)), chat_id=self.chat_id)


async def pump_until(done: object, *parties: Hlp1Seeker | Hlp1Counsellor) -> None:
    """Pump every party (one envelope at a time, whoever has one) until ``done()``."""
    async with asyncio.timeout(T):
        while not done():  # type: ignore[operator]
            tasks = {asyncio.ensure_future(p.pump()): p for p in parties}
            finished, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            for task in finished:
                task.result()


async def colleagues(server: RunningServer, cookie: str) -> list[dict[str, object]]:
    session = await session_of(server.http, cookie)
    status, body = await session.request("GET", "/api/staff/colleagues")
    assert status == 200, body
    assert isinstance(body, list)
    return body


async def test_transfer_to_a_colleague_with_a_fresh_handshake(server: RunningServer) -> None:
    """The whole transfer: HLP1 TRANSFER through the relay, the colleague accepts, the
    seeker's next-epoch handshake reaches them, and they talk (counsellor 1 cannot read it)."""
    await server.add_staff("alice", ("en",))
    await server.add_staff("bob", ("en", "de"), capacity=2)
    await server.add_staff("nokey", ("en",), identity=False)
    alice = await counsellor(server, "alice")
    bob = await counsellor(server, "bob", available=False)

    listing = await colleagues(server, alice.cookie or "")
    assert [c["username"] for c in listing] == ["bob"]  # not herself, not a keyless account
    bob_entry = listing[0]
    assert bob_entry["status"] == "away"
    assert bob_entry["free"] is True
    assert bob_entry["languages"] == ["en", "de"]
    ik2, cert2 = b64u_decode(str(bob_entry["ik"])), b64u_decode(str(bob_entry["cert"]))

    client, chat_id = await matched_pair(server, alice)
    seeker = Hlp1Seeker(server, client, chat_id)
    alice_cert = b64u_decode(
        str((await colleagues(server, bob.cookie or ""))[0]["cert"])
    )  # alice's, as bob sees it
    first = Hlp1Counsellor(alice, chat_id, server.identity_seeds["alice"], alice_cert)
    await seeker.start()
    await pump_until(lambda: seeker.established and first.established, seeker, first)
    await seeker.send_text("hello alice")
    await first.send_text("hello, I am alice")
    await pump_until(lambda: seeker.texts and first.texts, seeker, first)
    assert first.texts == ["hello alice"]
    await seeker.send_text("one more for alice, unread")  # she never reads it

    transfer = first.session.send_transfer(ik2, cert2)
    seq = await alice.transfer_to(chat_id, "bob", b64u_encode(transfer))
    ended = await alice.expect(StaffChatEnded, timeout=T)
    assert (ended.chat_id, ended.reason) == (chat_id, "transferred")
    offer = await bob.expect(Offer, timeout=T)
    assert (offer.chat_id, offer.transfer_from) == (chat_id, "alice")
    await pump_until(lambda: seeker.transfers, seeker)
    assert seeker.transfers[0].handle2 == "bob"
    peer = await client.expect(Peer, timeout=T)
    assert peer.connected is False

    await bob.accept(chat_id)
    matched = await bob.expect(StaffMatched, timeout=T)
    assert matched.accepted_seq == seq == 3  # ACCEPT, a message, the TRANSFER
    second = Hlp1Counsellor(bob, chat_id, server.identity_seeds["bob"], cert2)
    await pump_until(lambda: second.established and len(seeker.established) == 2, seeker, second)
    assert second.unreadable >= 1  # the old epoch's envelope: not for bob's eyes
    assert seeker.established[1].handle == "bob"
    assert (await client.expect(Peer, timeout=T)).connected is True
    await seeker.send_text("hello bob")
    await second.send_text("hello, I am bob")
    await pump_until(lambda: second.texts and len(seeker.texts) == 2, seeker, second)
    assert second.texts == ["hello bob"]
    assert seeker.texts == ["hello, I am alice", "hello, I am bob"]
    # Bob numbered after alice's envelopes and the server took his: seqs went on.
    assert bob.chats[chat_id].last_seq > seq
    await bob.end(chat_id)
    assert (await client.expect(SeekerChatEnded, timeout=T)).reason == "counsellor_ended"
    for c in (alice, bob, client):
        await c.close()


async def test_a_refused_then_declined_transfer(server: RunningServer) -> None:
    await server.add_staff("alice", ("en",))
    await server.add_staff("bob", ("en",))
    await server.add_staff("german", ("de",))
    alice = await counsellor(server, "alice")
    bob = await counsellor(server, "bob", available=False)
    await counsellor(server, "german", available=False)
    seeker, chat_id = await matched_pair(server, alice)

    for to in ("german", "nobody", "alice"):
        seq = await alice.transfer_to(chat_id, to, "VFJBTlNGRVI")
        error = await alice.expect(ErrorFrame, timeout=T)
        assert (error.code, error.seq, error.chat_id) == ("not_allowed", seq, chat_id)
    # Nothing was taken: the same seq goes through as an ordinary envelope.
    assert await alice.send("bWVzc2FnZQ", chat_id=chat_id) == 1
    assert (await seeker.expect(RelayOut, timeout=T)).seq == 1

    await alice.transfer_to(chat_id, "bob", "VFJBTlNGRVI")
    await alice.expect(StaffChatEnded, timeout=T)
    offer = await bob.expect(Offer, timeout=T)
    await bob.decline(offer.chat_id)
    requeued = await seeker.expect(Requeued, timeout=T)
    assert requeued.reason == "transfer_failed"
    position = await seeker.expect(QueueUpdate, timeout=T)
    assert (position.language, position.position) == ("en", 1)
    for c in (alice, bob, seeker):
        await c.close()


async def test_transfer_to_another_language(server_factory: ServerFactory, tmp_path: Path) -> None:
    service = tmp_path / "service.json"
    service.write_text(json.dumps({"queues": {"fr": {"closed": True}}}), encoding="utf-8")
    server = await server_factory(service_file=service)
    await server.add_staff("alice", ("en",))
    await server.add_staff("hans", ("de",))
    alice = await counsellor(server, "alice")
    seeker, chat_id = await matched_pair(server, alice)

    await alice.transfer_language(chat_id, "fr")  # closed now
    assert (await alice.expect(ErrorFrame, timeout=T)).code == "not_allowed"
    await alice.transfer_language(chat_id, "en")  # its own language
    assert (await alice.expect(ErrorFrame, timeout=T)).code == "not_allowed"
    await alice.transfer_language(chat_id, "de")
    ended = await alice.expect(StaffChatEnded, timeout=T)
    assert ended.reason == "transferred"
    assert (await seeker.expect(Requeued, timeout=T)).reason == "transferred"
    position = await seeker.expect(QueueUpdate, timeout=T)
    assert (position.language, position.position) == ("de", 1)
    hans = await counsellor(server, "hans")
    offer = await hans.expect(Offer, timeout=T)
    assert offer.language == "de"
    await hans.accept(offer.chat_id)
    assert (await seeker.expect(SeekerMatched, timeout=T)).chat_id == offer.chat_id
    for c in (alice, hans, seeker):
        await c.close()


async def test_block_closes_the_seeker_without_feedback_and_forgets_the_token(
    server: RunningServer,
) -> None:
    await server.add_staff("alice", ("en",))
    alice = await counsellor(server, "alice")
    seeker, chat_id = await matched_pair(server, alice)
    token = seeker.token
    await alice.block(chat_id)
    ended = await alice.expect(StaffChatEnded, timeout=T)
    assert (ended.chat_id, ended.reason) == (chat_id, "blocked")
    goodbye = await seeker.expect(SeekerChatEnded, timeout=T)
    assert (goodbye.reason, goodbye.feedback) == ("counsellor_ended", None)
    assert server.hub.service.feedback  # feedback is on, yet no ticket was even made
    tickets = server.hub.tickets
    assert isinstance(tickets, MemoryTickets)
    assert len(tickets) == 0
    info = await seeker.wait_disconnected(T)
    assert info.code == 1000
    again = SeekerClient(server.ws, token=token)
    with pytest.raises(ClientError) as err:
        await again.resume()
    assert err.value.code == "bad_token"
    await again.close()
    await alice.close()


async def test_help_request_acknowledged_over_http(server: RunningServer) -> None:
    await server.add_staff("alice", ("en",))
    await server.add_staff("boss", ("en",), role=Role.SUPERVISOR)
    alice = await counsellor(server, "alice", available=False)
    await alice.ask_help(True)
    opened = await alice.expect(HelpState, timeout=T)
    assert (opened.on, opened.acknowledged) == (True, False)
    assert opened.since is not None

    boss = await session_of(
        server.http, await login(server.http, "boss", PASSWORD, min_iterations=KDF_ITERATIONS)
    )
    assert await boss.request("GET", "/api/admin/help") == (
        200,
        [{"username": "alice", "since": opened.since}],
    )
    helper = await session_of(server.http, alice.cookie or "")
    status, body = await helper.request("GET", "/api/admin/help")
    assert (status, body) == (403, {"error": "forbidden"})
    assert await boss.request("POST", "/api/admin/help/alice/ack") == (204, None)
    closed = await alice.expect(HelpState, timeout=T)
    assert (closed.on, closed.since, closed.acknowledged) == (False, None, True)
    assert await boss.request("GET", "/api/admin/help") == (200, [])
    status, body = await boss.request("POST", "/api/admin/help/alice/ack")
    assert (status, body) == (404, {"error": "not_found"})
    await alice.close()


async def test_wrap_up_delays_the_next_offer_until_available(
    server_factory: ServerFactory,
) -> None:
    server = await server_factory(wrap_up_s=30.0)
    await server.add_staff("alice", ("en",))
    alice = await counsellor(server, "alice")
    first, chat_id = await matched_pair(server, alice)
    second = SeekerClient(server.ws)
    await second.join("en")
    await alice.end(chat_id)
    await alice.expect(StaffChatEnded, timeout=T)
    # Feedback is on here: an ordinary end carries a ticket (a blocked one must not).
    assert (await first.expect(SeekerChatEnded, timeout=T)).feedback is not None
    status = await alice.expect(StatusUpdate, timeout=T)
    assert 29 <= status.wrap_up_s <= 30
    with pytest.raises(TimeoutError):
        await alice.expect(Offer, timeout=1.0)  # the pause holds the waiting seeker back
    await alice.set_status("available")  # "I'm ready"
    assert (await alice.expect(StatusUpdate, timeout=T)).wrap_up_s == 0
    await alice.expect(Offer, timeout=T)
    for c in (alice, first, second):
        await c.close()


async def test_queue_figures_on_connect_and_when_they_change(
    server_factory: ServerFactory,
) -> None:
    server = await server_factory(position_interval_s=0.5)
    await server.add_staff("dirk", ("en", "de"))
    dirk = await counsellor(server, "dirk", available=False)
    figures = await dirk.expect(QueueFigures, timeout=T)
    assert [(f.language, f.waiting) for f in figures.languages] == [("en", 0), ("de", 0)]
    seeker = SeekerClient(server.ws)
    await seeker.join("de")
    figures = await dirk.expect(QueueFigures, timeout=T)
    assert [(f.language, f.waiting) for f in figures.languages] == [("en", 0), ("de", 1)]
    await seeker.leave()
    figures = await dirk.expect(QueueFigures, timeout=T)
    assert [f.waiting for f in figures.languages] == [0, 0]
    await dirk.close()
