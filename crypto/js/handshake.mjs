// The HLP1 handshake (e2e-protocol.md, Handshake; Reconnect, re-hello, handover):
// messages, commitment, accept signature, key schedule, safety code, re-hello tag
// and transfer signature, as pure functions. The state machine is in session.mjs.
//
//   commit = H(lbl("HLP1/commit") ‖ es_pub)[0:32]
//   sig    = Sign_IKc(lbl("HLP1/accept") ‖ chat_id ‖ u32(epoch) ‖ commit ‖ ec_pub ‖ IKc_pub ‖ u8(flags))
//   th     = H(lbl("HLP1/th") ‖ chat_id ‖ u32(epoch) ‖ es_pub ‖ ec_pub ‖ IKc_pub ‖ H(cert))
//   prk    = Extract(th, dh); ck_s2c, ck_c2s, cont = Expand(prk, "HLP1/ck/s2c" | "HLP1/ck/c2s" | "HLP1/cont", 32)
//   safety = H(lbl("HLP1/safety") ‖ th)[0:5], each byte mod 100, "12345 67890"
//   tag    = HMAC(cont, lbl("HLP1/rehello") ‖ chat_id ‖ u32(epoch+1) ‖ commit)[0:32]
//   transfer sig = Sign_IKc1(lbl("HLP1/transfer") ‖ chat_id ‖ u32(epoch+1) ‖ IKc2_pub)

import { CryptoError, check } from './errors.mjs';
import { ascii, b64uEncode, concat, lbl, u32, u8 } from './encoding.mjs';
import { bytesEqual, hkdfExpand, hkdfExtract, hmacSha512, sha512, x25519 } from './primitives.mjs';
import { dumpJson, getB64u, getInt, parseJson, requireKeys, requireObject } from './json.mjs';
import { verifyCertificate } from './certs.mjs';
import { verifyOrThrow, verifyStrict } from './ed25519.mjs';

export const CHAT_ID_BYTES = 16;
export const MAX_EPOCH = 0xffffffff;
export const FLAG_TRANSCRIPTS = 1;

export function commitment(esPub) {
  return sha512(concat(lbl('HLP1/commit'), esPub)).slice(0, 32);
}

export function acceptSignedBytes(chatId, epoch, commit, ecPub, ikPub, flags) {
  return concat(lbl('HLP1/accept'), chatId, u32(epoch), commit, ecPub, ikPub, u8(flags));
}

export function transcriptHash(chatId, epoch, esPub, ecPub, ikPub, cert) {
  return sha512(concat(lbl('HLP1/th'), chatId, u32(epoch), esPub, ecPub, ikPub, sha512(cert)));
}

/** "12345 67890" from th. */
export function safetyCode(th) {
  const h = sha512(concat(lbl('HLP1/safety'), th));
  let digits = '';
  for (let i = 0; i < 5; i++) digits += String(h[i] % 100).padStart(2, '0');
  return `${digits.slice(0, 5)} ${digits.slice(5)}`;
}

/**
 * Step 6: dh = X25519(ownSecret, peerPublic) ("zero_shared_secret" if all zero), then
 * th, prk, both chain keys, cont and the safety code.
 * @returns {{th: Uint8Array, prk: Uint8Array, ckS2c: Uint8Array, ckC2s: Uint8Array, cont: Uint8Array, safetyCode: string}}
 */
export function deriveEpochKeys(ownSecret, peerPublic, chatId, epoch, esPub, ecPub, ikPub, cert) {
  const dh = x25519(ownSecret, peerPublic);
  const th = transcriptHash(chatId, epoch, esPub, ecPub, ikPub, cert);
  const prk = hkdfExtract(th, dh);
  dh.fill(0);
  return {
    th,
    prk,
    ckS2c: hkdfExpand(prk, ascii('HLP1/ck/s2c'), 32),
    ckC2s: hkdfExpand(prk, ascii('HLP1/ck/c2s'), 32),
    cont: hkdfExpand(prk, ascii('HLP1/cont'), 32),
    safetyCode: safetyCode(th),
  };
}

/** The re-hello tag for the HELLO of epoch `nextEpoch`, keyed with the previous epoch's cont. */
export function rehelloTag(cont, chatId, nextEpoch, commit) {
  return hmacSha512(cont, concat(lbl('HLP1/rehello'), chatId, u32(nextEpoch), commit)).slice(0, 32);
}

export function transferSignedBytes(chatId, nextEpoch, ik2) {
  return concat(lbl('HLP1/transfer'), chatId, u32(nextEpoch), ik2);
}

// ---- handshake JSON -----------------------------------------------------------

export function encodeHello(epoch, commit, tag = null) {
  const msg = { hlp: 1, kind: 'hello', epoch, commit: b64uEncode(commit) };
  if (tag !== null) msg.tag = b64uEncode(tag);
  return dumpJson(msg);
}

export function encodeAccept(epoch, ecPub, ikPub, cert, flags, sig) {
  return dumpJson({
    hlp: 1,
    kind: 'accept',
    epoch,
    ec: b64uEncode(ecPub),
    ik: b64uEncode(ikPub),
    cert: b64uEncode(cert),
    flags,
    sig: b64uEncode(sig),
  });
}

export function encodeReveal(epoch, esPub) {
  return dumpJson({ hlp: 1, kind: 'reveal', epoch, es: b64uEncode(esPub) });
}

export const MAX_MESSAGE_BYTES = 2048;
export const MAX_CERT_BYTES = 512;
const CODE = 'bad_message';

/**
 * Parses one handshake message by value (mirrors crypto.handshake.decode_message):
 * "bad_message" for the JSON and its shape, "bad_encoding" for a bytes field that is
 * not canonical base64url of the right length. Returns
 * {kind: "hello", epoch, commit, tag|null} | {kind: "accept", epoch, ec, ik, cert,
 * flags, sig} | {kind: "reveal", epoch, es}.
 */
export function decodeMessage(bytes) {
  check(bytes.length <= MAX_MESSAGE_BYTES, CODE, 'handshake message too long');
  const obj = requireObject(parseJson(bytes, CODE), CODE);
  const kind = obj.kind;
  check(Object.hasOwn(obj, 'hlp') && getInt(obj, 'hlp', CODE, 1, 1) === 1, CODE, 'hlp must be 1');
  if (kind === 'hello') {
    const tagged = Object.hasOwn(obj, 'tag');
    requireKeys(obj, ['hlp', 'kind', 'epoch', 'commit', ...(tagged ? ['tag'] : [])], CODE);
    return {
      kind,
      epoch: getInt(obj, 'epoch', CODE, 0, MAX_EPOCH),
      commit: getB64u(obj, 'commit', CODE, 32),
      tag: tagged ? getB64u(obj, 'tag', CODE, 32) : null,
    };
  }
  if (kind === 'accept') {
    requireKeys(obj, ['hlp', 'kind', 'epoch', 'ec', 'ik', 'cert', 'flags', 'sig'], CODE);
    return {
      kind,
      epoch: getInt(obj, 'epoch', CODE, 0, MAX_EPOCH),
      ec: getB64u(obj, 'ec', CODE, 32),
      ik: getB64u(obj, 'ik', CODE, 32),
      cert: getB64u(obj, 'cert', CODE, null, MAX_CERT_BYTES),
      flags: getInt(obj, 'flags', CODE, 0, 255),
      sig: getB64u(obj, 'sig', CODE, 64),
    };
  }
  if (kind === 'reveal') {
    requireKeys(obj, ['hlp', 'kind', 'epoch', 'es'], CODE);
    return { kind, epoch: getInt(obj, 'epoch', CODE, 0, MAX_EPOCH), es: getB64u(obj, 'es', CODE, 32) };
  }
  throw new CryptoError(CODE, 'unknown kind');
}

/** "bad_flags" if a reserved bit is set; else whether transcripts are on. */
export function checkFlags(flags) {
  check((flags & ~FLAG_TRANSCRIPTS) === 0, 'bad_flags', 'reserved flag bits set');
  return (flags & FLAG_TRANSCRIPTS) !== 0;
}

/** Whether a re-hello's tag proves knowledge of cont (constant-time). */
export function checkTag(cont, chatId, hello) {
  if (hello.tag === null || hello.tag === undefined) return false;
  return bytesEqual(hello.tag, rehelloTag(cont, chatId, hello.epoch, hello.commit));
}

/** Step 5: the REVEAL's es must match the HELLO's commitment, else "bad_commit". */
export function checkCommit(commit, esPub) {
  check(bytesEqual(commitment(esPub), commit), 'bad_commit', 'REVEAL does not match the commitment');
}

/**
 * The seeker's step 4 (mirrors crypto.handshake.verify_accept), in this order: the
 * pending epoch ("bad_epoch"); the certificate, strictly ("bad_cert", "bad_handle",
 * "small_order", "bad_key", "bad_signature", "expired"); ik equal to the certificate's
 * key ("bad_cert"); ik equal to expectedIk when one is pinned ("unauthorised_transfer"
 * after a handover, else "identity_changed"); a current revocation list
 * ("stale_revocation_list"); not revoked ("revoked"); the accept signature
 * ("bad_signature"); reserved flag bits ("bad_flags").
 * @returns {{cert: import('./certs.mjs').Certificate, transcripts: boolean}}
 */
export function verifyAccept(accept, { chatId, epoch, commit, orgPub, revocations, now, expectedIk = null, transfer = false }) {
  check(accept.epoch === epoch, 'bad_epoch', `ACCEPT for epoch ${accept.epoch}, expected ${epoch}`);
  const cert = verifyCertificate(orgPub, accept.cert, now);
  check(bytesEqual(cert.ik, accept.ik), 'bad_cert', "ik is not the certificate's key");
  if (expectedIk !== null && expectedIk !== undefined && !bytesEqual(expectedIk, accept.ik)) {
    if (transfer) throw new CryptoError('unauthorised_transfer', 'ACCEPT from a key not named by the transfer');
    throw new CryptoError('identity_changed', 'ACCEPT from another counsellor key');
  }
  revocations.checkCurrent(now);
  check(!revocations.has(accept.ik), 'revoked', 'the counsellor key is revoked');
  verifyOrThrow(accept.sig, acceptSignedBytes(chatId, epoch, commit, accept.ec, accept.ik, accept.flags), accept.ik);
  return { cert, transcripts: checkFlags(accept.flags) };
}

/**
 * The seeker's checks of a transfer frame (mirrors crypto.handshake.verify_transfer):
 * an epoch left ("bad_epoch"); cert2 exactly as in step 4; ik2 equal to its key
 * ("unauthorised_transfer"); a current revocation list; ik2 not revoked ("revoked");
 * sig by the current counsellor over epoch + 1 and ik2 ("unauthorised_transfer").
 * @returns {import('./certs.mjs').Certificate}
 */
export function verifyTransfer({ ik2, cert2, sig, chatId, epoch, currentIk, orgPub, revocations, now }) {
  check(epoch < MAX_EPOCH, 'bad_epoch', 'no epoch left');
  const cert = verifyCertificate(orgPub, cert2, now);
  check(bytesEqual(cert.ik, ik2), 'unauthorised_transfer', 'ik2 is not the key of cert2');
  revocations.checkCurrent(now);
  check(!revocations.has(ik2), 'revoked', "the new counsellor's key is revoked");
  if (!verifyStrict(sig, transferSignedBytes(chatId, epoch + 1, ik2), currentIk))
    throw new CryptoError('unauthorised_transfer', 'transfer not signed by the counsellor');
  return cert;
}
