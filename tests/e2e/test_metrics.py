"""GET /metrics on a real server: bearer token, the text format, only safe labels."""

from __future__ import annotations

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from helpline.core.staff import Role
from tests.e2e.conftest import PASSWORD, RunningServer, ServerFactory
from tests.e2e.raw import RawPeer, login

TOKEN = "metrics-token-for-tests-0123456789"  # a bearer token for tests only
ALLOWED_LABELS = {"language", "status"}


async def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str, dict[str, str]]:
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as response:
        return response.status, await response.text(), dict(response.headers)


async def staff_peer(server: RunningServer, username: str) -> RawPeer:
    peer = await RawPeer.staff(server.ws, server.http, await login(server.http, username, PASSWORD))
    await peer.recv("welcome")
    return peer


async def test_metrics_need_the_configured_token(server_factory: ServerFactory) -> None:
    server = await server_factory(metrics_token=TOKEN)
    url = f"{server.http}/metrics"
    status, _, headers = await get(url)
    assert status == 401
    assert headers["WWW-Authenticate"].startswith("Bearer")
    for wrong in ("Bearer nope", f"Basic {TOKEN}", f"Bearer {TOKEN}x", TOKEN, "Bearer "):
        assert (await get(url, {"Authorization": wrong}))[0] == 401, wrong
    status, text, headers = await get(url, {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert {f.name for f in text_string_to_metric_families(text)} >= {"helpline_queue_waiting"}


async def test_metrics_are_absent_without_a_token(server: RunningServer) -> None:
    status, _, _ = await get(f"{server.http}/metrics", {"Authorization": "Bearer "})
    assert status == 404
    assert (await get(f"{server.http}/metrics"))[0] == 404


async def test_metrics_hold_aggregates_only(server_factory: ServerFactory) -> None:
    server = await server_factory(metrics_token=TOKEN, resume_grace_s=60.0)
    await server.add_staff("anna", ("en",), capacity=2)
    await server.add_staff("bert", ("de",))
    await server.add_staff("sue", ("en",), role=Role.SUPERVISOR)
    anna = await staff_peer(server, "anna")
    bert = await staff_peer(server, "bert")  # connected, away
    # One seeker answered, one who gave up, one still waiting in German.
    first = await RawPeer.seeker(server.ws)
    await first.send(type="join", language="en")
    secrets = {(await first.recv("welcome"))["token"]}
    quitter = await RawPeer.seeker(server.ws)
    await quitter.send(type="join", language="en")
    secrets.add((await quitter.recv("welcome"))["token"])
    await quitter.send(type="leave")
    assert await quitter.closed_with() == 1000
    waiting = await RawPeer.seeker(server.ws)
    await waiting.send(type="join", language="de")
    secrets.add((await waiting.recv("welcome"))["token"])
    await anna.send(type="status", status="available", languages=["en"], capacity=2)
    offer = await anna.recv("offer")
    secrets.add(offer["chat_id"])
    await anna.send(type="accept", chat_id=offer["chat_id"])
    await anna.recv("matched")
    await first.recv("matched")

    status, text, _ = await get(f"{server.http}/metrics", {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        assert family.name.startswith("helpline_"), family.name
        for sample in family.samples:
            assert set(sample.labels) <= ALLOWED_LABELS, sample
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    for secret in secrets | {"anna", "bert", "sue", "127.0.0.1"}:
        assert secret not in text

    def value(name: str, **labels: str) -> float:
        return samples[(name, tuple(sorted(labels.items())))]

    assert value("helpline_queue_waiting", language="en") == 0
    assert value("helpline_queue_waiting", language="de") == 1
    assert value("helpline_queue_answered_last_hour", language="en") == 1
    assert value("helpline_queue_abandoned_last_hour", language="en") == 1
    assert value("helpline_queue_answered_total", language="en") == 1
    assert value("helpline_queue_abandoned_total", language="en") == 1
    assert value("helpline_queue_service_level_ratio", language="en") == 0.5
    assert ("helpline_queue_service_level_ratio", (("language", "de"),)) not in samples
    assert value("helpline_chats_active", language="en") == 1
    assert value("helpline_counsellors", language="en", status="available") == 1
    assert value("helpline_counsellors", language="de", status="away") == 1
    assert value("helpline_staff", status="available") == 1
    assert value("helpline_staff", status="away") == 1
    assert value("helpline_staff", status="offline") == 0
    assert value("helpline_help_requests_open") == 0
    assert value("helpline_service_level_target_seconds") == 60
    assert value("helpline_seeker_connections") == 2
    for peer in (anna, bert, first, waiting):
        await peer.close()
