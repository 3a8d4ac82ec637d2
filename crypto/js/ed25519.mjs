// Strict Ed25519 (e2e-protocol.md, Signatures): the checks libsodium's
// crypto_sign_verify_detached applies and tweetnacl does not, done before
// nacl.sign.detached.verify:
//   - S (signature bytes 32..63, little-endian) must be below the group order L;
//   - the public key and R must be canonical: the 255-bit y (sign bit cleared) below
//     p = 2^255 - 19;
//   - the public key and R must not have small order: with the sign bit cleared, they
//     must differ from every encoding in SMALL_ORDER (the list libsodium uses in
//     ge25519_has_small_order; ed25519.test.mjs re-derives it with BigInt arithmetic).
// tweetnacl then checks the point decodes and that [S]B - [h]A re-encodes to R.
// Seeds (32 bytes) are what we exchange, never tweetnacl's 64-byte secret keys.

import nacl from './nacl.mjs';
import { CryptoError, check } from './errors.mjs';

/** L = 2^252 + 27742317777372353535851937790883648493, little-endian. */
export const GROUP_ORDER = Uint8Array.from([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
]);

const ffs = (first, last) => {
  const b = new Uint8Array(32).fill(0xff);
  b[0] = first;
  b[31] = last;
  return b;
};

/**
 * Encodings (sign bit cleared) of the points of order 1, 2, 4 and 8, including the
 * non-canonical encodings p and p + 1 of y = 0 and y = 1.
 */
export const SMALL_ORDER = Object.freeze([
  new Uint8Array(32), // y = 0: order 4
  Uint8Array.from([1, ...new Uint8Array(31)]), // y = 1: identity
  Uint8Array.from([
    0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
    0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05,
  ]), // order 8
  Uint8Array.from([
    0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
    0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a,
  ]), // order 8
  ffs(0xec, 0x7f), // y = p - 1: order 2
  ffs(0xed, 0x7f), // y = p (non-canonical 0): order 4
  ffs(0xee, 0x7f), // y = p + 1 (non-canonical 1): identity
]);

/** True when the 32-byte little-endian scalar is below L. */
export function isCanonicalScalar(s) {
  for (let i = 31; i >= 0; i--) {
    if (s[i] < GROUP_ORDER[i]) return true;
    if (s[i] > GROUP_ORDER[i]) return false;
  }
  return false; // S == L
}

/** True when the encoded y (sign bit cleared) is below p = 2^255 - 19. */
export function isCanonicalPoint(b) {
  if ((b[31] & 0x7f) !== 0x7f) return true;
  for (let i = 30; i > 0; i--) if (b[i] !== 0xff) return true;
  return b[0] < 0xed;
}

/** True when the encoding, sign bit cleared, is one of SMALL_ORDER. */
export function hasSmallOrder(b) {
  let found = false;
  for (const bad of SMALL_ORDER) {
    let diff = (b[31] & 0x7f) ^ bad[31];
    for (let i = 0; i < 31; i++) diff |= b[i] ^ bad[i];
    found = found || diff === 0;
  }
  return found;
}

/**
 * A verifier's check of an identity key (crypto.primitives.check_peer_identity_key):
 * "bad_key" for a wrong length or a non-canonical encoding, "small_order" for a
 * small-order point.
 */
export function checkPeerIdentityKey(pk) {
  check(pk instanceof Uint8Array && pk.length === 32, 'bad_key', 'an Ed25519 public key is 32 bytes');
  check(!hasSmallOrder(pk), 'small_order', 'small-order Ed25519 key');
  check(isCanonicalPoint(pk), 'bad_key', 'non-canonical Ed25519 key');
}

/** Strict verification; returns a boolean and never throws for bad input. */
export function verifyStrict(sig, msg, pk) {
  if (!(sig instanceof Uint8Array) || sig.length !== 64) return false;
  if (!(pk instanceof Uint8Array) || pk.length !== 32) return false;
  const r = sig.subarray(0, 32);
  const s = sig.subarray(32, 64);
  if (!isCanonicalScalar(s)) return false;
  if (!isCanonicalPoint(r) || hasSmallOrder(r)) return false;
  if (!isCanonicalPoint(pk) || hasSmallOrder(pk)) return false;
  return nacl.sign.detached.verify(msg, sig, pk);
}

/** Strict verification; throws CryptoError(code) on failure. */
export function verifyOrThrow(sig, msg, pk, code = 'bad_signature') {
  if (!verifyStrict(sig, msg, pk)) throw new CryptoError(code, 'signature does not verify');
}

/** Ed25519 public key of a 32-byte seed. */
export function publicKeyFromSeed(seed) {
  check(seed instanceof Uint8Array && seed.length === 32, 'bad_key', 'seeds are 32 bytes');
  return nacl.sign.keyPair.fromSeed(seed).publicKey;
}

/** Detached signature with the key of a 32-byte seed. */
export function sign(seed, msg) {
  check(seed instanceof Uint8Array && seed.length === 32, 'bad_key', 'seeds are 32 bytes');
  const kp = nacl.sign.keyPair.fromSeed(seed);
  const sig = nacl.sign.detached(msg, kp.secretKey);
  kp.secretKey.fill(0);
  return sig;
}
