"""How frames reach a socket: queued without waiting, written once per turn of the loop,
held while the socket is full, cut at the bound (helpline/web/connection.py, §5).

The connection runs against a fake transport that records what is written and can be
paused for writing, as asyncio's flow control does to a receiver that reads slowly.
"""

from __future__ import annotations

import asyncio
import json
import struct
from typing import cast

import pytest
from aiohttp import web
from aiohttp.abc import AbstractStreamWriter

from helpline.core.ratelimit import TokenBucket
from helpline.web.connection import (
    CLOSE_TOO_SLOW,
    Connection,
    Outgoing,
    text_frame,
)


class FakeTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []  # one entry per writelines call
        self.aborted = False
        self.closing = False
        self.fail = False

    def writelines(self, parts: list[bytes]) -> None:
        if self.fail:
            raise ConnectionResetError("gone")
        self.writes.append(b"".join(parts))

    def is_closing(self) -> bool:
        return self.closing or self.aborted

    def abort(self) -> None:
        self.aborted = True


class FakeProtocol:
    """What Connection reads of aiohttp's protocol: flow control and the transport."""

    def __init__(self) -> None:
        self.transport: FakeTransport | None = FakeTransport()
        self.writing_paused = False
        self.drained = asyncio.Event()

    def pause(self) -> None:
        self.writing_paused = True
        self.drained.clear()

    def resume(self) -> None:
        self.writing_paused = False
        self.drained.set()


class FakeWriter:
    """ws.prepare()'s stream writer: drain() waits while the socket is full."""

    def __init__(self, protocol: FakeProtocol) -> None:
        self.protocol = protocol

    async def drain(self) -> None:
        if self.protocol.writing_paused:
            await self.protocol.drained.wait()


class FakeRequest:
    def __init__(self, protocol: FakeProtocol) -> None:
        self.protocol = protocol


class FakeSocket:
    """The WebSocketResponse: whether the closing handshake began, and close()."""

    def __init__(self, transport: FakeTransport) -> None:
        self.closed = False
        self.close_code: int | None = None
        self.transport = transport
        self.writes_before_close: int | None = None

    async def close(self, *, code: int, message: bytes) -> bool:
        self.closed = True
        self.close_code = code
        self.writes_before_close = len(self.transport.writes)
        return True


class Peer:
    """A connection with its fakes."""

    def __init__(self, outgoing: Outgoing, max_frames: int = 8, max_bytes: int = 10_000) -> None:
        self.protocol = FakeProtocol()
        assert self.protocol.transport is not None
        self.transport = self.protocol.transport
        self.ws = FakeSocket(self.transport)
        self.conn = Connection(
            1,
            "seeker",
            cast(web.WebSocketResponse, self.ws),
            cast(AbstractStreamWriter, FakeWriter(self.protocol)),
            cast(web.Request, FakeRequest(self.protocol)),
            outgoing=outgoing,
            max_frames=max_frames,
            max_bytes=max_bytes,
            flood=TokenBucket(1000, 1000, 0.0),
        )

    def frames(self) -> list[str]:
        """Every text frame written so far, parsed back from the byte stream (RFC 6455)."""
        return parse_frames(b"".join(self.transport.writes))


def parse_frames(stream: bytes) -> list[str]:
    texts = []
    at = 0
    while at < len(stream):
        first, second = stream[at], stream[at + 1]
        assert first == 0x81, "a final, unfragmented text frame"
        assert not second & 0x80, "a server's frames are not masked"
        size, at = second & 0x7F, at + 2
        if size == 126:
            (size,), at = struct.unpack_from("!H", stream, at), at + 2
        elif size == 127:
            (size,), at = struct.unpack_from("!Q", stream, at), at + 8
        texts.append(stream[at : at + size].decode())
        at += size
    return texts


async def next_turn() -> None:
    """Let the loop run the callbacks scheduled so far (the flush among them)."""
    for _ in range(3):
        await asyncio.sleep(0)


@pytest.fixture
def outgoing() -> Outgoing:
    return Outgoing()


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 200_000])
def test_text_frame_headers_follow_rfc_6455(size: int) -> None:
    data = b"x" * size
    assert parse_frames(text_frame(data) + data) == ["x" * size]


async def test_frames_of_one_turn_go_out_in_one_write_in_order(outgoing: Outgoing) -> None:
    """One system call for a burst to the same receiver, where one each cost one apiece."""
    peer = Peer(outgoing)
    for n in range(5):
        peer.conn.send(json.dumps({"n": n}))
    assert peer.transport.writes == []  # send() never writes by itself
    await next_turn()
    assert len(peer.transport.writes) == 1
    assert [json.loads(text)["n"] for text in peer.frames()] == [0, 1, 2, 3, 4]
    peer.conn.send("later")
    await next_turn()
    assert len(peer.transport.writes) == 2
    assert peer.frames()[-1] == "later"


async def test_every_connection_of_a_turn_is_flushed(outgoing: Outgoing) -> None:
    peers = [Peer(outgoing) for _ in range(3)]
    for n, peer in enumerate(peers):
        peer.conn.send(f"to {n}")
    await next_turn()
    assert [peer.frames() for peer in peers] == [["to 0"], ["to 1"], ["to 2"]]


async def test_an_idle_connection_runs_no_task(outgoing: Outgoing) -> None:
    """Memory per idle connection: no writer task waits on each socket."""
    before = len(asyncio.all_tasks())
    peers = [Peer(outgoing) for _ in range(10)]
    for peer in peers:
        peer.conn.send("hello")
    await next_turn()
    assert len(asyncio.all_tasks()) == before


async def test_a_full_socket_holds_frames_until_it_drains(outgoing: Outgoing) -> None:
    """Nothing is written while the transport is paused; afterwards everything, in order."""
    peer = Peer(outgoing, max_frames=100)
    peer.protocol.pause()
    for n in range(3):
        peer.conn.send(f"m{n}")
    await next_turn()
    assert peer.transport.writes == []
    peer.conn.send("m3")  # queued behind the others, never ahead of them
    peer.protocol.resume()
    await next_turn()
    assert peer.frames() == ["m0", "m1", "m2", "m3"]
    peer.conn.send("m4")  # and written at the end of the turn again
    await next_turn()
    assert peer.frames()[-1] == "m4"
    assert len(asyncio.all_tasks()) == 1  # the drain task is gone (only this test runs)


async def test_a_long_queue_is_written_in_chunks_as_the_socket_drains(outgoing: Outgoing) -> None:
    peer = Peer(outgoing, max_frames=1000, max_bytes=10_000_000)
    peer.protocol.pause()
    texts = ["y" * 10_000 for _ in range(20)]  # 200 KB: several chunks of 64 KiB
    for text in texts:
        peer.conn.send(text)
    await next_turn()
    peer.protocol.resume()
    await next_turn()
    assert len(peer.transport.writes) > 1
    assert all(len(write) < 64 * 1024 + 10_010 for write in peer.transport.writes)
    assert peer.frames() == texts


async def test_a_slow_receiver_is_cut_at_the_bound(outgoing: Outgoing) -> None:
    """Over outbox_frames queued while the socket is full: cut (4008), not even a close frame."""
    peer = Peer(outgoing, max_frames=4)
    peer.protocol.pause()
    for n in range(4):
        peer.conn.send(f"m{n}")
    assert not peer.transport.aborted
    peer.conn.send("one too many")
    assert peer.transport.aborted
    assert peer.conn.closing
    peer.conn.send("after")  # dropped
    peer.protocol.resume()
    await next_turn()
    assert peer.transport.writes == []
    assert peer.ws.close_code is None
    await peer.conn.finish()


async def test_the_byte_bound_counts_too(outgoing: Outgoing) -> None:
    peer = Peer(outgoing, max_frames=100, max_bytes=1000)
    peer.protocol.pause()
    peer.conn.send("a" * 600)
    peer.conn.send("b" * 600)
    assert peer.transport.aborted
    assert CLOSE_TOO_SLOW == 4008
    await peer.conn.finish()


async def test_close_writes_what_was_queued_first(outgoing: Outgoing) -> None:
    peer = Peer(outgoing)
    peer.conn.send("last words")
    peer.conn.close(1000, "bye")
    peer.conn.send("too late")  # dropped: the close is decided
    await next_turn()
    assert peer.frames() == ["last words"]
    assert peer.ws.close_code == 1000
    assert peer.ws.writes_before_close == 1


async def test_abort_drops_what_was_queued(outgoing: Outgoing) -> None:
    peer = Peer(outgoing)
    peer.conn.send("never")
    peer.conn.abort(4009, "flooding")
    await next_turn()
    assert peer.transport.writes == []
    assert peer.ws.close_code == 4009


async def test_nothing_is_written_after_the_closing_handshake_began(outgoing: Outgoing) -> None:
    """No data frame may follow a close frame (RFC 6455 §5.5.1)."""
    peer = Peer(outgoing)
    peer.conn.send("racing the close")
    peer.ws.closed = True  # aiohttp answered the peer's close meanwhile
    await next_turn()
    assert peer.transport.writes == []
    assert peer.conn.closing


async def test_a_lost_connection_is_not_written_to(outgoing: Outgoing) -> None:
    peer = Peer(outgoing)
    peer.conn.send("gone")
    peer.protocol.transport = None
    await next_turn()
    assert peer.transport.writes == []
    assert peer.conn.closing


async def test_one_failing_write_does_not_stop_the_others(outgoing: Outgoing) -> None:
    """A receiver's failure never reaches the sender, nor the other receivers."""
    broken, fine = Peer(outgoing), Peer(outgoing)
    broken.transport.fail = True
    broken.conn.send("lost")
    fine.conn.send("delivered")
    await next_turn()
    assert broken.conn.closing
    assert fine.frames() == ["delivered"]


async def test_a_connection_lost_while_full_ends_its_drain_task(outgoing: Outgoing) -> None:
    peer = Peer(outgoing)
    peer.protocol.pause()
    peer.conn.send("stuck")
    await next_turn()
    peer.protocol.transport = None  # lost, still marked paused: drain() would not wait
    peer.protocol.drained.set()
    await next_turn()
    assert len(asyncio.all_tasks()) == 1
    await peer.conn.finish()
