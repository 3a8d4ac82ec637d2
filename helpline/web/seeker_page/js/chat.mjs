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
// - Handover (HLP1 type 3): once the transfer frame checks out, the HELLO for the next
//   epoch goes out at once (the relay holds it until the colleague accepts) and only
//   the colleague's key (ik2) may answer it. Messages the first counsellor had not
//   acknowledged (HLP1 acks, not the relay's), and those written meanwhile (held here,
//   never encrypted for a counsellor who has left), are sent again in the new epoch.
// - The page's messages are named by an id of ours (sendText's answer), since a
//   message sent again gets a new relay seq; "delivered" then names ids.

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
// Messages kept to send again after a handover, at most (the oldest are forgotten
// beyond: a counsellor who acknowledges nothing for this long is not reading).
export const MAX_UNACKED = 256;
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

/** The waiting screen's note for a `requeued` frame's reason. */
export function requeuedNote(reason) {
  return (
    {
      handed_back: 'waiting_handed_back',
      transfer_failed: 'waiting_transfer_failed',
      transferred: 'waiting_transferred',
    }[reason] ?? 'waiting_counsellor_lost'
  );
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
    this.awaitingHandshake = false; // a HELLO is out, its epoch not yet established
    this.transferring = false; // a handover is under way (transfer frame → established)
    this._nextId = 1;
    this._undelivered = new Map(); // message id -> its relay seq (null: to be sent again)
    this._unacked = new Map(); // n in this epoch -> {id, text}, not yet acknowledged (HLP1)
    this._held = []; // [{id, text}] written during a handover, sent once it is done
  }

  /** The first handshake of a new chat. */
  start() {
    this.session = new SeekerSession(b64uDecode(this.chatId), this._trust.orgPub, this._trust.revocations);
    this._hello();
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
    this._hello();
  }

  /** A new HELLO when the last one was never answered (the session allows it after
   *  HANDSHAKE_TIMEOUT); false when that is not possible. */
  restartHandshake() {
    if (this.session === null || this.session.closed) return false;
    try {
      this._hello();
      return true;
    } catch {
      return false;
    }
  }

  _hello() {
    this._submit(this.session.hello(now()));
    this.awaitingHandshake = true;
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
    // A transfer names the next counsellor: one that does not check out is a failed
    // verification too (only authenticated frames get that far: the codes below come
    // after the MAC).
    const transfer = !handshake && payload.length > 1 && payload[1] === FrameType.TRANSFER;
    let events;
    try {
      events = this.session.receive(payload, now());
    } catch (error) {
      if (!(error instanceof CryptoError)) throw error;
      if ((handshake || transfer) && VERIFICATION_CODES.has(error.code)) throw this._stop('verification', error.code);
      if (this.session.closed) throw this._stop('broken', error.code);
      return []; // not authenticated: the genuine frame can still arrive
    }
    const out = [];
    for (const event of events) {
      if (event.kind === 'outgoing') this._submit(event.payload);
      else if (event.kind === 'established') out.push(this._onEstablished(event));
      else if (event.kind === 'message') out.push({ kind: 'message', n: event.n, text: event.text });
      else if (event.kind === 'typing') out.push({ kind: 'typing', on: event.on });
      else if (event.kind === 'transferRequested') out.push(this._onTransfer(event));
      else if (event.kind === 'peerClosed') out.push({ kind: 'peerClosed' });
    }
    const acked = this._ackedIds();
    if (acked.length) out.push({ kind: 'delivered', ids: acked });
    return out;
  }

  /** The new epoch is in place: what the old one left unacknowledged goes out again. */
  _onEstablished(event) {
    const transferred = this.transferring;
    this.awaitingHandshake = false;
    this.transferring = false;
    const again = [...this._unacked.entries()]
      .filter(([n]) => event.prevEpochAck === null || n > event.prevEpochAck)
      .sort(([a], [b]) => a - b)
      .map(([, message]) => message);
    this._unacked.clear();
    const held = this._held;
    this._held = [];
    for (const { id, text } of again.concat(held)) {
      const seq = this._seal(id, text);
      if (this._undelivered.has(id)) this._undelivered.set(id, seq); // else shown delivered already
    }
    return {
      kind: 'established',
      epoch: event.epoch,
      handle: event.handle,
      safetyCode: event.safetyCode,
      transcripts: event.transcripts,
      transferred,
      resent: again.length + held.length,
    };
  }

  /** A verified transfer frame: the HELLO for the colleague goes out at once. */
  _onTransfer(event) {
    this.transferring = true;
    // What the first counsellor's relay had not confirmed will not reach anyone who
    // can read it: those messages wait for the new epoch (their old seqs mean nothing).
    for (const id of this._undelivered.keys()) this._undelivered.set(id, null);
    try {
      this._hello();
    } catch (error) {
      if (!(error instanceof CryptoError)) throw error;
      throw this._stop(VERIFICATION_CODES.has(error.code) ? 'verification' : 'broken', error.code);
    }
    return { kind: 'transfer', handle: event.handle2 };
  }

  /** Ids of messages the counsellor has acknowledged (HLP1) and the relay had not confirmed. */
  _ackedIds() {
    const ack = this.session === null || this.session.closed ? null : this.session.peerAck;
    const ids = [];
    if (ack === null) return ids;
    for (const [n, { id }] of this._unacked) {
      if (n > ack) continue;
      this._unacked.delete(n);
      if (this._undelivered.delete(id)) ids.push(id);
    }
    return ids;
  }

  /** `delivered`: returns the ids of the page's messages the counsellor now has. */
  onDelivered(seq) {
    this._sendAll(this.delivery.onDelivered(seq));
    const upTo = this.delivery.deliveredSeq;
    const ids = [];
    for (const [id, at] of this._undelivered) {
      if (at === null || at > upTo) continue;
      this._undelivered.delete(id);
      ids.push(id);
    }
    return ids;
  }

  /** After a resume on a new connection. */
  onResumed(acceptedSeq) {
    this.delivery.newConnection();
    this._sendAll(this.delivery.onResume(acceptedSeq));
    this._flushAck();
  }

  /**
   * Encrypts and sends text (during a handover: keeps it for the new epoch); returns
   * the message's id, which onDelivered and the "delivered" event name. Throws
   * CryptoError "too_large" (nothing is sent or kept).
   */
  sendText(text) {
    if (this.transferring) {
      if (!fitsInOneMessage(text)) throw new CryptoError('too_large', 'too long for one message');
      const id = this._nextId++;
      this._held.push({ id, text });
      this._undelivered.set(id, null);
      return id;
    }
    const id = this._nextId;
    const seq = this._seal(id, text);
    this._nextId += 1;
    this._undelivered.set(id, seq);
    return id;
  }

  /** Encrypts one message in the current epoch and submits it; returns its relay seq. */
  _seal(id, text) {
    const n = this.session.sent;
    const seq = this._submit(this.session.sendMessage(text));
    this._unacked.set(n, { id, text });
    if (this._unacked.size > MAX_UNACKED) this._unacked.delete(this._unacked.keys().next().value);
    return seq;
  }

  sendTyping(on) {
    if (this.established && !this.transferring) this._submit(this.session.sendTyping(on));
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
    this._unacked.clear();
    this._held = [];
    this._undelivered.clear();
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
