"""A harness for the sans-I/O switchboard: a manual clock, numbered connections, stories.

Nothing here awaits. A test builds a :class:`Harness`, lets seekers and counsellors
act through small handles, moves time with :meth:`Harness.advance` (which ticks),
and reads the effects with the ``assert_*`` helpers::

    h = Harness(languages=("en",))
    alice = h.counsellor(languages=("en",), available=True)
    bob = h.seeker("en")
    offer = assert_sent(bob.effects, Offered, conn=alice.conn)

Connection ids and account ids start at 0 on purpose: a falsy id must work like
any other.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import pytest

from helpline.core.effects import (
    ChatOpened,
    CloseConnection,
    Effect,
    Offered,
    SeekerWelcome,
)
from helpline.core.participants import CoreSettings
from helpline.core.staff import Role, StaffAccount
from helpline.core.stats import ChatSummary
from helpline.core.switchboard import Switchboard
from helpline.errors import ProtocolError

E = TypeVar("E")

#: Not a multiple of 60, so that minute rounding is visible in statistics rows.
START = 1_700_000_007.0


class Clock:
    """A clock that moves only when told to."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def advance(self, seconds: float) -> float:
        assert seconds >= 0
        self.now += seconds
        return self.now


class CountingIds:
    """A deterministic id source: every call returns fresh bytes (never repeats)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, n: int) -> bytes:
        self.calls += 1
        return self.calls.to_bytes(n, "big")


# -- effect assertions ---------------------------------------------------------


def sent(effects: Iterable[Effect], kind: type[E], **fields: Any) -> list[E]:
    """The effects of type ``kind`` whose attributes equal ``fields``."""
    return [
        e
        for e in effects
        if isinstance(e, kind) and all(getattr(e, k) == v for k, v in fields.items())
    ]


def assert_sent(effects: Sequence[Effect], kind: type[E], **fields: Any) -> E:
    """Exactly one effect of type ``kind`` matches ``fields``; it is returned."""
    found = sent(effects, kind, **fields)
    assert len(found) == 1, (
        f"expected one {kind.__name__} with {fields}, found {len(found)} in:\n"
        + "\n".join(f"  {e!r}" for e in effects)
    )
    return found[0]


def assert_not_sent(effects: Sequence[Effect], kind: type[E], **fields: Any) -> None:
    found = sent(effects, kind, **fields)
    assert not found, f"unexpected {kind.__name__}: {found}"


def assert_closed(effects: Sequence[Effect], conn: int, code: int = 1000) -> CloseConnection:
    return assert_sent(effects, CloseConnection, conn=conn, code=code)


def assert_private(summary: ChatSummary, secrets: set[str]) -> None:
    """Times are whole minutes, the wait is in 5 s steps, and no id or token is kept."""
    for name in ("queued_minute", "answered_minute", "ended_minute"):
        value = getattr(summary, name)
        assert value is None or (isinstance(value, int) and value % 60 == 0), (name, value)
    assert summary.wait_s is None or summary.wait_s % 5 == 0
    for field in dataclasses.fields(summary):
        value = getattr(summary, field.name)
        assert not (isinstance(value, str) and any(s in value for s in secrets)), field.name


@contextmanager
def refused(code: str) -> Iterator[None]:
    """The block raises :class:`ProtocolError` with this ``code`` (§2.5)."""
    with pytest.raises(ProtocolError) as err:
        yield
    assert err.value.code == code, f"expected {code}, got {err.value.code}: {err.value}"


def kinds(effects: Iterable[Effect]) -> list[str]:
    """The effect type names in order: for asserting a story's shape."""
    return [type(e).__name__ for e in effects]


# -- the harness -----------------------------------------------------------------


class Harness:
    def __init__(self, **settings: Any) -> None:
        self.settings = CoreSettings(**settings)
        self.ids = CountingIds()
        self.sb = Switchboard(self.settings, ids=self.ids)
        self.clock = Clock()
        self._next_conn = 0
        self._next_account = 0

    @property
    def now(self) -> float:
        return self.clock.now

    def new_conn(self) -> int:
        conn = self._next_conn
        self._next_conn += 1
        return conn

    def advance(self, seconds: float) -> list[Effect]:
        """Move the clock and tick once."""
        return self.sb.tick(self.clock.advance(seconds))

    def tick(self) -> list[Effect]:
        return self.sb.tick(self.clock.now)

    def seeker(self, language: str = "en", fallback: str | None = None) -> SeekerHandle:
        """A seeker who connects and joins; their join effects are in ``.effects``."""
        conn = self.new_conn()
        effects = self.sb.seeker_join(conn, language, fallback, self.now)
        token = assert_sent(effects, SeekerWelcome, conn=conn).token
        return SeekerHandle(self, conn, token, effects)

    def counsellor(
        self,
        languages: tuple[str, ...] = ("en",),
        capacity: int = 1,
        *,
        available: bool = False,
        username: str | None = None,
    ) -> CounsellorHandle:
        account_id = self._next_account
        self._next_account += 1
        account = StaffAccount(
            id=account_id,
            username=username or f"counsellor{account_id}",
            role=Role.COUNSELLOR,
            languages=languages,
            capacity=capacity,
        )
        handle = CounsellorHandle(self, account)
        handle.connect()
        if available:
            handle.available()
        return handle


class SeekerHandle:
    def __init__(self, h: Harness, conn: int | None, token: str, effects: list[Effect]):
        self.h = h
        self.conn = conn
        self.token = token
        self.effects = effects

    def _do(self, effects: list[Effect]) -> list[Effect]:
        self.effects = effects
        return effects

    @property
    def live_conn(self) -> int:
        assert self.conn is not None, "this seeker is disconnected"
        return self.conn

    def relay(self, seq: int, payload: str = "x", chat_id: str | None = None) -> list[Effect]:
        return self._do(self.h.sb.seeker_relay(self.live_conn, chat_id, seq, payload))

    def ack(self, seq: int, chat_id: str | None = None) -> list[Effect]:
        return self._do(self.h.sb.seeker_ack(self.live_conn, chat_id, seq))

    def leave(self) -> list[Effect]:
        return self._do(self.h.sb.seeker_leave(self.live_conn, self.h.now))

    def drop(self) -> list[Effect]:
        effects = self.h.sb.connection_lost(self.live_conn, self.h.now)
        self.conn = None
        return self._do(effects)

    def resume(self, token: str | None = None) -> list[Effect]:
        conn = self.h.new_conn()
        effects = self.h.sb.seeker_resume(conn, self.token if token is None else token, self.h.now)
        self.conn = conn
        return self._do(effects)


class CounsellorHandle:
    def __init__(self, h: Harness, account: StaffAccount):
        self.h = h
        self.account = account
        self.conn: int | None = None
        self.effects: list[Effect] = []

    @property
    def id(self) -> int:
        return self.account.id

    @property
    def live_conn(self) -> int:
        assert self.conn is not None, "this counsellor is disconnected"
        return self.conn

    def _do(self, effects: list[Effect]) -> list[Effect]:
        self.effects = effects
        return effects

    def connect(self) -> list[Effect]:
        conn = self.h.new_conn()
        effects = self.h.sb.counsellor_connect(conn, self.account, self.h.now)
        self.conn = conn
        return self._do(effects)

    def drop(self) -> list[Effect]:
        effects = self.h.sb.connection_lost(self.live_conn, self.h.now)
        self.conn = None
        return self._do(effects)

    def status(
        self,
        status: str,
        languages: tuple[str, ...] | None = None,
        capacity: int | None = None,
    ) -> list[Effect]:
        return self._do(
            self.h.sb.counsellor_status(self.live_conn, status, languages, capacity, self.h.now)
        )

    def available(
        self, languages: tuple[str, ...] | None = None, capacity: int | None = None
    ) -> list[Effect]:
        return self.status("available", languages, capacity)

    def away(self) -> list[Effect]:
        return self.status("away")

    def accept(self, chat_id: str) -> list[Effect]:
        return self._do(self.h.sb.counsellor_accept(self.live_conn, chat_id, self.h.now))

    def decline(self, chat_id: str) -> list[Effect]:
        return self._do(self.h.sb.counsellor_decline(self.live_conn, chat_id, self.h.now))

    def end(self, chat_id: str, outcome: str | None = None) -> list[Effect]:
        return self._do(self.h.sb.counsellor_end(self.live_conn, chat_id, outcome, self.h.now))

    def requeue(self, chat_id: str) -> list[Effect]:
        return self._do(self.h.sb.counsellor_requeue(self.live_conn, chat_id, self.h.now))

    def relay(self, chat_id: str, seq: int, payload: str = "y") -> list[Effect]:
        return self._do(self.h.sb.counsellor_relay(self.live_conn, chat_id, seq, payload))

    def ack(self, chat_id: str, seq: int) -> list[Effect]:
        return self._do(self.h.sb.counsellor_ack(self.live_conn, chat_id, seq))

    def offer_in(self, effects: Sequence[Effect]) -> Offered:
        """The one offer made to this counsellor in ``effects``."""
        return assert_sent(effects, Offered, conn=self.conn)

    def take(self, effects: Sequence[Effect]) -> str:
        """Accept the offer found in ``effects``; the chat id."""
        chat_id = self.offer_in(effects).chat_id
        opened = self.accept(chat_id)
        assert_sent(opened, ChatOpened, conn=self.conn, chat_id=chat_id)
        return chat_id
