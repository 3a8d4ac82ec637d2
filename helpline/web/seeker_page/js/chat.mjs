// One chat as the seeker's page sees it: the HLP1 session (crypto/js) over the
// relay's delivery rules (delivery.mjs). Takes relay frames, returns what the page
// should show; everything that goes to the server passes through `send`.
//
// Rules:
// - Nothing is shown before the counsellor's ACCEPT verified: certificate under the
//   pinned organisation key, not revoked, signature over our commitment. An ACCEPT
//   refused for what it says (VERIFICATION_CODES) stops the chat ("verification"):
//   we never talk to an unverified party. One refused for when it came (another
//   epoch, no handshake in flight, malformed) may be a replay or junk from the relay
//   and changes nothing; a handshake that does not complete is started again after
//   HANDSHAKE_TIMEOUT by the page (restartHandshake).
// - A data frame that fails before authentication (tampered, foreign, replayed,
//   another epoch) is dropped and acknowledged, since the genuine frame can still
//   come. One that breaks the session after authentication stops the chat ("broken").
// - Every relay is acknowledged once processed, whatever it held, so that the
//   counsellor's window never stays full.

import {
  CryptoError,
  FrameType,
  MAX_PLAINTEXT,
  SeekerSession,
  b64uDecode,
  b64uEncode,
} from '/static/crypto/hlp1.mjs';
import { encodePlaintext } from '/static/crypto/frames.mjs';
import { ChatDelivery } from './delivery.mjs';

const BRACE = 0x7b; // a handshake message is JSON: it starts with "{"
const LARGEST_ACK = 0xffffffff;
// What an ACCEPT can be refused for that says the counsellor is not who they must be.
const VERIFICATION_CODES = new Set([
  'bad_signature',
  'bad_cert',
  'bad_handle',
  'bad_key',
  'small_order',
  'expired',
  'revoked',
  'identity_changed',
  'unauthorised_transfer',
  'bad_flags',
  'zero_shared_secret',
  'stale_revocation_list',
  'no_revocation_list',
]);

export { HANDSHAKE_TIMEOUT } from '/static/crypto/hlp1.mjs';

export const now = () => Math.floor(Date.now() / 1000);

/** Why a chat had to stop: "verification" (unverified counsellor) or "broken". */
export class ChatStopped extends Error {
  constructor(why, code) {
    super(`${why}: ${code}`);
    this.why = why;
    this.code = code;
  }
}

/** True when text is small enough for one HLP1 message (checked before sending). */
export function fitsInOneMessage(text) {
  return encodePlaintext(FrameType.MESSAGE, { text, ack: LARGEST_ACK }).length <= MAX_PLAINTEXT;
}

export class SeekerChat {
  /**
   * @param {string} chatId the relay's chat id (b64u of 16 bytes)
   * @param {{orgPub: Uint8Array, revocations: object}} trust
   * @param {(frame: object) => void} send puts a frame on the socket (or drops it
   *   while disconnected: delivery sends it again after the resume)
   */
  constructor(chatId, trust, send) {
    this.chatId = chatId;
    this._trust = trust;
    this._send = send;
    this.delivery = new ChatDelivery(chatId);
    this.session = null;
    this._ackScheduled = false;
  }

  /** The first handshake of a new chat. */
  start() {
    this.session = new SeekerSession(b64uDecode(this.chatId), this._trust.orgPub, this._trust.revocations);
    this._submit(this.session.hello(now()));
  }

  /**
   * After a page reload: a re-hello from the saved state (or a first HELLO when the
   * reload came before the first handshake finished). What was in flight before the
   * reload is lost with the old keys; the server's replays of it are acknowledged.
   */
  restart(saved, acceptedSeq) {
    this.delivery.lastSeq = acceptedSeq;
    this.delivery.deliveredSeq = acceptedSeq;
    const { orgPub, revocations } = this._trust;
    this.session = saved
      ? SeekerSession.resumeFrom(saved, orgPub, revocations)
      : new SeekerSession(b64uDecode(this.chatId), orgPub, revocations);
    this._submit(this.session.hello(now()));
  }

  /** A new HELLO when the last one was never answered (the session allows it after
   *  HANDSHAKE_TIMEOUT); false when that is not possible. */
  restartHandshake() {
    if (this.session === null || this.session.closed) return false;
    try {
      this._submit(this.session.hello(now()));
      return true;
    } catch {
      return false;
    }
  }

  get established() {
    return this.session !== null && this.session.established;
  }

  /** What sessionStorage keeps to re-hello after a reload (null before the first epoch). */
  savedState() {
    try {
      return this.session ? this.session.exportState() : null;
    } catch {
      return null;
    }
  }

  /** A `relay` frame from the server; returns page events (may throw ChatStopped). */
  onRelay(frame) {
    if (!this.delivery.onRelay(frame.seq)) return []; // a replay: shown once only
    this._scheduleAck();
    let payload;
    try {
      payload = b64uDecode(frame.payload);
    } catch {
      return [];
    }
    if (this.session === null || this.session.closed || payload.length === 0) return [];
    const handshake = payload[0] === BRACE;
    let events;
    try {
      events = this.session.receive(payload, now());
    } catch (error) {
      if (!(error instanceof CryptoError)) throw error;
      if (handshake && VERIFICATION_CODES.has(error.code)) throw this._stop('verification', error.code);
      if (this.session.closed) throw this._stop('broken', error.code);
      return []; // not authenticated: the genuine frame can still arrive
    }
    const out = [];
    for (const event of events) {
      if (event.kind === 'outgoing') this._submit(event.payload);
      else if (event.kind === 'established') {
        out.push({
          kind: 'established',
          handle: event.handle,
          safetyCode: event.safetyCode,
          transcripts: event.transcripts,
        });
      } else if (event.kind === 'message') out.push({ kind: 'message', n: event.n, text: event.text });
      else if (event.kind === 'typing') out.push({ kind: 'typing', on: event.on });
      else if (event.kind === 'transferRequested') out.push({ kind: 'transfer', handle: event.handle2 });
      else if (event.kind === 'peerClosed') out.push({ kind: 'peerClosed' });
    }
    return out;
  }

  /** `delivered`: returns the seq the counsellor now has everything up to. */
  onDelivered(seq) {
    this._sendAll(this.delivery.onDelivered(seq));
    return this.delivery.deliveredSeq;
  }

  /** After a resume on a new connection. */
  onResumed(acceptedSeq) {
    this.delivery.newConnection();
    this._sendAll(this.delivery.onResume(acceptedSeq));
    this._flushAck();
  }

  /** Encrypts and sends text; returns its relay seq. Throws CryptoError "too_large". */
  sendText(text) {
    return this._submit(this.session.sendMessage(text));
  }

  sendTyping(on) {
    if (this.established) this._submit(this.session.sendTyping(on));
  }

  /** Tells the counsellor (encrypted) that we end the chat, then wipes the keys. */
  close(reason) {
    if (this.established) {
      try {
        this._submit(this.session.sendClose(reason));
      } catch {
        // closing anyway
      }
    }
    this.destroy();
  }

  /** Wipes every key and every payload this chat holds, at once (quick exit). */
  destroy() {
    if (this.session !== null) this.session.destroy();
    this.delivery.wipe();
  }

  _stop(why, code) {
    this.destroy();
    return new ChatStopped(why, code);
  }

  _submit(bytes) {
    const envelopes = this.delivery.submit(b64uEncode(bytes));
    this._sendAll(envelopes);
    return this.delivery.lastSeq;
  }

  _sendAll(envelopes) {
    for (const { seq, payload } of envelopes) this._send({ v: 1, type: 'relay', seq, payload });
  }

  _scheduleAck() {
    if (this._ackScheduled) return;
    this._ackScheduled = true;
    queueMicrotask(() => {
      this._ackScheduled = false;
      this._flushAck();
    });
  }

  _flushAck() {
    const seq = this.delivery.ackDue();
    if (seq === null) return;
    this._send({ v: 1, type: 'ack', seq });
    this.delivery.acked(seq);
  }
}
