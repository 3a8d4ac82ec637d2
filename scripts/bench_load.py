"""The benchmark's load generator: one process, on uvloop, with a lean WebSocket client.

It drives either server with the same frames: Helpline's protocol frames
(``relay`` with a sequence number and a payload the size of an HLP1 envelope
in the 1 KiB bucket, cumulative ``ack``\\s). The raw relay forwards every frame
verbatim, acknowledgements included, so it moves exactly the frames Helpline
moves; the sender reads the forwarded ``ack`` where Helpline sends
``delivered``. Both servers therefore see the same traffic, and this process
does the same work for both (scripts/bench_ws.py says why it has its own
client).

Run by scripts/bench.py; one scenario per run, the result as one JSON line:

    python scripts/bench_load.py '{"scenario": "throughput", "target": "raw", ...}'

Server CPU and memory are read here from /proc/PID, at the moments that
bound each measurement window.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import random
import re
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bench_ws import WsClient

HEADER_BYTES = 27  # crypto/frames.py: an HLP1 envelope is its header plus the bucket
PAYLOAD = base64.urlsafe_b64encode(os.urandom(HEADER_BYTES + 1024)).rstrip(b"=").decode()
WINDOW = 64  # Helpline's window_frames: the most envelopes unacknowledged per direction
ACK_EVERY = 16  # the pipelined receiver acknowledges every 16th envelope (a quarter window)
FAKE_CHAT_ID = "A" * 22  # the raw relay has no chats: the same frame sizes all the same
CONNECT_CONCURRENCY = 200
SCENARIO_TIMEOUT_S = 240  # a scenario that takes longer has gone wrong: fail, do not hang

REFUSED: list[str] = []  # error frames the server sent during a scenario

_KIND_SEQ = re.compile(r'"type":"(\w+)"(?:,"chat_id":"[^"]*")?,"seq":(\d+)')
_TICK = os.sysconf("SC_CLK_TCK")


def server_cpu_s(pid: int) -> float:
    """User plus system CPU seconds the server process has used so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def server_rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# -- one side of a chat ----------------------------------------------------------------


@dataclass(eq=False)
class Side:
    """One end of a chat: seeker or counsellor (raw: either end of a pair)."""

    ws: WsClient
    chat_id: str | None  # None: a seeker, whose frames need no chat id
    peer: Side | None = None
    sent: int = 0  # highest seq sent
    delivered: int = 0  # highest seq the peer acknowledged
    send_times: dict[int, float] = field(default_factory=dict)

    def relay(self, seq: int) -> str:
        if self.chat_id is None:
            return '{"v":1,"type":"relay","seq":' + str(seq) + ',"payload":"' + PAYLOAD + '"}'
        return (
            '{"v":1,"type":"relay","chat_id":"'
            + self.chat_id
            + '","seq":'
            + str(seq)
            + ',"payload":"'
            + PAYLOAD
            + '"}'
        )

    def ack(self, seq: int) -> str:
        if self.chat_id is None:
            return '{"v":1,"type":"ack","seq":' + str(seq) + "}"
        return '{"v":1,"type":"ack","chat_id":"' + self.chat_id + '","seq":' + str(seq) + "}"

    def listen(
        self, on_relay: Callable[[Side, int], None], on_delivered: Callable[[Side], None]
    ) -> None:
        """Relay frames go to ``on_relay``; acknowledgements (Helpline's ``delivered``,
        the raw relay's forwarded ``ack``) to ``on_delivered``; the rest is ignored."""
        search = _KIND_SEQ.search

        def on_text(text: str) -> None:
            match = search(text, 0, 120)
            if match is None:
                return  # pong, peer, position: not part of the measurement
            kind = match.group(1)
            if kind == "relay":
                on_relay(self, int(match.group(2)))
            elif kind == "delivered" or kind == "ack":
                seq = int(match.group(2))
                if seq > self.delivered:
                    self.delivered = seq
                    on_delivered(self)
            elif kind == "error":
                REFUSED.append(text[:200])  # raised at the end: not inside data_received

        self.ws.on_text = on_text


@dataclass
class Pair:
    seeker: Side
    counsellor: Side

    def sides(self) -> tuple[Side, Side]:
        return self.seeker, self.counsellor


# -- connecting --------------------------------------------------------------------


async def receive_json(ws: WsClient, *types: str) -> dict[str, Any]:
    """The next frame of one of ``types`` (others, such as position updates, skipped)."""
    while True:
        text = await ws.receive()
        if text is None:
            raise RuntimeError(f"connection ended while waiting for {types}")
        frame: dict[str, Any] = json.loads(text)
        if frame["type"] in types:
            return frame
        if frame["type"] == "error":
            raise RuntimeError(f"server refused a frame: {frame}")


async def bounded(jobs: list[Callable[[], Awaitable[Any]]], limit: int) -> list[Any]:
    semaphore = asyncio.Semaphore(limit)

    async def one(job: Callable[[], Awaitable[Any]]) -> Any:
        async with semaphore:
            return await job()

    return await asyncio.gather(*(one(job) for job in jobs))


async def join_seeker(base: str, language: str) -> WsClient:
    ws = await WsClient.connect(base, "/ws/seeker")
    ws.send('{"v":1,"type":"join","language":"' + language + '"}')
    await receive_json(ws, "queue")
    return ws


async def connect_staff(base: str, token: str, attempts: int = 10) -> WsClient:
    """A staff connection, trying again after a 503 as real clients do (a server
    whose database is busy with a storm of sign-ins answers 503 and Retry-After)."""
    for attempt in range(attempts):
        try:
            return await WsClient.connect(base, "/ws/staff", token)
        except ConnectionError as exc:
            if "503" not in str(exc) or attempt == attempts - 1:
                raise
            await asyncio.sleep(0.5 * (attempt + 1) * (0.5 + random.random()))
    raise AssertionError("unreachable")


async def counsellor_available(base: str, token: str, languages: list[str]) -> WsClient:
    ws = await connect_staff(base, token)
    await receive_json(ws, "welcome")
    ws.send(
        json.dumps(
            {"v": 1, "type": "status", "status": "available", "languages": languages, "capacity": 1}
        )
    )
    # A connection that takes over from a recent one of the same account (the scenario
    # before, on the same server) may be offered a chat before the status reply comes.
    early: list[str] = []
    while (text := await ws.receive()) is not None and '"type":"status"' not in text:
        early.append(text)
    ws.put_back(early)
    return ws


async def open_pairs(args: dict[str, Any], count: int) -> list[Pair]:
    """``count`` open chats: matched seeker and counsellor (raw: joined pairs)."""
    base = args["base"]
    if args["target"] == "raw":

        async def raw_pair(number: int) -> Pair:
            a = await WsClient.connect(base, f"/pair/{number}")
            b = await WsClient.connect(base, f"/pair/{number}")
            return Pair(Side(a, None), Side(b, FAKE_CHAT_ID))

        pairs = await bounded([lambda n=n: raw_pair(n) for n in range(count)], CONNECT_CONCURRENCY)
    else:
        seekers = await bounded([lambda: join_seeker(base, "en")] * count, CONNECT_CONCURRENCY)

        async def counsellor(token: str) -> Side:
            ws = await counsellor_available(base, token, ["en"])
            offer = await receive_json(ws, "offer")
            ws.send('{"v":1,"type":"accept","chat_id":"' + offer["chat_id"] + '"}')
            matched = await receive_json(ws, "matched")
            return Side(ws, matched["chat_id"])

        counsellors = await bounded(
            [lambda t=t: counsellor(t) for t in args["tokens"][:count]], CONNECT_CONCURRENCY
        )

        async def matched(ws: WsClient) -> tuple[str, Side]:
            frame = await receive_json(ws, "matched")
            return frame["chat_id"], Side(ws, None)

        by_chat = dict(await asyncio.gather(*(matched(ws) for ws in seekers)))
        pairs = [Pair(by_chat[c.chat_id], c) for c in counsellors if c.chat_id is not None]
    for pair in pairs:
        pair.seeker.peer, pair.counsellor.peer = pair.counsellor, pair.seeker
    if len(pairs) != count:
        raise RuntimeError(f"only {len(pairs)} of {count} chats opened")
    return pairs


async def close_all(sockets: list[WsClient], leave: bool = False) -> None:
    for ws in sockets:
        ws.on_text = None
        if leave:  # a seeker that leaves is forgotten at once, not kept for a resume
            ws.send('{"v":1,"type":"leave"}')
        ws.close()
    if sockets:
        await asyncio.wait([asyncio.ensure_future(ws.closed) for ws in sockets], timeout=10)


async def close_pairs(args: dict[str, Any], pairs: list[Pair]) -> None:
    """Helpline's seekers leave (ending their chats), so that the next scenario on the
    same server finds its counsellors free; then every connection closes."""
    if args["target"] == "helpline":
        loop = asyncio.get_running_loop()
        ended: list[asyncio.Future[None]] = []
        for pair in pairs:
            done = loop.create_future()
            ended.append(done)

            def on_text(text: str, done: asyncio.Future[None] = done) -> None:
                if '"type":"chat_ended"' in text and not done.done():
                    done.set_result(None)

            pair.counsellor.ws.on_text = on_text
            pair.seeker.ws.on_text = None
            pair.seeker.ws.send('{"v":1,"type":"leave"}')
        await asyncio.wait(ended, timeout=30)  # every chat ended before its counsellor goes
    await close_all(pair_sockets(pairs))


def pair_sockets(pairs: list[Pair]) -> list[WsClient]:
    return [side.ws for pair in pairs for side in pair.sides()]


def all_sides(pairs: list[Pair]) -> list[Side]:
    return [side for pair in pairs for side in pair.sides()]


# -- scenarios ---------------------------------------------------------------------


async def throughput(args: dict[str, Any]) -> dict[str, Any]:
    """Pipelined: every side keeps a full window in flight; envelopes relayed per second."""
    pairs = await open_pairs(args, args["pairs"])
    counted = [0]

    def top_up(side: Side) -> None:
        send, sent = side.ws.send, side.sent
        while sent - side.delivered < WINDOW:
            sent += 1
            send(side.relay(sent))
        side.sent = sent

    def on_relay(side: Side, seq: int) -> None:
        counted[0] += 1
        if seq % ACK_EVERY == 0:
            side.ws.send(side.ack(seq))

    sides = all_sides(pairs)
    for side in sides:
        side.listen(on_relay, top_up)
    for side in sides:
        top_up(side)
    await asyncio.sleep(args["warmup_s"])
    start_count, start_cpu, start = counted[0], server_cpu_s(args["pid"]), time.perf_counter()
    await asyncio.sleep(args["duration_s"])
    frames, cpu, elapsed = (
        counted[0] - start_count,
        server_cpu_s(args["pid"]) - start_cpu,
        time.perf_counter() - start,
    )
    await close_pairs(args, pairs)
    return {"frames_per_s": frames / elapsed, "server_cores": cpu / elapsed}


async def paced(args: dict[str, Any]) -> dict[str, Any]:
    """Each side sends ``rate`` envelopes a second; each received envelope is acknowledged
    at once. Latency: from just before the send to the peer reading it (one clock)."""
    pairs = await open_pairs(args, args["pairs"])
    interval, measuring = 1.0 / args["rate"], [False]
    latencies: list[float] = []
    loop = asyncio.get_running_loop()
    clock = time.perf_counter

    def on_relay(side: Side, seq: int) -> None:
        sent_at = side.peer.send_times.pop(seq, None) if side.peer else None
        if sent_at is not None and measuring[0]:
            latencies.append(clock() - sent_at)
        side.ws.send(side.ack(seq))

    def send_next(side: Side) -> None:
        loop.call_later(interval, send_next, side)
        if side.sent - side.delivered >= WINDOW:
            return  # never happens at this rate unless the server stalls
        side.sent += 1
        side.send_times[side.sent] = clock()
        side.ws.send(side.relay(side.sent))

    sides = all_sides(pairs)
    for side in sides:
        side.listen(on_relay, lambda side: None)
        loop.call_later(random.random() * interval, send_next, side)
    await asyncio.sleep(args["warmup_s"])
    measuring[0] = True
    start_cpu, start = server_cpu_s(args["pid"]), clock()
    await asyncio.sleep(args["duration_s"])
    cpu, elapsed = server_cpu_s(args["pid"]) - start_cpu, clock() - start
    measuring[0] = False
    await close_pairs(args, pairs)
    ms = [x * 1000 for x in latencies]
    return {
        "p50_ms": percentile(ms, 0.50),
        "p99_ms": percentile(ms, 0.99),
        "frames_per_s": len(ms) / elapsed,
        "server_cores": cpu / elapsed,
    }


async def waiting_seekers(
    args: dict[str, Any], count: int, prefix: str, languages: list[str]
) -> list[WsClient]:
    base = args["base"]
    if args["target"] == "raw":
        return await bounded(
            [lambda n=n: WsClient.connect(base, f"/pair/{prefix}{n}") for n in range(count)],
            CONNECT_CONCURRENCY,
        )
    return await bounded(
        [lambda n=n: join_seeker(base, languages[n % len(languages)]) for n in range(count)],
        CONNECT_CONCURRENCY,
    )


async def idle_memory(args: dict[str, Any]) -> dict[str, Any]:
    """Server memory per connection: waiting seekers, or (``matched``) open chats.
    A first batch warms the server up; the figure is the growth after it."""
    languages = args["languages"]
    # In the chats figure the warm seekers wait in other queues than the chats' ("en").
    warm_languages = languages[1:] if args["matched"] else languages
    warm = await waiting_seekers(args, args["warm"], "warm", warm_languages)
    await asyncio.sleep(0.5)
    before = server_rss(args["pid"])
    if args["matched"]:
        sockets = pair_sockets(await open_pairs(args, args["count"] // 2))
    else:
        sockets = await waiting_seekers(args, args["count"], "idle", languages)
    await asyncio.sleep(1.0)
    after = server_rss(args["pid"])
    helpline = args["target"] == "helpline"
    await close_all(sockets, leave=helpline and not args["matched"])
    await close_all(warm, leave=helpline)
    return {"bytes_per_connection": (after - before) / len(sockets)}


async def burst(args: dict[str, Any]) -> dict[str, Any]:
    """Seekers arriving all at once: connect and join (raw: connect) as fast as possible.
    For each, the time from starting to connect until the server told its position."""
    base, languages, helpline = args["base"], args["languages"], args["target"] == "helpline"
    told: list[float] = []

    async def arrive(number: int) -> WsClient:
        started = time.perf_counter()
        if helpline:
            ws = await join_seeker(base, languages[number % len(languages)])
        else:
            ws = await WsClient.connect(base, f"/pair/burst{number}")
        told.append(time.perf_counter() - started)
        return ws

    start_cpu, start = server_cpu_s(args["pid"]), time.perf_counter()
    sockets = await bounded(
        [lambda n=n: arrive(n) for n in range(args["count"])], args["concurrency"]
    )
    elapsed = time.perf_counter() - start
    cpu = server_cpu_s(args["pid"]) - start_cpu
    await close_all(sockets, leave=helpline)
    ms = [x * 1000 for x in told]
    return {
        "per_s": len(sockets) / elapsed,
        "told_p50_ms": percentile(ms, 0.5),
        "told_p99_ms": percentile(ms, 0.99),
        "server_cores": cpu / elapsed,
    }


async def queue_scaling(args: dict[str, Any]) -> dict[str, Any]:
    """``waiting`` seekers in five languages; counsellors take ``match_rate`` chats a second.
    Every seeker whose chat ended is replaced by a new one joining at the back, so the
    queues stay as long. Figures: matches a second, server CPU per match (with its
    replacement join), join-to-position time of the replacements, position updates a
    second."""
    base, languages = args["base"], args["languages"]
    measuring, stopping = [False], False
    loop = asyncio.get_running_loop()
    # Each chat lasts this long, so that the counsellors together take ``match_rate``
    # chats a second: a steady load, not one that saturates the server (then every
    # figure would only measure the backlog).
    hold_s = args["counsellors"] / args["match_rate"]
    counts = {"matches": 0, "positions": 0}
    join_ms: list[float] = []
    tasks: set[asyncio.Task[None]] = set()

    def spawn(job: Awaitable[None]) -> None:
        task = asyncio.ensure_future(job)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    async def seeker(language: str, ready: asyncio.Future[None] | None) -> None:
        try:
            await one_seeker(language, ready)
        except Exception as exc:
            if ready is not None and not ready.done():
                ready.set_exception(exc)  # the setup waits for it: fail, do not hang
            raise

    async def one_seeker(language: str, ready: asyncio.Future[None] | None) -> None:
        started = time.perf_counter()
        ws = await WsClient.connect(base, "/ws/seeker")
        ws.send('{"v":1,"type":"join","language":"' + language + '"}')
        told = False
        while (text := await ws.receive(timeout=600)) is not None:
            kind = text[15:22]
            if kind.startswith("queue"):
                if not told:
                    told = True
                    if ready is not None:
                        ready.set_result(None)
                    elif measuring[0]:
                        join_ms.append((time.perf_counter() - started) * 1000)
                elif measuring[0]:
                    counts["positions"] += 1
            elif kind.startswith("chat_en"):
                break
        ws.close()
        if not stopping:
            spawn(seeker(language, None))  # the next one joins at the back

    async def counsellor(token: str) -> None:
        ws = await counsellor_available(base, token, languages)
        while (text := await ws.receive(timeout=600)) is not None:
            frame = json.loads(text)
            if frame["type"] == "offer":
                ws.send('{"v":1,"type":"accept","chat_id":"' + frame["chat_id"] + '"}')
            elif frame["type"] == "matched":
                if stopping:
                    break
                if measuring[0]:
                    counts["matches"] += 1
                end = '{"v":1,"type":"end","chat_id":"' + frame["chat_id"] + '"}'
                loop.call_later(hold_s, ws.send, end)
            elif frame["type"] == "error":
                raise RuntimeError(f"server refused a frame: {frame}")

    readies: list[asyncio.Future[None]] = []
    for number in range(args["waiting"]):
        readies.append(loop.create_future())
        spawn(seeker(languages[number % len(languages)], readies[-1]))
        if number % CONNECT_CONCURRENCY == CONNECT_CONCURRENCY - 1:
            await asyncio.gather(*readies[-CONNECT_CONCURRENCY:])
    await asyncio.gather(*readies)
    for token in args["tokens"][: args["counsellors"]]:
        spawn(counsellor(token))
    await asyncio.sleep(args["warmup_s"])
    measuring[0] = True
    start_cpu, start = server_cpu_s(args["pid"]), time.perf_counter()
    await asyncio.sleep(args["duration_s"])
    cpu, elapsed = server_cpu_s(args["pid"]) - start_cpu, time.perf_counter() - start
    measuring[0] = False
    # No new seekers, then a moment for connections being opened to open (uvloop does
    # not always finish cancelling a connect in progress), then stop the rest.
    stopping = True
    await asyncio.sleep(0.5)
    for task in list(tasks):
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    matches = counts["matches"]
    return {
        "matches_per_s": matches / elapsed,
        "cpu_us_per_match": cpu / matches * 1e6 if matches else float("nan"),
        "join_p50_ms": percentile(join_ms, 0.5),
        "join_p99_ms": percentile(join_ms, 0.99),
        "positions_per_s": counts["positions"] / elapsed,
        "server_cores": cpu / elapsed,
    }


SCENARIOS: dict[str, Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]] = {
    "throughput": throughput,
    "paced": paced,
    "idle_memory": idle_memory,
    "burst": burst,
    "queue_scaling": queue_scaling,
}


async def run(args: dict[str, Any]) -> dict[str, Any]:
    async with asyncio.timeout(SCENARIO_TIMEOUT_S):
        result = await SCENARIOS[args["scenario"]](args)
    if REFUSED:
        raise RuntimeError(f"the server refused {len(REFUSED)} frames, the first: {REFUSED[0]}")
    return result


def main() -> None:
    args = json.loads(sys.argv[1])
    if args.get("tokens_file"):
        with open(args["tokens_file"]) as tokens:
            args["tokens"] = json.load(tokens)
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    result = runner(run(args))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
