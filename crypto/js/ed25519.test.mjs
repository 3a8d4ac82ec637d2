// Strict Ed25519 checks (e2e-protocol.md, Signatures): the small-order list is
// re-derived with BigInt arithmetic, and each check is shown to reject a signature
// that plain tweetnacl would accept.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import nacl from './nacl.mjs';
import {
  GROUP_ORDER,
  SMALL_ORDER,
  checkPeerIdentityKey,
  hasSmallOrder,
  isCanonicalPoint,
  isCanonicalScalar,
  publicKeyFromSeed,
  sign,
  verifyStrict,
} from './ed25519.mjs';
import {
  L,
  P,
  add as addPts,
  checkCertifiableKey,
  decode,
  encode,
  isIdentity,
  isValidPoint,
  multiply,
} from './edwards.mjs';
import { CryptoError } from './errors.mjs';

const le = (n) => {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 255n);
  return out;
};
const leToBig = (b) => b.reduceRight((acc, x) => (acc << 8n) | BigInt(x), 0n);
const yOf = (b) => leToBig(b) & ((1n << 255n) - 1n);
const throwsCode = (fn, code) => assert.throws(fn, (e) => e instanceof CryptoError && e.code === code);

test('GROUP_ORDER is L', () => {
  assert.equal(leToBig(GROUP_ORDER), L);
});

test('SMALL_ORDER is exactly the y of every point of order dividing 8, with their encodings ≥ p', () => {
  // The torsion subgroup is cyclic of order 8: find a generator among the decodable
  // points obtained by multiplying random points by L (which kills the prime part).
  // [L]Q keeps only the torsion component of a curve point Q; try small y until it
  // has order 8.
  let gen = null;
  for (let y = 2n; gen === null; y++) {
    const cand = decode(le(y));
    if (cand === null) continue;
    const t = multiply(cand, L);
    if (!isIdentity(multiply(t, 4n))) gen = t;
  }
  const ys = new Set();
  let q = gen;
  for (let k = 1; k <= 8; k++) {
    assert.ok(isIdentity(multiply(q, 8n)));
    ys.add(yOf(encode(q)));
    q = multiply(gen, BigInt(k + 1));
  }
  // y = 1 (order 1), p − 1 (order 2), 0 (order 4, x = ±√−1), and y8, p − y8 (order 8, ±x each)
  assert.equal(ys.size, 5);
  const expected = new Set(ys);
  for (const y of ys) if (y + P < 1n << 255n) expected.add(y + P); // non-canonical encodings
  const listed = new Set(SMALL_ORDER.map(yOf));
  assert.deepEqual([...listed].sort(), [...expected].sort());
  for (const enc of SMALL_ORDER) {
    for (const signBit of [0, 0x80]) {
      const b = enc.slice();
      b[31] |= signBit;
      assert.ok(hasSmallOrder(b));
    }
  }
});

test('a valid key is canonical, not small order, and in the prime-order subgroup', () => {
  const pk = publicKeyFromSeed(new Uint8Array(32).fill(7));
  assert.ok(isCanonicalPoint(pk));
  assert.ok(!hasSmallOrder(pk));
  assert.ok(isValidPoint(pk));
  checkCertifiableKey(pk);
  checkPeerIdentityKey(pk);
});

test('isCanonicalScalar compares against L exactly', () => {
  assert.ok(isCanonicalScalar(le(L - 1n)));
  assert.ok(!isCanonicalScalar(le(L)));
  assert.ok(!isCanonicalScalar(le(L + 1n)));
  assert.ok(!isCanonicalScalar(new Uint8Array(32).fill(0xff)));
  assert.ok(isCanonicalScalar(new Uint8Array(32)));
});

test('isCanonicalPoint: y ≥ p is refused whatever the sign bit', () => {
  for (let k = 0n; k < 19n; k++) {
    assert.ok(!isCanonicalPoint(le(P + k)));
    assert.ok(!isCanonicalPoint(le(P + k + (1n << 255n))));
  }
  assert.ok(isCanonicalPoint(le(P - 1n)));
});

const seed = new Uint8Array(32).fill(3);
const pk = publicKeyFromSeed(seed);
const msg = new TextEncoder().encode('HLP1 strictness');

test('a genuine signature verifies', () => {
  assert.ok(verifyStrict(sign(seed, msg), msg, pk));
});

test('S + L is refused although tweetnacl accepts it', () => {
  const sig = sign(seed, msg);
  const s = leToBig(sig.subarray(32)) + L;
  const forged = sig.slice();
  forged.set(le(s), 32);
  assert.ok(nacl.sign.detached.verify(msg, forged, pk), 'tweetnacl alone accepts S + L');
  assert.ok(!verifyStrict(forged, msg, pk));
});

test('the identity key with R = identity, S = 0 is refused although tweetnacl accepts it', () => {
  const identity = le(1n);
  const forged = new Uint8Array(64);
  forged.set(identity, 0);
  assert.ok(nacl.sign.detached.verify(msg, forged, identity), 'tweetnacl alone accepts it');
  assert.ok(!verifyStrict(forged, msg, identity));
});

test('every small-order key and R is refused', () => {
  const sig = sign(seed, msg);
  for (const bad of SMALL_ORDER) {
    const r = sig.slice();
    r.set(bad, 0);
    assert.ok(!verifyStrict(r, msg, pk));
    assert.ok(!verifyStrict(sig, msg, bad));
    throwsCode(() => checkPeerIdentityKey(bad), 'small_order');
    throwsCode(() => checkCertifiableKey(bad), 'small_order');
  }
});

test('a small-order key with a mixed-order R forgery is refused', () => {
  // pk of order 8 and R = pk: with h ≡ −1 (mod 8) nothing else matters; we only need
  // the strict check to refuse before tweetnacl sees it.
  const pk8 = SMALL_ORDER[2];
  const forged = new Uint8Array(64);
  forged.set(pk8, 0);
  assert.ok(!verifyStrict(forged, msg, pk8));
});

test('non-canonical keys are refused; mixed-order keys cannot be certified', () => {
  throwsCode(() => checkPeerIdentityKey(le(P + 3n)), 'bad_key');
  throwsCode(() => checkPeerIdentityKey(new Uint8Array(31)), 'bad_key');
  // pk + a point of order 8: on the curve, canonical, not small order, not prime order
  const mixedPt = encode(addPts(decode(pk), decode(SMALL_ORDER[2])));
  checkPeerIdentityKey(mixedPt); // a verifier accepts it, as libsodium does
  throwsCode(() => checkCertifiableKey(mixedPt), 'bad_key');
});

test('a wrong message or a flipped bit fails', () => {
  const sig = sign(seed, msg);
  for (let bit = 0; bit < 512; bit += 37) {
    const f = sig.slice();
    f[bit >> 3] ^= 1 << (bit & 7);
    assert.ok(!verifyStrict(f, msg, pk));
  }
  assert.ok(!verifyStrict(sig, msg.subarray(1), pk));
  assert.ok(!verifyStrict(sig.subarray(1), msg, pk));
});
