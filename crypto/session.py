"""Sans-I/O HLP1 sessions: :class:`SeekerSession` and :class:`CounsellorSession`, one per chat.

Feed every relayed payload (the bytes inside the relay's ``b64u``) to
``receive(payload, now)``; it returns :mod:`crypto.events` or raises
:class:`CryptoError`. Payloads beginning with ``{`` are handshake messages, all others
are data frames (HLP1 "Handshake"). ``now`` is Unix time in seconds, used for
certificates, revocation lists and handshake timeouts; nothing here reads a clock.

State rules (HLP1 "Reconnect, re-hello, handover, epochs, records"):

- Epochs increase by exactly one with at most one transition in flight: the seeker
  starts a handshake for ``current + 1`` (0 at first) and a party rejects a HELLO or
  ACCEPT for any other epoch (``bad_epoch``). A counsellor session that never completed
  a handshake (new, or the new counsellor after a handover) accepts the first HELLO's
  epoch. A pending handshake ends when it completes, when it is refused, or after
  :data:`HANDSHAKE_TIMEOUT` seconds; the epoch is taken only by a handshake that
  completes. A new HELLO for ``current + 1`` replaces the counsellor's pending one (the
  relay forwards a new HELLO only when none is pending; each ACCEPT is bound to its
  HELLO's commitment, so a stale one can never complete). The seeker refuses to start a
  second handshake within the timeout (``unexpected``).
- After a transition, frames of older epochs are rejected (``bad_epoch``); the
  application re-sends what the peer had not acknowledged (:class:`Established` carries
  ``prev_epoch_ack`` / ``prev_epoch_sent``; :attr:`peer_ack` is the live value).
- Which failures end the session (``closed`` becomes true, every later call raises
  ``closed``): anything wrong *inside* an authenticated frame (``bad_padding``,
  ``bad_plaintext``, ``bad_ack``, an invalid transfer), since only the peer could have
  produced it; a close frame either way; a sending chain that would reach
  ``2^32 − 1`` (``exhausted``). Failures *before* authentication (a truncated, foreign,
  misdirected, tampered or out-of-epoch frame, ``bad_mac``) may come from the relay:
  the frame is rejected, nothing changes, and the genuine frame can still arrive. A
  refused handshake (any check of step 4, ``zero_shared_secret``) ends only that
  handshake: the seeker tells the user and does not chat in that epoch. A REVEAL that
  does not open the commitment (``bad_commit``) may come from the relay: it is refused
  and the counsellor keeps its pending handshake (the seeker is already in the new
  epoch), so the genuine REVEAL can still complete it. Closing drops every secret the
  session holds (chains, ``cont``, pending ephemeral secrets).
- ``ack`` values are checked (safest reading): an ack must name a frame we actually
  sent in this epoch and may never go backwards (``bad_ack``).
- Re-hello (page reloaded): :meth:`SeekerSession.export_state` gives what the page keeps
  in ``sessionStorage`` (chat, latest completed epoch, its ``cont``, the counsellor's
  key and the newest revocation list ``issued_at``);
  :meth:`SeekerSession.resume_from` restores it and :meth:`~SeekerSession.hello` then
  sends a HELLO for ``epoch + 1`` with the continuity tag. Safest reading of "it answers
  with the same identity key as before": the seeker refuses an ACCEPT from any other
  key (``identity_changed``).
- Handover: the counsellor calls :meth:`CounsellorSession.send_transfer`; the seeker
  verifies the transfer (:func:`crypto.handshake.verify_transfer`) and reports
  :class:`TransferRequested`; its next HELLO (no tag: the new counsellor has no
  ``cont``) accepts an ACCEPT only from ``ik2`` (``unauthorised_transfer``).
- Counsellor reload: :meth:`CounsellorSession.export_state` is the established epoch
  (chains, counters, acks, ``cont``, safety code) without the identity seed,
  authenticated with a key derived from that seed; :meth:`CounsellorSession.resume_from`
  continues the chat (docs/crypto.md, "The workspace's saved chats").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from crypto.certs import Certificate, RevocationList, parse_certificate
from crypto.chains import ReceiveChain, SendChain
from crypto.encoding import b64u_decode, b64u_encode, lbl, read_uint, u32
from crypto.errors import CryptoError
from crypto.events import (
    Established,
    Event,
    GapDetected,
    Message,
    Outgoing,
    PeerClosed,
    TransferRequested,
    Typing,
)
from crypto.frames import (
    DIR_C2S,
    DIR_S2C,
    MAX_N,
    Body,
    CloseBody,
    MessageBody,
    TransferBody,
    TypingBody,
)
from crypto.handshake import (
    FLAG_TRANSCRIPTS,
    MAX_EPOCH,
    Accept,
    EpochKeys,
    Hello,
    Reveal,
    accept_signed_message,
    check_tag,
    commitment,
    decode_message,
    derive_epoch_keys,
    encode_accept,
    encode_hello,
    encode_reveal,
    rehello_tag,
    transfer_signed_message,
    verify_accept,
    verify_transfer,
)
from crypto.primitives import (
    ct_equal,
    ed25519_public,
    ed25519_sign,
    hmac512,
    random_bytes,
    x25519_public,
)

HANDSHAKE_TIMEOUT = 60
MAX_COUNTER = MAX_N + 1  # the largest u32 counter: a chain's next_n after its last frame
STATE_VERSION = "1"
Random = Callable[[int], bytes]

# Failures inside an authenticated frame: the peer is broken, the chat ends (HLP1,
# receiver rules). All are raised only after the MAC checked; bad_encoding is an
# authenticated transfer body with malformed base64url.
_FATAL_FRAME_CODES = frozenset({"bad_padding", "bad_plaintext", "bad_encoding"})
_DIGITS = re.compile(r"0|[1-9][0-9]{0,19}")
_SAFETY_CODE = re.compile(r"[0-9]{5} [0-9]{5}")

# The saved counsellor state: these fields (in this order) are authenticated by "mac".
_COUNSELLOR_STATE_KEYS = (
    "v",
    "role",
    "chat_id",
    "ik",
    "transcripts",
    "epoch",
    "send_ck",
    "send_n",
    "recv_ck",
    "recv_n",
    "peer_ack",
    "cont",
    "safety_code",
)


def _counsellor_state_mac(seed: bytes, state: dict[str, str]) -> bytes:
    """``HMAC(k, lbl("HLP1/cstate") ‖ (u32(len) ‖ value)…)[0:32]`` over the fields in
    order, with ``k = HMAC(seed, lbl("HLP1/cstate/key"))[0:32]``: only the holder of the
    identity seed makes or accepts a state (mirrors crypto/js/session.mjs)."""
    key = hmac512(seed, lbl("HLP1/cstate/key"))[:32]
    parts = [lbl("HLP1/cstate")]
    for name in _COUNSELLOR_STATE_KEYS:
        value = state[name].encode("utf-8")
        parts += [u32(len(value)), value]
    return hmac512(key, *parts)[:32]


class _Session:
    """What both sides share: the epoch's chains, acks and closing."""

    _own_dir: int
    _peer_dir: int

    def __init__(self, chat_id: bytes, random: Random | None) -> None:
        if not isinstance(chat_id, bytes) or len(chat_id) != 16:
            raise CryptoError("bad_state", "a chat id is 16 bytes")
        self.chat_id = chat_id
        self._random: Random = random or random_bytes
        self._epoch: int | None = None
        self._send: SendChain | None = None
        self._recv: ReceiveChain | None = None
        self._cont: bytes | None = None
        self._peer_ack: int | None = None
        self._safety_code: str | None = None
        self._closed = False

    # -- public state ------------------------------------------------------------------

    @property
    def epoch(self) -> int:
        """The latest completed epoch (−1 before the first handshake completes)."""
        return -1 if self._epoch is None else self._epoch

    @property
    def established(self) -> bool:
        return self._send is not None and not self._closed

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def safety_code(self) -> str | None:
        return self._safety_code if self._send is not None else None

    @property
    def peer_ack(self) -> int | None:
        """The highest ``n`` of ours the peer has acknowledged in the current epoch."""
        return self._peer_ack

    @property
    def sent(self) -> int:
        """Frames sent in the current epoch (the next frame's ``n``)."""
        return 0 if self._send is None else self._send.next_n

    # -- sending -----------------------------------------------------------------------

    def _ack(self) -> int | None:
        assert self._recv is not None
        return self._recv.next_n - 1 if self._recv.next_n else None

    def _chain(self) -> SendChain:
        if self._closed:
            raise CryptoError("closed", "the session is closed")
        if self._send is None:
            raise CryptoError("unexpected", "no epoch established yet")
        return self._send

    def _seal(self, body: Body) -> bytes:
        chain = self._chain()
        try:
            return chain.seal(body)
        except CryptoError as exc:
            if exc.code == "exhausted":
                self._close()
            raise

    def send_message(self, text: str) -> bytes:
        """A type 1 frame; ``too_large`` over 16,364 bytes of JSON (nothing changes)."""
        self._chain()
        return self._seal(MessageBody(text, self._ack()))

    def send_typing(self, on: bool) -> bytes:
        self._chain()
        return self._seal(TypingBody(bool(on), self._ack()))

    def send_close(self, reason: str) -> bytes:
        """A type 5 frame; the session is closed afterwards."""
        self._chain()
        frame = self._seal(CloseBody(reason, self._ack()))
        self._close()
        return frame

    # -- receiving ---------------------------------------------------------------------

    def receive(self, payload: bytes, now: int) -> list[Event]:
        """Handle one relayed payload; see the module docstring for what raises."""
        if self._closed:
            raise CryptoError("closed", "the session is closed")
        if not payload:
            raise CryptoError("bad_frame", "empty payload")
        if payload[:1] == b"{":
            return self._on_handshake(payload, now)
        return self._on_frame(payload, now)

    def _on_handshake(self, payload: bytes, now: int) -> list[Event]:
        raise NotImplementedError

    def _on_transfer(self, body: TransferBody, now: int) -> list[Event]:
        raise CryptoError("bad_plaintext", "unexpected transfer")

    def _on_frame(self, frame: bytes, now: int) -> list[Event]:
        if self._recv is None or self._send is None:
            raise CryptoError("unexpected", "no epoch established yet")
        try:
            opened = self._recv.open(frame)
        except CryptoError as exc:
            if exc.code == "replay":
                return []
            if exc.code == "gap":
                return [GapDetected(self._recv.next_n, read_uint(frame[23:27]))]
            if exc.code in _FATAL_FRAME_CODES:
                self._close()
            raise
        body = opened.body
        try:
            if isinstance(body, TransferBody):
                events = self._on_transfer(body, now)
            else:
                self._check_ack(body.ack)
                events = []
        except CryptoError:
            self._close()
            raise
        self._recv.commit(opened)
        if isinstance(body, MessageBody):
            return [Message(opened.n, body.text, body.ack)]
        if isinstance(body, TypingBody):
            return [Typing(opened.n, body.on, body.ack)]
        if isinstance(body, CloseBody):
            self._close()
            return [PeerClosed(body.reason)]
        return events

    def _check_ack(self, ack: int | None) -> None:
        assert self._send is not None
        if ack is None:
            if self._peer_ack is not None:
                raise CryptoError("bad_ack", "ack went backwards")
            return
        if ack >= self._send.next_n or (self._peer_ack is not None and ack < self._peer_ack):
            raise CryptoError("bad_ack", "ack does not match what was sent")
        self._peer_ack = ack

    def destroy(self) -> None:
        """End the session here without telling the peer (no frame is made), dropping
        every secret; the JavaScript twin is what the seeker's quick exit calls."""
        if not self._closed:
            self._close()

    def _close(self) -> None:
        """End the session and drop every secret it holds (chains, ``cont``, pending)."""
        self._closed = True
        self._send = self._recv = None
        self._cont = None
        self._drop_pending()

    def _drop_pending(self) -> None:
        raise NotImplementedError

    # -- epochs ------------------------------------------------------------------------

    def _install(self, epoch: int, keys: EpochKeys) -> tuple[int | None, int]:
        """Switch to a completed epoch; returns the previous epoch's (peer ack, sent)."""
        previous = (self._peer_ack, self.sent)
        own_ck, peer_ck = (
            (keys.ck_s2c, keys.ck_c2s) if self._own_dir == DIR_S2C else (keys.ck_c2s, keys.ck_s2c)
        )
        self._send = SendChain(own_ck, self.chat_id, epoch, self._own_dir)
        self._recv = ReceiveChain(peer_ck, self.chat_id, epoch, self._peer_dir)
        self._epoch, self._cont, self._safety_code = epoch, keys.cont, keys.safety_code
        self._peer_ack = None
        return previous

    def _next_epoch(self) -> int:
        epoch = 0 if self._epoch is None else self._epoch + 1
        if epoch > MAX_EPOCH:
            raise CryptoError("exhausted", "no epoch left")
        return epoch


@dataclass(slots=True)
class _SeekerPending:
    epoch: int
    es_secret: bytes
    es_pub: bytes
    commit: bytes
    started: int
    expected_ik: bytes | None
    transfer: bool


class SeekerSession(_Session):
    """The help-seeker's side of one chat."""

    _own_dir = DIR_S2C
    _peer_dir = DIR_C2S

    def __init__(
        self,
        chat_id: bytes,
        org_pub: bytes,
        revocations: RevocationList,
        *,
        random: Random | None = None,
    ) -> None:
        super().__init__(chat_id, random)
        if not isinstance(revocations, RevocationList):
            raise CryptoError("no_revocation_list", "a verified revocation list is required")
        self._org_pub = org_pub
        self._revocations = revocations
        self._pending: _SeekerPending | None = None
        self._ik: bytes | None = None
        self._cert: Certificate | None = None
        self._transcripts = False
        self._transfer_to: bytes | None = None

    @property
    def handle(self) -> str | None:
        """The current counsellor's handle (plain text)."""
        return self._cert.handle if self._cert is not None and self._send is not None else None

    @property
    def transcripts(self) -> bool:
        return self._transcripts

    @property
    def counsellor_ik(self) -> bytes | None:
        return self._ik

    def update_revocations(self, revocations: RevocationList) -> None:
        """Use a newer verified list; an older one is ``stale_revocation_list``."""
        if revocations.issued_at < self._revocations.issued_at:
            raise CryptoError("stale_revocation_list", "older than the list in use")
        self._revocations = revocations

    def hello(self, now: int) -> bytes:
        """Start a handshake for the next epoch: first HELLO, re-hello, or after a transfer."""
        if self._closed:
            raise CryptoError("closed", "the session is closed")
        # HLP1: "Without a current list the seeker's page does not start a chat."
        self._revocations.check_current(now)
        if self._pending is not None and now - self._pending.started < HANDSHAKE_TIMEOUT:
            raise CryptoError("unexpected", "a handshake is already in flight")
        epoch = self._next_epoch()
        es_secret = self._random(32)
        es_pub = x25519_public(es_secret)
        commit = commitment(es_pub)
        transfer = self._transfer_to is not None
        tag = None
        if self._cont is not None and not transfer:
            tag = rehello_tag(self._cont, self.chat_id, epoch, commit)
        expected = self._transfer_to if transfer else self._ik
        self._pending = _SeekerPending(epoch, es_secret, es_pub, commit, now, expected, transfer)
        return encode_hello(Hello(epoch, commit, tag))

    def _on_handshake(self, payload: bytes, now: int) -> list[Event]:
        message = decode_message(payload)
        if not isinstance(message, Accept):
            raise CryptoError("unexpected", "a seeker only receives ACCEPT")
        pending = self._pending
        if pending is None:
            raise CryptoError("unexpected", "no handshake in flight")
        if now - pending.started >= HANDSHAKE_TIMEOUT:
            self._drop_pending()
            raise CryptoError("unexpected", "the handshake timed out")
        if message.epoch != pending.epoch:
            raise CryptoError("bad_epoch", f"ACCEPT for epoch {message.epoch}")
        self._drop_pending()  # any failure below refuses this handshake
        cert, transcripts = verify_accept(
            message,
            chat_id=self.chat_id,
            epoch=pending.epoch,
            commit=pending.commit,
            org_pub=self._org_pub,
            revocations=self._revocations,
            now=now,
            expected_ik=pending.expected_ik,
            transfer=pending.transfer,
        )
        keys = derive_epoch_keys(
            pending.es_secret,
            message.ec,
            self.chat_id,
            pending.epoch,
            pending.es_pub,
            message.ec,
            message.ik,
            message.cert,
        )
        reveal = encode_reveal(Reveal(pending.epoch, pending.es_pub))
        prev_ack, prev_sent = self._install(pending.epoch, keys)
        self._ik, self._cert, self._transcripts = message.ik, cert, transcripts
        self._transfer_to = None
        return [
            Outgoing(reveal),
            Established(
                pending.epoch, keys.safety_code, cert.handle, transcripts, None, prev_ack, prev_sent
            ),
        ]

    def _drop_pending(self) -> None:
        self._pending = None

    def _on_transfer(self, body: TransferBody, now: int) -> list[Event]:
        assert self._epoch is not None
        assert self._ik is not None
        if self._pending is not None:
            raise CryptoError("unexpected", "transfer during a handshake")
        cert2 = verify_transfer(
            ik2=body.ik2,
            cert2=body.cert2,
            sig=body.sig,
            chat_id=self.chat_id,
            epoch=self._epoch,
            current_ik=self._ik,
            org_pub=self._org_pub,
            revocations=self._revocations,
            now=now,
        )
        self._transfer_to = body.ik2
        return [TransferRequested(body.ik2, cert2.handle)]

    # -- sessionStorage ----------------------------------------------------------------

    def export_state(self) -> dict[str, str]:
        """What the page keeps in ``sessionStorage`` to re-hello after a reload; during a
        handover (a verified transfer whose epoch is not yet established) also
        ``transfer_to``, the colleague's key, so that the re-hello goes to them."""
        if self._epoch is None or self._cont is None or self._ik is None:
            raise CryptoError("unexpected", "no completed epoch to resume from")
        state = {
            "v": STATE_VERSION,
            "chat_id": b64u_encode(self.chat_id),
            "epoch": str(self._epoch),
            "cont": b64u_encode(self._cont),
            "ik": b64u_encode(self._ik),
            "rl_issued_at": str(self._revocations.issued_at),
        }
        if self._transfer_to is not None:
            state["transfer_to"] = b64u_encode(self._transfer_to)
        return state

    @classmethod
    def resume_from(
        cls,
        state: dict[str, str],
        org_pub: bytes,
        revocations: RevocationList,
        *,
        random: Random | None = None,
    ) -> SeekerSession:
        """A session after a page reload; call :meth:`hello` next (a re-hello, or the
        HELLO to the colleague during a handover)."""
        keys = {"v", "chat_id", "epoch", "cont", "ik", "rl_issued_at"}
        if isinstance(state, dict) and "transfer_to" in state:
            keys.add("transfer_to")
        if not isinstance(state, dict) or set(state) != keys or state["v"] != STATE_VERSION:
            raise CryptoError("bad_state", "not a saved HLP1 seeker state")
        if not all(isinstance(v, str) for v in state.values()):
            raise CryptoError("bad_state", "saved values are strings")
        if not _DIGITS.fullmatch(state["epoch"]) or not _DIGITS.fullmatch(state["rl_issued_at"]):
            raise CryptoError("bad_state", "epoch and rl_issued_at are decimal integers")
        epoch = int(state["epoch"])
        if epoch > MAX_EPOCH:
            raise CryptoError("bad_state", "epoch out of range")
        session = cls(b64u_decode(state["chat_id"], 16), org_pub, revocations, random=random)
        if revocations.issued_at < int(state["rl_issued_at"]):
            raise CryptoError("stale_revocation_list", "older than a list already accepted")
        session._epoch = epoch
        session._cont = b64u_decode(state["cont"], 32)
        session._ik = b64u_decode(state["ik"], 32)
        if "transfer_to" in state:
            session._transfer_to = b64u_decode(state["transfer_to"], 32)
        return session


@dataclass(slots=True)
class _CounsellorPending:
    epoch: int
    ec_secret: bytes
    ec_pub: bytes
    commit: bytes
    started: int
    same_person: bool | None


class CounsellorSession(_Session):
    """The counsellor's side of one chat."""

    _own_dir = DIR_C2S
    _peer_dir = DIR_S2C

    def __init__(
        self,
        chat_id: bytes,
        identity_seed: bytes,
        cert: bytes,
        transcripts: bool = False,
        *,
        random: Random | None = None,
    ) -> None:
        super().__init__(chat_id, random)
        self._seed = identity_seed
        self._ik = ed25519_public(identity_seed)
        parsed = parse_certificate(cert)
        if not ct_equal(parsed.ik, self._ik):
            raise CryptoError("bad_cert", "the certificate is not for this identity key")
        self._cert = cert
        self.handle = parsed.handle
        self.transcripts = bool(transcripts)
        self._pending: _CounsellorPending | None = None

    @property
    def identity_key(self) -> bytes:
        return self._ik

    def _drop_pending(self) -> None:
        self._pending = None

    def _on_handshake(self, payload: bytes, now: int) -> list[Event]:
        message = decode_message(payload)
        if isinstance(message, Hello):
            return self._on_hello(message, now)
        if isinstance(message, Reveal):
            return self._on_reveal(message, now)
        raise CryptoError("unexpected", "a counsellor does not receive ACCEPT")

    def _on_hello(self, hello: Hello, now: int) -> list[Event]:
        if self._epoch is not None:
            if hello.epoch != self._epoch + 1:
                raise CryptoError("bad_epoch", f"HELLO for epoch {hello.epoch}")
            assert self._cont is not None
            same_person: bool | None = check_tag(self._cont, self.chat_id, hello)
        else:
            same_person = None
        flags = FLAG_TRANSCRIPTS if self.transcripts else 0
        ec_secret = self._random(32)
        ec_pub = x25519_public(ec_secret)
        signed = accept_signed_message(
            self.chat_id, hello.epoch, hello.commit, ec_pub, self._ik, flags
        )
        sig = ed25519_sign(self._seed, signed)
        self._pending = _CounsellorPending(
            hello.epoch, ec_secret, ec_pub, hello.commit, now, same_person
        )
        accept = Accept(hello.epoch, ec_pub, self._ik, self._cert, flags, sig)
        return [Outgoing(encode_accept(accept))]

    def _on_reveal(self, reveal: Reveal, now: int) -> list[Event]:
        pending = self._pending
        if pending is None:
            raise CryptoError("unexpected", "no handshake in flight")
        if now - pending.started >= HANDSHAKE_TIMEOUT:
            self._drop_pending()
            raise CryptoError("unexpected", "the handshake timed out")
        if reveal.epoch != pending.epoch:
            raise CryptoError("bad_epoch", f"REVEAL for epoch {reveal.epoch}")
        if not ct_equal(commitment(reveal.es), pending.commit):
            # Anyone on the relay can send a REVEAL; the seeker has already moved to
            # this epoch, so a forged one must not cost the pending handshake (like
            # bad_mac keeps the chain): refuse it, keep waiting for the genuine one.
            raise CryptoError("bad_commit", "es does not match the commitment")
        # Only the seeker can open the commitment: any failure below refuses the handshake.
        self._drop_pending()
        keys = derive_epoch_keys(
            pending.ec_secret,
            reveal.es,
            self.chat_id,
            pending.epoch,
            reveal.es,
            pending.ec_pub,
            self._ik,
            self._cert,
        )
        prev_ack, prev_sent = self._install(pending.epoch, keys)
        return [
            Established(
                pending.epoch,
                keys.safety_code,
                self.handle,
                self.transcripts,
                pending.same_person,
                prev_ack,
                prev_sent,
            )
        ]

    # -- sessionStorage (the workspace reloads) -----------------------------------------

    def export_state(self) -> dict[str, str]:
        """What the workspace keeps (encrypted) to continue this chat after a reload:
        strings only, no identity seed, no pending handshake; ``unexpected`` before an
        epoch is established or once closed."""
        if self._closed or self._send is None or self._recv is None or self._cont is None:
            raise CryptoError("unexpected", "no established epoch to save")
        assert self._safety_code is not None
        state = {
            "v": STATE_VERSION,
            "role": "counsellor",
            "chat_id": b64u_encode(self.chat_id),
            "ik": b64u_encode(self._ik),
            "transcripts": "1" if self.transcripts else "0",
            "epoch": str(self._epoch),
            "send_ck": b64u_encode(self._send._ck),
            "send_n": str(self._send.next_n),
            "recv_ck": b64u_encode(self._recv._ck),
            "recv_n": str(self._recv.next_n),
            "peer_ack": "" if self._peer_ack is None else str(self._peer_ack),
            "cont": b64u_encode(self._cont),
            "safety_code": self._safety_code,
        }
        state["mac"] = b64u_encode(_counsellor_state_mac(self._seed, state))
        return state

    @classmethod
    def resume_from(
        cls,
        state: dict[str, str],
        identity_seed: bytes,
        cert: bytes,
        transcripts: bool | None = None,
        *,
        random: Random | None = None,
    ) -> CounsellorSession:
        """The session of a saved chat after the workspace reloaded; the seed and
        certificate are given again. ``bad_state`` for anything but a state this
        identity saved, unchanged (or a ``transcripts`` that differs from the saved
        flag); ``bad_cert`` when ``cert`` is not for the seed's key."""
        keys = {*_COUNSELLOR_STATE_KEYS, "mac"}
        if (
            not isinstance(state, dict)
            or set(state) != keys
            or not all(isinstance(v, str) for v in state.values())
            or state["v"] != STATE_VERSION
            or state["role"] != "counsellor"
        ):
            raise CryptoError("bad_state", "not a saved HLP1 counsellor state")

        def decode(s: str, n: int) -> bytes:
            try:
                return b64u_decode(s, n)
            except CryptoError:
                raise CryptoError("bad_state", "a saved key is not valid base64url") from None

        chat_id = decode(state["chat_id"], 16)
        saved = state["transcripts"] == "1"
        session = cls(chat_id, identity_seed, cert, saved, random=random)
        if not ct_equal(decode(state["ik"], 32), session._ik):
            raise CryptoError("bad_state", "saved by another identity key")
        try:
            mac = _counsellor_state_mac(session._seed, state)
        except UnicodeEncodeError:  # a lone surrogate
            raise CryptoError("bad_state", "the saved state was changed") from None
        if not ct_equal(decode(state["mac"], 32), mac):
            raise CryptoError("bad_state", "the saved state was changed")
        # Authenticated from here on: what follows catches only our own mistakes.
        if state["transcripts"] not in ("0", "1"):
            raise CryptoError("bad_state", "transcripts is 0 or 1")
        if transcripts is not None and bool(transcripts) != saved:
            raise CryptoError("bad_state", "the transcripts setting changed")

        def number(s: str, maximum: int) -> int:
            if not _DIGITS.fullmatch(s) or int(s) > maximum:
                raise CryptoError("bad_state", "a saved counter is out of range")
            return int(s)

        epoch = number(state["epoch"], MAX_EPOCH)
        send_n = number(state["send_n"], MAX_COUNTER)
        recv_n = number(state["recv_n"], MAX_COUNTER)
        peer_ack = None if state["peer_ack"] == "" else number(state["peer_ack"], MAX_COUNTER)
        if peer_ack is not None and peer_ack >= send_n:
            raise CryptoError("bad_state", "an ack beyond what was sent")
        if not _SAFETY_CODE.fullmatch(state["safety_code"]):
            raise CryptoError("bad_state", "not a safety code")
        session._send = SendChain(decode(state["send_ck"], 32), chat_id, epoch, cls._own_dir)
        session._send.next_n = send_n
        session._recv = ReceiveChain(decode(state["recv_ck"], 32), chat_id, epoch, cls._peer_dir)
        session._recv.next_n = recv_n
        session._epoch, session._peer_ack = epoch, peer_ack
        session._cont = decode(state["cont"], 32)
        session._safety_code = state["safety_code"]
        return session

    def send_transfer(self, ik2: bytes, cert2: bytes) -> bytes:
        """A type 3 frame handing the chat to ``ik2`` (whose certificate is ``cert2``)."""
        self._chain()
        assert self._epoch is not None
        if not ct_equal(parse_certificate(cert2).ik, ik2):
            raise CryptoError("unauthorised_transfer", "cert2 is not for ik2")
        if self._epoch >= MAX_EPOCH:
            raise CryptoError("exhausted", "no epoch left")
        sig = ed25519_sign(self._seed, transfer_signed_message(self.chat_id, self._epoch + 1, ik2))
        return self._seal(TransferBody(ik2, cert2, sig))
