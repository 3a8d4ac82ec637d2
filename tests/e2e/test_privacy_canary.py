"""Nothing identifying reaches anything the server writes (docs/privacy.md).

The server runs as a separate process, exactly as an operator runs it, with
logging at its most verbose. Clients connect from a loopback address of their
own (127.0.0.23, never the server's) with distinctive user agents, and chat
with payloads carrying a canary. Afterwards every byte the server wrote — its
stdout and stderr, the database and its WAL/journal files, anything else in
its data directory — is searched for the canary, the address and the agents.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import websockets
from websockets.asyncio.client import ClientConnection

from crypto.certs import identity_public_key
from crypto.encoding import b64u_decode, b64u_encode
from crypto.password import PasswordKeys, derive_password_keys, wrap_seed
from tests.conftest import free_port

CLIENT_ADDRESS = "127.0.0.23"
CANARY = "CANARYq7Zx3Lw9Pv"
SEEKER_AGENT = "SeekerAgentZq81/3.3"
STAFF_AGENT = "StaffAgentWm27/4.4"
PASSWORD = "canary test password"
METRICS_TOKEN = "metrics-token-for-the-canary-test"


def _env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HELPLINE_DATA_DIR=str(data_dir),
        HELPLINE_LOG_LEVEL="DEBUG",
        HELPLINE_PASSWORD_COST="min",
        HELPLINE_KDF_ITERATIONS="1000",
        HELPLINE_LANGUAGES="en,de",
        HELPLINE_METRICS_TOKEN=METRICS_TOKEN,
        HELPLINE_STATS_ROLLUP_S="1",  # the hourly counts are written while the test runs
        PYTHONASYNCIODEBUG="1",
    )
    return env


async def _frame(ws: ClientConnection, kind: str) -> dict[str, object]:
    while True:
        raw = await asyncio.wait_for(ws.recv(), 10)
        frame = json.loads(raw)
        assert isinstance(frame, dict)
        if frame["type"] == kind:
            return frame


async def _derive(
    session: aiohttp.ClientSession, http: str, username: str, password: str
) -> PasswordKeys:
    async with session.get(f"{http}/api/salt", params={"username": username}) as response:
        assert response.status == 200
        answer = await response.json()
    return derive_password_keys(password, b64u_decode(answer["salt"]), answer["iterations"])


def _payload(n: int) -> str:
    return CANARY + secrets.token_urlsafe(24) + str(n)


async def _chat(http: str, ws_base: str) -> None:
    connector = aiohttp.TCPConnector(local_addr=(CLIENT_ADDRESS, 0))
    async with aiohttp.ClientSession(
        connector=connector, headers={"User-Agent": STAFF_AGENT}
    ) as session:
        # A failed login first: its username carries the canary too, and it asks for a salt.
        canary_keys = await _derive(session, http, "x" + CANARY, CANARY)
        async with session.post(
            f"{http}/api/login",
            json={"username": "x" + CANARY, "secret": b64u_encode(canary_keys.login_secret)},
            headers={"Origin": http},
        ) as response:
            assert response.status == 401
        keys = await _derive(session, http, "counsellor1", PASSWORD)
        async with session.post(
            f"{http}/api/login",
            json={"username": "counsellor1", "secret": b64u_encode(keys.login_secret)},
            headers={"Origin": http},
        ) as response:
            assert response.status == 200
            cookie = response.cookies["helpline_session"].value
            csrf = (await response.json())["csrf"]
        # The counsellor's identity key, created as the browser does (certified at
        # once: the server runs in development mode).
        seed = secrets.token_bytes(32)
        async with session.put(
            f"{http}/api/identity",
            json={
                "ik": b64u_encode(identity_public_key(seed)),
                "wrapped_seed": b64u_encode(wrap_seed(seed, keys.wrapping_key)),
            },
            headers={
                "Origin": http,
                "Cookie": f"helpline_session={cookie}",
                "X-CSRF-Token": csrf,
            },
        ) as response:
            assert response.status == 200
            assert (await response.json())["state"] == "valid"
    staff = await websockets.connect(
        f"{ws_base}/ws/staff",
        additional_headers={"Cookie": f"helpline_session={cookie}", "Origin": http},
        user_agent_header=STAFF_AGENT,
        local_addr=(CLIENT_ADDRESS, 0),
    )
    seeker = await websockets.connect(
        f"{ws_base}/ws/seeker",
        user_agent_header=SEEKER_AGENT,
        local_addr=(CLIENT_ADDRESS, 0),
    )
    await _frame(staff, "welcome")
    await staff.send(json.dumps({"v": 1, "type": "status", "status": "available"}))
    await seeker.send(json.dumps({"v": 1, "type": "join", "language": "en"}))
    await _frame(seeker, "welcome")
    offer = await _frame(staff, "offer")
    chat_id = offer["chat_id"]
    await staff.send(json.dumps({"v": 1, "type": "accept", "chat_id": chat_id}))
    await _frame(seeker, "matched")
    for n in range(1, 6):
        await seeker.send(json.dumps({"v": 1, "type": "relay", "seq": n, "payload": _payload(n)}))
        got = await _frame(staff, "relay")
        assert str(got["payload"]).startswith(CANARY)
        await staff.send(json.dumps({"v": 1, "type": "ack", "chat_id": chat_id, "seq": n}))
        await staff.send(
            json.dumps(
                {"v": 1, "type": "relay", "chat_id": chat_id, "seq": n, "payload": _payload(n)}
            )
        )
        await _frame(seeker, "relay")
        await seeker.send(json.dumps({"v": 1, "type": "ack", "seq": n}))
    # Refused frames whose bad parts carry the canary must not be echoed into logs either.
    await seeker.send(json.dumps({"v": 1, "type": "relay", "seq": 6, "payload": CANARY + "!"}))
    await _frame(seeker, "error")
    await seeker.send("{not json " + CANARY)
    await _frame(seeker, "error")
    await seeker.send(json.dumps({"v": 1, "type": CANARY}))
    await _frame(seeker, "error")
    await staff.send(
        json.dumps({"v": 1, "type": "end", "chat_id": chat_id, "outcome": "support_given"})
    )
    ended = await _frame(seeker, "chat_ended")
    await _frame(staff, "chat_ended")
    await seeker.close()
    await _blocked_chat(staff, ws_base)
    await staff.close()
    await _workspace(http, cookie, csrf)
    await _seeker_page(http, str(ended["feedback"]))


async def _blocked_chat(staff: ClientConnection, ws_base: str) -> None:
    """A second chat: a help request, a transfer to a name carrying the canary
    (refused), then a block."""
    seeker = await websockets.connect(
        f"{ws_base}/ws/seeker", user_agent_header=SEEKER_AGENT, local_addr=(CLIENT_ADDRESS, 0)
    )
    await seeker.send(json.dumps({"v": 1, "type": "join", "language": "en"}))
    await _frame(seeker, "welcome")
    chat_id = (await _frame(staff, "offer"))["chat_id"]
    await staff.send(json.dumps({"v": 1, "type": "accept", "chat_id": chat_id}))
    await _frame(seeker, "matched")
    await staff.send(json.dumps({"v": 1, "type": "help", "on": True}))
    await _frame(staff, "help")
    transfer = {"v": 1, "type": "transfer", "chat_id": chat_id, "to": CANARY}
    await staff.send(json.dumps({**transfer, "seq": 1, "payload": _payload(9)}))
    await _frame(staff, "error")
    await staff.send(json.dumps({"v": 1, "type": "block", "chat_id": chat_id}))
    await _frame(seeker, "chat_ended")
    await _frame(staff, "chat_ended")
    await seeker.close()


async def _workspace(http: str, cookie: str, csrf: str) -> None:
    """What the counsellor's browser asks over HTTP besides signing in."""
    connector = aiohttp.TCPConnector(local_addr=(CLIENT_ADDRESS, 0))
    headers = {
        "User-Agent": STAFF_AGENT,
        "Origin": http,
        "Cookie": f"helpline_session={cookie}",
        "X-CSRF-Token": csrf,
    }
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        for path in ("/staff/", "/static/staff/js/app.mjs", "/api/me", "/api/staff/settings",
                     "/api/staff/colleagues", "/api/canned", "/api/identity"):  # fmt: skip
            async with session.get(http + path) as response:
                assert response.status == 200, path
        async with session.post(f"{http}/api/totp/enrol", json={"secret": CANARY}) as response:
            assert response.status in (200, 400, 401), response.status


async def _seeker_page(http: str, ticket: str) -> None:
    """What the seeker's browser asks besides the socket: the page, the service
    answer, a script, and the feedback (a good answer, and one carrying the canary)."""
    connector = aiohttp.TCPConnector(local_addr=(CLIENT_ADDRESS, 0))
    headers = {"User-Agent": SEEKER_AGENT, "Origin": http}
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        for path in ("/", "/api/service", "/static/seeker/js/app.mjs", f"/{CANARY}"):
            async with session.get(http + path) as response:
                await response.read()
        for body in ({"ticket": ticket, "answer": "helpful"}, {"ticket": CANARY, "answer": "no"}):
            async with session.post(f"{http}/api/feedback", json=body) as response:
                assert response.status in (204, 400), response.status


async def _administration(http: str) -> None:
    """A supervisor's administration from the client's address: reading staff, service
    and audit log, changing a queue and the settings, creating, disabling and resetting
    an account, and refused requests carrying the canary (a queue code, a setup token)."""
    connector = aiohttp.TCPConnector(local_addr=(CLIENT_ADDRESS, 0))
    async with aiohttp.ClientSession(
        connector=connector, headers={"User-Agent": STAFF_AGENT, "Origin": http}
    ) as session:
        keys = await _derive(session, http, "supervisor1", PASSWORD)
        async with session.post(
            f"{http}/api/login",
            json={"username": "supervisor1", "secret": b64u_encode(keys.login_secret)},
        ) as response:
            assert response.status == 200
            cookie = response.cookies["helpline_session"].value
            csrf = (await response.json())["csrf"]
        session.headers.update({"Cookie": f"helpline_session={cookie}", "X-CSRF-Token": csrf})
        for path in ("/api/admin/staff", "/api/admin/service", "/api/admin/audit"):
            async with session.get(http + path) as response:
                assert response.status == 200, path
        salt = secrets.token_bytes(16)
        new = {
            "salt": b64u_encode(salt),
            "secret": b64u_encode(derive_password_keys(PASSWORD, salt, 1000).login_secret),
            "iterations": 1000,
        }
        calls = [
            ("PUT", "/api/admin/service/queues/de", {"hours": {"mon": [["09:00", "17:00"]]}}, 200),
            ("PUT", f"/api/admin/service/queues/{CANARY}", {}, 400),
            ("PUT", "/api/admin/service/settings", {"transcripts": True}, 200),
            ("PUT", "/api/admin/service/settings", {"time_zone": CANARY}, 400),
            ("POST", "/api/admin/staff", {"username": "counsellor2", "role": "counsellor",
                                          "languages": ["de"], "capacity": 1, **new}, 201),
            ("POST", "/api/admin/staff/3", {"disabled": True}, 200),
            ("POST", "/api/admin/staff/3/password", new, 200),
            ("POST", "/api/setup", {"token": CANARY, "username": "x", **new}, 409),
        ]  # fmt: skip
        for method, path, body, status in calls:
            async with session.request(method, http + path, json=body) as response:
                assert response.status == status, (path, await response.text())
        await _supervision(session, http)


async def _supervision(session: aiohttp.ClientSession, http: str) -> None:
    """What a supervisor reads: the dashboard and its event stream, the history and
    its CSV (refused: too little data, or a refused language carrying the canary), and
    the metrics with their token."""
    await asyncio.sleep(1.5)  # the roll-up (every second here) counts the chat first
    today = time.strftime("%Y-%m-%d", time.gmtime())
    reads = [
        ("/api/admin/dashboard", (200,)),
        (f"/api/admin/history?period=day&date={today}", (200,)),
        (f"/api/admin/history?period=week&date={today}&language={CANARY}", (400,)),
        (f"/api/admin/history.csv?from={today}&to={today}", (200, 422)),
    ]
    for path, statuses in reads:
        async with session.get(http + path) as response:
            assert response.status in statuses, (path, await response.text())
            await response.read()
    async with session.get(f"{http}/api/admin/dashboard/events") as response:
        assert response.status == 200
        first = await asyncio.wait_for(response.content.readuntil(b"\n\n"), 10)
        assert b"event: dashboard" in first
    headers = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    async with session.get(f"{http}/metrics", headers=headers) as response:
        assert response.status == 200
        assert b"helpline_queue_waiting" in await response.read()


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


async def _wait_healthy(http: str, process: subprocess.Popen[bytes]) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            assert process.poll() is None, "the server exited"
            try:
                async with session.get(f"{http}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError("the server did not become healthy")


async def test_nothing_identifying_is_written(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = _env(data_dir)
    subprocess.run(
        [sys.executable, "-m", "helpline", "account", "add", "--username", "counsellor1",
         "--role", "counsellor", "--languages", "en", "--capacity", "2", "--password-stdin"],
        input=PASSWORD.encode(), env=env, check=True, capture_output=True, cwd=tmp_path,
    )  # fmt: skip
    subprocess.run(
        [sys.executable, "-m", "helpline", "account", "add", "--username", "supervisor1",
         "--role", "supervisor", "--password-stdin"],
        input=PASSWORD.encode(), env=env, check=True, capture_output=True, cwd=tmp_path,
    )  # fmt: skip
    port = free_port()
    out_path, err_path = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "helpline", "serve", "--port", str(port)],
            env=env, stdout=out, stderr=err, cwd=tmp_path,
        )  # fmt: skip
        try:
            http, ws_base = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"
            await _wait_healthy(http, process)
            await _chat(http, ws_base)
            await _administration(http)
            await asyncio.sleep(0.5)  # let the statistics row reach the database
            # While the server runs, SQLite's WAL (or journal) holds recent writes: read it now.
            running = _files(data_dir)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=15)
    assert any(name.endswith("-wal") for name in running), sorted(running)
    written = {**{f"{n} (while running)": c for n, c in running.items()}, **_files(data_dir)}
    written["stdout"] = out_path.read_bytes()
    written["stderr"] = err_path.read_bytes()
    assert any(name.startswith("helpline.sqlite3") for name in written), written.keys()
    assert b"DEBUG" in written["stderr"], "the server was not logging at its most verbose"
    # Without an organisation key the server runs in development mode and says so.
    assert b"WARNING: development mode" in written["stdout"]
    assert b"keys init-org" in written["stdout"]
    for path, content in written.items():
        for secret in (
            CANARY,
            CLIENT_ADDRESS,
            SEEKER_AGENT,
            STAFF_AGENT,
            "SeekerAgent",
            "StaffAgent",
        ):
            assert secret.encode() not in content, f"{secret!r} found in {path}"
