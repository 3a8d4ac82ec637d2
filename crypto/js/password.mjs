// Counsellor passwords and the wrapped identity seed (issue 3, item 6); mirrors
// crypto.password. WebCrypto (globalThis.crypto.subtle) does PBKDF2 and HMAC-SHA-256,
// in browsers and in Node 20; tweetnacl does secretbox.
//
//   master        = PBKDF2-HMAC-SHA256(NFC(password) as UTF-8, salt, iterations, 32)
//   login_secret  = HMAC-SHA256(master, "HLP1/login-secret")   (raw ASCII, no zero byte)
//   wrapping_key  = HMAC-SHA256(master, "HLP1/wrapping-key")
//   wrapped       = nonce(24) ‖ secretbox(seed, nonce, wrapping_key)
//
// Only login_secret is ever sent to the server; the wrapping key never leaves the page.

import nacl from './nacl.mjs';
import { CryptoError, check } from './errors.mjs';
import { ascii, concat, utf8Encode } from './encoding.mjs';
import { wipe } from './primitives.mjs';

export const PBKDF2_ITERATIONS = 600_000;
export const MAX_ITERATIONS = 10_000_000;
export const SALT_BYTES = 16;
export const SEED_BYTES = 32;
const NONCE_BYTES = 24;
export const WRAPPED_BYTES = NONCE_BYTES + 16 + SEED_BYTES; // 72

function subtle() {
  const s = globalThis.crypto && globalThis.crypto.subtle;
  if (!s) throw new CryptoError('unsupported', 'WebCrypto is not available (needs a secure context)');
  return s;
}

async function hmacSha256(key, msg) {
  const k = await subtle().importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle().sign('HMAC', k, msg));
}

/**
 * The server's PBKDF2 iteration count if minimum ≤ iterations ≤ MAX_ITERATIONS, else
 * CryptoError("weak_kdf"). The count comes from the server: every client (the browser
 * workspace included) calls this on the server's answer before derivePasswordKeys,
 * which itself accepts any positive count (the test vectors use 1,000).
 */
export function checkIterations(iterations, minimum = PBKDF2_ITERATIONS) {
  check(
    Number.isSafeInteger(iterations) && iterations >= minimum && iterations <= MAX_ITERATIONS,
    'weak_kdf',
    "the server's PBKDF2 iteration count is out of range",
  );
  return iterations;
}

/** @returns {Promise<{loginSecret: Uint8Array, wrappingKey: Uint8Array}>} */
export async function derivePasswordKeys(password, salt, iterations = PBKDF2_ITERATIONS) {
  check(typeof password === 'string', 'bad_password', 'password must be a string');
  check(Number.isSafeInteger(iterations) && iterations >= 1, 'bad_password', 'iterations must be positive');
  check(
    salt instanceof Uint8Array && salt.length >= SALT_BYTES && salt.length <= 64,
    'bad_password',
    `salt must be ${SALT_BYTES} to 64 bytes`,
  );
  let pw;
  try {
    pw = utf8Encode(password.normalize('NFC'));
  } catch {
    throw new CryptoError('bad_password', 'password is not valid Unicode');
  }
  const base = await subtle().importKey('raw', pw, 'PBKDF2', false, ['deriveBits']);
  const master = new Uint8Array(
    await subtle().deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, base, 256),
  );
  wipe(pw);
  const loginSecret = await hmacSha256(master, ascii('HLP1/login-secret'));
  const wrappingKey = await hmacSha256(master, ascii('HLP1/wrapping-key'));
  wipe(master);
  return Object.freeze({ loginSecret, wrappingKey });
}

/** nonce(24) ‖ secretbox(seed, nonce, wrappingKey); a random nonce unless given. */
export function wrapSeed(seed, wrappingKey, nonce = null) {
  check(seed instanceof Uint8Array && seed.length === SEED_BYTES, 'bad_key', 'a seed is 32 bytes');
  const n = nonce === null ? nacl.randomBytes(NONCE_BYTES) : nonce;
  check(wrappingKey instanceof Uint8Array && wrappingKey.length === 32, 'bad_key', 'secretbox key must be 32 bytes');
  check(n instanceof Uint8Array && n.length === NONCE_BYTES, 'bad_key', 'secretbox nonce must be 24 bytes');
  return concat(n, nacl.secretbox(seed, n, wrappingKey));
}

/** The seed inside a wrapped blob; CryptoError("bad_mac") under a wrong key. */
export function unwrapSeed(wrapped, wrappingKey) {
  check(wrapped instanceof Uint8Array && wrapped.length === WRAPPED_BYTES, 'bad_mac', 'a wrapped seed is 72 bytes');
  check(wrappingKey instanceof Uint8Array && wrappingKey.length === 32, 'bad_key', 'secretbox key must be 32 bytes');
  const seed = nacl.secretbox.open(wrapped.subarray(NONCE_BYTES), wrapped.subarray(0, NONCE_BYTES), wrappingKey);
  if (seed === null) throw new CryptoError('bad_mac', 'wrong password or damaged key');
  return seed;
}
