"""The whole helpline through its real interfaces: many seekers, several counsellors.

Three language queues, five counsellors with mixed languages and capacities,
fifty seekers. Everyone talks through ``helpline.client`` over real WebSockets
to a real server on a loopback port. The tests check that seekers are served
first come, first served within their language, and that every envelope
arrives exactly once and in order — also when connections are cut mid-chat
and resumed (docs/protocol.md §3, §4, §5).
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from dataclasses import dataclass, field

import pytest

from helpline.client import CounsellorClient, SeekerClient, login
from helpline.core import effects as fx
from helpline.web.keys import DATABASE
from helpline.wire import (
    Offer,
    RelayOut,
    SeekerChatEnded,
    SeekerMatched,
    StaffChatEnded,
    StaffMatched,
)
from tests.e2e.conftest import KDF_ITERATIONS, PASSWORD, RunningServer, ServerFactory

MESSAGES = 6  # each way, per chat
COUNSELLORS = {
    "anna": (("en",), 2),
    "bernd": (("de",), 1),
    "chloe": (("fr",), 1),
    "dirk": (("en", "de"), 3),
    "eva": (("de", "fr"), 2),
}
SEEKERS = 50


def seeker_text(index: int, n: int) -> str:
    return f"seeker{index}msg{n}"


def staff_text(chat_id: str, n: int) -> str:
    return f"staff{chat_id}msg{n}"


@dataclass
class Scenario:
    cut_connections: bool
    offers: list[str] = field(default_factory=list)  # chat ids in the order the server offered
    chat_of_seeker: dict[int, str] = field(default_factory=dict)
    staff_received: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    seeker_received: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    ended: set[str] = field(default_factory=set)


def spy_on_offers(server: RunningServer, scenario: Scenario) -> None:
    """Record the global order of offers as the server makes them (observation only)."""
    hub = server.hub
    run = hub.run

    def spying_run(effects: list[fx.Effect]) -> None:
        scenario.offers.extend(e.chat_id for e in effects if isinstance(e, fx.Offered))
        run(effects)

    hub.run = spying_run  # type: ignore[method-assign]


async def counsellor(
    server: RunningServer, name: str, scenario: Scenario, start: asyncio.Event, done: asyncio.Event
) -> None:
    languages, capacity = COUNSELLORS[name]
    client = CounsellorClient(
        server.ws, cookie=await login(server.http, name, PASSWORD, min_iterations=KDF_ITERATIONS)
    )
    await client.connect()
    await start.wait()
    await client.set_status("available", languages, capacity)
    sent: dict[str, int] = defaultdict(int)
    cut_done = False
    try:
        while not done.is_set():
            try:
                event = await client.next_event(timeout=0.2)
            except TimeoutError:
                continue
            if isinstance(event, Offer):
                await client.accept(event.chat_id)
            elif isinstance(event, StaffMatched):
                pass
            elif isinstance(event, RelayOut):
                chat = event.chat_id
                scenario.staff_received[chat].append(event.payload)
                sent[chat] += 1
                await client.send(staff_text(chat, sent[chat]), chat_id=chat)
                if sent[chat] == MESSAGES // 2 and scenario.cut_connections and not cut_done:
                    cut_done = True  # once per counsellor, in the middle of a chat
                    await client.drop()
                    await asyncio.sleep(random.uniform(0.0, 0.2))
                    await client.reconnect()
                    assert client.reconnects == 1
                if sent[chat] == MESSAGES:
                    await client.end(chat, outcome="support_given")
            elif isinstance(event, StaffChatEnded):
                pass
    finally:
        await client.close()


async def seeker(
    server: RunningServer, index: int, language: str, scenario: Scenario, joined: asyncio.Event
) -> None:
    client = SeekerClient(server.ws)
    await client.join(language)
    joined.set()
    matched = await client.expect(SeekerMatched, timeout=120)
    chat = matched.chat_id
    scenario.chat_of_seeker[index] = chat
    for n in range(1, MESSAGES + 1):
        await client.send(seeker_text(index, n))
        if n == MESSAGES // 2 and scenario.cut_connections:
            await client.drop()
            await asyncio.sleep(random.uniform(0.0, 0.2))
            await client.reconnect()
    assert client.reconnects == (1 if scenario.cut_connections else 0)
    ended = await client.expect(SeekerChatEnded, timeout=120)
    assert (ended.chat_id, ended.reason) == (chat, "counsellor_ended")
    scenario.seeker_received[index] = client.received_payloads(chat)
    scenario.ended.add(chat)
    await client.close()


@pytest.mark.parametrize("cut_connections", [False, True], ids=["steady", "cut-and-resumed"])
async def test_fifty_seekers_five_counsellors(
    server_factory: ServerFactory, cut_connections: bool
) -> None:
    random.seed(2026)
    server = await server_factory(offer_timeout_s=60.0, position_interval_s=0.2)
    for name, (languages, capacity) in COUNSELLORS.items():
        await server.add_staff(name, languages, capacity)
    scenario = Scenario(cut_connections)
    spy_on_offers(server, scenario)

    start, done = asyncio.Event(), asyncio.Event()
    staff_tasks = [
        asyncio.create_task(counsellor(server, name, scenario, start, done)) for name in COUNSELLORS
    ]
    languages = [random.choice(["en", "de", "fr"]) for _ in range(SEEKERS)]
    arrival: dict[str, list[int]] = defaultdict(list)
    seeker_tasks = []
    for index, language in enumerate(languages):
        joined = asyncio.Event()
        seeker_tasks.append(asyncio.create_task(seeker(server, index, language, scenario, joined)))
        await joined.wait()  # one at a time, so the arrival order is known
        arrival[language].append(index)
    start.set()  # every counsellor goes available only now: all 50 are waiting
    try:
        async with asyncio.timeout(180):
            await asyncio.gather(*seeker_tasks)
    finally:
        done.set()
        await asyncio.gather(*staff_tasks, return_exceptions=True)

    # First come, first served within each language.
    seeker_of_chat = {chat: index for index, chat in scenario.chat_of_seeker.items()}
    assert len(scenario.offers) == SEEKERS  # nobody offered twice: no offer expired
    served: dict[str, list[int]] = defaultdict(list)
    for chat in scenario.offers:
        index = seeker_of_chat[chat]
        served[languages[index]].append(index)
    assert served == arrival

    # Every envelope exactly once, in order, both ways.
    for index, chat in scenario.chat_of_seeker.items():
        assert scenario.staff_received[chat] == [
            seeker_text(index, n) for n in range(1, MESSAGES + 1)
        ]
        assert scenario.seeker_received[index] == [
            staff_text(chat, n) for n in range(1, MESSAGES + 1)
        ]
    assert scenario.ended == set(scenario.chat_of_seeker.values())
    # Every chat left one statistics row, with its outcome and nothing else about it.
    await asyncio.sleep(0.2)
    rows = await server.app[DATABASE].chat_stats.list_all()
    assert len(rows) == SEEKERS
    assert {row.outcome for row in rows} == {"support_given"}
    assert {row.end_reason for row in rows} == {"counsellor_ended"}
