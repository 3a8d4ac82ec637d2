// The one thing the workspace writes while chats are open: a sealed blob in
// sessionStorage at `pagehide`, so that a reload does not lose the conversations.
//
//   key   = first 32 bytes of SHA-512(UTF-8("HLP1-ui/reload") ‖ identity seed)
//   blob  = b64u(nonce(24) ‖ secretbox(UTF-8(JSON {time, aliasCounter, handled, chats}), nonce, key))
//
// The seed is in memory only (unwrapped with the password), so the blob opens only
// after the counsellor unlocks again; nothing is ever written in plaintext. The next
// load takes the blob and deletes it at once, and ignores it when older than
// MAX_AGE_MS. The only other entry is the shift's handled count (a number).

import { b64uDecode, b64uEncode, nacl } from '/static/crypto/hlp1.mjs';

export const RELOAD_KEY = 'helpline.staff.reload';
export const HANDLED_KEY = 'helpline.staff.handled';
export const MAX_AGE_MS = 120_000;
const LABEL = new TextEncoder().encode('HLP1-ui/reload');

export function reloadKey(seed) {
  const input = new Uint8Array(LABEL.length + seed.length);
  input.set(LABEL);
  input.set(seed, LABEL.length);
  const key = nacl.hash(input).slice(0, 32);
  input.fill(0);
  return key;
}

/** Seals a JSON-able object under the seed's reload key. */
export function seal(data, seed) {
  const key = reloadKey(seed);
  const nonce = nacl.randomBytes(24);
  const box = nacl.secretbox(new TextEncoder().encode(JSON.stringify(data)), nonce, key);
  key.fill(0);
  const out = new Uint8Array(24 + box.length);
  out.set(nonce);
  out.set(box, 24);
  return b64uEncode(out);
}

/** The object inside a blob, or null (wrong seed, damaged, not ours). */
export function open(blob, seed) {
  if (typeof blob !== 'string') return null;
  let bytes;
  try {
    bytes = b64uDecode(blob);
  } catch {
    return null;
  }
  if (bytes.length < 24 + 16) return null;
  const key = reloadKey(seed);
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

/** pagehide: stores the sealed blob (a storage that refuses just loses the reload). */
export function saveBlob(storage, data, seed) {
  try {
    storage.setItem(RELOAD_KEY, seal(data, seed));
    return true;
  } catch {
    return false;
  }
}

/** After unlocking: the saved state, deleted from storage at once; null when absent,
 *  unreadable or older than MAX_AGE_MS (or from the future). */
export function takeBlob(storage, seed, nowMs = Date.now()) {
  let blob = null;
  try {
    blob = storage.getItem(RELOAD_KEY);
    storage.removeItem(RELOAD_KEY);
  } catch {
    return null;
  }
  if (blob === null) return null;
  const data = open(blob, seed);
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
