// The one thing the workspace writes while chats are open: a sealed blob in
// sessionStorage at `pagehide`, so that a reload does not lose the conversations.
//
//   key   = first 32 bytes of SHA-512(UTF-8("HLP1-ui/reload") ‖ identity seed ‖ reload_key)
//   blob  = b64u(nonce(24) ‖ secretbox(UTF-8(JSON {time, aliasCounter, handled, chats}), nonce, key))
//
// sessionStorage is not only memory: a browser's session restore may write it to disk,
// so a captured blob must not open for as long as the long-term seed lives. Hence two
// inputs: the seed (in memory only, unwrapped with the password: the blob opens only
// after the counsellor unlocks again) and `reload_key`, 32 bytes the server sends with
// the login answer and GET /api/me (an HMAC of the session token: gone with the
// session). Without a reload_key nothing is saved. Nothing is ever written in
// plaintext. The next load takes the blob and deletes it at once, and ignores it when
// older than MAX_AGE_MS; `pageshow` deletes it too (a page back from the back-forward
// cache goes on sending, so the blob written at its pagehide is out of date). The
// only other entry is the shift's handled count (a number).

import { b64uDecode, b64uEncode, nacl } from '/static/crypto/hlp1.mjs';

export const RELOAD_KEY = 'helpline.staff.reload';
export const HANDLED_KEY = 'helpline.staff.handled';
export const MAX_AGE_MS = 120_000;
export const SESSION_KEY_BYTES = 32;
const LABEL = new TextEncoder().encode('HLP1-ui/reload');

/** The 32-byte reload_key of a login / GET /api/me answer, or null when absent or bad. */
export function sessionReloadKey(me) {
  if (!me || typeof me.reload_key !== 'string') return null;
  try {
    const key = b64uDecode(me.reload_key);
    return key.length === SESSION_KEY_BYTES ? key : null;
  } catch {
    return null;
  }
}

function checkKeys(seed, sessionKey) {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) throw new TypeError('the identity seed is 32 bytes');
  if (!(sessionKey instanceof Uint8Array) || sessionKey.length !== SESSION_KEY_BYTES) throw new TypeError('the reload_key is 32 bytes');
}

/** first 32 bytes of SHA-512(label ‖ seed ‖ reload_key); throws without both keys. */
export function reloadKey(seed, sessionKey) {
  checkKeys(seed, sessionKey);
  const input = new Uint8Array(LABEL.length + seed.length + sessionKey.length);
  input.set(LABEL);
  input.set(seed, LABEL.length);
  input.set(sessionKey, LABEL.length + seed.length);
  const key = nacl.hash(input).slice(0, 32);
  input.fill(0);
  return key;
}

/** Seals a JSON-able object under the reload key of (seed, reload_key). */
export function seal(data, seed, sessionKey) {
  const key = reloadKey(seed, sessionKey);
  const nonce = nacl.randomBytes(24);
  const box = nacl.secretbox(new TextEncoder().encode(JSON.stringify(data)), nonce, key);
  key.fill(0);
  const out = new Uint8Array(24 + box.length);
  out.set(nonce);
  out.set(box, 24);
  return b64uEncode(out);
}

/** The object inside a blob, or null (wrong seed or reload_key, damaged, not ours). */
export function open(blob, seed, sessionKey) {
  if (typeof blob !== 'string') return null;
  let bytes;
  try {
    bytes = b64uDecode(blob);
  } catch {
    return null;
  }
  if (bytes.length < 24 + 16) return null;
  let key;
  try {
    key = reloadKey(seed, sessionKey);
  } catch {
    return null;
  }
  const plain = nacl.secretbox.open(bytes.subarray(24), bytes.subarray(0, 24), key);
  key.fill(0);
  if (plain === null) return null;
  try {
    const data = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plain));
    plain.fill(0);
    return data !== null && typeof data === 'object' && !Array.isArray(data) ? data : null;
  } catch {
    return null;
  }
}

/** pagehide: stores the sealed blob (a storage that refuses, or no reload_key, just
 *  loses the reload; an older blob is removed either way). */
export function saveBlob(storage, data, seed, sessionKey) {
  try {
    storage.setItem(RELOAD_KEY, seal(data, seed, sessionKey));
    return true;
  } catch {
    dropBlob(storage);
    return false;
  }
}

/** Removes the blob (pageshow, nothing to save): an out-of-date one must never be restored. */
export function dropBlob(storage) {
  try {
    storage.removeItem(RELOAD_KEY);
  } catch {
    // nothing stored
  }
}

/** After unlocking: the saved state, deleted from storage at once; null when absent,
 *  unreadable or older than MAX_AGE_MS (or from the future). */
export function takeBlob(storage, seed, sessionKey, nowMs = Date.now()) {
  let blob = null;
  try {
    blob = storage.getItem(RELOAD_KEY);
    storage.removeItem(RELOAD_KEY);
  } catch {
    return null;
  }
  if (blob === null) return null;
  const data = open(blob, seed, sessionKey);
  if (data === null || typeof data.time !== 'number') return null;
  const age = nowMs - data.time;
  if (age < 0 || age > MAX_AGE_MS) return null;
  return Array.isArray(data.chats) ? data : null;
}

export function readHandled(storage) {
  try {
    const n = Number.parseInt(storage.getItem(HANDLED_KEY) ?? '0', 10);
    return Number.isSafeInteger(n) && n >= 0 ? n : 0;
  } catch {
    return 0;
  }
}

export function writeHandled(storage, n) {
  try {
    storage.setItem(HANDLED_KEY, String(n));
  } catch {
    // a refused storage only loses the count
  }
}

/** Sign-out: nothing of this workspace stays in the tab. */
export function clearAll(storage) {
  try {
    storage.removeItem(RELOAD_KEY);
    storage.removeItem(HANDLED_KEY);
  } catch {
    // nothing stored
  }
}
