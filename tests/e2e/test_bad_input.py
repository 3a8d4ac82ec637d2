"""Every kind of bad input gets its documented answer, and harms nobody else.

Each test runs beside a *bystander* chat (a seeker and a counsellor in German)
and checks afterwards that the bystanders still exchange envelopes in order,
with nothing lost (docs/protocol.md §2.5, §2.6).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
import websockets

from helpline.web.keys import DATABASE
from tests.e2e.conftest import PASSWORD, RunningServer, ServerFactory
from tests.e2e.raw import RawPeer, login, login_secret


@dataclass
class Bystanders:
    seeker: RawPeer
    staff: RawPeer
    chat_id: str
    sent: int = 0

    async def still_fine(self) -> None:
        """One envelope each way, numbered after everything before it."""
        self.sent += 1
        n = self.sent
        await self.seeker.send(type="relay", seq=n, payload=f"fromSeeker{n}")
        got = await self.staff.recv("relay")
        assert (got["seq"], got["payload"]) == (n, f"fromSeeker{n}")
        await self.staff.send(type="ack", chat_id=self.chat_id, seq=n)
        assert (await self.seeker.recv("delivered"))["seq"] == n
        await self.staff.send(type="relay", chat_id=self.chat_id, seq=n, payload=f"fromStaff{n}")
        got = await self.seeker.recv("relay")
        assert (got["seq"], got["payload"]) == (n, f"fromStaff{n}")
        await self.seeker.send(type="ack", seq=n)
        assert (await self.staff.recv("delivered"))["seq"] == n


async def open_chat(server: RunningServer, username: str, language: str) -> Bystanders:
    await server.add_staff(username, (language,))
    staff = await RawPeer.staff(
        server.ws, server.http, await login(server.http, username, PASSWORD)
    )
    await staff.recv("welcome")
    await staff.send(type="status", status="available", languages=[language])
    seeker = await RawPeer.seeker(server.ws)
    await seeker.send(type="join", language=language)
    offer = await staff.recv("offer")
    await staff.send(type="accept", chat_id=offer["chat_id"])
    await seeker.recv("matched")
    chat = Bystanders(seeker, staff, offer["chat_id"])
    await chat.still_fine()
    return chat


@pytest.fixture
async def small_server(server_factory: ServerFactory) -> RunningServer:
    return await server_factory(
        max_frame_bytes=8192,
        max_payload_bytes=4096,
        flood_frames_per_s=50.0,
        flood_burst=100,
        max_errors=20,
        resume_grace_s=1.0,
    )


@pytest.fixture
async def bystanders(small_server: RunningServer) -> AsyncIterator[Bystanders]:
    chat = await open_chat(small_server, "bystander", "de")
    yield chat
    await chat.still_fine()
    await chat.seeker.close()
    await chat.staff.close()


async def joined(server: RunningServer) -> RawPeer:
    peer = await RawPeer.seeker(server.ws)
    await peer.send(type="join", language="en")
    await peer.recv("welcome")
    return peer


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("{not json", "bad_json"),
        ("[1, 2]", "bad_json"),
        ('"join"', "bad_json"),
        ('{"type":"join","language":"en"}', "bad_version"),
        ('{"v":2,"type":"join","language":"en"}', "bad_version"),
        ('{"v":1,"type":"teleport"}', "unknown_type"),
        ('{"v":1}', "unknown_type"),
        ('{"v":1,"type":"accept","chat_id":"AAAAAAAAAAAAAAAAAAAAAA"}', "unknown_type"),
        ('{"v":1,"type":"join"}', "missing_field"),
        ('{"v":1,"type":"join","language":7}', "bad_field"),
        ('{"v":1,"type":"join","language":"en","colour":"red"}', "bad_field"),
        ('{"v":1,"type":"join","language":"xx"}', "unknown_language"),
        ('{"v":1,"type":"relay","seq":1,"payload":"abc"}', "handshake_required"),
        ('{"v":1,"type":"leave"}', "handshake_required"),
    ],
)
async def test_seeker_frames_before_joining(
    small_server: RunningServer, bystanders: Bystanders, text: str, code: str
) -> None:
    peer = await RawPeer.seeker(small_server.ws)
    await peer.send_text(text)
    assert await peer.error() == code
    # The connection is still usable after a refused frame.
    await peer.send(type="join", language="en")
    assert (await peer.recv("welcome"))["token"]
    await peer.close()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"type": "relay", "seq": "1", "payload": "abc"}, "bad_field"),
        ({"type": "relay", "seq": 1, "payload": "not base64!"}, "bad_field"),
        ({"type": "relay", "seq": 1, "payload": "a" * 5000}, "payload_too_large"),
        ({"type": "relay", "seq": 1}, "missing_field"),
        ({"type": "relay", "seq": 1, "payload": "abc"}, "no_chat"),
        ({"type": "ack", "seq": 1}, "no_chat"),
        ({"type": "join", "language": "en"}, "already_joined"),
        ({"type": "resume", "token": "A" * 43}, "already_joined"),
        ({"type": "status", "status": "available"}, "unknown_type"),
        ({"type": "end", "chat_id": "A" * 22}, "unknown_type"),
    ],
)
async def test_seeker_frames_after_joining(
    small_server: RunningServer, bystanders: Bystanders, frame: dict[str, object], code: str
) -> None:
    peer = await joined(small_server)
    await peer.send(**frame)
    assert await peer.error() == code
    await peer.close()


async def test_a_seeker_cannot_touch_another_chat(
    small_server: RunningServer, bystanders: Bystanders
) -> None:
    other = await open_chat(small_server, "other", "en")
    # The other seeker names the bystanders' chat: refused, and nothing reaches them.
    await other.seeker.send(type="relay", chat_id=bystanders.chat_id, seq=2, payload="intruder")
    assert await other.seeker.error() == "unknown_chat"
    await other.seeker.send(type="ack", chat_id=bystanders.chat_id, seq=1)
    assert await other.seeker.error() == "unknown_chat"
    # A counsellor cannot touch it either.
    await other.staff.send(type="relay", chat_id=bystanders.chat_id, seq=2, payload="intruder")
    assert await other.staff.error() == "unknown_chat"
    await other.staff.send(type="end", chat_id=bystanders.chat_id)
    assert await other.staff.error() == "unknown_chat"
    await other.still_fine()


async def test_sequence_errors_echo_the_seq(
    small_server: RunningServer, bystanders: Bystanders
) -> None:
    chat = await open_chat(small_server, "other", "en")
    await chat.seeker.send(type="relay", seq=5, payload="gap")
    error = await chat.seeker.recv("error")
    assert (error["code"], error["seq"]) == ("bad_seq", 5)
    await chat.seeker.send(type="ack", seq=99)
    assert await chat.seeker.error() == "bad_seq"
    # A duplicate is dropped silently: the next good frame arrives, the duplicate never does.
    await chat.seeker.send(type="relay", seq=1, payload="duplicate")
    await chat.still_fine()
    assert all(f.get("payload") != "duplicate" for f in chat.staff.seen)


@pytest.mark.parametrize("compact", [True, False], ids=["fast path", "full decoder"])
async def test_relay_and_ack_refusals_are_the_same_on_both_paths(
    small_server: RunningServer, bystanders: Bystanders, compact: bool
) -> None:
    """Canonical relay and ack frames skip the JSON parser in the hub; every refusal, and
    its seq and chat_id echo (§2.5), must be exactly what the full decoder answers."""
    chat = await open_chat(small_server, "other", "en")
    chat.seeker.compact = chat.staff.compact = compact
    limit = small_server.config.max_payload_bytes
    seeker_frames: list[dict[str, object]] = [
        {"type": "relay", "seq": 5, "payload": "gap"},
        {"type": "relay", "seq": 2, "payload": "not base64!"},
        {"type": "relay", "seq": 2, "payload": "a" * (limit + 1)},
        {"type": "relay", "seq": 2, "payload": ""},
        {"type": "relay", "seq": 2, "payload": "x", "chat_id": bystanders.chat_id},
        {"type": "relay", "seq": 0, "payload": "x"},
        {"type": "ack", "seq": 99},
        {"type": "ack", "seq": 1, "chat_id": bystanders.chat_id},
    ]
    staff_frames: list[dict[str, object]] = [
        {"type": "relay", "chat_id": chat.chat_id, "seq": 7, "payload": "gap"},
        {"type": "relay", "chat_id": bystanders.chat_id, "seq": 2, "payload": "x"},
        {"type": "relay", "chat_id": chat.chat_id, "seq": 2, "payload": "a" * (limit + 1)},
        {"type": "ack", "chat_id": chat.chat_id, "seq": 99},
        {"type": "ack", "chat_id": bystanders.chat_id, "seq": 0},
    ]
    answers = []
    for peer, frames in ((chat.seeker, seeker_frames), (chat.staff, staff_frames)):
        for frame in frames:
            await peer.send(**frame)
            error = await peer.recv("error")
            answers.append((error["code"], error["seq"], error["chat_id"]))
    other, mine = bystanders.chat_id, chat.chat_id
    assert answers == [
        ("bad_seq", 5, None),
        ("bad_field", 2, None),
        ("payload_too_large", 2, None),
        ("bad_field", 2, None),
        ("unknown_chat", 2, other),
        ("bad_field", None, None),
        ("bad_seq", 99, None),
        ("unknown_chat", 1, other),
        ("bad_seq", 7, mine),
        ("unknown_chat", 2, other),
        ("payload_too_large", 2, None),
        ("bad_seq", 99, mine),
        ("unknown_chat", None, other),  # seq 0 is not echoed: error frames' seqs start at 1
    ]
    await chat.still_fine()  # and the good frames still go through, on this path too


async def test_window_full(small_server: RunningServer, bystanders: Bystanders) -> None:
    chat = await open_chat(small_server, "other", "en")
    window = small_server.config.window_frames
    for seq in range(2, 2 + window):  # seq 1 was acknowledged by still_fine()
        await chat.seeker.send(type="relay", seq=seq, payload="x")
    await chat.seeker.send(type="relay", seq=2 + window, payload="x")
    error = await chat.seeker.recv("error")
    assert (error["code"], error["seq"]) == ("window_full", 2 + window)
    await chat.staff.send(type="ack", chat_id=chat.chat_id, seq=1 + window)
    assert (await chat.seeker.recv("delivered"))["seq"] == 1 + window
    await chat.seeker.send(type="relay", seq=2 + window, payload="x")
    seqs = [(await chat.staff.recv("relay"))["seq"] for _ in range(window + 1)]
    assert seqs == list(range(2, 3 + window))  # each once, in order, the refused one too


async def test_binary_frames_are_refused(
    small_server: RunningServer, bystanders: Bystanders
) -> None:
    peer = await joined(small_server)
    await peer.send_text(b'{"v":1,"type":"ping"}')
    assert await peer.error() == "binary_not_allowed"
    await peer.send(type="ping")
    await peer.recv("pong")


async def test_oversized_frames_close_with_1009(
    small_server: RunningServer, bystanders: Bystanders
) -> None:
    peer = await joined(small_server)
    await peer.send_text("x" * (small_server.config.max_frame_bytes + 1))
    assert await peer.closed_with() == 1009


async def test_flooding_closes_with_4009(
    small_server: RunningServer, bystanders: Bystanders
) -> None:
    peer = await joined(small_server)
    for _ in range(small_server.config.flood_burst + 50):
        await peer.send(type="ping")
    assert await peer.closed_with() == 4009


async def test_too_many_errors_close_with_4011(
    small_server: RunningServer, bystanders: Bystanders
) -> None:
    peer = await RawPeer.seeker(small_server.ws)
    for _ in range(small_server.config.max_errors + 1):
        await peer.send_text("nonsense")
    assert await peer.closed_with() == 4011


async def test_resume_with_a_wrong_or_expired_token(
    small_server: RunningServer, bystanders: Bystanders
) -> None:
    stranger = await RawPeer.seeker(small_server.ws)
    await stranger.send(type="resume", token="A" * 43)
    assert await stranger.error() == "bad_token"
    await stranger.send(type="resume", token="not a token")
    assert await stranger.error() == "bad_field"

    peer = await joined(small_server)
    token = peer.seen[-1]["token"]
    peer.ws.transport.abort()  # a dropped connection, no goodbye
    await asyncio.sleep(small_server.config.resume_grace_s + 1.0)  # the tick runs every 0.5 s
    late = await RawPeer.seeker(small_server.ws)
    await late.send(type="resume", token=token)
    assert await late.error() == "bad_token"


async def test_staff_socket_needs_a_session_and_our_origin(
    small_server: RunningServer, bystanders: Bystanders
) -> None:
    with pytest.raises(websockets.InvalidStatus) as no_session:
        await websockets.connect(f"{small_server.ws}/ws/staff")
    assert no_session.value.response.status_code == 401
    cookie = await login(small_server.http, "bystander", PASSWORD)
    with pytest.raises(websockets.InvalidStatus) as foreign:
        await websockets.connect(
            f"{small_server.ws}/ws/staff",
            additional_headers={
                "Cookie": f"helpline_session={cookie}",
                "Origin": "https://evil.example",
            },
        )
    assert foreign.value.response.status_code == 403


async def test_state_changing_staff_requests_need_our_origin(
    small_server: RunningServer, bystanders: Bystanders
) -> None:
    async with aiohttp.ClientSession() as session:
        for path in ("/api/login", "/api/logout"):
            async with session.post(
                f"{small_server.http}{path}",
                json={"username": "bystander", "secret": "A" * 43},
                headers={"Origin": "https://evil.example"},
            ) as response:
                assert response.status == 403
                assert await response.json() == {"error": "bad_origin"}


async def test_compression_is_off_and_ids_are_random(
    small_server: RunningServer, bystanders: Bystanders
) -> None:
    peer = await RawPeer.seeker(small_server.ws, compression="deflate")
    assert "Sec-WebSocket-Extensions" not in peer.ws.response.headers
    tokens = set()
    for _ in range(3):
        p = await joined(small_server)
        tokens.add(p.seen[-1]["token"])
        await p.close()
    assert len(tokens) == 3
    assert all(len(t) == 43 for t in tokens)
    assert len(bystanders.chat_id) == 22


async def test_login_errors_and_rate_limit(
    small_server: RunningServer, bystanders: Bystanders
) -> None:
    right = await login_secret(small_server.http, "bystander", PASSWORD)
    wrong = await login_secret(small_server.http, "bystander", "wrong password")
    async with aiohttp.ClientSession() as session:
        url = f"{small_server.http}/api/login"
        async with session.post(url, data="{oops") as response:
            assert (response.status, (await response.json())["error"]) == (400, "bad_json")
        for body in (
            {"username": "bystander", "password": PASSWORD},  # passwords are never sent
            {"username": "bystander", "secret": PASSWORD},
            {"username": "bystander", "secret": right + "="},
            {"username": "bystander", "secret": right[:-2]},
            {"username": "", "secret": right},
        ):
            async with session.post(url, json=body) as response:
                assert (response.status, (await response.json())["error"]) == (
                    400,
                    "bad_field",
                ), body
        statuses = []
        for _ in range(small_server.config.login_failures_before_lockout + 1):
            async with session.post(
                url, json={"username": "bystander", "secret": wrong}
            ) as response:
                statuses.append(response.status)
        assert statuses[:-1] == [401] * small_server.config.login_failures_before_lockout
        assert statuses[-1] == 429
        # Locked out even with the right secret, until the lock-out passes.
        async with session.post(url, json={"username": "bystander", "secret": right}) as response:
            assert response.status == 429
            assert int(response.headers["Retry-After"]) >= 1


async def test_the_salt_endpoint_has_a_global_budget(
    server_factory: ServerFactory,
) -> None:
    server = await server_factory(login_global_per_s=3.0)
    async with aiohttp.ClientSession() as session:
        statuses = []
        for n in range(6):
            async with session.get(
                f"{server.http}/api/salt", params={"username": f"user{n}"}
            ) as response:
                statuses.append(response.status)
                if response.status == 429:
                    assert (await response.json())["error"] == "rate_limited"
                    assert int(response.headers["Retry-After"]) >= 1
        assert statuses[:3] == [200, 200, 200]
        assert 429 in statuses[3:]
        async with session.get(f"{server.http}/api/salt") as response:
            assert response.status in (400, 429)


async def test_end_with_an_unknown_outcome_still_ends_the_chat(
    small_server: RunningServer,
) -> None:
    """A code not (or no longer) in the outcome list: the chat ends all the same (the
    workspace has told the seeker so already), and no outcome is recorded."""
    chat = await open_chat(small_server, "ender", "de")
    await chat.staff.send(type="end", chat_id=chat.chat_id, outcome="made_up")
    ended = await chat.staff.recv("chat_ended")
    assert ended["chat_id"] == chat.chat_id
    for _ in range(100):
        rows = await small_server.app[DATABASE].chat_stats.list_all()
        if rows:
            break
        await asyncio.sleep(0.02)
    assert [row.outcome for row in rows] == [None]
    await chat.seeker.close()
    await chat.staff.close()


async def test_staff_frames_with_wrong_fields(
    small_server: RunningServer, bystanders: Bystanders
) -> None:
    staff = bystanders.staff
    for frame, code in [
        ({"type": "status", "status": "asleep"}, "bad_field"),
        ({"type": "status", "status": "available", "languages": ["fr"]}, "unknown_language"),
        ({"type": "status", "status": "available", "capacity": 3}, "not_allowed"),
        ({"type": "accept", "chat_id": "A" * 22}, "unknown_chat"),
        ({"type": "join", "language": "en"}, "unknown_type"),
        ({"type": "relay", "chat_id": bystanders.chat_id, "seq": 2}, "missing_field"),
    ]:
        await staff.ws.send(json.dumps({"v": 1, **frame}))
        assert await staff.error() == code, frame


async def test_idle_seeker_sockets_are_closed_and_capped(server_factory: ServerFactory) -> None:
    server = await server_factory(join_deadline_s=0.3, max_seeker_connections=2)
    idle = await RawPeer.seeker(server.ws)
    assert await idle.closed_with(timeout=5) == 4012
    await asyncio.sleep(0.1)
    first, second = await RawPeer.seeker(server.ws), await RawPeer.seeker(server.ws)
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(f"{server.ws}/ws/seeker")
    assert refused.value.response.status_code == 503
    await first.send(type="join", language="en")
    await first.recv("welcome")
    await asyncio.sleep(0.5)  # past the deadline: joined, so it stays
    await first.send(type="ping")
    await first.recv("pong")
    await second.close()
