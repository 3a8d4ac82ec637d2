"""Shared fixtures for the crypto tests: an organisation, counsellors and sessions."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from crypto.certs import (
    RevocationList,
    identity_public_key,
    make_certificate,
    make_revocation_list,
    org_public_key,
    verify_revocation_list,
)
from crypto.events import Established, Event, Outgoing
from crypto.session import CounsellorSession, SeekerSession

NOW = 1_700_000_000
DAY = 86_400
ORG_SEED = bytes([0x01]) * 32
ORG_PUB = org_public_key(ORG_SEED)
CHAT_ID = bytes([0x07]) * 16


def seed(n: int) -> bytes:
    return bytes([n]) * 32


def counter_random(start: int = 0) -> Callable[[int], bytes]:
    """A deterministic stand-in for os.urandom."""
    counter = itertools.count(start)

    def random(n: int) -> bytes:
        return hashlib.sha512(next(counter).to_bytes(8, "big")).digest()[:n]

    return random


@dataclass
class Counsellor:
    seed: bytes
    handle: str
    not_after: int = NOW + 30 * DAY

    @property
    def ik(self) -> bytes:
        return identity_public_key(self.seed)

    @property
    def cert(self) -> bytes:
        return make_certificate(ORG_SEED, self.ik, self.not_after, self.handle)


SAM = Counsellor(seed(0x03), "Sam")
NOOR = Counsellor(seed(0x04), "Noor")
REVOKED = Counsellor(seed(0x11), "Alex")


def revocations(
    revoked: tuple[bytes, ...] = (REVOKED.ik,), issued_at: int = NOW - 3600
) -> RevocationList:
    blob = make_revocation_list(ORG_SEED, issued_at, issued_at + 30 * DAY, revoked)
    return verify_revocation_list(ORG_PUB, blob, max(NOW, issued_at))


def outgoing(events: list[Event]) -> bytes:
    """The single Outgoing payload among ``events``."""
    payloads = [e.payload for e in events if isinstance(e, Outgoing)]
    assert len(payloads) == 1, events
    return payloads[0]


def established(events: list[Event]) -> Established:
    found = [e for e in events if isinstance(e, Established)]
    assert len(found) == 1, events
    return found[0]


@dataclass
class Pair:
    seeker: SeekerSession
    counsellor: CounsellorSession
    seeker_established: Established
    counsellor_established: Established
    log: list[bytes] = field(default_factory=list)


def handshake(
    seeker: SeekerSession, counsellor: CounsellorSession, now: int = NOW
) -> tuple[Established, Established]:
    hello = seeker.hello(now)
    accept = outgoing(counsellor.receive(hello, now))
    events = seeker.receive(accept, now)
    reveal = outgoing(events)
    s_est = established(events)
    c_est = established(counsellor.receive(reveal, now))
    return s_est, c_est


def connected_pair(counsellor: Counsellor = SAM, transcripts: bool = False, now: int = NOW) -> Pair:
    seeker = SeekerSession(CHAT_ID, ORG_PUB, revocations(), random=counter_random(0))
    csession = CounsellorSession(
        CHAT_ID, counsellor.seed, counsellor.cert, transcripts, random=counter_random(1000)
    )
    s_est, c_est = handshake(seeker, csession, now)
    return Pair(seeker, csession, s_est, c_est)
