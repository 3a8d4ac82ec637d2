// Delivery for the seeker's one chat (docs/protocol.md §3), without any I/O: the
// browser twin of helpline/client_delivery.py.
//
// Outgoing envelopes are numbered 1, 2, 3… and kept until the server says the
// counsellor has them (`delivered`); at most `windowFrames` envelopes and
// `windowBytes` payload bytes are outstanding, more wait here and go out as
// `delivered` frees room. After a resume, everything after the server's
// `accepted_seq` goes out again (the server drops what it already has). Incoming
// envelopes whose seq is not above the last one processed are replays: dropped, so
// that every message is shown once and in order. The page only moves the answers
// onto the socket.

export class ChatDelivery {
  /**
   * @param {string} chatId
   * @param {{windowFrames?: number, windowBytes?: number}} [options]
   */
  constructor(chatId, { windowFrames = 64, windowBytes = 1024 * 1024 } = {}) {
    this.chatId = chatId;
    this.windowFrames = windowFrames;
    this.windowBytes = windowBytes;
    this.lastSeq = 0; // the highest seq handed out
    this.deliveredSeq = 0; // the counsellor has everything up to here
    this._inFlight = []; // [{seq, payload}] sent (or to send again), not delivered
    this._inFlightBytes = 0;
    this._waiting = []; // numbered, held back by the window
    this.receivedSeq = 0; // the last relay processed
    this.ackedSeq = 0; // the last ack written on the current connection
  }

  /** Envelopes the counsellor does not have yet, sent or not. */
  get undelivered() {
    return this._inFlight.length + this._waiting.length;
  }

  /** Numbers a new envelope; returns the envelopes to send now (maybe none). */
  submit(payload) {
    this.lastSeq += 1;
    this._waiting.push({ seq: this.lastSeq, payload });
    return this._release();
  }

  /** The counsellor has everything up to seq; returns what may go out now. */
  onDelivered(seq) {
    const upTo = Math.min(seq, this.lastSeq);
    if (upTo <= this.deliveredSeq) return [];
    this.deliveredSeq = upTo;
    while (this._inFlight.length && this._inFlight[0].seq <= upTo) {
      this._inFlightBytes -= this._inFlight.shift().payload.length;
    }
    return this._release();
  }

  /** After a resume: the server holds everything up to acceptedSeq. */
  onResume(acceptedSeq) {
    const again = this._inFlight.filter((envelope) => envelope.seq > acceptedSeq);
    return again.concat(this._release());
  }

  _release() {
    const out = [];
    while (this._waiting.length) {
      const size = this._waiting[0].payload.length;
      if (
        this._inFlight.length &&
        (this._inFlight.length >= this.windowFrames || this._inFlightBytes + size > this.windowBytes)
      ) {
        break;
      }
      const envelope = this._waiting.shift();
      this._inFlight.push(envelope);
      this._inFlightBytes += size;
      out.push(envelope);
    }
    return out;
  }

  /** An incoming envelope; false for a replay already processed. */
  onRelay(seq) {
    if (seq <= this.receivedSeq) return false;
    this.receivedSeq = seq;
    return true;
  }

  /** The cumulative ack to send now, or null when the last one still holds. */
  ackDue() {
    return this.receivedSeq > this.ackedSeq ? this.receivedSeq : null;
  }

  acked(seq) {
    this.ackedSeq = Math.max(this.ackedSeq, seq);
  }

  /** Acks written on a lost connection may never have arrived: owe them again. */
  newConnection() {
    this.ackedSeq = 0;
  }

  /** Forget every payload (quick exit, end of chat). */
  wipe() {
    this._inFlight = [];
    this._waiting = [];
    this._inFlightBytes = 0;
  }
}
