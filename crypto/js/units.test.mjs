// Unit tests below the sessions: encoding, strict JSON, frames and chains, records,
// password keys. Each negative test names the check it exercises.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import nacl from './nacl.mjs';
import { CryptoError } from './errors.mjs';
import { b64uDecode, b64uEncode, toHex } from './encoding.mjs';
import { dumpJson, getInt, parseJson } from './json.mjs';
import {
  BUCKETS,
  FrameType,
  HEADER_BYTES,
  MAX_FRAME,
  MAX_PLAINTEXT,
  ReceiveChain,
  SendChain,
  pad,
  unpad,
} from './frames.mjs';
import { makeCertificate, makeRevocationList, verifyCertificate, verifyRevocationList } from './certs.mjs';
import { publicKeyFromSeed } from './ed25519.mjs';
import { x25519Public } from './primitives.mjs';
import { RecordWriter, openRecords } from './records.mjs';
import { MAX_ITERATIONS, PBKDF2_ITERATIONS, checkIterations, derivePasswordKeys, unwrapSeed, wrapSeed } from './password.mjs';

const enc = new TextEncoder();
const rejects = (fn, code) =>
  assert.throws(fn, (e) => {
    assert.ok(e instanceof CryptoError, `not a CryptoError: ${e}`);
    assert.equal(e.code, code);
    return true;
  });

test('base64url round-trips every length and agrees with Buffer', () => {
  for (let n = 0; n < 70; n++) {
    const b = nacl.randomBytes(n);
    const s = b64uEncode(b);
    assert.equal(s, Buffer.from(b).toString('base64url'));
    assert.deepEqual(b64uDecode(s), b);
  }
});

test('base64url decoding is strict', () => {
  for (const bad of ['AAA=', 'A', 'AB', 'AAB', 'A+A', 'A/A', 'AA A', 'AAAA\n', 'AAé', '====', 'AA==']) {
    rejects(() => b64uDecode(bad), 'bad_encoding');
  }
  rejects(() => b64uDecode(42), 'bad_encoding');
});

test('strict JSON: duplicates, lone surrogates, BOM, NaN, trailing data are refused', () => {
  for (const bad of [
    '{"a":1,"a":2}',
    '{"a":"\\ud800"}',
    '{"a":"\\udc00\\ud800"}',
    '\ufeff{}',
    '{"a":NaN}',
    '{"a":Infinity}',
    '{} {}',
    '{"a":01}',
    '{"a":"\u0001"}',
    "{'a':1}",
    '{"a":1,}',
  ]) {
    rejects(() => parseJson(enc.encode(bad), 'bad_message'), 'bad_message');
  }
  rejects(() => parseJson(Uint8Array.of(0x7b, 0xff, 0x7d), 'bad_plaintext'), 'bad_plaintext');
});

test('strict JSON: integers by value (1, 1.0, 1e0 agree; true, 1.5 and 2^32 do not)', () => {
  const get = (s) => getInt(parseJson(enc.encode(`{"n":${s}}`), 'x'), 'n', 'x', 0, 2 ** 32 - 1);
  assert.equal(get('1'), 1);
  assert.equal(get('1.0'), 1);
  assert.equal(get('1e0'), 1);
  assert.equal(get('-0'), 0);
  assert.equal(get('4294967295'), 2 ** 32 - 1);
  for (const bad of ['true', '1.5', '4294967296', '-1', '"1"', 'null', '1e400', '123456789012345678901234567890'])
    rejects(() => get(bad), 'x');
});

test('JSON output matches Python json.dumps(separators=(",", ":"), ensure_ascii=False)', () => {
  const out = new TextDecoder().decode(dumpJson({ text: 'é "q" \\ \n\t\u0001\u2028👋', ack: null, n: 3 }));
  assert.equal(out, '{"text":"é \\"q\\" \\\\ \\n\\t\\u0001\u2028👋","ack":null,"n":3}');
});

test('sending a lone surrogate is refused (bad_text), as in Python', () => {
  rejects(() => dumpJson({ text: 'a\ud800b', ack: null }), 'bad_text');
  const tx = new SendChain(new Uint8Array(32), new Uint8Array(16), 0, 0);
  rejects(() => tx.seal(FrameType.MESSAGE, { text: '\udc00', ack: null }), 'bad_text');
  assert.equal(tx.nextN, 0);
});

test('padding fills the smallest bucket; over 16,364 bytes is refused (oversized plaintext)', () => {
  assert.equal(MAX_PLAINTEXT, 16364);
  assert.equal(MAX_FRAME, 16411);
  for (const b of BUCKETS) {
    assert.equal(pad(new Uint8Array(b - 20)).length, b - 16);
    if (b < 16384) assert.equal(pad(new Uint8Array(b - 19)).length, BUCKETS[BUCKETS.indexOf(b) + 1] - 16);
  }
  rejects(() => pad(new Uint8Array(MAX_PLAINTEXT + 1)), 'too_large');
  const tx = new SendChain(new Uint8Array(32), new Uint8Array(16), 0, 0);
  const big = 'x'.repeat(MAX_PLAINTEXT); // the JSON wrapper pushes it over
  rejects(() => tx.seal(FrameType.MESSAGE, { text: big, ack: null }), 'too_large');
  assert.equal(tx.nextN, 0, 'a refused frame does not use a counter');
  const fits = 'x'.repeat(MAX_PLAINTEXT - '{"text":"","ack":null}'.length);
  assert.equal(tx.seal(FrameType.MESSAGE, { text: fits, ack: null }).length, MAX_FRAME);
});

test('unpad refuses a length beyond the bucket and non-zero padding', () => {
  const p = pad(enc.encode('abc'));
  assert.deepEqual(unpad(p), enc.encode('abc'));
  const long = p.slice();
  long[3] = 237;
  rejects(() => unpad(long), 'bad_padding');
  const dirty = p.slice();
  dirty[dirty.length - 1] = 1;
  rejects(() => unpad(dirty), 'bad_padding');
});

function pair(dir = 0) {
  const ck = nacl.randomBytes(32);
  const chatId = nacl.randomBytes(16);
  return { chatId, ck, tx: new SendChain(ck, chatId, 3, dir), rx: new ReceiveChain(ck, chatId, 3, dir) };
}

test('chains: in-order frames open; replay, gap and reordering are detected without advancing', () => {
  const { tx, rx } = pair();
  const frames = [0, 1, 2, 3].map((i) => tx.seal(FrameType.MESSAGE, { text: `m${i}`, ack: null }));
  rejects(() => rx.open(frames[1]), 'gap'); // reordered: 1 before 0
  rejects(() => rx.open(frames[3]), 'gap');
  for (const i of [0, 1]) {
    const o = rx.open(frames[i]);
    assert.equal(o.body.text, `m${i}`);
    rx.commit(o);
  }
  rejects(() => rx.open(frames[0]), 'replay');
  rejects(() => rx.open(frames[1]), 'replay');
  rx.commit(rx.open(frames[2]));
  rx.commit(rx.open(frames[3]));
  assert.equal(rx.nextN, 4);
});

test('chains: every flipped bit in header or body is refused and the chain still works', () => {
  const { tx, rx } = pair();
  const frame = tx.seal(FrameType.MESSAGE, { text: 'secret', ack: null });
  const codes = new Set();
  for (let i = 0; i < frame.length; i += i < HEADER_BYTES ? 1 : 13) {
    for (const bit of [1, 0x80]) {
      const f = frame.slice();
      f[i] ^= bit;
      try {
        rx.open(f);
        assert.fail(`flipped byte ${i} accepted`);
      } catch (e) {
        assert.ok(e instanceof CryptoError);
        codes.add(e.code);
      }
    }
  }
  for (const c of ['bad_version', 'bad_type', 'wrong_chat', 'bad_epoch', 'wrong_direction', 'gap', 'bad_mac'])
    assert.ok(codes.has(c), c);
  assert.equal(rx.open(frame).body.text, 'secret');
});

test('chains: wrong chat id, epoch and direction, truncated frames', () => {
  const { ck, chatId, tx } = pair(0);
  const frame = tx.seal(FrameType.MESSAGE, { text: 'x', ack: null });
  rejects(() => new ReceiveChain(ck, nacl.randomBytes(16), 3, 0).open(frame), 'wrong_chat');
  rejects(() => new ReceiveChain(ck, chatId, 4, 0).open(frame), 'bad_epoch');
  rejects(() => new ReceiveChain(ck, chatId, 3, 1).open(frame), 'wrong_direction');
  const rx = new ReceiveChain(ck, chatId, 3, 0);
  rejects(() => rx.open(frame.subarray(0, 26)), 'bad_frame');
  rejects(() => rx.open(frame.subarray(0, frame.length - 1)), 'bad_length');
  rejects(() => rx.open(frame.subarray(0, HEADER_BYTES)), 'bad_length');
  rejects(() => new ReceiveChain(nacl.randomBytes(32), chatId, 3, 0).open(frame), 'bad_mac');
  assert.equal(rx.open(frame).body.text, 'x');
});

test('chains: a transfer frame is accepted only from the counsellor; the sender stops before 2^32 − 1', () => {
  const { tx } = pair(0);
  const seekerTransfer = tx.seal(FrameType.TRANSFER, { ik2: new Uint8Array(32), cert2: new Uint8Array(1), sig: new Uint8Array(64) });
  rejects(() => new ReceiveChain(new Uint8Array(32), seekerTransfer.slice(2, 18), 3, 0).open(seekerTransfer), 'bad_type');
  const s = new SendChain(new Uint8Array(32), new Uint8Array(16), 0, 1);
  s.nextN = 2 ** 32 - 2;
  s.seal(FrameType.TYPING, { typing: true, ack: null });
  rejects(() => s.seal(FrameType.TYPING, { typing: true, ack: null }), 'exhausted');
});

const NOW = 1_700_000_000;
const orgSeed = new Uint8Array(32).fill(1);
const orgPub = publicKeyFromSeed(orgSeed);
const ikSeed = new Uint8Array(32).fill(3);
const ik = publicKeyFromSeed(ikSeed);

test('certificates: forged, expired, too long, handle rules', () => {
  const cert = makeCertificate(orgSeed, ik, NOW + 86400, 'Sam');
  assert.equal(verifyCertificate(orgPub, cert, NOW).handle, 'Sam');
  assert.equal(verifyCertificate(orgPub, cert, NOW + 86400).handle, 'Sam'); // last valid second
  rejects(() => verifyCertificate(orgPub, cert, NOW + 86401), 'expired');
  rejects(() => verifyCertificate(publicKeyFromSeed(new Uint8Array(32).fill(9)), cert, NOW), 'bad_signature');
  rejects(() => verifyCertificate(orgPub, makeCertificate(orgSeed, ik, NOW + 91 * 86400, 'Sam'), NOW), 'bad_cert');
  for (const h of ['', 'Cafe\u0301', 'a\u0000', 'Sam\u200b', 'Sam\u2029', 'é'.repeat(33), 'x\ud800'])
    rejects(() => makeCertificate(orgSeed, ik, NOW, h), 'bad_handle');
  assert.equal(verifyCertificate(orgPub, makeCertificate(orgSeed, ik, NOW, 'é'.repeat(32)), NOW).handle, 'é'.repeat(32));
});

test('revocation lists: current window, monotonic, signature', () => {
  const list = makeRevocationList(orgSeed, NOW, NOW + 30 * 86400, [ik]);
  const rl = verifyRevocationList(orgPub, list, NOW - 300);
  assert.ok(rl.has(ik));
  rejects(() => verifyRevocationList(orgPub, list, NOW - 301), 'stale_revocation_list');
  rejects(() => verifyRevocationList(orgPub, list, NOW + 30 * 86400 + 1), 'stale_revocation_list');
  rejects(() => verifyRevocationList(orgPub, list, NOW, NOW + 1), 'stale_revocation_list');
  rejects(() => makeRevocationList(orgSeed, NOW, NOW + 35 * 86400 + 1, []), 'bad_revocation_list');
  const forged = list.slice();
  forged[forged.length - 70] ^= 1;
  rejects(() => verifyRevocationList(orgPub, forged, NOW), 'bad_signature');
});

test('records: a stream without its final entry is reported cut short; tampering is refused', () => {
  const recSecret = new Uint8Array(32).fill(2);
  const cert = makeCertificate(orgSeed, ik, NOW + 86400, 'Sam');
  const w = new RecordWriter(new Uint8Array(16).fill(7), 0, ikSeed, cert, x25519Public(recSecret));
  const entries = [w.entry(0, 1, 'hi'), w.entry(1, 2, 'hello')];
  const cut = openRecords(w.lines(entries), recSecret, orgPub, NOW);
  assert.ok(cut.cutShort);
  assert.deepEqual(cut.entries.map((e) => e.text), ['hi', 'hello']);
  entries.push(w.final(3));
  rejects(() => w.entry(0, 4, 'late'), 'closed');
  const full = openRecords(w.lines(entries), recSecret, orgPub, NOW);
  assert.ok(full.complete);
  rejects(() => openRecords(w.lines(entries), new Uint8Array(32).fill(5), orgPub, NOW), 'bad_mac');
  rejects(() => openRecords(w.lines([entries[1], entries[0]]), recSecret, orgPub, NOW), 'bad_records');
  rejects(() => new RecordWriter(new Uint8Array(16), 0, new Uint8Array(32).fill(4), cert, x25519Public(recSecret)), 'bad_cert');
  rejects(() => new RecordWriter(new Uint8Array(16), 0, ikSeed, cert, new Uint8Array(32)), 'zero_shared_secret');
});

test('records: the records key R is wiped whether opening succeeds or fails', () => {
  const recSecret = new Uint8Array(32).fill(2);
  const cert = makeCertificate(orgSeed, ik, NOW + 86400, 'Sam');
  const w = new RecordWriter(new Uint8Array(16).fill(7), 0, ikSeed, cert, x25519Public(recSecret));
  const entries = [w.entry(0, 1, 'hi'), w.entry(1, 2, 'hello')];
  const other = new RecordWriter(new Uint8Array(16).fill(7), 0, ikSeed, cert, x25519Public(recSecret));
  const seen = [];
  const realOpen = nacl.box.open;
  nacl.box.open = (...args) => {
    const r = realOpen(...args);
    if (r) seen.push(r);
    return r;
  };
  try {
    openRecords(w.lines(entries), recSecret, orgPub, NOW);
    rejects(() => openRecords(w.lines([entries[1], entries[0]]), recSecret, orgPub, NOW), 'bad_records');
    // an entry sealed under another stream's R fails after R was opened
    rejects(() => openRecords(w.lines([other.entry(0, 1, 'hi')]), recSecret, orgPub, NOW), 'bad_mac');
  } finally {
    nacl.box.open = realOpen;
  }
  assert.equal(seen.length, 3);
  for (const r of seen) assert.ok(r.every((b) => b === 0), 'R was not wiped');
});

test('password: checkIterations refuses a weak (or absurd) count from the server', () => {
  assert.equal(checkIterations(PBKDF2_ITERATIONS), PBKDF2_ITERATIONS);
  assert.equal(checkIterations(MAX_ITERATIONS), MAX_ITERATIONS);
  assert.equal(checkIterations(1000, 1000), 1000); // tests lower the minimum explicitly
  for (const bad of [1, 0, -1, PBKDF2_ITERATIONS - 1, MAX_ITERATIONS + 1, 600_000.5, '600000', true, null, NaN, Infinity]) {
    rejects(() => checkIterations(bad), 'weak_kdf');
  }
  rejects(() => checkIterations(999, 1000), 'weak_kdf');
});

test('password: NFC, distinct values, wrapping, wrong password', async () => {
  assert.equal(PBKDF2_ITERATIONS, 600_000);
  const salt = new Uint8Array(16).fill(15);
  const a = await derivePasswordKeys('Cafe\u0301', salt, 1000);
  const b = await derivePasswordKeys('Caf\u00e9', salt, 1000);
  assert.deepEqual(a, b);
  assert.notEqual(toHex(a.loginSecret), toHex(a.wrappingKey));
  const c = await derivePasswordKeys('cafe', salt, 1000);
  const seed = nacl.randomBytes(32);
  const wrapped = wrapSeed(seed, a.wrappingKey);
  assert.equal(wrapped.length, 72);
  assert.deepEqual(unwrapSeed(wrapped, b.wrappingKey), seed);
  await assert.rejects(() => derivePasswordKeys('x', new Uint8Array(8), 1000), (e) => e.code === 'bad_password');
  rejects(() => unwrapSeed(wrapped, c.wrappingKey), 'bad_mac');
  rejects(() => unwrapSeed(wrapped.subarray(1), a.wrappingKey), 'bad_mac');
});
