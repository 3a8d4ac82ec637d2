// Organisation keys, counsellor certificates and revocation lists
// (e2e-protocol.md, Keys 1-4). Mirrors crypto.certs.
//
//   cert_body = lbl("HLP1/cert") ‖ IKc_pub ‖ u64(not_after) ‖ u8(len(handle)) ‖ handle
//   cert      = cert_body ‖ Sign_ORG(cert_body)
//   rl_body   = lbl("HLP1/revoked") ‖ u64(issued_at) ‖ u64(expires_at) ‖ u32(count) ‖ IKc_pub…
//   list      = rl_body ‖ Sign_ORG(rl_body)
//
// Verifiers check the handle's length and UTF-8 validity only; the signing side also
// refuses a handle that is not NFC or holds Cc/Cf/Zl/Zp characters.

import { CryptoError, check } from './errors.mjs';
import {
  compareBytes,
  concat,
  lbl,
  readU32,
  readU64,
  toHex,
  u32,
  u64,
  u8,
  utf8Decode,
  utf8Encode,
} from './encoding.mjs';
import { bytesEqual, sha512, x25519Public } from './primitives.mjs';
import { checkPeerIdentityKey, publicKeyFromSeed, sign, verifyOrThrow } from './ed25519.mjs';
import { checkCertifiableKey } from './edwards.mjs';

export const DAY = 86_400;
export const MAX_CERT_VALIDITY = 90 * DAY;
export const MAX_REVOCATION_WINDOW = 35 * DAY;
export const REVOCATION_CLOCK_SKEW = 300;
export const MAX_HANDLE_BYTES = 64;

const CERT_LABEL = lbl('HLP1/cert');
const REVOKED_LABEL = lbl('HLP1/revoked');
const FINGERPRINT_LABEL = lbl('HLP1/fingerprint');
const SIG = 64;

/** "3f2a 91c0 …": SHA-512(lbl("HLP1/fingerprint") ‖ key)[0:16], 8 groups of 4 hex digits. */
export function fingerprint(publicKey) {
  const hex = toHex(sha512(concat(FINGERPRINT_LABEL, publicKey)).subarray(0, 16));
  return hex.match(/.{4}/g).join(' ');
}

export function orgPublicKey(orgSeed) {
  return publicKeyFromSeed(orgSeed);
}

export function identityPublicKey(seed) {
  return publicKeyFromSeed(seed);
}

/** The organisation's X25519 records public key. */
export function recordsPublicKey(recordsSecret) {
  return x25519Public(recordsSecret);
}

/** A verified certificate. */
export class Certificate {
  constructor(ik, notAfter, handle, raw) {
    this.ik = ik;
    this.notAfter = notAfter;
    this.handle = handle;
    this.raw = raw;
    Object.freeze(this);
  }
}

/** The signing tool's handle rules; returns the UTF-8 bytes ("bad_handle"). */
export function checkHandleForSigning(handle) {
  check(typeof handle === 'string', 'bad_handle', 'handle must be a string');
  let bytes;
  try {
    bytes = utf8Encode(handle);
  } catch {
    throw new CryptoError('bad_handle', 'handle is not valid Unicode');
  }
  check(bytes.length >= 1 && bytes.length <= MAX_HANDLE_BYTES, 'bad_handle', 'handle must be 1 to 64 bytes of UTF-8');
  check(handle.normalize('NFC') === handle, 'bad_handle', 'handle is not in NFC');
  check(!/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(handle), 'bad_handle', 'handle contains control or format characters');
  return bytes;
}

/** Certifies ik until notAfter (inclusive) under handle (the organisation's signing tool). */
export function makeCertificate(orgSeed, ik, notAfter, handle) {
  const h = checkHandleForSigning(handle);
  checkCertifiableKey(ik);
  check(
    (typeof notAfter === 'bigint' || Number.isSafeInteger(notAfter)) && notAfter >= 0 && BigInt(notAfter) < 2n ** 64n,
    'bad_cert',
    'not_after out of range',
  );
  const body = concat(CERT_LABEL, ik, u64(notAfter), u8(h.length), h);
  return concat(body, sign(orgSeed, body));
}

const CERT_FIXED = CERT_LABEL.length + 32 + 8 + 1;

/**
 * The layout and handle rules only, no signature and no time: "bad_cert" (layout),
 * "bad_handle" (length byte, UTF-8), "small_order" / "bad_key" (identity key).
 */
export function parseCertificate(cert) {
  check(
    cert instanceof Uint8Array &&
      cert.length >= CERT_FIXED + SIG &&
      bytesEqual(cert.subarray(0, CERT_LABEL.length), CERT_LABEL),
    'bad_cert',
    'not an HLP1 certificate',
  );
  const at = CERT_LABEL.length;
  const ik = cert.slice(at, at + 32);
  const notAfter = readU64(cert, at + 32);
  const hlen = cert[CERT_FIXED - 1];
  check(hlen >= 1 && hlen <= MAX_HANDLE_BYTES, 'bad_handle', 'handle must be 1 to 64 bytes');
  check(cert.length === CERT_FIXED + hlen + SIG, 'bad_cert', 'certificate length does not match its handle');
  const handle = utf8Decode(cert.subarray(CERT_FIXED, CERT_FIXED + hlen), 'bad_handle');
  checkPeerIdentityKey(ik);
  return new Certificate(ik, notAfter, handle, cert.slice());
}

/**
 * Layout, handle, identity key, strict organisation signature ("bad_signature"), then
 * the window now ≤ not_after ("expired") ≤ now + 90 days ("bad_cert").
 */
export function verifyCertificate(orgPub, cert, now) {
  const parsed = parseCertificate(cert);
  verifyOrThrow(cert.subarray(cert.length - SIG), cert.subarray(0, cert.length - SIG), orgPub);
  check(typeof parsed.notAfter === 'bigint' || now <= parsed.notAfter, 'expired', 'certificate has expired');
  check(
    typeof parsed.notAfter === 'number' && parsed.notAfter <= now + MAX_CERT_VALIDITY,
    'bad_cert',
    'certificate valid for more than 90 days',
  );
  return parsed;
}

/** H(cert), signature included. */
export function certHash(cert) {
  return sha512(cert);
}

/** A verified revocation list; revoked keys in ascending byte order. */
export class RevocationList {
  constructor(issuedAt, expiresAt, revoked, raw) {
    this.issuedAt = issuedAt;
    this.expiresAt = expiresAt;
    this.revoked = Object.freeze(revoked);
    this.raw = raw;
    this._hex = new Set(revoked.map(toHex));
    Object.freeze(this);
  }

  /** True when the identity key is on the list. */
  has(ik) {
    return this._hex.has(toHex(ik));
  }

  /** issued_at − 300 ≤ now ≤ expires_at, else "stale_revocation_list". */
  checkCurrent(now) {
    check(
      this.issuedAt - REVOCATION_CLOCK_SKEW <= now && now <= this.expiresAt,
      'stale_revocation_list',
      'revocation list is not current',
    );
  }
}

/** Signs a list of revoked identity keys (sorted and deduplicated here). */
export function makeRevocationList(orgSeed, issuedAt, expiresAt, revoked) {
  const keys = [...revoked];
  check(keys.every((k) => k instanceof Uint8Array && k.length === 32), 'bad_key', 'revoked keys are 32 bytes');
  keys.sort(compareBytes);
  const unique = keys.filter((k, i) => i === 0 || compareBytes(keys[i - 1], k) !== 0);
  check(
    Number.isSafeInteger(issuedAt) &&
      Number.isSafeInteger(expiresAt) &&
      issuedAt >= 0 &&
      expiresAt - issuedAt >= 0 &&
      expiresAt - issuedAt <= MAX_REVOCATION_WINDOW,
    'bad_revocation_list',
    'expires_at − issued_at must be 0 to 35 days',
  );
  const body = concat(REVOKED_LABEL, u64(issuedAt), u64(expiresAt), u32(unique.length), ...unique);
  return concat(body, sign(orgSeed, body));
}

/**
 * Layout, order ("bad_revocation_list"), strict signature ("bad_signature"), window of
 * at most 35 days ("bad_revocation_list"), currency and monotonicity against
 * newestIssuedAt ("stale_revocation_list").
 */
export function verifyRevocationList(orgPub, blob, now, newestIssuedAt = null) {
  const fixed = REVOKED_LABEL.length + 8 + 8 + 4;
  check(
    blob instanceof Uint8Array &&
      blob.length >= fixed + SIG &&
      bytesEqual(blob.subarray(0, REVOKED_LABEL.length), REVOKED_LABEL),
    'bad_revocation_list',
    'not an HLP1 revocation list',
  );
  const at = REVOKED_LABEL.length;
  const issuedAt = readU64(blob, at);
  const expiresAt = readU64(blob, at + 8);
  const count = readU32(blob, at + 16);
  check(blob.length === fixed + count * 32 + SIG, 'bad_revocation_list', 'length does not match the count');
  const keys = [];
  for (let i = 0; i < count; i++) keys.push(blob.slice(fixed + 32 * i, fixed + 32 * (i + 1)));
  for (let i = 1; i < count; i++)
    check(compareBytes(keys[i - 1], keys[i]) < 0, 'bad_revocation_list', 'keys are not sorted and unique');
  verifyOrThrow(blob.subarray(blob.length - SIG), blob.subarray(0, blob.length - SIG), orgPub);
  const span = BigInt(expiresAt) - BigInt(issuedAt);
  check(span >= 0n && span <= BigInt(MAX_REVOCATION_WINDOW), 'bad_revocation_list', 'window longer than 35 days');
  // Both are now below 2^53 unless both are huge; such a list is never current.
  const list = new RevocationList(Number(issuedAt), Number(expiresAt), keys, blob.slice());
  list.checkCurrent(now);
  check(
    newestIssuedAt === null || newestIssuedAt === undefined || list.issuedAt >= newestIssuedAt,
    'stale_revocation_list',
    'older than a list already accepted',
  );
  return list;
}
