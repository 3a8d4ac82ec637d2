// The counsellor's WebSocket (docs/protocol.md §1, §2.6): the seeker page's link
// (helpline/web/seeker_page/js/link.mjs: ping, dead-connection detection, backoff with
// jitter, retry when back online) with the staff endpoint and stop codes. The staff
// session cookie authenticates the connection, so no first frame is needed; the
// server's `welcome` lists the open chats with their accepted_seq.
//
// Stop codes: 1000, 1009, 4001 (the session ended: sign in again), 4010 (replaced by a
// newer tab), 4011 (too many errors). A handshake refused with HTTP 401 shows up as
// 1006 and is retried; every failed retry is reported (onDown(failures)), so that the
// app can check GET /api/me when retries keep failing.

import { CLOSE_REPLACED, SeekerLink, socketUrl } from '/static/seeker/js/link.mjs';

export { CLOSE_REPLACED };
export const CLOSE_SESSION_ENDED = 4001;
const STOP_CODES = new Set([1000, 1009, CLOSE_SESSION_ENDED, CLOSE_REPLACED, 4011]);

export function staffSocketUrl(loc = globalThis.location) {
  return socketUrl('/ws/staff', loc);
}

export class StaffLink extends SeekerLink {
  /**
   * @param {{onFrame: (frame: object) => void, onUp: () => void, onDown: (failures: number) => void,
   *          onStop: (code: number) => void}} handlers
   * @param {{url?: string, WebSocketImpl?: typeof WebSocket}} [options]
   */
  constructor(handlers, { url, WebSocketImpl } = {}) {
    super(handlers, { url: url ?? staffSocketUrl(), stopCodes: STOP_CODES, WebSocketImpl, reportFailedRetries: true });
  }
}
