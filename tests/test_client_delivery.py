"""The client's delivery rules (docs/protocol.md §3), first pure, then over a scripted socket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from websockets.asyncio.server import ServerConnection, serve

from crypto.encoding import b64u_encode
from crypto.password import derive_password_keys
from helpline.client import ClientError, CounsellorClient, SeekerClient, login
from helpline.client_delivery import ChatDelivery, Envelope
from helpline.core.ids import b64u
from helpline.errors import AuthError
from helpline.wire import (
    ChatInfo,
    Delivered,
    ErrorFrame,
    Frame,
    Offer,
    Pong,
    QueueUpdate,
    RelayOut,
    Resume,
    Resumed,
    SeekerAck,
    SeekerChatEnded,
    SeekerFrame,
    SeekerMatched,
    SeekerRelay,
    SeekerWelcome,
    StaffAck,
    StaffFrame,
    StaffMatched,
    StaffRelay,
    StaffWelcome,
    decode_seeker_frame,
    decode_staff_frame,
)

CHAT = b64u(bytes(range(16)))
TOKEN = b64u(bytes(range(32)))


def seqs(envelopes: list[Envelope]) -> list[int]:
    return [envelope.seq for envelope in envelopes]


# ChatDelivery, pure ---------------------------------------------------------------------


def test_numbering_starts_at_one_per_chat() -> None:
    chat = ChatDelivery(CHAT)
    assert seqs(chat.submit("QQ") + chat.submit("QQ")) == [1, 2]
    assert seqs(ChatDelivery(CHAT).submit("QQ")) == [1]


def test_window_frames_hold_envelopes_back_until_delivered() -> None:
    chat = ChatDelivery(CHAT, window_frames=3)
    sent = [envelope for _ in range(5) for envelope in chat.submit("QQ")]
    assert seqs(sent) == [1, 2, 3]
    assert (chat.in_flight, chat.waiting) == (3, 2)
    assert seqs(chat.on_delivered(1)) == [4]
    assert seqs(chat.on_delivered(4)) == [5]
    assert chat.undelivered == 1


def test_window_bytes_count_payload_bytes() -> None:
    chat = ChatDelivery(CHAT, window_bytes=10)
    assert seqs(chat.submit("A" * 6)) == [1]
    assert chat.submit("A" * 6) == []
    assert seqs(chat.on_delivered(1)) == [2]


def test_an_oversized_envelope_goes_alone() -> None:
    """A payload bigger than the byte window must not block the chat forever."""
    chat = ChatDelivery(CHAT, window_bytes=4)
    assert seqs(chat.submit("A" * 10)) == [1]


def test_stale_and_impossible_deliveries_change_nothing() -> None:
    chat = ChatDelivery(CHAT, window_frames=1)
    chat.submit("QQ")
    chat.submit("QQ")
    assert seqs(chat.on_delivered(1)) == [2]
    assert chat.on_delivered(1) == []
    assert chat.on_delivered(0) == []
    assert chat.on_delivered(99) == []  # beyond what was sent: clamped
    assert (chat.delivered_seq, chat.undelivered) == (2, 0)


def test_resume_resends_after_accepted_seq_in_order() -> None:
    chat = ChatDelivery(CHAT, window_frames=4)
    for _ in range(6):
        chat.submit("QQ")
    assert seqs(chat.on_resume(2)) == [3, 4]  # 1-2 held by the server; 5-6 wait for room
    assert seqs(chat.on_delivered(2)) == [5, 6]
    assert seqs(chat.on_resume(6)) == []
    assert seqs(chat.on_resume(0)) == [3, 4, 5, 6]


def test_incoming_replays_are_dropped() -> None:
    chat = ChatDelivery(CHAT)
    assert chat.on_relay(1, "AA")
    assert chat.on_relay(2, "BB")
    assert not chat.on_relay(2, "BB")
    assert not chat.on_relay(1, "AA")
    assert chat.on_relay(3, "CC")
    assert chat.received == ["AA", "BB", "CC"]
    assert chat.duplicates == 2


def test_acks_are_cumulative_and_owed_again_on_a_new_connection() -> None:
    chat = ChatDelivery(CHAT)
    assert chat.ack_due() is None
    chat.on_relay(1, "AA")
    chat.on_relay(2, "BB")
    assert chat.ack_due() == 2
    chat.acked(2)
    assert chat.ack_due() is None
    chat.new_connection()
    assert chat.ack_due() == 2


def test_the_window_cannot_be_empty() -> None:
    with pytest.raises(ValueError, match="window"):
        ChatDelivery(CHAT, window_frames=0)


# The client over a scripted server --------------------------------------------------------


@dataclass
class Script:
    """A fake server: records what clients send; the test says what it answers."""

    received: asyncio.Queue[Frame] = field(default_factory=asyncio.Queue)
    sockets: list[ServerConnection] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    opened: asyncio.Queue[ServerConnection] = field(default_factory=asyncio.Queue)
    url: str = ""

    @property
    def ws(self) -> ServerConnection:
        return self.sockets[-1]

    async def say(self, *frames: Frame) -> None:
        for frame in frames:
            await self.ws.send(frame.serialize())

    async def heard(self, timeout: float = 2.0) -> Frame:
        async with asyncio.timeout(timeout):
            return await self.received.get()

    async def heard_all(self, settle: float = 0.05) -> list[Frame]:
        await asyncio.sleep(settle)
        frames = []
        while not self.received.empty():
            frames.append(self.received.get_nowait())
        return frames


@pytest.fixture
async def script() -> AsyncIterator[Script]:
    state = Script()

    async def handler(ws: ServerConnection) -> None:
        state.sockets.append(ws)
        assert ws.request is not None
        state.headers.append(dict(ws.request.headers.raw_items()))
        state.opened.put_nowait(ws)
        async for message in ws:
            assert isinstance(message, str)
            frame: SeekerFrame | StaffFrame
            if ws.request.path == "/ws/staff":
                frame = decode_staff_frame(message, max_payload_bytes=65536)
            else:
                frame = decode_seeker_frame(message, max_payload_bytes=65536)
            await state.received.put(frame)

    async with serve(handler, "127.0.0.1", 0, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        state.url = f"ws://127.0.0.1:{port}"
        yield state


async def matched_seeker(script: Script, **options: bool | int) -> SeekerClient:
    client = SeekerClient(script.url, **options)  # type: ignore[arg-type]
    join = asyncio.create_task(client.join("en"))
    assert (await script.heard()).TYPE == "join"
    await script.say(SeekerWelcome(TOKEN, 120), QueueUpdate("en", 1, None))
    assert (await join).token == TOKEN
    await script.say(SeekerMatched(CHAT))
    await client.expect(SeekerMatched)
    return client


async def test_join_returns_welcome_and_events_keep_order(script: Script) -> None:
    client = await matched_seeker(script)
    assert client.token == TOKEN
    assert client.chat_id == CHAT
    assert isinstance(await client.next_event(), SeekerWelcome)
    assert isinstance(await client.next_event(), QueueUpdate)
    await client.close()


async def test_a_refused_join_raises_the_servers_code(script: Script) -> None:
    client = SeekerClient(script.url)
    join = asyncio.create_task(client.join("xx"))
    await script.heard()
    await script.say(ErrorFrame("unknown_language", "no such queue"))
    with pytest.raises(ClientError) as info:
        await join
    assert info.value.code == "unknown_language"
    await client.close()


async def test_relays_are_numbered_windowed_and_released_by_delivered(script: Script) -> None:
    client = await matched_seeker(script, window_frames=2)
    for _ in range(3):
        await client.send("QQ")
    assert [f for f in await script.heard_all()] == [
        SeekerRelay(1, "QQ", CHAT),
        SeekerRelay(2, "QQ", CHAT),
    ]
    await script.say(Delivered(CHAT, 1))
    assert await script.heard() == SeekerRelay(3, "QQ", CHAT)
    await client.close()


async def test_replays_are_dropped_and_acks_coalesced(script: Script) -> None:
    client = await matched_seeker(script)
    await script.say(*(RelayOut(CHAT, seq, f"P{seq}") for seq in (1, 2, 3, 2, 3, 4)))
    await client.expect(RelayOut)
    acks = [frame for frame in await script.heard_all(0.2) if isinstance(frame, SeekerAck)]
    assert acks
    assert len(acks) < 4
    assert acks[-1] == SeekerAck(4, CHAT)
    assert client.received_payloads() == ["P1", "P2", "P3", "P4"]
    events = [e for e in client.pending_events() if isinstance(e, RelayOut)]
    assert [e.seq for e in events] == [2, 3, 4]  # the first was taken by expect
    await client.close()


async def test_drop_and_resume_resends_what_the_server_lacks(script: Script) -> None:
    client = await matched_seeker(script, window_frames=8)
    for _ in range(4):
        await client.send("QQ")
    await script.heard_all()
    await script.say(RelayOut(CHAT, 1, "AA"))
    await client.expect(RelayOut)
    await script.heard_all()
    await client.drop()
    assert not client.connected
    assert client.close_info is not None
    assert client.close_info.code == 1006
    await client.send("QQ")  # while offline: waits for the resume

    resume = asyncio.create_task(client.reconnect())
    assert await script.heard() == Resume(TOKEN)
    await script.say(Resumed("chatting", CHAT, 2), RelayOut(CHAT, 1, "AA"), RelayOut(CHAT, 2, "BB"))
    assert (await resume).accepted_seq == 2  # type: ignore[union-attr]
    frames = await script.heard_all(0.2)
    relays = [frame for frame in frames if isinstance(frame, SeekerRelay)]
    assert [relay.seq for relay in relays] == [3, 4, 5]
    assert [frame for frame in frames if isinstance(frame, SeekerAck)][-1] == SeekerAck(2, CHAT)
    assert client.received_payloads() == ["AA", "BB"]
    await client.close()


async def test_a_chat_that_ended_while_away_is_replayed_not_resent(script: Script) -> None:
    """§3: replays then chat_ended; the seeker's own envelopes are not sent again."""
    client = await matched_seeker(script)
    await client.send("QQ")
    await script.heard_all()
    await client.drop()
    resume = asyncio.create_task(client.reconnect())
    await script.heard()
    await script.say(Resumed("ended", CHAT, 0), RelayOut(CHAT, 1, "AA"))
    await script.say(SeekerChatEnded(CHAT, "counsellor_ended"))
    await resume
    await client.expect(SeekerChatEnded)
    assert await script.heard_all() == [SeekerAck(1, CHAT)]
    assert client.received_payloads(CHAT) == ["AA"]
    assert (client.token, client.chat_id) == (None, None)
    await client.close()


async def test_auto_reconnect_resumes_after_a_drop(script: Script) -> None:
    client = await matched_seeker(script, auto_reconnect=True)
    client.reconnect_delay = 0.01
    await client.drop()
    assert (await script.heard()).TYPE == "resume"
    await script.say(Resumed("chatting", CHAT, 0))
    await client.expect(Resumed)
    assert client.connected
    await client.close()


async def test_counsellor_sends_cookie_and_origin_and_resends_from_welcome(
    script: Script,
) -> None:
    client = CounsellorClient(script.url, cookie="s3cret")
    connect = asyncio.create_task(client.connect())
    await asyncio.wait_for(script.opened.get(), 2)
    headers = {k.lower(): v for k, v in script.headers[-1].items()}
    assert headers["cookie"] == "helpline_session=s3cret"
    assert headers["origin"] == script.url.replace("ws://", "http://")
    await script.say(StaffWelcome("alice", ("en",), 2, 3, "away", 120, ()))
    assert (await connect).username == "alice"

    await client.set_status("available", ["en"], 2)
    assert (await script.heard()).TYPE == "status"
    await script.say(Offer(CHAT, "en", 3, 30))
    offer = await client.expect(Offer)
    await client.accept(offer.chat_id)
    assert (await script.heard()).TYPE == "accept"
    await script.say(StaffMatched(CHAT, "en"))
    await client.expect(StaffMatched)
    await client.send("QQ")  # the only open chat: chat_id may be left out
    await client.send("QQ", CHAT)
    assert await script.heard_all() == [StaffRelay(CHAT, 1, "QQ"), StaffRelay(CHAT, 2, "QQ")]

    await client.drop()
    reconnect = asyncio.create_task(client.reconnect())
    await asyncio.wait_for(script.opened.get(), 2)
    await script.say(
        StaffWelcome("alice", ("en",), 2, 3, "away", 120, (ChatInfo(CHAT, "en", 1),)),
        RelayOut(CHAT, 1, "AA"),
    )
    await reconnect
    frames = await script.heard_all(0.2)
    assert StaffRelay(CHAT, 2, "QQ") in frames
    assert StaffRelay(CHAT, 1, "QQ") not in frames
    assert StaffAck(CHAT, 1) in frames
    await client.close()


async def test_expect_times_out_naming_what_arrived(script: Script) -> None:
    client = await matched_seeker(script)
    await script.say(Pong())
    with pytest.raises(TimeoutError, match="Pong"):
        await client.expect(Offer, timeout=0.2)
    await client.close()


async def test_a_malformed_server_frame_surfaces(script: Script) -> None:
    client = await matched_seeker(script)
    await script.ws.send('{"v":1,"type":"relay"}')
    with pytest.raises(ClientError) as info:  # noqa: PT012
        for _ in range(5):  # welcome and queue first
            await client.next_event()
    assert info.value.code == "bad_server_frame"
    await client.close()


async def test_sending_needs_a_chat(script: Script) -> None:
    client = SeekerClient(script.url)
    with pytest.raises(ClientError) as info:
        await client.send("QQ")
    assert info.value.code == "no_chat"
    with pytest.raises(ClientError) as info:
        await client.ping()
    assert info.value.code == "not_connected"


# Staff login over HTTP ----------------------------------------------------------------------


LOGIN_SALT = bytes(range(16))
LOGIN_ITERATIONS = 1000


@pytest.fixture
async def login_server() -> AsyncIterator[str]:
    right = b64u_encode(derive_password_keys("right", LOGIN_SALT, LOGIN_ITERATIONS).login_secret)

    async def salt(request: web.Request) -> web.Response:
        assert request.query["username"]
        return web.json_response({"salt": b64u_encode(LOGIN_SALT), "iterations": LOGIN_ITERATIONS})

    async def handle(request: web.Request) -> web.Response:
        body = await request.json()
        assert request.headers["Origin"] == str(request.url.origin())
        assert "password" not in body  # the password never leaves the client
        if body == {"username": "alice", "secret": right}:
            response = web.json_response({"username": "alice", "role": "counsellor"})
            response.set_cookie("helpline_session", "cookie-value", httponly=True)
            return response
        if body["username"] == "mallory":
            return web.json_response({"error": "rate_limited", "retry_after_s": 3}, status=429)
        return web.json_response({"error": "bad_credentials"}, status=401)

    app = web.Application()
    app.router.add_get("/api/salt", salt)
    app.router.add_post("/api/login", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_login_returns_the_session_cookie(login_server: str) -> None:
    low = LOGIN_ITERATIONS
    assert await login(login_server, "alice", "right", min_iterations=low) == "cookie-value"
    client = CounsellorClient(login_server.replace("http://", "ws://"))
    assert await client.login(None, "alice", "right", min_iterations=low) == "cookie-value"
    assert client.cookie == "cookie-value"


async def test_login_refuses_a_server_asking_for_a_cheap_derivation(login_server: str) -> None:
    """A server must not get a login secret it could brute-force back to the password."""
    with pytest.raises(AuthError) as info:
        await login(login_server, "alice", "right")  # 1,000 < 600,000 iterations
    assert info.value.code == "weak_kdf"


@pytest.mark.parametrize(
    ("username", "code"), [("bob", "bad_credentials"), ("mallory", "rate_limited")]
)
async def test_login_failures_are_auth_errors(login_server: str, username: str, code: str) -> None:
    with pytest.raises(AuthError) as info:
        await login(login_server, username, "wrong", min_iterations=LOGIN_ITERATIONS)
    assert info.value.code == code
