// Byte helpers: strict base64url, hex, UTF-8, big-endian integers, lbl().
// Mirrors crypto.encoding (b64u_encode / b64u_decode -> b64uEncode / b64uDecode).

import { CryptoError, check } from './errors.mjs';

const B64U = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64U_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64U.length; i++) B64U_INDEX[B64U.charCodeAt(i)] = i;

/** @param {Uint8Array} bytes @returns {string} base64url without padding */
export function b64uEncode(bytes) {
  check(bytes instanceof Uint8Array, 'bad_encoding', 'expected bytes');
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += B64U[v >> 18] + B64U[(v >> 12) & 63] + B64U[(v >> 6) & 63] + B64U[v & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const v = bytes[i] << 16;
    out += B64U[v >> 18] + B64U[(v >> 12) & 63];
  } else if (rest === 2) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += B64U[v >> 18] + B64U[(v >> 12) & 63] + B64U[(v >> 6) & 63];
  }
  return out;
}

/**
 * Strict base64url decoding: no padding, nothing outside the alphabet, no
 * impossible length, and the unused trailing bits must be zero (so every byte
 * string has exactly one accepted encoding).
 * @param {string} s @returns {Uint8Array}
 */
export function b64uDecode(s) {
  check(typeof s === 'string', 'bad_encoding', 'expected a string');
  check(s.length % 4 !== 1, 'bad_encoding', 'impossible length');
  const vals = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? B64U_INDEX[c] : -1;
    if (v < 0) throw new CryptoError('bad_encoding', 'character outside the base64url alphabet');
    vals[i] = v;
  }
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let o = 0;
  let i = 0;
  for (; i + 3 < s.length; i += 4) {
    const v = (vals[i] << 18) | (vals[i + 1] << 12) | (vals[i + 2] << 6) | vals[i + 3];
    out[o++] = v >> 16;
    out[o++] = (v >> 8) & 255;
    out[o++] = v & 255;
  }
  const rest = s.length - i;
  if (rest === 2) {
    check((vals[i + 1] & 15) === 0, 'bad_encoding', 'non-canonical trailing bits');
    out[o++] = (vals[i] << 2) | (vals[i + 1] >> 4);
  } else if (rest === 3) {
    check((vals[i + 2] & 3) === 0, 'bad_encoding', 'non-canonical trailing bits');
    const v = (vals[i] << 12) | (vals[i + 1] << 6) | vals[i + 2];
    out[o++] = v >> 10;
    out[o++] = (v >> 2) & 255;
  }
  return out;
}

/** @param {Uint8Array} bytes */
export function toHex(bytes) {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** @param {string} hex */
export function fromHex(hex) {
  check(typeof hex === 'string' && /^(?:[0-9a-f]{2})*$/.test(hex), 'bad_encoding', 'bad hex');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Whether a string has no lone surrogate (String.prototype.isWellFormed where it exists). */
export function isWellFormed(s) {
  return typeof s.isWellFormed === 'function' ? s.isWellFormed() : !/\p{Surrogate}/u.test(s);
}

/** UTF-8 encoding of a well-formed string (lone surrogates are refused, not replaced). */
export function utf8Encode(s) {
  check(typeof s === 'string', 'bad_encoding', 'expected a string');
  check(isWellFormed(s), 'bad_encoding', 'lone surrogate');
  return encoder.encode(s);
}

/** Strict UTF-8 decoding: invalid sequences throw CryptoError(code). A BOM is kept as U+FEFF. */
export function utf8Decode(bytes, code = 'bad_encoding') {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    throw new CryptoError(code, 'invalid UTF-8');
  }
}

/** lbl(s): the ASCII string s followed by one zero byte. */
export function lbl(s) {
  const out = new Uint8Array(s.length + 1);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Raw ASCII bytes without a zero byte (HKDF info strings, "HLP1/step"). */
export function ascii(s) {
  return lbl(s).subarray(0, s.length);
}

/** @param {...Uint8Array} parts */
export function concat(...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function isUint(v, bits) {
  if (typeof v === 'bigint') return v >= 0n && v < 1n << BigInt(bits);
  return Number.isSafeInteger(v) && v >= 0 && (bits > 52 || v < 2 ** bits);
}

export function u8(v) {
  if (!isUint(v, 8)) throw new RangeError('u8 out of range');
  return Uint8Array.of(v);
}

export function u32(v) {
  if (!isUint(v, 32)) throw new RangeError('u32 out of range');
  return Uint8Array.of(v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
}

export function u64(v) {
  if (!isUint(v, 64)) throw new RangeError('u64 out of range');
  let x = BigInt(v);
  const out = new Uint8Array(8);
  for (let i = 7; i >= 0; i--) {
    out[i] = Number(x & 255n);
    x >>= 8n;
  }
  return out;
}

export function readU32(bytes, offset) {
  return (
    bytes[offset] * 2 ** 24 + ((bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3])
  );
}

/** Reads a u64; returns a Number when it is a safe integer, else a BigInt. */
export function readU64(bytes, offset) {
  let x = 0n;
  for (let i = 0; i < 8; i++) x = (x << 8n) | BigInt(bytes[offset + i]);
  return x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x;
}

/** Lexicographic byte comparison (keys compare as raw bytes). */
export function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}
