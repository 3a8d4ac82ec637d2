// Sealed transcripts (e2e-protocol.md, Records); mirrors crypto.records.
//
//   hdr     = lbl("HLP1/rec") ‖ chat_id(16) ‖ u32(epoch) ‖ H(cert)(64) ‖ epk_pub(32) ‖ nonce(24)
//             ‖ box(R, nonce, ORG_rec_pub, epk_secret)(48)                        (197 bytes)
//   sig     = Sign_IKc(hdr)
//   entry_i = secretbox(u8(dir) ‖ u64(unix_ms) ‖ text, nonce_i, R)
//   nonce_i = H(lbl("HLP1/rec/nonce") ‖ chat_id ‖ u32(epoch) ‖ u32(i))[0:24]
// The last entry has dir = 255 and the text u32(count of entries before it).
//
// File form, JSON lines: {"hdr": b64u, "sig": b64u, "cert": b64u} then one
// {"i": n, "entry": b64u} per entry. openRecords makes the same checks, in the same
// order and with the same codes, as crypto.records.open_records (see its docstring).

import nacl from './nacl.mjs';
import { CryptoError, check } from './errors.mjs';
import { b64uEncode, concat, lbl, readU32, readU64, u32, u64, u8, utf8Decode, utf8Encode } from './encoding.mjs';
import { bytesEqual, randomBytes, sha512, wipe, x25519Public } from './primitives.mjs';
import { publicKeyFromSeed, sign, verifyOrThrow } from './ed25519.mjs';
import { MAX_CERT_VALIDITY, certHash, parseCertificate } from './certs.mjs';
import { dumpJson, getB64u, getInt, parseJson, requireKeys, requireObject } from './json.mjs';

const REC_LABEL = lbl('HLP1/rec');
export const RECORD_HEADER_BYTES = REC_LABEL.length + 16 + 4 + 64 + 32 + 24 + 32 + 16; // 197
export const FINAL_DIR = 255;
export const MAX_ENTRY_BYTES = 64 * 1024;
const CODE = 'bad_records';
const SIG = 64;

export function entryNonce(chatId, epoch, i) {
  return sha512(concat(lbl('HLP1/rec/nonce'), chatId, u32(epoch), u32(i))).slice(0, 24);
}

function sharedIsZero(secret, pub) {
  const s = nacl.scalarMult(secret, pub);
  let acc = 0;
  for (const b of s) acc |= b;
  wipe(s);
  return acc === 0;
}

/**
 * The counsellor's side: one writer per chat epoch with transcripts on. r, epkSecret
 * and nonce are random unless given (test vectors only).
 */
export class RecordWriter {
  constructor(chatId, epoch, identitySeed, cert, recordsPub, { r = null, epkSecret = null, nonce = null } = {}) {
    check(
      chatId instanceof Uint8Array && chatId.length === 16 && Number.isInteger(epoch) && epoch >= 0 && epoch < 2 ** 32,
      CODE,
      'bad chat id or epoch',
    );
    check(bytesEqual(parseCertificate(cert).ik, publicKeyFromSeed(identitySeed)), 'bad_cert', 'certificate is not for this identity key');
    this._chatId = chatId.slice();
    this._epoch = epoch;
    this._cert = cert.slice();
    this._r = r === null ? randomBytes(32) : r.slice();
    const epk = epkSecret === null ? randomBytes(32) : epkSecret.slice();
    const n = nonce === null ? randomBytes(24) : nonce;
    check(recordsPub instanceof Uint8Array && recordsPub.length === 32 && epk.length === 32, 'bad_key', 'keys are 32 bytes');
    check(n.length === 24, 'bad_key', 'nonces are 24 bytes');
    if (sharedIsZero(epk, recordsPub)) throw new CryptoError('zero_shared_secret', 'box with a small-order key');
    const boxed = nacl.box(this._r, n, recordsPub, epk);
    /** @type {Uint8Array} */
    this.header = concat(REC_LABEL, chatId, u32(epoch), certHash(cert), x25519Public(epk), n, boxed);
    wipe(epk);
    /** @type {Uint8Array} */
    this.signature = sign(identitySeed, this.header);
    this._next = 0;
    this._finished = false;
  }

  get cert() {
    return this._cert;
  }

  /** Entries written so far (the final entry included). */
  get count() {
    return this._next;
  }

  headerLine() {
    return { hdr: b64uEncode(this.header), sig: b64uEncode(this.signature), cert: b64uEncode(this._cert) };
  }

  static entryLine(i, entry) {
    return { i, entry: b64uEncode(entry) };
  }

  _seal(direction, unixMs, text) {
    check(!this._finished, 'closed', 'the record stream is finished');
    const i = this._next;
    const sealed = nacl.secretbox(concat(u8(direction), u64(unixMs), text), entryNonce(this._chatId, this._epoch, i), this._r);
    this._next += 1;
    return [i, sealed];
  }

  /** [i, entry] for one message in direction (0 or 1). */
  entry(direction, unixMs, text) {
    check(direction === 0 || direction === 1, CODE, 'direction is 0 or 1');
    return this._seal(direction, unixMs, utf8Encode(text));
  }

  /** The final entry (dir = 255, text u32(count)); nothing can follow. */
  final(unixMs) {
    const result = this._seal(FINAL_DIR, unixMs, u32(this._next));
    this._finished = true;
    wipe(this._r);
    return result;
  }

  /** The JSON-lines file (bytes) for entries as returned by entry()/final(). */
  lines(entries) {
    const out = [dumpJson(this.headerLine()), ...entries.map(([i, e]) => dumpJson(RecordWriter.entryLine(i, e)))];
    const nl = Uint8Array.of(0x0a);
    return concat(...out.flatMap((l) => [l, nl]));
  }
}

const isSpace = (b) => b === 0x20 || (b >= 0x09 && b <= 0x0d);

/** The JSON-lines file form, as {hdr, sig, cert, entries: [[i, bytes], ...]}. */
export function parseRecordLines(data) {
  const raw = typeof data === 'string' ? utf8Encode(data) : data;
  const lines = [];
  let start = 0;
  for (let k = 0; k <= raw.length; k++) {
    if (k === raw.length || raw[k] === 0x0a) {
      const line = raw.subarray(start, k);
      if (!line.every(isSpace)) lines.push(line);
      start = k + 1;
    }
  }
  check(lines.length > 0, CODE, 'empty record stream');
  const head = requireObject(parseJson(lines[0], CODE), CODE);
  requireKeys(head, ['hdr', 'sig', 'cert'], CODE);
  const entries = lines.slice(1).map((line) => {
    const obj = requireObject(parseJson(line, CODE), CODE);
    requireKeys(obj, ['i', 'entry'], CODE);
    return [getInt(obj, 'i', CODE, 0, 2 ** 32 - 1), getB64u(obj, 'entry', CODE, null, MAX_ENTRY_BYTES)];
  });
  return {
    hdr: getB64u(head, 'hdr', CODE, RECORD_HEADER_BYTES),
    sig: getB64u(head, 'sig', CODE, SIG),
    cert: getB64u(head, 'cert', CODE, null, 512),
    entries,
  };
}

/**
 * Checks and decrypts one record stream (bytes or string in the file form, or parts
 * {hdr, sig, cert, entries}). Returns {chatId, epoch, ik, handle, notAfter, entries:
 * [{i, dir, unixMs, text}], complete, cutShort, finalUnixMs}.
 */
export function openRecords(blobOrParts, recordsSecret, orgPub, now) {
  const stream =
    typeof blobOrParts === 'string' || blobOrParts instanceof Uint8Array ? parseRecordLines(blobOrParts) : blobOrParts;
  const hdr = stream.hdr;
  check(hdr.length === RECORD_HEADER_BYTES && bytesEqual(hdr.subarray(0, REC_LABEL.length), REC_LABEL), CODE, 'not an HLP1 records header');
  let at = REC_LABEL.length;
  const chatId = hdr.slice(at, at + 16);
  const epoch = readU32(hdr, at + 16);
  at += 20;
  const hcert = hdr.subarray(at, at + 64);
  const epkPub = hdr.subarray(at + 64, at + 96);
  const nonce = hdr.subarray(at + 96, at + 120);
  const boxed = hdr.subarray(at + 120);
  const cert = parseCertificate(stream.cert);
  verifyOrThrow(stream.cert.subarray(stream.cert.length - SIG), stream.cert.subarray(0, stream.cert.length - SIG), orgPub);
  check(typeof cert.notAfter === 'number' && cert.notAfter <= now + MAX_CERT_VALIDITY, 'bad_cert', 'certificate valid for more than 90 days');
  check(bytesEqual(certHash(stream.cert), hcert), CODE, 'header is for another certificate');
  verifyOrThrow(stream.sig, hdr, cert.ik);
  const r = sharedIsZero(recordsSecret, epkPub) ? null : nacl.box.open(boxed, nonce, epkPub, recordsSecret);
  if (r === null) throw new CryptoError('bad_mac', 'box authentication failed');
  check(r.length === 32, CODE, 'records key is not 32 bytes');
  const entries = [];
  let finalMs = null;
  try {
    stream.entries.forEach(([i, sealed], position) => {
      check(i === position, CODE, `entry ${i} where ${position} was expected`);
      check(finalMs === null, CODE, 'entries after the final entry');
      const plain = nacl.secretbox.open(sealed, entryNonce(chatId, epoch, i), r);
      if (plain === null) throw new CryptoError('bad_mac', 'secretbox authentication failed');
      try {
        check(plain.length >= 9, CODE, 'entry too short');
        const dir = plain[0];
        const unixMs = readU64(plain, 1);
        const text = plain.subarray(9);
        if (dir === FINAL_DIR) {
          check(text.length === 4 && readU32(text, 0) === i, CODE, 'final count does not match');
          finalMs = unixMs;
          return;
        }
        check(dir === 0 || dir === 1, CODE, `direction ${dir}`);
        entries.push(Object.freeze({ i, dir, unixMs, text: utf8Decode(text, CODE) }));
      } finally {
        wipe(plain);
      }
    });
  } finally {
    wipe(r); // whatever happens, the records key does not outlive the call
  }
  return Object.freeze({
    chatId,
    epoch,
    ik: cert.ik,
    handle: cert.handle,
    notAfter: cert.notAfter,
    entries: Object.freeze(entries),
    complete: finalMs !== null,
    cutShort: finalMs === null,
    finalUnixMs: finalMs,
  });
}
