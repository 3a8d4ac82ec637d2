// One chat as the counsellor's workspace sees it, without any DOM: the HLP1 session
// (CounsellorSession, crypto/js) over the relay's delivery rules (the seeker page's
// ChatDelivery), the alias, the unread count and the transcript shown on screen.
// Everything that goes to the server passes through `send(frame)`.
//
// Rules:
// - Every relay is acknowledged by seq once seen, whatever it held: after a transfer
//   the new counsellor is replayed old-epoch envelopes it cannot read, and a refused
//   frame must never keep the seeker's window full. Replays (seq not above the last
//   processed) are dropped before decryption, so a message shows once.
// - A frame that fails before authentication changes nothing (the genuine one can still
//   come); one that closes the session after authentication makes the chat `broken`.
// - Transfer to a colleague: the TRANSFER frame takes the next relay seq but is NOT
//   submitted to the delivery: the server accepts envelope and transfer as one step.
//   If it refuses, the delivery's numbering is untouched (nothing to roll back) but the
//   HLP1 sending chain has used that frame number: a later frame would leave a gap the
//   seeker waits on forever, and re-encrypting under the same key would reuse a nonce.
//   So after a refusal the chat can no longer send; the same envelope may be offered
//   to the same colleague again, and the chat can still be handed back or ended.
// - Stale state: a chat restored from an out-of-date reload blob (a page back from the
//   back-forward cache went on sending after the blob was written) has its HLP1 send
//   chain rolled back: anything it encrypted now would reuse a key and nonce already
//   used for other text. The welcome's accepted_seq shows it (the server holds
//   envelopes this delivery never numbered): the chat becomes `broken` ('stale_state'),
//   its keys are wiped at once and it never sends again; End and hand-back still work.
// - destroy() wipes the session's keys, the delivery's payloads and the transcript.

import { CounsellorSession, CryptoError, FrameType, MAX_PLAINTEXT, b64uDecode, b64uEncode } from '/static/crypto/hlp1.mjs';
import { encodePlaintext } from '/static/crypto/frames.mjs';
import { ChatDelivery } from '/static/seeker/js/delivery.mjs';

const BRACE = 0x7b;
const LARGEST_ACK = 0xffffffff;
export const MAX_TRANSCRIPT = 2000; // entries kept per chat (bounded; oldest dropped)
// Entries per chat in the reload blob: sessionStorage may land on disk (a browser's
// session restore), so the sealed blob carries as little conversation as a reload
// needs. Older entries are lost over a reload (and are not re-sent after a re-hello).
export const MAX_RELOAD_TRANSCRIPT = 200;
export const STALE_STATE = 'stale_state';

export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** True when text is small enough for one HLP1 message (checked before sending). */
export function fitsInOneMessage(text) {
  return encodePlaintext(FrameType.MESSAGE, { text, ack: LARGEST_ACK }).length <= MAX_PLAINTEXT;
}

/** The delivery's state that a reload needs (payloads are ciphertext already). */
export function exportDelivery(delivery) {
  return {
    lastSeq: delivery.lastSeq,
    deliveredSeq: delivery.deliveredSeq,
    receivedSeq: delivery.receivedSeq,
    inFlight: delivery._inFlight.map(({ seq, payload }) => ({ seq, payload })),
    waiting: delivery._waiting.map(({ seq, payload }) => ({ seq, payload })),
  };
}

/** A ChatDelivery rebuilt from exportDelivery's output (checked: it was decrypted from
 *  our own sealed blob, but a bad shape must not throw deep inside later). */
export function restoreDelivery(chatId, state) {
  const d = new ChatDelivery(chatId);
  const int = (v) => (Number.isSafeInteger(v) && v >= 0 ? v : 0);
  const list = (l) =>
    Array.isArray(l)
      ? l.filter((e) => e && Number.isSafeInteger(e.seq) && typeof e.payload === 'string').map((e) => ({ seq: e.seq, payload: e.payload }))
      : [];
  d.lastSeq = int(state.lastSeq);
  d.deliveredSeq = int(state.deliveredSeq);
  d.receivedSeq = int(state.receivedSeq);
  d._inFlight = list(state.inFlight);
  d._inFlightBytes = d._inFlight.reduce((sum, e) => sum + e.payload.length, 0);
  d._waiting = list(state.waiting);
  return d;
}

export class StaffChat {
  /**
   * @param {{chatId: string, alias: string, language: string, startedAt: number,
   *          send: (frame: object) => void, session: CounsellorSession|null,
   *          delivery?: ChatDelivery, transcript?: object[]}} options
   */
  constructor({ chatId, alias, language, startedAt, send, session, delivery, transcript }) {
    this.chatId = chatId;
    this.alias = alias;
    this.language = language;
    this.startedAt = startedAt;
    this._send = send;
    this.session = session;
    this.delivery = delivery ?? new ChatDelivery(chatId);
    this.transcript = transcript ?? [];
    this._nextEntry = this.transcript.reduce((m, e) => Math.max(m, e.id + 1), 1);
    this.orphan = session === null; // not in this tab's memory: cannot be decrypted
    this.unread = 0;
    this.peerConnected = true;
    this.theyType = false;
    this.safetyCode = session && session.established ? session.safetyCode : null;
    this.samePerson = null;
    this.ended = null; // the server's chat_ended reason once over
    this.broken = null; // why this chat can no longer send (a CryptoError code)
    this.pendingAction = null; // 'end' | 'requeue' | 'transfer' | 'block' awaiting the server
    this.pendingTransfer = null; // {to, seq, payload} while a colleague transfer is asked
    this.failedTransfer = null; // {to, seq, payload} refused: may be offered again
    this.help = false;
    this._ackScheduled = false;
  }

  /** A chat just matched (or accepted after a transfer): numbering goes on from
   *  acceptedSeq, the server's count of what this chat's counsellors sent. */
  static open({ chatId, alias, language, identity, acceptedSeq = 0, send, startedAt = Date.now() }) {
    const session = new CounsellorSession(b64uDecode(chatId), identity.seed, identity.cert, false);
    const chat = new StaffChat({ chatId, alias, language, startedAt, send, session });
    chat.delivery.lastSeq = acceptedSeq;
    chat.delivery.deliveredSeq = acceptedSeq;
    return chat;
  }

  /** A chat the server lists that this tab has no keys for (a new tab): End only. */
  static orphan({ chatId, alias, language, send }) {
    return new StaffChat({ chatId, alias, language, startedAt: Date.now(), send, session: null });
  }

  get established() {
    return this.session !== null && this.session.established;
  }

  /** Whether the composer may send now. */
  get canSend() {
    return this.established && !this.ended && !this.broken && this.pendingTransfer === null && this.failedTransfer === null;
  }

  // -- incoming -----------------------------------------------------------------------

  /** A `relay` frame: returns events for the view ({kind: established|message|typing|peerClosed|broken}). */
  onRelay(frame) {
    if (!this.delivery.onRelay(frame.seq)) return []; // a replay: shown once only
    this._scheduleAck();
    if (this.session === null || this.session.closed || this.ended) return [];
    let payload;
    try {
      payload = b64uDecode(frame.payload);
    } catch {
      return [];
    }
    if (payload.length === 0) return [];
    let events;
    try {
      events = this.session.receive(payload, nowSeconds());
    } catch (error) {
      if (!(error instanceof CryptoError)) throw error;
      if (this.session.closed) {
        this.broken = error.code;
        return [{ kind: 'broken', code: error.code }];
      }
      return []; // not authenticated (or an old epoch's frame after a transfer): acked, dropped
    }
    const out = [];
    for (const event of events) {
      if (event.kind === 'outgoing') this._submit(event.payload);
      else if (event.kind === 'established') {
        const first = this.safetyCode === null;
        this.safetyCode = event.safetyCode;
        this.samePerson = event.samePerson;
        this._resendPreviousEpoch(event);
        out.push({ kind: 'established', first, safetyCode: event.safetyCode, samePerson: event.samePerson });
      } else if (event.kind === 'message') {
        this.theyType = false;
        const entry = this._add('theirs', event.text);
        this.unread += 1;
        out.push({ kind: 'message', entry });
      } else if (event.kind === 'typing') {
        this.theyType = event.on;
        out.push({ kind: 'typing', on: event.on });
      } else if (event.kind === 'peerClosed') {
        out.push({ kind: 'peerClosed', reason: event.reason });
      }
    }
    return out;
  }

  /** `delivered`: the seeker has everything up to seq. */
  onDelivered(seq) {
    this._sendAll(this.delivery.onDelivered(seq));
    return this.delivery.deliveredSeq;
  }

  /** After (re)connecting: the server holds our envelopes up to acceptedSeq. Returns
   *  [{kind: 'broken', code: 'stale_state'}] when this state is out of date, else []. */
  onResumed(acceptedSeq) {
    this.delivery.newConnection();
    if (this.pendingTransfer === null && this.failedTransfer && this.failedTransfer.seq <= acceptedSeq) {
      // The refused transfer did go through after all: its envelope took that number.
      this.delivery.lastSeq = Math.max(this.delivery.lastSeq, this.failedTransfer.seq);
      this.failedTransfer = null;
    }
    const numbered = Math.max(this.delivery.lastSeq, this.failedTransfer?.seq ?? 0, this.pendingTransfer?.seq ?? 0);
    if (Number.isSafeInteger(acceptedSeq) && acceptedSeq > numbered && this.session !== null && this.broken !== STALE_STATE) {
      // The server has envelopes this state never numbered: it was restored from an
      // out-of-date blob and its send chain is behind. Never encrypt with it again.
      this.broken = STALE_STATE;
      this.session.destroy();
      this.delivery.wipe();
      this.pendingTransfer = this.failedTransfer = null;
      this._flushAck();
      return [{ kind: 'broken', code: STALE_STATE }];
    }
    this._sendAll(this.delivery.onResume(acceptedSeq));
    this._flushAck();
    return [];
  }

  markRead() {
    this.unread = 0;
  }

  // -- outgoing -----------------------------------------------------------------------

  /** Encrypts and sends text; returns the transcript entry. Throws CryptoError. */
  sendText(text) {
    if (!this.canSend) throw new CryptoError('unexpected', 'this chat cannot send now');
    const n = this.session.sent;
    const epoch = this.session.epoch;
    const seq = this._submit(this.session.sendMessage(text));
    return this._add('mine', text, { seq, epoch, n });
  }

  sendTyping(on) {
    if (this.canSend) this._submit(this.session.sendTyping(on));
  }

  /** Whether a transfer envelope can go out now (it cannot wait behind the window). */
  get transferRoom() {
    const d = this.delivery;
    return d._waiting.length === 0 && d._inFlight.length < d.windowFrames - 1; // typing + transfer
  }

  /** The `transfer` frame handing this chat to a colleague (username, ik, cert bytes). */
  transferFrame(to, ik2, cert2) {
    if (this.failedTransfer !== null) {
      // The refused envelope is the only one the seeker can still take: same colleague only.
      if (this.failedTransfer.to !== to) throw new CryptoError('unexpected', 'only the same colleague can be asked again');
      this.pendingTransfer = this.failedTransfer;
      this.failedTransfer = null;
    } else {
      if (!this.canSend) throw new CryptoError('unexpected', 'this chat cannot send now');
      if (!this.transferRoom) throw new CryptoError('window_full', 'wait until the visitor has received your messages');
      // A typing frame first carries our latest acknowledgement (the transfer frame has
      // none): the visitor's page then re-sends to the colleague only what we never read,
      // so what we did read does not travel with the chat.
      this._submit(this.session.sendTyping(false));
      const payload = b64uEncode(this.session.sendTransfer(ik2, cert2));
      this.pendingTransfer = { to, seq: this.delivery.lastSeq + 1, payload };
    }
    this.pendingAction = 'transfer';
    const { seq, payload } = this.pendingTransfer;
    return { v: 1, type: 'transfer', chat_id: this.chatId, to, seq, payload };
  }

  /** The server refused the transfer: the envelope was not accepted either. */
  transferRefused() {
    this.failedTransfer = this.pendingTransfer;
    this.pendingTransfer = null;
    this.pendingAction = null;
  }

  /** The encrypted goodbye before `end` (best effort; closes the session). */
  sendClose(reason) {
    if (!this.canSend) return;
    try {
      this._submit(this.session.sendClose(reason));
    } catch {
      // ending anyway
    }
  }

  // -- reload -------------------------------------------------------------------------

  /** What the sealed reload blob keeps for this chat (null when it cannot be kept). */
  exportForReload() {
    if (this.session === null || this.ended || this.session.closed || typeof this.session.exportState !== 'function') return null;
    let sessionState;
    try {
      sessionState = this.session.exportState();
    } catch {
      return null;
    }
    return {
      chatId: this.chatId,
      alias: this.alias,
      language: this.language,
      startedAt: this.startedAt,
      sessionState,
      delivery: exportDelivery(this.delivery),
      transcript: this.transcript.slice(-MAX_RELOAD_TRANSCRIPT).map((e) => ({ ...e })),
      failedTransfer: this.failedTransfer,
      broken: this.broken,
    };
  }

  /** A chat from the reload blob; throws when the session cannot be restored. */
  static restore(saved, identity, send) {
    const session = CounsellorSession.resumeFrom(saved.sessionState, identity.seed, identity.cert);
    const transcript = Array.isArray(saved.transcript)
      ? saved.transcript
          .filter((e) => e && Number.isSafeInteger(e.id) && (e.dir === 'mine' || e.dir === 'theirs' || e.dir === 'note') && typeof e.text === 'string')
          .slice(-MAX_RELOAD_TRANSCRIPT)
      : [];
    const chat = new StaffChat({
      chatId: saved.chatId,
      alias: String(saved.alias),
      language: String(saved.language),
      startedAt: Number(saved.startedAt) || Date.now(),
      send,
      session,
      delivery: restoreDelivery(saved.chatId, saved.delivery ?? {}),
      transcript,
    });
    if (saved.failedTransfer && typeof saved.failedTransfer.payload === 'string') chat.failedTransfer = saved.failedTransfer;
    if (typeof saved.broken === 'string') chat.broken = saved.broken;
    return chat;
  }

  /** Wipes keys, payloads and the transcript. */
  destroy() {
    if (this.session !== null) this.session.destroy();
    this.delivery.wipe();
    for (const entry of this.transcript) entry.text = '';
    this.transcript = [];
    this.pendingTransfer = this.failedTransfer = null;
  }

  // -- internals ----------------------------------------------------------------------

  note(text) {
    return this._add('note', text);
  }

  _add(dir, text, extra = {}) {
    const entry = { id: this._nextEntry++, dir, text, at: Date.now(), ...extra };
    this.transcript.push(entry);
    if (this.transcript.length > MAX_TRANSCRIPT) this.transcript.shift();
    return entry;
  }

  /** After a seeker's re-hello: our messages it had not acknowledged in the old epoch
   *  go again, re-encrypted in the new one. */
  _resendPreviousEpoch(event) {
    const previous = event.epoch - 1;
    if (previous < 0) return;
    const missed = this.transcript.filter(
      (e) => e.dir === 'mine' && e.epoch === previous && (event.prevEpochAck === null || e.n > event.prevEpochAck),
    );
    for (const entry of missed) {
      try {
        entry.n = this.session.sent;
        entry.epoch = this.session.epoch;
        entry.seq = this._submit(this.session.sendMessage(entry.text));
      } catch {
        return;
      }
    }
  }

  _submit(bytes) {
    this._sendAll(this.delivery.submit(b64uEncode(bytes)));
    return this.delivery.lastSeq;
  }

  _sendAll(envelopes) {
    for (const { seq, payload } of envelopes) this._send({ v: 1, type: 'relay', chat_id: this.chatId, seq, payload });
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
    this._send({ v: 1, type: 'ack', chat_id: this.chatId, seq });
    this.delivery.acked(seq);
  }
}
