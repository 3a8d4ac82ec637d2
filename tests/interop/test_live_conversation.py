"""Python and JavaScript HLP1 talk to each other through the real server.

A JavaScript peer (crypto/js, the browser implementation, in Node) and a
Python peer (crypto/, with helpline.client) hold a whole conversation over the
relay: certificate and revocation list checks, handshake, a message in every
padding bucket each way, the close frame. Both ways round: JavaScript seeker
with Python counsellor, Python seeker with JavaScript counsellor (which also
signs in with the password scheme and unwraps its identity key in JavaScript).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from crypto import session as hlp1
from crypto.certs import verify_revocation_list
from crypto.encoding import b64u_decode, b64u_encode
from helpline.client import CounsellorClient, SeekerClient
from helpline.wire import Offer, RelayOut, SeekerMatched, StaffMatched
from tests.browser.counsellor import register_identity
from tests.conftest import missing_service
from tests.e2e.conftest import PASSWORD, ServerFactory

PEER = Path(__file__).with_name("js_peer.mjs")
HEADER = 27  # HLP1 data frame header; the rest is exactly one padding bucket
BUCKETS = {256, 1024, 4096, 16384}
# One message per padding bucket (256, 1024, 4096, 16384 bytes of ciphertext).
TEXTS = ["hello", "é" * 250, "x" * 3000, "long " * 2400]
REPLIES = ["hi, I am here", "ü" * 240, "y" * 3500, "reply " * 2000]


def now() -> int:
    return int(time.time())


@pytest.fixture
def node() -> str:
    path = shutil.which("node")
    if path is None:
        missing_service("node is not installed")
    if not (Path(__file__).parents[2] / "node_modules" / "tweetnacl").is_dir():
        missing_service("node_modules/tweetnacl is missing: run npm ci")
    return path


async def run_peer(node: str, config: dict[str, Any]) -> asyncio.subprocess.Process:
    env = {**os.environ, "PEER_CONFIG": json.dumps(config)}
    return await asyncio.create_subprocess_exec(
        node, "--experimental-websocket", "--no-warnings", str(PEER),
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def peer_result(process: asyncio.subprocess.Process) -> dict[str, Any]:
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


async def test_javascript_seeker_python_counsellor(
    server_factory: ServerFactory, node: str
) -> None:
    server = await server_factory()
    await server.add_staff("pycounsellor", ("en",), identity=False)
    cookie, seed, cert = await register_identity(server.http, "pycounsellor")
    staff = CounsellorClient(server.ws, cookie=cookie)
    await staff.connect()
    await staff.set_status("available")
    peer = await run_peer(
        node, {"role": "seeker", "http": server.http, "ws": server.ws, "language": "en",
               "texts": TEXTS},
    )  # fmt: skip

    offer = await staff.expect(Offer, timeout=20)
    await staff.accept(offer.chat_id)
    chat_id = (await staff.expect(StaffMatched)).chat_id
    session = hlp1.CounsellorSession(b64u_decode(chat_id), seed, cert)
    received: list[str] = []
    safety_code = None
    js_buckets, py_buckets = set(), set()
    while len(received) < len(TEXTS):
        envelope = await staff.expect(RelayOut, timeout=20)
        payload = b64u_decode(envelope.payload)
        for event in session.receive(payload, now()):
            if isinstance(event, hlp1.Outgoing):
                await staff.send(b64u_encode(event.payload), chat_id=chat_id)
            elif isinstance(event, hlp1.Established):
                safety_code = event.safety_code
            elif isinstance(event, hlp1.Message):
                js_buckets.add(len(payload) - HEADER)
                received.append(event.text)
                reply = session.send_message(REPLIES[len(received) - 1])
                py_buckets.add(len(reply) - HEADER)
                await staff.send(b64u_encode(reply), chat_id=chat_id)
    await staff.send(b64u_encode(session.send_close("done")), chat_id=chat_id)
    result = await peer_result(peer)
    await staff.end(chat_id, outcome="support_given")
    await staff.close()

    assert received == TEXTS
    assert result["received"] == REPLIES
    assert js_buckets == py_buckets == BUCKETS  # every bucket, each way
    assert result["safetyCode"] == safety_code is not None
    assert result["handle"] == "pycounsellor"


async def test_python_seeker_javascript_counsellor(
    server_factory: ServerFactory, node: str
) -> None:
    server = await server_factory()
    await server.add_staff("jscounsellor", ("en",), identity=False)
    peer = await run_peer(
        node, {"role": "counsellor", "http": server.http, "ws": server.ws, "language": "en",
               "texts": REPLIES, "expect": len(TEXTS), "username": "jscounsellor",
               "password": PASSWORD},
    )  # fmt: skip
    async with aiohttp.ClientSession() as http, http.get(f"{server.http}/api/crypto") as r:
        info = await r.json()
    org_pub = b64u_decode(info["org_public_key"])
    revocations = verify_revocation_list(org_pub, b64u_decode(info["revocation_list"]), now())

    seeker = SeekerClient(server.ws)
    await seeker.join("en")
    chat_id = (await seeker.expect(SeekerMatched, timeout=20)).chat_id
    session = hlp1.SeekerSession(b64u_decode(chat_id), org_pub, revocations)
    await seeker.send(b64u_encode(session.hello(now())))
    received: list[str] = []
    established = None
    closed = False
    js_buckets, py_buckets = set(), set()
    while not closed:
        envelope = await seeker.expect(RelayOut, timeout=20)
        payload = b64u_decode(envelope.payload)
        for event in session.receive(payload, now()):
            if isinstance(event, hlp1.Outgoing):
                await seeker.send(b64u_encode(event.payload))
            elif isinstance(event, hlp1.Established):
                established = event
                for text in TEXTS:
                    frame = session.send_message(text)
                    py_buckets.add(len(frame) - HEADER)
                    await seeker.send(b64u_encode(frame))
            elif isinstance(event, hlp1.Message):
                js_buckets.add(len(payload) - HEADER)
                received.append(event.text)
            elif isinstance(event, hlp1.PeerClosed):
                closed = True
    result = await peer_result(peer)
    await seeker.close()

    assert received == REPLIES
    assert result["received"] == TEXTS
    assert js_buckets == py_buckets == BUCKETS  # every bucket, each way
    assert established is not None
    assert established.handle == "jscounsellor"
    assert result["safetyCode"] == established.safety_code
