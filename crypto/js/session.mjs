// Sans-I/O HLP1 sessions: SeekerSession and CounsellorSession, one per chat. Mirrors
// crypto/session.py (same rules, same error codes, same order of checks); events are
// plain objects, see events.mjs.
//
// Feed every relayed payload (the bytes inside the relay's b64u) to
// receive(payload, now); it returns an array of events or throws CryptoError.
// Payloads beginning with "{" are handshake messages, all others data frames. `now` is
// Unix time in seconds (certificates, revocation lists, handshake timeouts); nothing
// here reads a clock.
//
// State rules (e2e-protocol.md, "Reconnect, re-hello, handover, epochs, records"):
// - Epochs increase by exactly one with at most one transition in flight: the seeker
//   starts a handshake for current + 1 (0 at first); a HELLO or ACCEPT for any other
//   epoch is "bad_epoch". A counsellor session that never completed a handshake (new,
//   or the new counsellor after a handover) accepts the first HELLO's epoch. A pending
//   handshake ends when it completes, when it is refused, or after HANDSHAKE_TIMEOUT
//   seconds; the seeker refuses to start a second one within the timeout ("unexpected").
// - After a transition, frames of older epochs are "bad_epoch"; the "established"
//   event carries prevEpochAck / prevEpochSent so the application re-sends what the
//   peer had not acknowledged.
// - Failures inside an authenticated frame ("bad_padding", "bad_plaintext", "bad_ack",
//   an invalid transfer) end the session (closed; later calls throw "closed"), as do a
//   close frame either way and an exhausted sending chain. Failures before
//   authentication (truncated, foreign, misdirected, tampered, out-of-epoch frames,
//   "bad_mac") change nothing: the genuine frame can still arrive. A refused handshake
//   ends only that handshake, except that a REVEAL which does not open the commitment
//   ("bad_commit") may come from the relay: it is refused and the counsellor keeps its
//   pending handshake so the genuine REVEAL can still complete it. Closing wipes every
//   secret the session holds. Replays produce no event; a gap produces "gapDetected".
// - ack values must name a frame we sent in this epoch and never go backwards ("bad_ack").
// - Re-hello: exportState() is what the page keeps in sessionStorage;
//   SeekerSession.resumeFrom(state, ...) restores it and hello() sends a HELLO for
//   epoch + 1 with the continuity tag; an ACCEPT from another key is "identity_changed".
// - Handover: the counsellor calls sendTransfer(ik2, cert2); the seeker verifies it and
//   reports "transferRequested"; its next hello() accepts an ACCEPT only from ik2
//   ("unauthorised_transfer").
// - Counsellor reload: CounsellorSession.exportState() is the established epoch (chains,
//   counters, acks, cont, safety code) without the identity seed, authenticated with a
//   key derived from that seed; resumeFrom(state, seed, cert) continues the chat
//   (docs/crypto.md, "The workspace's saved chats").

import { CryptoError, check } from './errors.mjs';
import { b64uDecode, b64uEncode, concat, lbl, readU32, u32, utf8Encode } from './encoding.mjs';
import { bytesEqual, hmacSha512, randomBytes, wipe, x25519Public } from './primitives.mjs';
import { publicKeyFromSeed, sign } from './ed25519.mjs';
import { RevocationList, parseCertificate } from './certs.mjs';
import { Direction, FrameType, MAX_COUNTER, ReceiveChain, SendChain } from './frames.mjs';
import {
  FLAG_TRANSCRIPTS,
  MAX_EPOCH,
  acceptSignedBytes,
  checkTag,
  commitment,
  decodeMessage,
  deriveEpochKeys,
  encodeAccept,
  encodeHello,
  encodeReveal,
  rehelloTag,
  transferSignedBytes,
  verifyAccept,
  verifyTransfer,
} from './handshake.mjs';
import { established, gapDetected, message, outgoing, peerClosed, transferRequested, typing } from './events.mjs';

export const HANDSHAKE_TIMEOUT = 60;
export const STATE_VERSION = '1';

// Failures inside an authenticated frame: the peer is broken, the chat ends.
const FATAL_FRAME_CODES = new Set(['bad_padding', 'bad_plaintext', 'bad_encoding']); // after the MAC only
const DIGITS = /^(?:0|[1-9][0-9]{0,19})$/;
const BRACE = 0x7b;

/** What both sides share: the epoch's chains, acks and closing. */
class Session {
  constructor(chatId, random) {
    check(chatId instanceof Uint8Array && chatId.length === 16, 'bad_state', 'a chat id is 16 bytes');
    this.chatId = chatId.slice();
    this._random = random ?? randomBytes;
    this._epoch = null;
    this._send = null;
    this._recv = null;
    this._cont = null;
    this._peerAck = null;
    this._safetyCode = null;
    this._closed = false;
  }

  // -- public state -------------------------------------------------------------------

  /** The latest completed epoch (−1 before the first handshake completes). */
  get epoch() {
    return this._epoch === null ? -1 : this._epoch;
  }

  get established() {
    return this._send !== null && !this._closed;
  }

  get closed() {
    return this._closed;
  }

  get safetyCode() {
    return this._send !== null ? this._safetyCode : null;
  }

  /** The highest n of ours the peer has acknowledged in the current epoch. */
  get peerAck() {
    return this._peerAck;
  }

  /** Frames sent in the current epoch (the next frame's n). */
  get sent() {
    return this._send === null ? 0 : this._send.nextN;
  }

  // -- sending ------------------------------------------------------------------------

  _ack() {
    return this._recv.nextN ? this._recv.nextN - 1 : null;
  }

  _chain() {
    check(!this._closed, 'closed', 'the session is closed');
    check(this._send !== null, 'unexpected', 'no epoch established yet');
    return this._send;
  }

  _seal(type, body) {
    const chain = this._chain();
    try {
      return chain.seal(type, body);
    } catch (e) {
      if (e instanceof CryptoError && e.code === 'exhausted') this._close();
      throw e;
    }
  }

  /** A type 1 frame; "too_large" over 16,364 bytes of JSON (nothing changes). */
  sendMessage(text) {
    this._chain();
    check(typeof text === 'string', 'bad_plaintext', 'text must be a string');
    return this._seal(FrameType.MESSAGE, { text, ack: this._ack() });
  }

  sendTyping(on) {
    this._chain();
    return this._seal(FrameType.TYPING, { typing: Boolean(on), ack: this._ack() });
  }

  /** A type 5 frame; the session is closed afterwards. */
  sendClose(reason) {
    this._chain();
    check(typeof reason === 'string', 'bad_plaintext', 'reason must be a string');
    const frame = this._seal(FrameType.CLOSE, { reason, ack: this._ack() });
    this._close();
    return frame;
  }

  // -- receiving ----------------------------------------------------------------------

  /**
   * Handles one relayed payload (bytes); returns an array of events.
   * @param {Uint8Array} payload
   * @param {number} now Unix seconds
   */
  receive(payload, now) {
    check(!this._closed, 'closed', 'the session is closed');
    check(payload instanceof Uint8Array && payload.length > 0, 'bad_frame', 'empty payload');
    if (payload[0] === BRACE) return this._onHandshake(payload, now);
    return this._onFrame(payload, now);
  }

  _onHandshake() {
    throw new Error('abstract');
  }

  _onTransfer() {
    throw new CryptoError('bad_plaintext', 'unexpected transfer');
  }

  _onFrame(frame, now) {
    check(this._recv !== null && this._send !== null, 'unexpected', 'no epoch established yet');
    let opened;
    try {
      opened = this._recv.open(frame);
    } catch (e) {
      if (e instanceof CryptoError) {
        if (e.code === 'replay') return [];
        if (e.code === 'gap') return [gapDetected(this._recv.nextN, readU32(frame, 23))];
        if (FATAL_FRAME_CODES.has(e.code)) this._close();
      }
      throw e;
    }
    const { body, type } = opened;
    let events = [];
    try {
      if (type === FrameType.TRANSFER) events = this._onTransfer(body, now);
      else this._checkAck(body.ack);
    } catch (e) {
      this._close();
      throw e;
    }
    this._recv.commit(opened);
    if (type === FrameType.MESSAGE) return [message(opened.n, body.text, body.ack)];
    if (type === FrameType.TYPING) return [typing(opened.n, body.typing, body.ack)];
    if (type === FrameType.CLOSE) {
      this._close();
      return [peerClosed(body.reason)];
    }
    return events;
  }

  _checkAck(ack) {
    if (ack === null) {
      check(this._peerAck === null, 'bad_ack', 'ack went backwards');
      return;
    }
    check(
      !(ack >= this._send.nextN || (this._peerAck !== null && ack < this._peerAck)),
      'bad_ack',
      'ack does not match what was sent',
    );
    this._peerAck = ack;
  }

  /**
   * Ends the session here, without telling the peer, and wipes every secret it holds
   * (the page's quick exit; no frame is made). Calling it again does nothing.
   */
  destroy() {
    if (!this._closed) this._close();
  }

  /** Ends the session and wipes every secret it holds (chains, cont, pending). */
  _close() {
    this._closed = true;
    this._wipeChains();
    this._send = null;
    this._recv = null;
    if (this._cont) wipe(this._cont);
    this._cont = null;
    this._dropPending();
  }

  _dropPending() {
    throw new Error('abstract');
  }

  _wipeChains() {
    if (this._send) this._send.wipe();
    if (this._recv) this._recv.wipe();
  }

  // -- epochs -------------------------------------------------------------------------

  /** Switches to a completed epoch; returns the previous epoch's [peer ack, sent]. */
  _install(epoch, keys) {
    const previous = [this._peerAck, this.sent];
    const [ownCk, peerCk] =
      this._ownDir === Direction.SEEKER_TO_COUNSELLOR ? [keys.ckS2c, keys.ckC2s] : [keys.ckC2s, keys.ckS2c];
    this._wipeChains();
    this._send = new SendChain(ownCk, this.chatId, epoch, this._ownDir);
    this._recv = new ReceiveChain(peerCk, this.chatId, epoch, this._peerDir);
    wipe(keys.ckS2c, keys.ckC2s, keys.prk);
    if (this._cont) wipe(this._cont);
    this._epoch = epoch;
    this._cont = keys.cont;
    this._safetyCode = keys.safetyCode;
    this._peerAck = null;
    return previous;
  }

  _nextEpoch() {
    const epoch = this._epoch === null ? 0 : this._epoch + 1;
    check(epoch <= MAX_EPOCH, 'exhausted', 'no epoch left');
    return epoch;
  }
}

/** The help-seeker's side of one chat. */
export class SeekerSession extends Session {
  /**
   * @param {Uint8Array} chatId 16 bytes from the relay
   * @param {Uint8Array} orgPub the pinned organisation key delivered with the page
   * @param {RevocationList} revocations a verified, current list (verifyRevocationList)
   * @param {{random?: (n: number) => Uint8Array}} [options]
   */
  constructor(chatId, orgPub, revocations, { random } = {}) {
    super(chatId, random);
    check(revocations instanceof RevocationList, 'no_revocation_list', 'a verified revocation list is required');
    this._ownDir = Direction.SEEKER_TO_COUNSELLOR;
    this._peerDir = Direction.COUNSELLOR_TO_SEEKER;
    this._orgPub = orgPub;
    this._revocations = revocations;
    this._pending = null;
    this._ik = null;
    this._cert = null;
    this._transcripts = false;
    this._transferTo = null;
  }

  /** The current counsellor's handle (display it as plain text). */
  get handle() {
    return this._cert !== null && this._send !== null ? this._cert.handle : null;
  }

  get transcripts() {
    return this._transcripts;
  }

  get counsellorIk() {
    return this._ik;
  }

  /** Uses a newer verified list; an older one is "stale_revocation_list". */
  updateRevocations(revocations) {
    check(revocations instanceof RevocationList, 'no_revocation_list', 'a verified revocation list is required');
    check(revocations.issuedAt >= this._revocations.issuedAt, 'stale_revocation_list', 'older than the list in use');
    this._revocations = revocations;
  }

  /** Starts a handshake for the next epoch: first HELLO, re-hello, or after a transfer. */
  hello(now) {
    check(!this._closed, 'closed', 'the session is closed');
    // e2e-protocol.md: "Without a current list the seeker's page does not start a chat."
    this._revocations.checkCurrent(now);
    check(
      this._pending === null || now - this._pending.started >= HANDSHAKE_TIMEOUT,
      'unexpected',
      'a handshake is already in flight',
    );
    const epoch = this._nextEpoch();
    const esSecret = this._random(32);
    const esPub = x25519Public(esSecret);
    const commit = commitment(esPub);
    const transfer = this._transferTo !== null;
    let tag = null;
    if (this._cont !== null && !transfer) tag = rehelloTag(this._cont, this.chatId, epoch, commit);
    const expectedIk = transfer ? this._transferTo : this._ik;
    this._dropPending();
    this._pending = { epoch, esSecret, esPub, commit, started: now, expectedIk, transfer };
    return encodeHello(epoch, commit, tag);
  }

  _onHandshake(payload, now) {
    const msg = decodeMessage(payload);
    check(msg.kind === 'accept', 'unexpected', 'a seeker only receives ACCEPT');
    const pending = this._pending;
    check(pending !== null, 'unexpected', 'no handshake in flight');
    if (now - pending.started >= HANDSHAKE_TIMEOUT) {
      this._dropPending();
      throw new CryptoError('unexpected', 'the handshake timed out');
    }
    check(msg.epoch === pending.epoch, 'bad_epoch', `ACCEPT for epoch ${msg.epoch}`);
    this._pending = null; // any failure below refuses this handshake
    try {
      const { cert, transcripts } = verifyAccept(msg, {
        chatId: this.chatId,
        epoch: pending.epoch,
        commit: pending.commit,
        orgPub: this._orgPub,
        revocations: this._revocations,
        now,
        expectedIk: pending.expectedIk,
        transfer: pending.transfer,
      });
      const keys = deriveEpochKeys(
        pending.esSecret,
        msg.ec,
        this.chatId,
        pending.epoch,
        pending.esPub,
        msg.ec,
        msg.ik,
        msg.cert,
      );
      const reveal = encodeReveal(pending.epoch, pending.esPub);
      const [prevAck, prevSent] = this._install(pending.epoch, keys);
      this._ik = msg.ik;
      this._cert = cert;
      this._transcripts = transcripts;
      this._transferTo = null;
      return [
        outgoing(reveal),
        established(pending.epoch, keys.safetyCode, cert.handle, transcripts, null, prevAck, prevSent),
      ];
    } finally {
      wipe(pending.esSecret);
    }
  }

  _dropPending() {
    if (this._pending) wipe(this._pending.esSecret);
    this._pending = null;
  }

  _onTransfer(body, now) {
    check(this._pending === null, 'unexpected', 'transfer during a handshake');
    const cert2 = verifyTransfer({
      ik2: body.ik2,
      cert2: body.cert2,
      sig: body.sig,
      chatId: this.chatId,
      epoch: this._epoch,
      currentIk: this._ik,
      orgPub: this._orgPub,
      revocations: this._revocations,
      now,
    });
    this._transferTo = body.ik2;
    return [transferRequested(body.ik2, cert2.handle)];
  }

  // -- sessionStorage -----------------------------------------------------------------

  /**
   * What the page keeps in sessionStorage to re-hello after a reload (strings only).
   * During a handover (a verified transfer, its epoch not yet established) it also
   * holds `transfer_to`, the colleague's key, so that the re-hello goes to them.
   */
  exportState() {
    check(this._epoch !== null && this._cont !== null && this._ik !== null, 'unexpected', 'no completed epoch to resume from');
    const state = {
      v: STATE_VERSION,
      chat_id: b64uEncode(this.chatId),
      epoch: String(this._epoch),
      cont: b64uEncode(this._cont),
      ik: b64uEncode(this._ik),
      rl_issued_at: String(this._revocations.issuedAt),
    };
    if (this._transferTo !== null) state.transfer_to = b64uEncode(this._transferTo);
    return state;
  }

  /** A session after a page reload; call hello() next (a re-hello, or the HELLO to a colleague). */
  static resumeFrom(state, orgPub, revocations, { random } = {}) {
    const keys = ['v', 'chat_id', 'epoch', 'cont', 'ik', 'rl_issued_at'];
    const transfer = state !== null && typeof state === 'object' && Object.hasOwn(state, 'transfer_to');
    check(
      state !== null &&
        typeof state === 'object' &&
        !Array.isArray(state) &&
        Object.keys(state).length === keys.length + (transfer ? 1 : 0) &&
        keys.every((k) => Object.hasOwn(state, k)) &&
        state.v === STATE_VERSION,
      'bad_state',
      'not a saved HLP1 seeker state',
    );
    check(Object.values(state).every((v) => typeof v === 'string'), 'bad_state', 'saved values are strings');
    check(DIGITS.test(state.epoch) && DIGITS.test(state.rl_issued_at), 'bad_state', 'epoch and rl_issued_at are decimal integers');
    check(BigInt(state.epoch) <= BigInt(MAX_EPOCH), 'bad_state', 'epoch out of range');
    const chatId = b64uDecode(state.chat_id);
    check(chatId.length === 16, 'bad_encoding', `expected 16 bytes, got ${chatId.length}`);
    const session = new SeekerSession(chatId, orgPub, revocations, { random });
    check(BigInt(revocations.issuedAt) >= BigInt(state.rl_issued_at), 'stale_revocation_list', 'older than a list already accepted');
    const cont = b64uDecode(state.cont);
    check(cont.length === 32, 'bad_encoding', `expected 32 bytes, got ${cont.length}`);
    const ik = b64uDecode(state.ik);
    check(ik.length === 32, 'bad_encoding', `expected 32 bytes, got ${ik.length}`);
    session._epoch = Number(state.epoch);
    session._cont = cont;
    session._ik = ik;
    if (transfer) {
      const ik2 = b64uDecode(state.transfer_to);
      check(ik2.length === 32, 'bad_encoding', `expected 32 bytes, got ${ik2.length}`);
      session._transferTo = ik2;
    }
    return session;
  }
}

// The saved counsellor state: these fields (in this order) are authenticated by `mac`.
const COUNSELLOR_STATE_KEYS = Object.freeze([
  'v',
  'role',
  'chat_id',
  'ik',
  'transcripts',
  'epoch',
  'send_ck',
  'send_n',
  'recv_ck',
  'recv_n',
  'peer_ack',
  'cont',
  'safety_code',
]);
const STATE_KEY_LABEL = lbl('HLP1/cstate/key');
const STATE_MAC_LABEL = lbl('HLP1/cstate');

/**
 * mac = HMAC(k, lbl("HLP1/cstate") ‖ (u32(len) ‖ value)…)[0:32] over the fields in
 * COUNSELLOR_STATE_KEYS order, with k = HMAC(seed, lbl("HLP1/cstate/key"))[0:32]: only
 * the holder of the identity seed makes or accepts a state (mirrors crypto/session.py).
 */
function counsellorStateMac(seed, state) {
  const o = hmacSha512(seed, STATE_KEY_LABEL);
  const key = o.slice(0, 32);
  wipe(o);
  const parts = [STATE_MAC_LABEL];
  for (const k of COUNSELLOR_STATE_KEYS) {
    const value = utf8Encode(state[k]);
    parts.push(u32(value.length), value);
  }
  const full = hmacSha512(key, concat(...parts));
  wipe(key);
  const mac = full.slice(0, 32);
  wipe(full);
  return mac;
}

/** The counsellor's side of one chat. */
export class CounsellorSession extends Session {
  /**
   * @param {Uint8Array} chatId
   * @param {Uint8Array} identitySeed the counsellor's 32-byte Ed25519 seed (unwrapped)
   * @param {Uint8Array} cert its certificate
   * @param {boolean} [transcripts] whether records are kept (flag bit 0)
   * @param {{random?: (n: number) => Uint8Array}} [options]
   */
  constructor(chatId, identitySeed, cert, transcripts = false, { random } = {}) {
    super(chatId, random);
    this._ownDir = Direction.COUNSELLOR_TO_SEEKER;
    this._peerDir = Direction.SEEKER_TO_COUNSELLOR;
    this._seed = identitySeed;
    this._ik = publicKeyFromSeed(identitySeed);
    const parsed = parseCertificate(cert);
    check(bytesEqual(parsed.ik, this._ik), 'bad_cert', 'the certificate is not for this identity key');
    this._cert = cert.slice();
    this.handle = parsed.handle;
    this.transcripts = Boolean(transcripts);
    this._pending = null;
  }

  get identityKey() {
    return this._ik;
  }

  _dropPending() {
    if (this._pending) wipe(this._pending.ecSecret);
    this._pending = null;
  }

  _onHandshake(payload, now) {
    const msg = decodeMessage(payload);
    if (msg.kind === 'hello') return this._onHello(msg, now);
    if (msg.kind === 'reveal') return this._onReveal(msg, now);
    throw new CryptoError('unexpected', 'a counsellor does not receive ACCEPT');
  }

  _onHello(hello, now) {
    let samePerson = null;
    if (this._epoch !== null) {
      check(hello.epoch === this._epoch + 1, 'bad_epoch', `HELLO for epoch ${hello.epoch}`);
      samePerson = checkTag(this._cont, this.chatId, hello);
    }
    const flags = this.transcripts ? FLAG_TRANSCRIPTS : 0;
    const ecSecret = this._random(32);
    const ecPub = x25519Public(ecSecret);
    const sig = sign(this._seed, acceptSignedBytes(this.chatId, hello.epoch, hello.commit, ecPub, this._ik, flags));
    this._dropPending();
    this._pending = { epoch: hello.epoch, ecSecret, ecPub, commit: hello.commit, started: now, samePerson };
    return [outgoing(encodeAccept(hello.epoch, ecPub, this._ik, this._cert, flags, sig))];
  }

  _onReveal(reveal, now) {
    const pending = this._pending;
    check(pending !== null, 'unexpected', 'no handshake in flight');
    if (now - pending.started >= HANDSHAKE_TIMEOUT) {
      this._dropPending();
      throw new CryptoError('unexpected', 'the handshake timed out');
    }
    check(reveal.epoch === pending.epoch, 'bad_epoch', `REVEAL for epoch ${reveal.epoch}`);
    // Anyone on the relay can send a REVEAL; the seeker has already moved to this epoch,
    // so a forged one must not cost the pending handshake (like bad_mac keeps the
    // chain): refuse it and keep waiting for the genuine one.
    check(bytesEqual(commitment(reveal.es), pending.commit), 'bad_commit', 'es does not match the commitment');
    // Only the seeker can open the commitment: any failure below refuses the handshake.
    this._pending = null;
    try {
      const keys = deriveEpochKeys(
        pending.ecSecret,
        reveal.es,
        this.chatId,
        pending.epoch,
        reveal.es,
        pending.ecPub,
        this._ik,
        this._cert,
      );
      const [prevAck, prevSent] = this._install(pending.epoch, keys);
      return [
        established(pending.epoch, keys.safetyCode, this.handle, this.transcripts, pending.samePerson, prevAck, prevSent),
      ];
    } finally {
      wipe(pending.ecSecret);
    }
  }

  // -- sessionStorage (the workspace reloads) -------------------------------------------

  /**
   * What the workspace keeps (encrypted) to continue this chat after a reload: plain
   * strings, no identity seed, no pending handshake. "unexpected" before an epoch is
   * established or once closed.
   */
  exportState() {
    check(!this._closed && this._send !== null && this._cont !== null, 'unexpected', 'no established epoch to save');
    const state = {
      v: STATE_VERSION,
      role: 'counsellor',
      chat_id: b64uEncode(this.chatId),
      ik: b64uEncode(this._ik),
      transcripts: this.transcripts ? '1' : '0',
      epoch: String(this._epoch),
      send_ck: b64uEncode(this._send._ck),
      send_n: String(this._send.nextN),
      recv_ck: b64uEncode(this._recv._ck),
      recv_n: String(this._recv.nextN),
      peer_ack: this._peerAck === null ? '' : String(this._peerAck),
      cont: b64uEncode(this._cont),
      safety_code: this._safetyCode,
    };
    state.mac = b64uEncode(counsellorStateMac(this._seed, state));
    return state;
  }

  /**
   * The session of a saved chat after the workspace reloaded. The seed and certificate
   * are given again (never saved); transcripts, when given, must match the saved flag.
   * "bad_state" for anything but a state this identity saved, unchanged; "bad_cert"
   * when cert is not for the seed's key.
   */
  static resumeFrom(state, identitySeed, cert, transcripts = undefined, { random } = {}) {
    check(
      state !== null &&
        typeof state === 'object' &&
        !Array.isArray(state) &&
        Object.keys(state).length === COUNSELLOR_STATE_KEYS.length + 1 &&
        COUNSELLOR_STATE_KEYS.every((k) => Object.hasOwn(state, k)) &&
        Object.hasOwn(state, 'mac') &&
        Object.values(state).every((v) => typeof v === 'string') &&
        state.v === STATE_VERSION &&
        state.role === 'counsellor',
      'bad_state',
      'not a saved HLP1 counsellor state',
    );
    const decode = (s, n) => {
      try {
        const b = b64uDecode(s);
        if (b.length === n) return b;
      } catch {
        // the same answer as for a wrong length
      }
      throw new CryptoError('bad_state', 'a saved key is not valid base64url of the right size');
    };
    const chatId = decode(state.chat_id, 16);
    const saved = state.transcripts === '1';
    const session = new CounsellorSession(chatId, identitySeed, cert, saved, { random });
    check(bytesEqual(decode(state.ik, 32), session._ik), 'bad_state', 'saved by another identity key');
    let mac;
    try {
      mac = counsellorStateMac(session._seed, state);
    } catch {
      throw new CryptoError('bad_state', 'the saved state was changed'); // a lone surrogate
    }
    const ok = bytesEqual(decode(state.mac, 32), mac);
    wipe(mac);
    check(ok, 'bad_state', 'the saved state was changed');
    // Authenticated from here on: what follows catches only our own mistakes.
    check(['0', '1'].includes(state.transcripts), 'bad_state', 'transcripts is 0 or 1');
    check(transcripts === undefined || transcripts === null || Boolean(transcripts) === saved, 'bad_state', 'the transcripts setting changed');
    const int = (s, max) => {
      check(DIGITS.test(s) && BigInt(s) <= BigInt(max), 'bad_state', 'a saved counter is out of range');
      return Number(s);
    };
    const epoch = int(state.epoch, MAX_EPOCH);
    const sendN = int(state.send_n, MAX_COUNTER);
    const recvN = int(state.recv_n, MAX_COUNTER);
    const peerAck = state.peer_ack === '' ? null : int(state.peer_ack, MAX_COUNTER);
    check(peerAck === null || peerAck < sendN, 'bad_state', 'an ack beyond what was sent');
    check(/^\d{5} \d{5}$/.test(state.safety_code), 'bad_state', 'not a safety code');
    const sendCk = decode(state.send_ck, 32);
    const recvCk = decode(state.recv_ck, 32);
    session._send = new SendChain(sendCk, chatId, epoch, session._ownDir);
    session._send.nextN = sendN;
    session._recv = new ReceiveChain(recvCk, chatId, epoch, session._peerDir);
    session._recv.nextN = recvN;
    wipe(sendCk, recvCk);
    session._epoch = epoch;
    session._peerAck = peerAck;
    session._cont = decode(state.cont, 32);
    session._safetyCode = state.safety_code;
    return session;
  }

  /** A type 3 frame handing the chat to ik2 (whose certificate is cert2). */
  sendTransfer(ik2, cert2) {
    this._chain();
    check(bytesEqual(parseCertificate(cert2).ik, ik2), 'unauthorised_transfer', 'cert2 is not for ik2');
    check(this._epoch < MAX_EPOCH, 'exhausted', 'no epoch left');
    const sig = sign(this._seed, transferSignedBytes(this.chatId, this._epoch + 1, ik2));
    return this._seal(FrameType.TRANSFER, { ik2, cert2, sig });
  }
}
