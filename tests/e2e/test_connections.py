"""Half-open connections are found, and a slow reader holds nobody up (docs/protocol.md §5)."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from crypto.encoding import b64u_decode
from helpline.errors import StoreError
from helpline.web.keys import DATABASE
from tests.e2e.conftest import PASSWORD, ServerFactory
from tests.e2e.raw import RawPeer, login, login_secret, session_headers
from tests.e2e.test_bad_input import open_chat


async def test_a_half_open_connection_is_detected_by_the_heartbeat(
    server_factory: ServerFactory,
) -> None:
    server = await server_factory(heartbeat_s=0.5)
    chat = await open_chat(server, "counsellor", "en")
    started = time.monotonic()
    # The seeker's device vanishes: it stops reading (so it never answers a ping) and sends
    # nothing, without closing anything: a half-open connection.
    chat.seeker.ws.transport.pause_reading()
    presence = await chat.staff.recv("peer", timeout=5)
    assert presence == {"v": 1, "type": "peer", "chat_id": chat.chat_id, "connected": False}
    # Detected within heartbeat + heartbeat / 2, plus one tick of slack.
    assert time.monotonic() - started < 0.5 * 1.5 + 1.0
    chat.seeker.ws.transport.abort()


async def test_a_slow_reader_is_cut_off_without_holding_up_anyone(
    server_factory: ServerFactory,
) -> None:
    server = await server_factory(
        outbox_frames=32,
        window_frames=1000,
        window_bytes=200 * 1024 * 1024,
        flood_burst=10_000,
    )
    bystanders = await open_chat(server, "bystander", "de")
    chat = await open_chat(server, "counsellor", "en")
    chat.seeker.ws.transport.pause_reading()  # reads nothing from now on
    payload = "p" * 60_000
    frames = 400  # 24 MB: more than any socket buffer on the way
    started = time.monotonic()
    for seq in range(2, 2 + frames):
        await chat.staff.send(type="relay", chat_id=chat.chat_id, seq=seq, payload=payload)
    # The counsellor is served all along: a ping is answered at once.
    await chat.staff.send(type="ping")
    await chat.staff.recv("pong", timeout=5)
    assert time.monotonic() - started < 10
    await bystanders.still_fine()
    # The slow connection was closed (4008, or cut if even the close frame could not pass);
    # the server noticed that the seeker is gone.
    presence = await chat.staff.recv("peer", timeout=10)
    assert presence["connected"] is False
    chat.seeker.ws.transport.abort()
    await bystanders.still_fine()


async def test_a_seeker_who_drops_gets_every_envelope_once_after_resuming(
    server_factory: ServerFactory,
) -> None:
    server = await server_factory()
    chat = await open_chat(server, "counsellor", "en")
    token = next(f["token"] for f in chat.seeker.seen if f["type"] == "welcome")
    window = server.config.window_frames
    chat.seeker.ws.transport.pause_reading()
    for seq in range(2, 2 + window):
        await chat.staff.send(type="relay", chat_id=chat.chat_id, seq=seq, payload=f"m{seq}")
    await chat.staff.send(type="relay", chat_id=chat.chat_id, seq=2 + window, payload="over")
    assert (await chat.staff.recv("error"))["code"] == "window_full"
    # Meanwhile the seeker had sent one more envelope that the server never got.
    chat.seeker.ws.transport.abort()
    assert (await chat.staff.recv("peer"))["connected"] is False

    back = await RawPeer.seeker(server.ws)
    await back.send(type="resume", token=token)
    resumed = await back.recv("resumed")
    assert resumed == {
        "v": 1,
        "type": "resumed",
        "state": "chatting",
        "chat_id": chat.chat_id,
        "accepted_seq": 1,
    }
    frames = [await back.recv("relay") for _ in range(window)]
    assert [(f["seq"], f["payload"]) for f in frames] == [
        (seq, f"m{seq}") for seq in range(2, 2 + window)
    ]
    assert (await chat.staff.recv("peer"))["connected"] is True
    await back.send(type="ack", seq=1 + window)
    assert (await chat.staff.recv("delivered"))["seq"] == 1 + window
    # The seeker re-sends what the server had not accepted (seq 2), once.
    await back.send(type="relay", seq=2, payload="again")
    await back.send(type="relay", seq=2, payload="again")
    assert (await chat.staff.recv("relay"))["payload"] == "again"
    await chat.staff.send(type="relay", chat_id=chat.chat_id, seq=2 + window, payload="last")
    assert (await back.recv("relay"))["payload"] == "last"
    assert [f for f in chat.staff.unread if f["type"] == "relay"] == []


async def test_staff_session_me_and_logout(server_factory: ServerFactory) -> None:
    server = await server_factory()
    await server.add_staff("counsellor", ("en", "de"), capacity=2)
    cookie = await login(server.http, "counsellor", PASSWORD)
    jar_headers = await session_headers(server.http, cookie)
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{server.http}/api/me", headers=jar_headers) as response:
            assert response.status == 200
            me = await response.json()
            assert me == {
                "username": "counsellor",
                "role": "counsellor",
                "languages": ["en", "de"],
                "capacity": 2,
                "totp": False,
                "csrf": jar_headers["X-CSRF-Token"],
                "reload_key": me["reload_key"],
            }
            assert len(b64u_decode(me["reload_key"])) == 32
            assert response.headers["Cache-Control"] == "no-store"
            assert response.headers["Referrer-Policy"] == "no-referrer"
        async with session.post(f"{server.http}/api/logout", headers=jar_headers) as response:
            assert response.status == 204
        async with session.get(f"{server.http}/api/me", headers=jar_headers) as response:
            assert response.status == 401


@pytest.mark.parametrize("behind_tls_proxy", [False, True])
async def test_login_cookie_flags(server_factory: ServerFactory, behind_tls_proxy: bool) -> None:
    server = await server_factory(behind_tls_proxy=behind_tls_proxy)
    await server.add_staff("counsellor")
    secret = await login_secret(server.http, "counsellor", PASSWORD)
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{server.http}/api/login",
            json={"username": "counsellor", "secret": secret},
        ) as response,
    ):
        assert response.status == 200
        header = response.headers["Set-Cookie"]
        hsts = response.headers.get("Strict-Transport-Security")
    assert "HttpOnly" in header
    assert "SameSite=Strict" in header
    assert "Path=/" in header
    # Plain HTTP on loopback; behind a TLS-terminating proxy the browser sees HTTPS.
    assert ("Secure" in header) is behind_tls_proxy
    assert (hsts is not None) is behind_tls_proxy


async def test_healthz(server_factory: ServerFactory) -> None:
    server = await server_factory()
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{server.http}/healthz") as response,
    ):
        assert response.status == 200
        body = await response.json()
        assert body["status"] == "ok"
        assert "Server" not in response.headers


async def test_a_dropped_counsellor_gets_the_chat_back_within_grace(
    server_factory: ServerFactory,
) -> None:
    server = await server_factory(resume_grace_s=30.0)
    chat = await open_chat(server, "counsellor", "en")
    chat.staff.ws.transport.abort()
    assert (await chat.seeker.recv("peer"))["connected"] is False
    # Meanwhile the seeker writes; the envelope waits in the chat's buffer.
    await chat.seeker.send(type="relay", seq=2, payload="whileAway")
    staff = await RawPeer.staff(
        server.ws, server.http, await login(server.http, "counsellor", PASSWORD)
    )
    welcome = await staff.recv("welcome")
    assert welcome["chats"] == [{"chat_id": chat.chat_id, "language": "en", "accepted_seq": 1}]
    replay = await staff.recv("relay")
    assert (replay["seq"], replay["payload"]) == (2, "whileAway")
    assert (await chat.seeker.recv("peer"))["connected"] is True
    await asyncio.sleep(0)


async def test_signing_out_closes_the_staff_socket(server_factory: ServerFactory) -> None:
    """Regression: a staff WebSocket outlived logout and kept receiving offers."""
    server = await server_factory()
    await server.add_staff("counsellor")
    cookie = await login(server.http, "counsellor", PASSWORD)
    staff = await RawPeer.staff(server.ws, server.http, cookie)
    await staff.recv("welcome")
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{server.http}/api/logout",
            headers=await session_headers(server.http, cookie),
        ) as response,
    ):
        assert response.status == 204
    assert await staff.closed_with(timeout=5) == 4001


async def test_a_disabled_account_loses_its_socket(server_factory: ServerFactory) -> None:
    """The account may be disabled by another process (the CLI): the periodic check sees it."""
    server = await server_factory(session_check_s=0.2)
    account = await server.add_staff("counsellor")
    staff = await RawPeer.staff(
        server.ws, server.http, await login(server.http, "counsellor", PASSWORD)
    )
    await staff.recv("welcome")
    await staff.send(type="status", status="available")
    await staff.recv("status")
    await server.app[DATABASE].accounts.set_disabled(account.id, True)
    assert await staff.closed_with(timeout=5) == 4001
    # No seeker is offered to it afterwards.
    seeker = await RawPeer.seeker(server.ws)
    await seeker.send(type="join", language="en")
    await seeker.recv("welcome")
    await asyncio.sleep(0.3)
    assert server.hub.switchboard.waiting_count() == 1


async def test_last_words_survive_a_half_open_seeker_connection(
    server_factory: ServerFactory,
) -> None:
    """Regression: the counsellor's last envelope and chat_ended were lost, and the token
    forgotten, when the chat ended while the seeker's connection was silently dead."""
    server = await server_factory()
    chat = await open_chat(server, "counsellor", "en")
    token = next(f["token"] for f in chat.seeker.seen if f["type"] == "welcome")
    chat.seeker.ws.transport.pause_reading()  # the phone lost the network, unnoticed
    await chat.staff.send(type="relay", chat_id=chat.chat_id, seq=2, payload="lastWords")
    await chat.staff.send(type="end", chat_id=chat.chat_id, outcome="support_given")
    assert (await chat.staff.recv("chat_ended"))["reason"] == "counsellor_ended"
    await asyncio.sleep(0.3)
    chat.seeker.ws.transport.abort()

    back = await RawPeer.seeker(server.ws)
    await back.send(type="resume", token=token)
    assert (await back.recv("resumed"))["state"] == "ended"
    assert (await back.recv("relay"))["payload"] == "lastWords"
    ended = await back.recv("chat_ended")
    assert (ended["chat_id"], ended["reason"]) == (chat.chat_id, "counsellor_ended")
    assert await back.closed_with() == 1000


async def test_a_busy_database_refuses_a_staff_connection_with_503_not_500(
    server_factory: ServerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A storm of reconnections can find the database busy: the client is told to try
    again (503, Retry-After), not that the server broke."""
    server = await server_factory()
    await server.add_staff("busy")
    cookie = await login(server.http, "busy", PASSWORD)

    async def busy(*args: object, **kwargs: object) -> None:
        raise StoreError("database is locked", code="db_busy")

    monkeypatch.setattr(type(server.app[DATABASE].sessions), "lookup", busy)
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{server.http}/ws/staff",
            headers={
                "Cookie": f"helpline_session={cookie}",
                "Connection": "Upgrade",
                "Upgrade": "websocket",
                "Sec-WebSocket-Version": "13",
                "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            },
        ) as response,
    ):
        assert response.status == 503
        assert response.headers["Retry-After"] == "2"
