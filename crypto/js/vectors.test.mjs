// Known-answer vectors: reproduce every value of crypto/vectors/hlp1.json byte for
// byte (written by the Python implementation from fixed seeds), and reject every
// `negative` case with the same error code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { b64uDecode, b64uEncode, fromHex, lbl, toHex, u32, u64, utf8Encode } from './encoding.mjs';
import {
  certHash,
  fingerprint,
  identityPublicKey,
  makeCertificate,
  makeRevocationList,
  orgPublicKey,
  recordsPublicKey,
  verifyCertificate,
  verifyRevocationList,
} from './certs.mjs';
import { sign } from './ed25519.mjs';
import { x25519, x25519Public } from './primitives.mjs';
import {
  acceptSignedBytes,
  checkTag,
  commitment,
  decodeMessage,
  deriveEpochKeys,
  encodeAccept,
  encodeHello,
  encodeReveal,
  rehelloTag,
  transferSignedBytes,
} from './handshake.mjs';
import {
  HEADER_BYTES,
  ReceiveChain,
  chainStep,
  decodeBody,
  encodeHeader,
  encodePlaintext,
  frameNonce,
  seal,
} from './frames.mjs';
import { RecordWriter, entryNonce, openRecords } from './records.mjs';
import { derivePasswordKeys, unwrapSeed, wrapSeed } from './password.mjs';
import { runNegativeCase } from './negative.mjs';

const V = JSON.parse(readFileSync(new URL('../vectors/hlp1.json', import.meta.url), 'utf8'));
const X = fromHex;
const hex = toHex;

test('encoding: base64url samples, labels, integers', () => {
  for (const { hex: h, b64u } of V.encoding.b64u) {
    assert.equal(b64uEncode(X(h)), b64u);
    assert.equal(hex(b64uDecode(b64u)), h);
  }
  for (const [s, h] of Object.entries(V.encoding.labels)) assert.equal(hex(lbl(s)), h);
  assert.equal(hex(u32(0x01020304)), V.encoding.u32_0x01020304);
  assert.equal(hex(u64(V.certificate.now)), V.encoding.u64_now);
});

test('keys: public keys and fingerprints from the seeds', () => {
  const k = V.keys;
  assert.equal(hex(orgPublicKey(X(k.org_seed))), k.org_pub);
  assert.equal(fingerprint(X(k.org_pub)), k.org_fingerprint);
  assert.equal(hex(recordsPublicKey(X(k.records_secret))), k.records_pub);
  assert.equal(fingerprint(X(k.records_pub)), k.records_fingerprint);
  for (const name of ['ik1', 'ik2', 'ik3']) {
    assert.equal(hex(identityPublicKey(X(k[`${name}_seed`]))), k[`${name}_pub`]);
    assert.equal(fingerprint(X(k[`${name}_pub`])), k[`${name}_fingerprint`]);
  }
  assert.equal(hex(orgPublicKey(X(k.attacker_org_seed))), k.attacker_org_pub);
  assert.match(k.org_fingerprint, /^[0-9a-f]{4}( [0-9a-f]{4}){7}$/);
});

test('certificate: made and verified byte for byte', () => {
  const c = V.certificate;
  const orgSeed = X(V.keys.org_seed);
  const cert = makeCertificate(orgSeed, X(c.ik), c.not_after, c.handle);
  assert.equal(hex(cert), c.cert);
  assert.equal(hex(cert.subarray(0, cert.length - 64)), c.body);
  assert.equal(hex(cert.subarray(cert.length - 64)), c.signature);
  assert.equal(hex(utf8Encode(c.handle)), c.handle_hex);
  assert.equal(hex(certHash(cert)), c.cert_hash);
  const parsed = verifyCertificate(X(V.keys.org_pub), cert, c.now);
  assert.equal(hex(parsed.ik), c.ik);
  assert.equal(parsed.notAfter, c.not_after);
  assert.equal(parsed.handle, c.handle);
  for (const other of [c.cert2, c.cert3_revoked]) {
    assert.equal(hex(makeCertificate(orgSeed, X(other.ik), other.not_after, other.handle)), other.cert);
    assert.equal(verifyCertificate(X(V.keys.org_pub), X(other.cert), c.now).handle, other.handle);
  }
});

test('revocation list: made and verified byte for byte', () => {
  const r = V.revocation_list;
  const blob = makeRevocationList(X(V.keys.org_seed), r.issued_at, r.expires_at, r.revoked.map(X).reverse());
  assert.equal(hex(blob), r.list);
  const list = verifyRevocationList(X(V.keys.org_pub), blob, r.now);
  assert.equal(list.issuedAt, r.issued_at);
  assert.equal(list.expiresAt, r.expires_at);
  assert.deepEqual(list.revoked.map(hex), r.revoked);
  assert.ok(list.has(X(V.keys.ik3_pub)));
  assert.ok(!list.has(X(V.keys.ik1_pub)));
});

function checkHandshake(hs) {
  const chatId = X(hs.chat_id);
  const esPub = x25519Public(X(hs.es_secret));
  const ecPub = x25519Public(X(hs.ec_secret));
  assert.equal(hex(esPub), hs.es_pub);
  assert.equal(hex(ecPub), hs.ec_pub);
  assert.equal(hex(identityPublicKey(X(hs.ik_seed))), hs.ik);
  assert.equal(hex(certHash(X(hs.cert))), hs.cert_hash);
  const commit = commitment(esPub);
  assert.equal(hex(commit), hs.commit);
  let tag = null;
  if (hs.tag !== undefined) {
    tag = rehelloTag(X(hs.cont_previous), chatId, hs.epoch, commit);
    assert.equal(hex(tag), hs.tag);
  }
  const hello = encodeHello(hs.epoch, commit, tag);
  assert.equal(new TextDecoder().decode(hello), hs.hello);
  assert.equal(hex(hello), hs.hello_hex);
  const signed = acceptSignedBytes(chatId, hs.epoch, commit, ecPub, X(hs.ik), hs.flags);
  assert.equal(hex(signed), hs.accept_signed);
  const sig = sign(X(hs.ik_seed), signed);
  assert.equal(hex(sig), hs.sig);
  const accept = encodeAccept(hs.epoch, ecPub, X(hs.ik), X(hs.cert), hs.flags, sig);
  assert.equal(hex(accept), hs.accept_hex);
  assert.equal(new TextDecoder().decode(accept), hs.accept);
  const reveal = encodeReveal(hs.epoch, esPub);
  assert.equal(hex(reveal), hs.reveal_hex);
  assert.equal(hex(x25519(X(hs.es_secret), ecPub)), hs.dh);
  assert.equal(hex(x25519(X(hs.ec_secret), esPub)), hs.dh);
  for (const [own, peer] of [
    [X(hs.es_secret), ecPub],
    [X(hs.ec_secret), esPub],
  ]) {
    const k = deriveEpochKeys(own, peer, chatId, hs.epoch, esPub, ecPub, X(hs.ik), X(hs.cert));
    assert.equal(hex(k.th), hs.th);
    assert.equal(hex(k.prk), hs.prk);
    assert.equal(hex(k.ckS2c), hs.ck_s2c);
    assert.equal(hex(k.ckC2s), hs.ck_c2s);
    assert.equal(hex(k.cont), hs.cont);
    assert.equal(k.safetyCode, hs.safety_code);
  }
  // and the messages parse back by value
  const h = decodeMessage(X(hs.hello_hex));
  assert.equal(h.epoch, hs.epoch);
  assert.equal(hex(h.commit), hs.commit);
  if (tag !== null) assert.ok(checkTag(X(hs.cont_previous), chatId, h));
  const a = decodeMessage(X(hs.accept_hex));
  assert.deepEqual([a.kind, hex(a.ec), hex(a.ik), hex(a.cert), a.flags, hex(a.sig)], ['accept', hs.ec_pub, hs.ik, hs.cert, hs.flags, hs.sig]);
  const r = decodeMessage(X(hs.reveal_hex));
  assert.equal(hex(r.es), hs.es_pub);
}

test('handshake (epoch 0): messages, signature, dh, th, prk, chain keys, cont, safety code', () => {
  checkHandshake(V.handshake);
});

test('re-hello (epoch 1): tag, messages and keys', () => {
  checkHandshake(V.rehello);
  assert.equal(V.rehello.cont_previous, V.handshake.cont);
});

function checkFrame(f, chatId) {
  const ck = X(f.ck);
  const { mk, ck: next } = chainStep(ck);
  assert.equal(hex(mk), f.message_key);
  assert.equal(hex(next), f.next_ck);
  const header = encodeHeader(f.type, chatId, f.epoch, f.dir, f.n);
  assert.equal(hex(header), f.header);
  assert.equal(hex(frameNonce(header)), f.nonce);
  const body = decodeBody(f.type, X(f.plaintext_hex));
  const plaintext = encodePlaintext(f.type, body);
  assert.equal(hex(plaintext), f.plaintext_hex);
  assert.equal(new TextDecoder().decode(plaintext), f.plaintext);
  const sealed = seal(ck, f.type, chatId, f.epoch, f.dir, f.n, body);
  assert.equal(hex(sealed.frame), f.frame);
  assert.equal(hex(sealed.ck), f.next_ck);
  assert.equal(sealed.frame.length - HEADER_BYTES, f.bucket);
  return body;
}

test('frames: every bucket, both directions, sealed byte for byte and opened in sequence', () => {
  const chatId = X(V.handshake.chat_id);
  const buckets = new Set();
  for (const dir of [0, 1]) {
    const list = V.frames.filter((f) => f.dir === dir);
    assert.ok(list.length > 0);
    const rx = new ReceiveChain(X(dir === 0 ? V.handshake.ck_s2c : V.handshake.ck_c2s), chatId, 0, dir);
    for (const f of list) {
      const body = checkFrame(f, chatId);
      buckets.add(`${dir}:${f.bucket}`);
      const opened = rx.open(X(f.frame));
      assert.equal(opened.n, f.n);
      assert.equal(opened.type, f.type);
      assert.deepEqual(opened.body, body);
      rx.commit(opened);
    }
  }
  for (const b of [256, 1024, 4096, 16384]) for (const d of [0, 1]) assert.ok(buckets.has(`${d}:${b}`), `${d}:${b}`);
});

test('transfer: signature, frame and the handshake with counsellor 2', () => {
  const t = V.transfer;
  const chatId = X(t.chat_id);
  const signed = transferSignedBytes(chatId, t.next_epoch, X(t.ik2));
  assert.equal(hex(signed), t.signed);
  assert.equal(hex(sign(X(V.keys.ik1_seed), signed)), t.sig);
  const body = checkFrame(t.frame, chatId);
  assert.deepEqual([hex(body.ik2), hex(body.cert2), hex(body.sig)], [t.ik2, t.cert2, t.sig]);
  checkHandshake(t.handshake);
});

test('records: header, signature, entries, final entry, file lines, opened', () => {
  const r = V.records;
  const w = new RecordWriter(X(r.chat_id), r.epoch, X(r.ik_seed), X(r.cert), X(r.records_pub), {
    r: X(r.r),
    epkSecret: X(r.epk_secret),
    nonce: X(r.nonce),
  });
  assert.equal(hex(x25519Public(X(r.epk_secret))), r.epk_pub);
  assert.equal(hex(w.header), r.header);
  assert.equal(hex(w.signature), r.signature);
  const written = [];
  for (const e of r.entries) {
    assert.equal(hex(entryNonce(X(r.chat_id), r.epoch, e.i)), e.nonce);
    const [i, sealed] = w.entry(e.dir, e.unix_ms, e.text);
    assert.equal(i, e.i);
    assert.equal(hex(sealed), e.entry);
    written.push([i, sealed]);
  }
  const [fi, fin] = w.final(r.final.unix_ms);
  assert.equal(fi, r.final.i);
  assert.equal(hex(entryNonce(X(r.chat_id), r.epoch, fi)), r.final.nonce);
  assert.equal(hex(fin), r.final.entry);
  written.push([fi, fin]);
  assert.equal(new TextDecoder().decode(w.lines(written)), r.lines);
  const opened = openRecords(r.lines, X(V.keys.records_secret), X(V.keys.org_pub), V.certificate.now);
  assert.ok(opened.complete);
  assert.equal(opened.finalUnixMs, r.final.unix_ms);
  assert.deepEqual(
    opened.entries.map((e) => [e.i, e.dir, e.unixMs, e.text]),
    r.entries.map((e) => [e.i, e.dir, e.unix_ms, e.text]),
  );
});

test('password: login secret, wrapping key and wrapped seed', async () => {
  const p = V.password;
  assert.equal(hex(utf8Encode(p.password.normalize('NFC'))), p.password_nfc_utf8);
  const keys = await derivePasswordKeys(p.password, X(p.salt), p.iterations);
  assert.equal(hex(keys.loginSecret), p.login_secret);
  assert.equal(hex(keys.wrappingKey), p.wrapping_key);
  const wrapped = wrapSeed(X(p.seed), keys.wrappingKey, X(p.wrap_nonce));
  assert.equal(hex(wrapped), p.wrapped);
  assert.equal(hex(unwrapSeed(wrapped, keys.wrappingKey)), p.seed);
});

test('negative cases: every one rejected with the same code', async (t) => {
  assert.ok(V.negative.length > 0);
  for (const c of V.negative) {
    await t.test(c.name, async () => {
      const code = await runNegativeCase(V, c);
      assert.equal(code, c.code, `${c.name}: expected ${c.code}, got ${code}`);
    });
  }
});
