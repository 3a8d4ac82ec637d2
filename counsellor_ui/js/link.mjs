// The counsellor's WebSocket (docs/protocol.md §1, §2.6), kept alive across a flaky
// network like the seeker's link.mjs: the workspace sees frames and up/down, never a
// socket. The staff session cookie authenticates the connection, so no first frame is
// needed; the server's `welcome` lists the open chats with their accepted_seq.
//
// - URL from the page's own location (wss on https).
// - Dead when closed, or when nothing arrived for DEAD_AFTER_MS although we pinged.
//   Retried after a backoff of 0.5 s doubling to 8 s with jitter; going online retries.
// - Stop codes: 1000, 1009, 4001 (the session ended: sign in again), 4010 (replaced by
//   a newer tab), 4011 (too many errors). A handshake refused with HTTP 401 shows up as
//   1006 and is retried; the app checks GET /api/me when retries keep failing.

const PING_EVERY_MS = 10_000;
const DEAD_AFTER_MS = 25_000;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 8_000;
const CONNECT_TIMEOUT_MS = 10_000;
export const CLOSE_SESSION_ENDED = 4001;
export const CLOSE_REPLACED = 4010;
const STOP_CODES = new Set([1000, 1009, CLOSE_SESSION_ENDED, CLOSE_REPLACED, 4011]);

export function staffSocketUrl(loc = globalThis.location) {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}/ws/staff`;
}

export class StaffLink {
  /**
   * @param {{onFrame: (frame: object) => void, onUp: () => void, onDown: (failures: number) => void,
   *          onStop: (code: number) => void}} handlers
   * @param {{url?: string, WebSocketImpl?: typeof WebSocket}} [options]
   */
  constructor(handlers, { url, WebSocketImpl } = {}) {
    this._handlers = handlers;
    this._url = url ?? staffSocketUrl();
    this._WS = WebSocketImpl ?? globalThis.WebSocket;
    this._ws = null;
    this._stopped = false;
    this._backoff = BACKOFF_MIN_MS;
    this._failures = 0;
    this._retryTimer = null;
    this._pingTimer = null;
    this._lastHeard = 0;
    this._up = false;
    this._onOnline = () => this._retryNow();
  }

  get up() {
    return this._up;
  }

  start() {
    globalThis.addEventListener?.('online', this._onOnline);
    this._connect();
  }

  /** Sends a frame if the socket is open; false otherwise. */
  send(frame) {
    if (!this._up || this._ws === null || this._ws.readyState !== 1) return false;
    this._ws.send(JSON.stringify(frame));
    return true;
  }

  /** Ends the link for good; no more callbacks. */
  stop() {
    this._stopped = true;
    globalThis.removeEventListener?.('online', this._onOnline);
    clearTimeout(this._retryTimer);
    clearInterval(this._pingTimer);
    this._abandon(1000);
  }

  _connect() {
    if (this._stopped) return;
    let ws;
    try {
      ws = new this._WS(this._url);
    } catch {
      this._scheduleRetry();
      return;
    }
    this._ws = ws;
    const timeout = setTimeout(() => {
      if (ws === this._ws && !this._up) this._lost(1006);
    }, CONNECT_TIMEOUT_MS);
    ws.onopen = () => {
      clearTimeout(timeout);
      if (ws !== this._ws) return;
      this._lastHeard = Date.now();
      this._up = true;
      this._backoff = BACKOFF_MIN_MS;
      this._failures = 0;
      clearInterval(this._pingTimer);
      this._pingTimer = setInterval(() => this._heartbeat(), PING_EVERY_MS);
      this._handlers.onUp();
    };
    ws.onmessage = (event) => {
      if (ws !== this._ws || typeof event.data !== 'string') return;
      this._lastHeard = Date.now();
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame !== null && typeof frame === 'object' && !Array.isArray(frame)) this._handlers.onFrame(frame);
    };
    ws.onclose = (event) => {
      clearTimeout(timeout);
      if (ws !== this._ws) return;
      this._lost(event.code);
    };
    ws.onerror = () => {};
  }

  _heartbeat() {
    if (!this._up) return;
    if (Date.now() - this._lastHeard > DEAD_AFTER_MS) {
      this._lost(1006);
      return;
    }
    this.send({ v: 1, type: 'ping' });
  }

  _lost(code) {
    const wasUp = this._up;
    this._abandon(4000);
    if (this._stopped) return;
    if (STOP_CODES.has(code)) {
      this._stopped = true;
      globalThis.removeEventListener?.('online', this._onOnline);
      this._handlers.onStop(code);
      return;
    }
    this._failures += 1;
    if (wasUp || this._failures > 1) this._handlers.onDown(this._failures);
    this._scheduleRetry();
  }

  _abandon(code) {
    this._up = false;
    clearInterval(this._pingTimer);
    const ws = this._ws;
    this._ws = null;
    if (ws !== null) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try {
        ws.close(code);
      } catch {
        // already closing
      }
    }
  }

  _scheduleRetry() {
    clearTimeout(this._retryTimer);
    const delay = this._backoff * (0.75 + Math.random() / 2);
    this._backoff = Math.min(this._backoff * 2, BACKOFF_MAX_MS);
    this._retryTimer = setTimeout(() => this._connect(), delay);
  }

  _retryNow() {
    if (this._stopped || this._up) return;
    clearTimeout(this._retryTimer);
    this._abandon(4000);
    this._connect();
  }
}
