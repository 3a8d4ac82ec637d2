// The seeker's WebSocket to the server (docs/protocol.md §1), kept alive across a
// flaky network: the page sees frames and "up"/"down", never a socket.
//
// Rules:
// - The URL is built from the page's own location (wss on https), so the page
//   works unchanged behind an onion address: no absolute URL anywhere.
// - Every (re)connection starts with the frame `hello()` returns (join, or resume
//   with the token once there is one).
// - A connection counts as dead when it closes, or when nothing arrived for
//   DEAD_AFTER_MS although we pinged every PING_EVERY_MS (a half-open TCP
//   connection on a phone that changed networks never closes by itself). A dead
//   connection is abandoned at once and a new one tried after a backoff of
//   0.5 s doubling to 8 s, with jitter; going back online tries at once.
// - Close codes that mean "stop" (§2.6: 1000, 1009, 4010 resumed in another tab,
//   4011) end the link; 4012 and flooding (4009) do not happen to a well-behaved
//   page and are retried.
// - `hello()` may return null: nothing left to join or resume, the link stops.
// - The counsellor workspace uses the same link (counsellor_ui/js/link.mjs) with its
//   own URL and stop codes, no first frame (its session cookie says who it is), and
//   `reportFailedRetries`, so that it hears of every failed retry, not only of a
//   connection lost after it was up.

const PING_EVERY_MS = 10_000;
const DEAD_AFTER_MS = 25_000;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 8_000;
const CONNECT_TIMEOUT_MS = 10_000;
export const CLOSE_REPLACED = 4010;
const STOP_CODES = new Set([1000, 1009, CLOSE_REPLACED, 4011]);

/** The WebSocket URL of `path` on the page's own origin (wss on https). */
export function socketUrl(path, loc = globalThis.location) {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}${path}`;
}

export class SeekerLink {
  /**
   * @param {{hello?: () => object, onFrame: (frame: object) => void,
   *          onUp: () => void, onDown: (failures: number) => void, onStop: (code: number) => void}} handlers
   * @param {{url?: string, stopCodes?: Set<number>, WebSocketImpl?: typeof WebSocket,
   *          reportFailedRetries?: boolean}} [options]
   */
  constructor(handlers, { url, stopCodes = STOP_CODES, WebSocketImpl, reportFailedRetries = false } = {}) {
    this._handlers = handlers;
    this._url = url ?? SeekerLink.defaultUrl();
    this._stopCodes = stopCodes;
    this._WS = WebSocketImpl ?? globalThis.WebSocket;
    this._reportFailedRetries = reportFailedRetries;
    this._failures = 0;
    this._ws = null;
    this._stopped = false;
    this._backoff = BACKOFF_MIN_MS;
    this._retryTimer = null;
    this._pingTimer = null;
    this._lastHeard = 0;
    this._up = false;
    this._onOnline = () => this._retryNow();
  }

  static defaultUrl() {
    return socketUrl('/ws/seeker');
  }

  get up() {
    return this._up;
  }

  start() {
    globalThis.addEventListener?.('online', this._onOnline);
    this._connect();
  }

  /** Sends a frame if the socket is open; false otherwise (delivery re-sends later). */
  send(frame) {
    if (!this._up || this._ws === null || this._ws.readyState !== 1 /* OPEN */) return false;
    this._ws.send(JSON.stringify(frame));
    return true;
  }

  /** Ends the link for good (leave, quick exit, end of chat); no more callbacks. */
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
    // A connection attempt that hangs (a network that swallows packets) is given up.
    const timeout = setTimeout(() => {
      if (ws === this._ws && !this._up) this._lost(1006);
    }, CONNECT_TIMEOUT_MS);
    ws.onopen = () => {
      clearTimeout(timeout);
      if (ws !== this._ws) return;
      this._lastHeard = Date.now();
      if (this._handlers.hello) {
        const first = this._handlers.hello();
        if (first === null) {
          this.stop();
          this._handlers.onStop(1000);
          return;
        }
        ws.send(JSON.stringify(first));
      }
      this._up = true;
      this._failures = 0;
      this._backoff = BACKOFF_MIN_MS;
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
        return; // the server only sends JSON; anything else is not ours to read
      }
      if (frame !== null && typeof frame === 'object' && !Array.isArray(frame)) this._handlers.onFrame(frame);
    };
    ws.onclose = (event) => {
      clearTimeout(timeout);
      if (ws !== this._ws) return;
      this._lost(event.code);
    };
    ws.onerror = () => {}; // onclose follows and decides
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
    if (this._stopCodes.has(code)) {
      this._stopped = true;
      globalThis.removeEventListener?.('online', this._onOnline);
      this._handlers.onStop(code);
      return;
    }
    this._failures += 1;
    if (wasUp || (this._reportFailedRetries && this._failures > 1)) this._handlers.onDown(this._failures);
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
