// A small, slow, variable-time BigInt model of edwards25519, for checks on PUBLIC
// data only: whether a key the organisation is asked to certify is a point of the
// prime-order subgroup (libsodium's crypto_core_ed25519_is_valid_point), and, in the
// tests, re-deriving the small-order encodings of ed25519.mjs. Never use it on secrets.

import { check } from './errors.mjs';
import { hasSmallOrder, isCanonicalPoint } from './ed25519.mjs';

export const P = 2n ** 255n - 19n;
export const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const mod = (a) => ((a % P) + P) % P;
const pow = (b, e) => {
  let r = 1n;
  b = mod(b);
  while (e > 0n) {
    if (e & 1n) r = (r * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return r;
};
const inv = (a) => pow(a, P - 2n);
export const D = mod(-121665n * inv(121666n));
const SQRT_M1 = pow(2n, (P - 1n) / 4n);

/** Extended coordinates (X, Y, Z, T). */
export const IDENTITY = Object.freeze([0n, 1n, 1n, 0n]);

export function add([x1, y1, z1, t1], [x2, y2, z2, t2]) {
  const a = mod((y1 - x1) * (y2 - x2));
  const b = mod((y1 + x1) * (y2 + x2));
  const c = mod(2n * D * t1 * t2);
  const d = mod(2n * z1 * z2);
  const e = b - a;
  const f = d - c;
  const g = d + c;
  const h = b + a;
  return [mod(e * f), mod(g * h), mod(f * g), mod(e * h)];
}

export function multiply(point, scalar) {
  let r = IDENTITY;
  let q = point;
  while (scalar > 0n) {
    if (scalar & 1n) r = add(r, q);
    q = add(q, q);
    scalar >>= 1n;
  }
  return r;
}

export function isIdentity([x, y, z]) {
  return mod(x) === 0n && mod(y - z) === 0n;
}

export function affine([x, y, z]) {
  const zi = inv(z);
  return [mod(x * zi), mod(y * zi)];
}

/** Decodes 32 bytes (y reduced mod p as libsodium does); null when not on the curve. */
export function decode(bytes) {
  let y = 0n;
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(bytes[i]);
  const sign = y >> 255n;
  y = mod(y & ((1n << 255n) - 1n));
  const u = mod(y * y - 1n);
  const v = mod(D * y * y + 1n);
  let x = mod(u * pow(v, 3n) * pow(u * pow(v, 7n), (P - 5n) / 8n));
  if (mod(v * x * x - u) !== 0n) {
    if (mod(v * x * x + u) !== 0n) return null;
    x = mod(x * SQRT_M1);
  }
  if ((x & 1n) !== sign) x = mod(-x);
  return [x, y, 1n, mod(x * y)];
}

export function encode(point) {
  const [x, y] = affine(point);
  const v = y | ((x & 1n) << 255n);
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((v >> BigInt(8 * i)) & 255n);
  return out;
}

/** libsodium's crypto_core_ed25519_is_valid_point: canonical, not small order, on the curve, order L. */
export function isValidPoint(bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) return false;
  if (!isCanonicalPoint(bytes) || hasSmallOrder(bytes)) return false;
  const pt = decode(bytes);
  return pt !== null && isIdentity(multiply(pt, L));
}

/**
 * Refuses a key the organisation must not certify (crypto.primitives.check_certifiable_key):
 * "bad_key" (length), "small_order", "bad_key" (non-canonical, not on the curve, or not
 * in the prime-order subgroup).
 */
export function checkCertifiableKey(pk) {
  check(pk instanceof Uint8Array && pk.length === 32, 'bad_key', 'an Ed25519 public key is 32 bytes');
  check(!hasSmallOrder(pk), 'small_order', 'small-order Ed25519 key');
  check(isValidPoint(pk), 'bad_key', 'not a canonical point of the prime-order subgroup');
}
