// Primitives on tweetnacl: SHA-512, HMAC-SHA-512 (RFC 2104 over nacl.hash),
// HKDF Extract/Expand (RFC 5869 with HMAC-SHA-512), X25519 with the all-zero
// check HLP1 requires, constant-time comparison, wiping.

import nacl from './nacl.mjs';
import { CryptoError, check } from './errors.mjs';
import { concat } from './encoding.mjs';

const BLOCK = 128; // SHA-512 block size in bytes

/** H = SHA-512. */
export function sha512(msg) {
  return nacl.hash(msg);
}

/** HMAC(k, m) with SHA-512. */
export function hmacSha512(key, msg) {
  const k = new Uint8Array(BLOCK);
  k.set(key.length > BLOCK ? nacl.hash(key) : key);
  const inner = new Uint8Array(BLOCK + msg.length);
  const outer = new Uint8Array(BLOCK + 64);
  for (let i = 0; i < BLOCK; i++) {
    inner[i] = k[i] ^ 0x36;
    outer[i] = k[i] ^ 0x5c;
  }
  inner.set(msg, BLOCK);
  outer.set(nacl.hash(inner), BLOCK);
  const out = nacl.hash(outer);
  k.fill(0);
  inner.fill(0);
  outer.fill(0);
  return out;
}

/** Extract(salt, ikm) = HMAC(salt, ikm). */
export function hkdfExtract(salt, ikm) {
  return hmacSha512(salt, ikm);
}

/** HKDF-Expand (RFC 5869) with HMAC-SHA-512. */
export function hkdfExpand(prk, info, length) {
  check(Number.isInteger(length) && length > 0 && length <= 255 * 64, 'unexpected', 'bad length');
  const out = new Uint8Array(length);
  let t = new Uint8Array(0);
  for (let i = 1, o = 0; o < length; i++) {
    t = hmacSha512(prk, concat(t, info, Uint8Array.of(i)));
    out.set(t.subarray(0, Math.min(64, length - o)), o);
    o += 64;
  }
  return out;
}

/**
 * Raw X25519 (not box.before). An all-zero output (a small-order peer key) aborts
 * with CryptoError("zero_shared_secret"): tweetnacl does not check it, libsodium does.
 */
export function x25519(secret, peerPublic) {
  check(secret.length === 32 && peerPublic.length === 32, 'bad_key', 'X25519 keys are 32 bytes');
  const out = nacl.scalarMult(secret, peerPublic);
  let acc = 0;
  for (const b of out) acc |= b;
  if (acc === 0) throw new CryptoError('zero_shared_secret', 'X25519 output is all zero');
  return out;
}

/** X25519 public key of a 32-byte secret. */
export function x25519Public(secret) {
  return nacl.scalarMult.base(secret);
}

/** Constant-time equality of two byte strings (lengths are public). */
export function bytesEqual(a, b) {
  if (a.length !== b.length) return false;
  if (a.length === 0) return true;
  return nacl.verify(a, b);
}

/** Overwrites secret bytes (best effort in a garbage-collected language). */
export function wipe(...arrays) {
  for (const a of arrays) if (a) a.fill(0);
}

export function randomBytes(n) {
  return nacl.randomBytes(n);
}
