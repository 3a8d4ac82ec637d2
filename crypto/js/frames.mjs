// HLP1 data frames (e2e-protocol.md, Data frames): symmetric chains, the 27-byte
// header, the header-bound nonce, bucket padding, sealing and the receiver's checks
// in the order the spec lists them.
//
//   header = u8(1) ‖ u8(type) ‖ chat_id ‖ u32(epoch) ‖ u8(dir) ‖ u32(n)
//   o = HMAC(ck, "HLP1/step"); mk = o[0:32]; next ck = o[32:64]
//   nonce = H(lbl("HLP1/nonce") ‖ header)[0:24]
//   padded = u32(len) ‖ plaintext ‖ zeros, so that secretbox(padded) is a bucket size
//   frame = header ‖ secretbox(padded, nonce, mk)

import nacl from './nacl.mjs';
import { CryptoError, check } from './errors.mjs';
import { ascii, b64uEncode, concat, lbl, readU32, u32, u8 } from './encoding.mjs';
import { bytesEqual, hmacSha512, sha512, wipe } from './primitives.mjs';
import {
  dumpJson,
  getB64u,
  getBool,
  getOptionalInt,
  getStr,
  parseJson,
  requireKeys,
  requireObject,
} from './json.mjs';

const CODE = 'bad_plaintext';

export const FRAME_VERSION = 1;
export const HEADER_BYTES = 27;
export const BUCKETS = Object.freeze([256, 1024, 4096, 16384]);
export const MAC_BYTES = 16; // secretbox overhead
export const MAX_PLAINTEXT = BUCKETS[BUCKETS.length - 1] - MAC_BYTES - 4; // 16,364
export const MAX_FRAME = HEADER_BYTES + BUCKETS[BUCKETS.length - 1]; // 16,411
export const MAX_COUNTER = 0xffffffff; // u32 maximum
export const MAX_N = MAX_COUNTER - 1; // a sender that would reach 2^32 − 1 ends the chat instead

export const FrameType = Object.freeze({ MESSAGE: 1, TYPING: 2, TRANSFER: 3, CLOSE: 5 });
const KNOWN_TYPES = new Set([1, 2, 3, 5]); // 4 (rekey) is reserved and rejected

/** dir 0: seeker to counsellor (chain ck_s2c); dir 1: counsellor to seeker (ck_c2s). */
export const Direction = Object.freeze({ SEEKER_TO_COUNSELLOR: 0, COUNSELLOR_TO_SEEKER: 1 });

const STEP = ascii('HLP1/step');
const NONCE_LABEL = lbl('HLP1/nonce');

/** One chain step: {mk, ck} (mk is for one frame, ck replaces the chain key). */
export function chainStep(ck) {
  const o = hmacSha512(ck, STEP);
  const out = { mk: o.slice(0, 32), ck: o.slice(32, 64) };
  wipe(o);
  return out;
}

export function encodeHeader(type, chatId, epoch, dir, n) {
  return concat(u8(FRAME_VERSION), u8(type), chatId, u32(epoch), u8(dir), u32(n));
}

export function frameNonce(header) {
  return sha512(concat(NONCE_LABEL, header)).slice(0, 24);
}

/** Pads into the smallest bucket holding the plaintext, or a larger one if asked. */
export function bucketFor(length, minBucket = 0) {
  const bucket = BUCKETS.find((b) => b >= minBucket && length <= b - MAC_BYTES - 4);
  check(bucket !== undefined, 'too_large', `plaintext over ${MAX_PLAINTEXT} bytes`);
  return bucket;
}

/** u32(len) ‖ plaintext ‖ zeros, filling the smallest bucket (or a larger one if asked). */
export function pad(plaintext, minBucket = 0) {
  const bucket = bucketFor(plaintext.length, minBucket);
  const padded = new Uint8Array(bucket - MAC_BYTES);
  padded.set(u32(plaintext.length), 0);
  padded.set(plaintext, 4);
  return padded;
}

/** Inverse of pad: len ≤ bucket − 20 and every padding byte zero, else "bad_padding". */
export function unpad(padded) {
  check(padded.length >= 4, 'bad_padding', 'too short');
  const len = readU32(padded, 0);
  check(len <= padded.length - 4, 'bad_padding', 'length beyond the bucket');
  let acc = 0;
  for (let i = 4 + len; i < padded.length; i++) acc |= padded[i];
  check(acc === 0, 'bad_padding', 'non-zero padding');
  return padded.slice(4, 4 + len);
}

// ---- plaintext shapes -----------------------------------------------------------

/** Encodes the JSON plaintext of a frame of the given type (fields in spec order). */
export function encodePlaintext(type, body) {
  switch (type) {
    case FrameType.MESSAGE:
      return dumpJson({ text: body.text, ack: body.ack });
    case FrameType.TYPING:
      return dumpJson({ typing: body.typing, ack: body.ack });
    case FrameType.TRANSFER:
      return dumpJson({ ik2: b64uEncode(body.ik2), cert2: b64uEncode(body.cert2), sig: b64uEncode(body.sig) });
    case FrameType.CLOSE:
      return dumpJson({ reason: body.reason, ack: body.ack });
    default:
      throw new CryptoError('bad_type', 'unknown frame type');
  }
}

/**
 * The plaintext of a frame of the given type, by value (mirrors
 * crypto.frames.decode_body): "bad_plaintext", or "bad_encoding" for a transfer's
 * bytes field. Returns {text, ack} | {typing, ack} | {reason, ack} | {ik2, cert2, sig}.
 */
export function decodeBody(type, bytes) {
  const o = requireObject(parseJson(bytes, CODE), CODE);
  if (type === FrameType.TRANSFER) {
    requireKeys(o, ['ik2', 'cert2', 'sig'], CODE);
    return {
      ik2: getB64u(o, 'ik2', CODE, 32),
      cert2: getB64u(o, 'cert2', CODE, null, 512),
      sig: getB64u(o, 'sig', CODE, 64),
    };
  }
  const key = { [FrameType.MESSAGE]: 'text', [FrameType.TYPING]: 'typing', [FrameType.CLOSE]: 'reason' }[type];
  requireKeys(o, [key, 'ack'], CODE);
  const ack = getOptionalInt(o, 'ack', CODE, 0, MAX_COUNTER);
  if (type === FrameType.TYPING) return { typing: getBool(o, key, CODE), ack };
  const text = getStr(o, key, CODE);
  return type === FrameType.MESSAGE ? { text, ack } : { reason: text, ack };
}

/**
 * The receiver's checks up to the body length, in the design's order: "bad_frame"
 * (shorter than a header), "bad_version", "bad_type" (unknown, reserved 4, or a
 * transfer not from the counsellor), "wrong_chat", "bad_epoch", "wrong_direction",
 * "bad_length" (body not a bucket size). Returns {type, chatId, epoch, dir, n}.
 */
export function checkHeader(frame, chatId, epoch, dir) {
  check(frame instanceof Uint8Array && frame.length >= HEADER_BYTES, 'bad_frame', 'shorter than a header');
  check(frame[0] === FRAME_VERSION, 'bad_version', 'not an HLP1 data frame');
  const type = frame[1];
  check(KNOWN_TYPES.has(type), 'bad_type', `frame type ${type}`);
  const header = { type, chatId: frame.slice(2, 18), epoch: readU32(frame, 18), dir: frame[22], n: readU32(frame, 23) };
  check(bytesEqual(header.chatId, chatId), 'wrong_chat', 'frame for another chat');
  check(header.epoch === epoch, 'bad_epoch', `frame for epoch ${header.epoch}, expected ${epoch}`);
  check(header.dir === dir, 'wrong_direction', 'frame in the wrong direction');
  check(!(type === FrameType.TRANSFER && dir !== Direction.COUNSELLOR_TO_SEEKER), 'bad_type', 'only a counsellor hands a chat over');
  check(BUCKETS.includes(frame.length - HEADER_BYTES), 'bad_length', 'body is not a bucket size');
  return header;
}

/** Decrypts ("bad_mac"), unpads ("bad_padding") and parses a frame whose header passed: {body, ck}. */
export function openBody(frame, header, ck) {
  const { mk, ck: nextCk } = chainStep(ck);
  const padded = nacl.secretbox.open(frame.subarray(HEADER_BYTES), frameNonce(frame.subarray(0, HEADER_BYTES)), mk);
  wipe(mk);
  try {
    if (padded === null) throw new CryptoError('bad_mac', 'secretbox authentication failed');
    const body = decodeBody(header.type, unpad(padded));
    return { body, ck: nextCk };
  } catch (e) {
    wipe(nextCk);
    throw e;
  } finally {
    if (padded) wipe(padded);
  }
}

/** Seals one frame: {frame, ck}; "too_large" before anything is derived. */
export function seal(ck, type, chatId, epoch, dir, n, body, minBucket = 0) {
  const padded = pad(encodePlaintext(type, body), minBucket);
  const { mk, ck: nextCk } = chainStep(ck);
  const header = encodeHeader(type, chatId, epoch, dir, n);
  const frame = concat(header, nacl.secretbox(padded, frameNonce(header), mk));
  wipe(mk, padded);
  return { frame, ck: nextCk };
}

// ---- chains (mirrors crypto.chains) ------------------------------------------------

/** The sending half of one direction in one epoch: frames numbered from 0. */
export class SendChain {
  constructor(ck, chatId, epoch, dir) {
    this._ck = ck.slice();
    this._chatId = chatId;
    this._epoch = epoch;
    this._dir = dir;
    this.nextN = 0;
  }

  /** Seals one frame and advances; "exhausted" once n would reach 2^32 − 1 (end the chat). */
  seal(type, body, minBucket = 0) {
    check(this.nextN <= MAX_N, 'exhausted', 'the chain is exhausted: end the chat');
    const { frame, ck } = seal(this._ck, type, this._chatId, this._epoch, this._dir, this.nextN, body, minBucket);
    wipe(this._ck);
    this._ck = ck;
    this.nextN += 1;
    return frame;
  }

  wipe() {
    wipe(this._ck);
  }
}

/** The receiving half of one direction in one epoch. */
export class ReceiveChain {
  constructor(ck, chatId, epoch, dir) {
    this._ck = ck.slice();
    this._chatId = chatId;
    this._epoch = epoch;
    this._dir = dir;
    this.nextN = 0;
  }

  /**
   * Checks and decrypts the next frame (checkHeader, the counter, openBody) without
   * advancing: "replay" for a lower n (drop it silently), "gap" for a higher one (ask
   * the relay to resend); both leave the chain unchanged. Returns {n, type, body,
   * nextCk}; call commit() once the caller's own checks passed too.
   */
  open(frame) {
    const header = checkHeader(frame, this._chatId, this._epoch, this._dir);
    check(header.n >= this.nextN, 'replay', `frame ${header.n} already received`);
    check(header.n <= this.nextN, 'gap', `frame ${header.n} where ${this.nextN} was expected`);
    const { body, ck } = openBody(frame, header, this._ck);
    return { n: header.n, type: header.type, body, nextCk: ck };
  }

  /** Advances past a frame returned by open(). */
  commit(opened) {
    if (opened.n !== this.nextN) throw new Error('ReceiveChain.commit: not the next frame');
    wipe(this._ck);
    this._ck = opened.nextCk;
    this.nextN += 1;
  }

  wipe() {
    wipe(this._ck);
  }
}
