"""Random stories of seekers and counsellors, checked against the rules of §3–§5.

A :class:`hypothesis.stateful.RuleBasedStateMachine` drives the switchboard with
joins, leaves, drops, resumes, status changes, offers accepted and declined,
chats ended and handed back, envelopes and acknowledgements, and time passing.

What the test knows comes from three places, in order of preference:

1. **Effects.** A shadow model of every participant is built from what the
   switchboard tells them (positions, offers, chats opened and closed, envelopes),
   and what they are told must be consistent: a counsellor is only offered a chat
   when available, below capacity and without an offer; a seeker is only matched
   once at a time; envelopes arrive in order without gaps; nothing is lost.
2. **Time.** Grace periods and the fallback delay are predicted from the clock.
3. **Internals, where the protocol hides the answer on purpose.** The counsellor
   is not told who the seeker behind an offer is, so a small subclass records it
   in ``_offer`` and, at that moment, checks by brute force over every seeker
   that nobody eligible with a lower ticket was skipped. Work conservation is
   checked the same way after each step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from helpline.core.effects import (
    ChatClosed,
    ChatOpened,
    CloseConnection,
    Deliver,
    Delivered,
    Effect,
    Offered,
    OfferWithdrawn,
    PeerPresence,
    QueueFigures,
    QueuePosition,
    RecordChat,
    Requeued,
    SeekerResumed,
    SeekerWelcome,
    StaffStatus,
    StaffWelcome,
)
from helpline.core.lifecycle import SeekerState
from helpline.core.participants import CoreSettings, Counsellor, Seeker, Status
from helpline.core.staff import Role, StaffAccount
from helpline.core.switchboard import Switchboard
from helpline.errors import ProtocolError

from .helpers import Clock, CountingIds, assert_private

LANGS = ("en", "de", "fr")
SETTINGS = CoreSettings(
    languages=LANGS,
    fallback_after_s=60.0,
    offer_timeout_s=30.0,
    position_interval_s=2.0,
    resume_grace_s=120.0,
    max_capacity=3,
    max_waiting=12,
    window_frames=4,
    window_bytes=40,
)


def eligible(seeker: Seeker, counsellor: Counsellor) -> bool:
    """§4, by the letter: a language of theirs, or the fallback once active; not handed back."""
    if counsellor.account.id in seeker.excluded:
        return False
    if seeker.language in counsellor.languages:
        return True
    return (
        seeker.fallback is not None
        and seeker.fallback_active
        and seeker.fallback in counsellor.languages
    )


def is_free(c: Counsellor) -> bool:
    return (
        c.conn is not None
        and c.status is Status.AVAILABLE
        and c.offer is None
        and len(c.chats) < c.capacity
    )


@dataclass
class OfferRecord:
    chat_id: str
    token: str
    account_id: int
    language: str
    primary: bool
    first_offer: bool


class CheckedSwitchboard(Switchboard):
    """Checks every offer against a brute-force oracle at the moment it is made."""

    def __init__(self, settings: CoreSettings, ids: CountingIds) -> None:
        super().__init__(settings, ids)
        self.offers: dict[str, OfferRecord] = {}
        self.ever_offered: set[str] = set()

    def _offer(
        self,
        counsellor: Counsellor,
        seeker: Seeker,
        language: str,
        now: float,
        out: list[Effect],
    ) -> None:
        # Nobody matched twice: the seeker waits and is in no other chat or offer.
        assert seeker.state is SeekerState.WAITING, seeker.state
        assert seeker.chat is None
        assert all(chat.seeker is not seeker for chat in self._chats.values())
        # One offer at a time, below capacity.
        assert is_free(counsellor)
        assert eligible(seeker, counsellor)
        assert language in counsellor.languages
        assert language == seeker.language or language == seeker.fallback
        # No skipping: nobody eligible for this counsellor has waited longer.
        skipped = [
            s.ticket
            for s in self._seekers.values()
            if s.state is SeekerState.WAITING
            and s.ticket < seeker.ticket
            and eligible(s, counsellor)
        ]
        assert not skipped, f"ticket {seeker.ticket} offered before waiting tickets {skipped}"
        # Fewest open chats, then free the longest: nobody ahead of this counsellor is
        # still free and could have taken this seeker.
        key = (len(counsellor.chats), counsellor.free_since)
        for other in self._counsellors.values():
            if other is not counsellor and is_free(other) and eligible(seeker, other):
                assert (len(other.chats), other.free_since) >= key, "tie-break broken"
        before = len(out)
        super()._offer(counsellor, seeker, language, now, out)
        offer = out[before]
        assert isinstance(offer, Offered)
        assert offer.chat_id not in self.offers, "chat id reused"
        self.offers[offer.chat_id] = OfferRecord(
            offer.chat_id,
            seeker.token,
            counsellor.account.id,
            language,
            primary=language == seeker.language,
            first_offer=seeker.token not in self.ever_offered,
        )
        self.ever_offered.add(seeker.token)


@dataclass
class SeekerModel:
    token: str
    order: int  # join order, the test's own notion of "first come"
    language: str
    fallback: str | None
    joined_at: float
    conn: int | None
    view: str = "waiting"  # what they have been told: waiting, chatting, ended
    chat_id: str | None = None
    lost_at: float | None = None
    forgotten: bool = False
    last_pos: int | None = None
    last_pos_at: float = float("-inf")
    exempt: bool = True  # the next position is expected (join, resume, requeued)
    sent: dict[str, int] = field(default_factory=dict)
    received: dict[str, int] = field(default_factory=dict)


@dataclass
class CounsellorModel:
    account: StaffAccount
    conn: int | None = None
    status: str = "away"
    languages: tuple[str, ...] = ()
    capacity: int = 1
    offer: str | None = None
    chats: set[str] = field(default_factory=set)
    lost_at: float | None = None
    sent: dict[str, int] = field(default_factory=dict)
    received: dict[str, int] = field(default_factory=dict)


def attempt(call: Callable[[], list[Effect]]) -> tuple[list[Effect], str | None]:
    """The effects of a call, or the code of the ProtocolError that refused it."""
    try:
        return call(), None
    except ProtocolError as err:
        return [], err.code


def pick(items: list, index: int):  # type: ignore[no-untyped-def,type-arg]
    return items[index % len(items)]


INDEX = st.integers(min_value=0, max_value=1_000)
LANGUAGE = st.sampled_from(LANGS)
FALLBACK = st.none() | st.sampled_from(LANGS)
LANGUAGE_SETS = st.lists(st.sampled_from(LANGS), min_size=1, max_size=3, unique=True)
CAPACITY = st.integers(min_value=1, max_value=3)


class SwitchboardMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = Clock()
        self.sb = CheckedSwitchboard(SETTINGS, CountingIds())
        self.seekers: dict[str, SeekerModel] = {}
        self.counsellors: dict[int, CounsellorModel] = {}
        self.by_conn: dict[int, SeekerModel | CounsellorModel] = {}
        self.next_conn = 0
        self.next_order = 0
        self.first_offer_order: dict[str, int] = {}
        self.secrets: set[str] = set()
        self.handed_back: set[tuple[str, int]] = set()  # (seeker token, account id)
        # Per (chat, direction): sizes of accepted payloads and the receiver's last ack.
        self.sizes: dict[tuple[str, str], list[int]] = {}
        self.acked: dict[tuple[str, str], int] = {}

    # -- plumbing ------------------------------------------------------------------

    @property
    def now(self) -> float:
        return self.clock.now

    def new_conn(self) -> int:
        conn = self.next_conn
        self.next_conn += 1
        return conn

    def apply(self, effects: list[Effect], *, tick: bool = False) -> None:
        """Check each effect against the model, in order, and update the model."""
        position_conns: list[int] = []
        closed: list[int] = []
        for effect in effects:
            event(type(effect).__name__)
            if isinstance(effect, RecordChat):
                assert_private(effect.summary, self.secrets)
                continue
            who = self.by_conn.get(effect.conn)
            assert who is not None, f"effect for an unknown connection: {effect}"
            assert effect.conn not in closed, f"effect after close: {effect}"
            if isinstance(who, SeekerModel):
                self.apply_seeker(who, effect, tick, position_conns)
            else:
                self.apply_counsellor(who, effect)
            if isinstance(effect, CloseConnection):
                closed.append(effect.conn)
        assert len(position_conns) == len(set(position_conns)), "two positions in one step"
        for e in effects:
            if isinstance(e, OfferWithdrawn) and e.reason == "timeout":
                who = self.by_conn[e.conn]
                assert isinstance(who, CounsellorModel)
                assert who.status == "away", "an offer timed out and the counsellor stays available"
        for conn in closed:
            # The web layer reports every closed socket; the core has already let go.
            assert self.sb.connection_lost(conn, self.now) == []
            del self.by_conn[conn]

    def apply_seeker(
        self, s: SeekerModel, e: Effect, tick: bool, position_conns: list[int]
    ) -> None:
        if isinstance(e, QueuePosition):
            position_conns.append(e.conn)
            assert e.language == s.language
            assert e.position >= 1
            if s.exempt:
                assert e.estimated_wait_s is None or e.estimated_wait_s >= 0
            else:
                # Sent by the periodic pass: only on change, at most once per interval.
                assert tick, "a position outside tick() that nobody asked for"
                assert e.position != s.last_pos, "position sent without a change"
                assert self.now - s.last_pos_at >= SETTINGS.position_interval_s
                assert e.estimated_wait_s is None or e.estimated_wait_s > 0
                queue = [x.token for x in self.sb._queues[s.language]]
                assert queue.index(s.token) + 1 == e.position, "wrong position"
            s.last_pos, s.last_pos_at, s.exempt = e.position, self.now, False
        elif isinstance(e, SeekerWelcome):
            assert e.token == s.token
            assert s.last_pos is None
        elif isinstance(e, SeekerResumed):
            s.exempt = True
            s.view = e.state
            s.chat_id = e.chat_id
            if e.chat_id is not None:
                assert e.accepted_seq == s.sent.get(e.chat_id, 0)
        elif isinstance(e, ChatOpened):
            assert s.view == "waiting", "matched twice"
            record = self.sb.offers[e.chat_id]
            assert record.token == s.token
            s.view, s.chat_id = "chatting", e.chat_id
        elif isinstance(e, Requeued):
            assert s.view in ("chatting", "waiting")
            s.view, s.chat_id, s.exempt = "waiting", None, True
        elif isinstance(e, ChatClosed):
            assert e.chat_id == s.chat_id
            s.view, s.chat_id = "ended", None
        elif isinstance(e, Deliver):
            self.receive(s.received, e)
        elif isinstance(e, Delivered):
            assert e.seq <= s.sent.get(e.chat_id, 0)
        elif isinstance(e, PeerPresence):
            assert e.chat_id == s.chat_id
        elif isinstance(e, CloseConnection):
            assert e.code == 1000, e
            s.forgotten, s.conn = True, None
        else:
            raise AssertionError(f"unexpected effect for a seeker: {e}")

    def apply_counsellor(self, c: CounsellorModel, e: Effect) -> None:
        if isinstance(e, StaffWelcome):
            c.status, c.languages, c.capacity = e.status, e.languages, e.capacity
            c.offer = None
            c.chats = {chat.chat_id for chat in e.chats}
            for chat in e.chats:
                assert chat.accepted_seq == c.sent.get(chat.chat_id, 0)
        elif isinstance(e, StaffStatus):
            c.status, c.languages, c.capacity = e.status, e.languages, e.capacity
        elif isinstance(e, Offered):
            assert c.offer is None, "two offers at once"
            assert c.status == "available", "offered while away"
            assert len(c.chats) < c.capacity, "offered at capacity"
            assert e.language in c.languages
            record = self.sb.offers[e.chat_id]
            assert record.account_id == c.account.id
            if record.first_offer and record.primary:
                # FIFO within a language: first offers from the primary queue go in join order.
                order = self.seekers[record.token].order
                assert order > self.first_offer_order.get(e.language, -1), "FIFO broken"
                self.first_offer_order[e.language] = order
            c.offer = e.chat_id
            self.secrets.add(e.chat_id)
        elif isinstance(e, OfferWithdrawn):
            assert c.offer == e.chat_id
            c.offer = None
        elif isinstance(e, ChatOpened):
            assert c.offer == e.chat_id
            c.offer = None
            c.chats.add(e.chat_id)
            assert len(c.chats) <= SETTINGS.max_capacity
        elif isinstance(e, ChatClosed):
            c.chats.discard(e.chat_id)
        elif isinstance(e, Deliver):
            self.receive(c.received, e)
        elif isinstance(e, Delivered):
            assert e.seq <= c.sent.get(e.chat_id, 0)
        elif isinstance(e, PeerPresence):
            assert e.chat_id in c.chats
        elif isinstance(e, QueueFigures):
            assert {f.language for f in e.languages} <= set(c.account.languages)
            assert all(f.waiting >= 0 and f.longest_wait_s >= 0 for f in e.languages)
        else:
            raise AssertionError(f"unexpected effect for a counsellor: {e}")

    def window_full(self, chat_id: str, direction: str, size: int) -> bool:
        """§3: at most window_frames envelopes and window_bytes bytes wait unacknowledged."""
        sizes = self.sizes.get((chat_id, direction), [])
        waiting = sizes[self.acked.get((chat_id, direction), 0) :]
        return len(waiting) >= SETTINGS.window_frames or sum(waiting) + size > SETTINGS.window_bytes

    def relay(
        self, chat_id: str, direction: str, size: int, send: Callable[[], list[Effect]]
    ) -> bool:
        full = self.window_full(chat_id, direction, size)
        effects, refused = attempt(send)
        if refused is not None:
            assert full, refused
            assert refused == "window_full"
            return False
        assert not full, "accepted beyond the window"
        self.sizes.setdefault((chat_id, direction), []).append(size)
        self.apply(effects)
        return True

    @staticmethod
    def receive(received: dict[str, int], e: Deliver) -> None:
        """The receiver's rule (§3): drop what is not above the last; never a gap."""
        last = received.get(e.chat_id, 0)
        if e.seq > last:
            assert e.seq == last + 1, f"gap: {last} then {e.seq}"
            received[e.chat_id] = e.seq

    def live_seekers(self, view: str | None = None) -> list[SeekerModel]:
        return [
            s
            for s in self.seekers.values()
            if s.conn is not None and not s.forgotten and (view is None or s.view == view)
        ]

    def live_counsellors(self) -> list[CounsellorModel]:
        return [c for c in self.counsellors.values() if c.conn is not None]

    # -- a busy start ------------------------------------------------------------------

    @initialize(
        staff=st.lists(st.tuples(LANGUAGE_SETS, CAPACITY), min_size=1, max_size=3),
        seekers=st.lists(st.tuples(LANGUAGE, FALLBACK), max_size=6),
    )
    def start(
        self,
        staff: list[tuple[list[str], int]],
        seekers: list[tuple[str, str | None]],
    ) -> None:
        for language, fallback in seekers:
            self.join(language, fallback)
        for languages, capacity in staff:
            self.counsellor_new(languages, capacity, available=True)

    # -- seekers -------------------------------------------------------------------

    @rule(language=LANGUAGE, fallback=FALLBACK)
    def join(self, language: str, fallback: str | None) -> None:
        conn = self.new_conn()
        full = self.sb.waiting_count() >= SETTINGS.max_waiting
        effects, refused = attempt(lambda: self.sb.seeker_join(conn, language, fallback, self.now))
        if refused is not None:
            assert full
            assert refused == "queue_full"
            return
        assert not full
        welcome = effects[0]
        assert isinstance(welcome, SeekerWelcome)
        s = SeekerModel(
            welcome.token,
            self.next_order,
            language,
            None if fallback == language else fallback,
            self.now,
            conn,
        )
        self.next_order += 1
        self.seekers[s.token] = s
        self.by_conn[conn] = s
        self.secrets.add(s.token)
        self.apply(effects)

    @precondition(lambda self: self.live_seekers())
    @rule(i=INDEX)
    def seeker_leave(self, i: int) -> None:
        s = pick(self.live_seekers(), i)
        assert s.conn is not None
        conn = s.conn
        self.apply(self.sb.seeker_leave(conn, self.now))
        assert s.forgotten

    @precondition(lambda self: self.live_seekers())
    @rule(i=INDEX)
    def seeker_drop(self, i: int) -> None:
        s = pick(self.live_seekers(), i)
        assert s.conn is not None
        effects = self.sb.connection_lost(s.conn, self.now)
        del self.by_conn[s.conn]
        s.conn, s.lost_at = None, self.now
        self.apply(effects)

    def dropped_seekers(self) -> list[SeekerModel]:
        return [s for s in self.seekers.values() if s.conn is None and not s.forgotten]

    @precondition(lambda self: self.dropped_seekers())
    @rule(i=INDEX)
    def seeker_resume(self, i: int) -> None:
        s = pick(self.dropped_seekers(), i)
        assert s.lost_at is not None
        conn = self.new_conn()
        expired = self.now >= s.lost_at + SETTINGS.resume_grace_s
        effects, refused = attempt(lambda: self.sb.seeker_resume(conn, s.token, self.now))
        if refused is not None:
            assert expired, refused
            assert refused == "bad_token"
            s.forgotten = True
            return
        assert not expired, "resumed after the grace period"
        s.conn, s.lost_at = conn, None
        self.by_conn[conn] = s
        self.apply(effects)

    @precondition(lambda self: self.live_seekers("chatting"))
    @rule(i=INDEX, size=st.integers(min_value=1, max_value=12))
    def seeker_relay(self, i: int, size: int) -> None:
        s = pick(self.live_seekers("chatting"), i)
        assert s.conn is not None
        assert s.chat_id is not None
        chat_id, conn = s.chat_id, s.conn
        seq = s.sent.get(chat_id, 0) + 1
        s.sent[chat_id] = seq  # the model's count is read by apply()
        if not self.relay(
            chat_id, "up", size, lambda: self.sb.seeker_relay(conn, chat_id, seq, "s" * size)
        ):
            s.sent[chat_id] = seq - 1

    @precondition(lambda self: self.live_seekers("chatting"))
    @rule(i=INDEX)
    def seeker_ack(self, i: int) -> None:
        s = pick(self.live_seekers("chatting"), i)
        assert s.conn is not None
        assert s.chat_id is not None
        seq = s.received.get(s.chat_id, 0)
        self.apply(self.sb.seeker_ack(s.conn, s.chat_id, seq))
        self.acked[s.chat_id, "down"] = max(seq, self.acked.get((s.chat_id, "down"), 0))

    # -- counsellors ---------------------------------------------------------------

    @precondition(lambda self: len(self.counsellors) < 6)
    @rule(languages=LANGUAGE_SETS, capacity=CAPACITY, available=st.booleans())
    def counsellor_new(self, languages: list[str], capacity: int, available: bool) -> None:
        account_id = len(self.counsellors)
        account = StaffAccount(
            account_id, f"c{account_id}", Role.COUNSELLOR, tuple(languages), capacity
        )
        c = CounsellorModel(account)
        self.counsellors[account_id] = c
        self.connect(c)
        if available:
            assert c.conn is not None
            self.apply(self.sb.counsellor_status(c.conn, "available", None, None, self.now))

    def connect(self, c: CounsellorModel) -> None:
        conn = self.new_conn()
        c.conn = conn
        self.by_conn[conn] = c
        effects = self.sb.counsellor_connect(conn, c.account, self.now)
        welcome = effects[0]
        assert isinstance(welcome, StaffWelcome)
        self.apply(effects)

    def dropped_counsellors(self) -> list[CounsellorModel]:
        return [c for c in self.counsellors.values() if c.conn is None]

    @precondition(lambda self: self.live_counsellors())
    @rule(i=INDEX)
    def counsellor_drop(self, i: int) -> None:
        c = pick(self.live_counsellors(), i)
        assert c.conn is not None
        effects = self.sb.connection_lost(c.conn, self.now)
        del self.by_conn[c.conn]
        c.conn, c.lost_at = None, self.now
        self.apply(effects)

    @precondition(lambda self: self.dropped_counsellors())
    @rule(i=INDEX)
    def counsellor_reconnect(self, i: int) -> None:
        c = pick(self.dropped_counsellors(), i)
        assert c.lost_at is not None
        expired = self.now >= c.lost_at + SETTINGS.resume_grace_s
        before = (c.status, set(c.chats))
        self.connect(c)
        if expired:
            assert c.status == "away", "a lost session came back"
            assert not c.chats, "a lost session came back"
        else:
            assert c.status == before[0]
            assert c.chats <= before[1]
        c.lost_at = None

    @precondition(lambda self: self.live_counsellors())
    @rule(
        i=INDEX,
        available=st.booleans(),
        languages=st.none() | st.lists(st.sampled_from(LANGS), max_size=3, unique=True),
        capacity=st.none() | st.integers(min_value=1, max_value=3),
    )
    def counsellor_status(
        self, i: int, available: bool, languages: list[str] | None, capacity: int | None
    ) -> None:
        c = pick(self.live_counsellors(), i)
        assert c.conn is not None
        langs = None if languages is None else tuple(languages)
        try:
            effects = self.sb.counsellor_status(
                c.conn, "available" if available else "away", langs, capacity, self.now
            )
        except ProtocolError as err:
            if err.code == "unknown_language":
                assert langs is not None
                assert not set(langs) <= set(c.account.languages)
            elif err.code == "not_allowed":
                new_langs = c.languages if langs is None else langs
                assert (capacity or 0) > c.account.capacity or (available and not new_langs)
            else:
                raise
            return
        self.apply(effects)

    def with_offer(self) -> list[CounsellorModel]:
        return [c for c in self.live_counsellors() if c.offer is not None]

    @precondition(lambda self: self.with_offer())
    @rule(i=INDEX, accept=st.booleans())
    def counsellor_answer(self, i: int, accept: bool) -> None:
        c = pick(self.with_offer(), i)
        assert c.conn is not None
        assert c.offer is not None
        if accept:
            effects = self.sb.counsellor_accept(c.conn, c.offer, self.now)
        else:
            effects = self.sb.counsellor_decline(c.conn, c.offer, self.now)
            c.offer = None
        self.apply(effects)
        if not accept:
            assert c.status == "away", "a declining counsellor stays available"

    @precondition(lambda self: self.with_offer())
    @rule()
    def counsellors_accept_every_offer(self) -> None:
        for c in self.with_offer():
            if c.conn is not None and c.offer is not None:
                self.apply(self.sb.counsellor_accept(c.conn, c.offer, self.now))

    def with_chats(self) -> list[CounsellorModel]:
        return [c for c in self.live_counsellors() if c.chats]

    @precondition(lambda self: self.with_chats())
    @rule(i=INDEX, j=INDEX, requeue=st.booleans())
    def counsellor_finish(self, i: int, j: int, requeue: bool) -> None:
        c = pick(self.with_chats(), i)
        assert c.conn is not None
        chat_id = pick(sorted(c.chats), j)
        if requeue:
            effects = self.sb.counsellor_requeue(c.conn, chat_id, self.now)
            self.handed_back.add((self.sb.offers[chat_id].token, c.account.id))
        else:
            effects = self.sb.counsellor_end(c.conn, chat_id, "ok", self.now)
        assert_any(effects, ChatClosed, chat_id)
        self.apply(effects)
        assert chat_id not in c.chats

    @precondition(lambda self: self.with_chats())
    @rule(i=INDEX, j=INDEX, language=st.none() | LANGUAGE)
    def counsellor_block_or_move(self, i: int, j: int, language: str | None) -> None:
        """Block the seeker (``language`` None) or send them to another language's queue."""
        c = pick(self.with_chats(), i)
        assert c.conn is not None
        chat_id = pick(sorted(c.chats), j)
        record = self.sb.offers[chat_id]
        s = self.seekers[record.token]
        if language is None:
            effects = self.sb.counsellor_block(c.conn, chat_id, self.now)
            self.apply(effects)
            assert record.token not in self.sb._seekers  # forgotten at once, even offline
            s.forgotten = True
            return
        effects, refused = attempt(
            lambda: self.sb.counsellor_transfer_language(c.conn, chat_id, language, self.now)
        )
        if language == record.language:
            assert refused == "not_allowed"
            return
        assert refused is None
        s.language = language  # positions now name the new queue
        if s.fallback == language:
            s.fallback = None  # a fallback to where they now stand means nothing
        self.handed_back.add((record.token, c.account.id))
        self.apply(effects)
        assert chat_id not in c.chats

    @precondition(lambda self: self.with_chats())
    @rule(i=INDEX, j=INDEX, size=st.integers(min_value=1, max_value=12), ack=st.booleans())
    def counsellor_message(self, i: int, j: int, size: int, ack: bool) -> None:
        c = pick(self.with_chats(), i)
        assert c.conn is not None
        chat_id = pick(sorted(c.chats), j)
        if ack:
            seq = c.received.get(chat_id, 0)
            self.apply(self.sb.counsellor_ack(c.conn, chat_id, seq))
            self.acked[chat_id, "up"] = max(seq, self.acked.get((chat_id, "up"), 0))
            return
        conn = c.conn
        seq = c.sent.get(chat_id, 0) + 1
        c.sent[chat_id] = seq
        if not self.relay(
            chat_id, "down", size, lambda: self.sb.counsellor_relay(conn, chat_id, seq, "c" * size)
        ):
            c.sent[chat_id] = seq - 1

    # -- time ------------------------------------------------------------------------

    @rule(dt=st.sampled_from([0.0, 0.5, 1.0, 2.0, 5.0, 29.0, 31.0, 61.0, 121.0]))
    def advance(self, dt: float) -> None:
        self.clock.advance(dt)
        self.apply(self.sb.tick(self.now), tick=True)

    @rule()
    def settle(self) -> None:
        """Two passes an interval apart: every connected waiting seeker knows their place."""
        for _ in range(2):
            self.clock.advance(SETTINGS.position_interval_s)
            self.apply(self.sb.tick(self.now), tick=True)
        for s in self.live_seekers("waiting"):
            queue = [x.token for x in self.sb._queues[s.language]]
            if s.token in queue and s.last_pos_at < self.now:
                assert queue.index(s.token) + 1 == s.last_pos, "stale position"

    # -- invariants ------------------------------------------------------------------

    @invariant()
    def work_is_conserved(self) -> None:
        waiting = [s for s in self.sb._seekers.values() if s.state is SeekerState.WAITING]
        for c in self.sb._counsellors.values():
            if is_free(c):
                idle = [s.token for s in waiting if eligible(s, c)]
                assert not idle, f"counsellor {c.account.id} is free while {idle} wait"

    @invariant()
    def nobody_in_two_chats(self) -> None:
        seekers = [chat.seeker.token for chat in self.sb._chats.values()]
        assert len(seekers) == len(set(seekers))
        for c in self.sb._counsellors.values():
            assert (c.offer is None) or c.offer.id in self.sb._chats

    @invariant()
    def fallback_starts_on_time(self) -> None:
        for s in self.sb._seekers.values():
            model = self.seekers[s.token]
            due = model.fallback is not None and self.now >= model.joined_at + 60.0
            assert s.fallback == model.fallback
            assert s.fallback_active == due

    @invariant()
    def handed_back_seekers_remember_by_whom(self) -> None:
        for s in self.sb._seekers.values():
            assert set(s.excluded) == {a for t, a in self.handed_back if t == s.token}

    @invariant()
    def model_agrees_with_the_switchboard(self) -> None:
        for s in self.live_seekers():
            inner = self.sb._seekers[s.token]
            if s.view == "chatting":
                assert inner.state is SeekerState.CHATTING
                assert inner.chat is not None
                assert inner.chat.id == s.chat_id
            else:
                assert s.view == "waiting"
                assert inner.state in (SeekerState.WAITING, SeekerState.OFFERED)
        for c in self.live_counsellors():
            inner_c = self.sb._counsellors[c.account.id]
            assert inner_c.status.value == c.status
            assert inner_c.languages == c.languages
            assert inner_c.capacity == c.capacity
            assert (inner_c.offer.id if inner_c.offer else None) == c.offer
            assert set(inner_c.chats) == c.chats

    @invariant()
    def nothing_is_lost(self) -> None:
        """A connected receiver has everything its peer's messages the server accepted."""
        for s in self.live_seekers("chatting"):
            assert s.chat_id is not None
            sender = self.counsellors[self.sb.offers[s.chat_id].account_id]
            assert s.received.get(s.chat_id, 0) == sender.sent.get(s.chat_id, 0)
        for c in self.live_counsellors():
            for chat_id in c.chats:
                seeker = self.seekers[self.sb.offers[chat_id].token]
                assert c.received.get(chat_id, 0) == seeker.sent.get(chat_id, 0)

    @invariant()
    def capacity_is_bounded(self) -> None:
        for c in self.sb._counsellors.values():
            assert len(c.chats) <= self.counsellors[c.account.id].account.capacity


def assert_any(effects: list[Effect], kind: type, chat_id: str) -> None:
    assert any(isinstance(e, kind) and getattr(e, "chat_id", None) == chat_id for e in effects)


SwitchboardMachine.TestCase.settings = settings(
    max_examples=300,
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestSwitchboard = SwitchboardMachine.TestCase
