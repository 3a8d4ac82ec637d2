// Runs one `negative` case of crypto/vectors/hlp1.json through this implementation and
// returns the CryptoError code it raised (or "accepted" if nothing was refused).
// Shared by vectors.test.mjs; kinds are documented in crypto/vectors/negative.py.

import { CryptoError } from './errors.mjs';
import { b64uDecode, fromHex } from './encoding.mjs';
import { verifyOrThrow } from './ed25519.mjs';
import { makeCertificate, verifyCertificate, verifyRevocationList } from './certs.mjs';
import { checkCommit, decodeMessage, verifyAccept, verifyTransfer } from './handshake.mjs';
import { x25519 } from './primitives.mjs';
import { ReceiveChain } from './frames.mjs';
import { openRecords } from './records.mjs';
import { unwrapSeed } from './password.mjs';

const X = fromHex;
const VECTOR_NOW = 1_700_000_000; // generate.NOW: when the vectors' revocation list is current

function revocationsFor(i) {
  // As tests/crypto/test_vectors.py does: verify the list at the case's now, or, when
  // it is stale by then, at the vectors' now (the checks under test see it stale).
  try {
    return verifyRevocationList(X(i.org_pub), X(i.revocation_list), i.now);
  } catch (e) {
    if (!(e instanceof CryptoError) || e.code !== 'stale_revocation_list') throw e;
    return verifyRevocationList(X(i.org_pub), X(i.revocation_list), VECTOR_NOW);
  }
}

const KINDS = {
  b64u_decode: (i) => b64uDecode(i.text),
  ed25519_verify: (i) => verifyOrThrow(X(i.signature), X(i.message), X(i.public_key)),
  verify_certificate: (i) => verifyCertificate(X(i.org_pub), X(i.cert), i.now),
  make_certificate: (i) => makeCertificate(X(i.org_seed), X(i.ik), i.not_after, i.handle),
  verify_revocation_list: (i) => verifyRevocationList(X(i.org_pub), X(i.list), i.now, i.newest_issued_at),
  decode_message: (i) => decodeMessage(X(i.message)),
  x25519: (i) => x25519(X(i.secret), X(i.public)),
  check_commit: (i) => checkCommit(X(i.commit), X(i.es_pub)),
  unwrap_seed: (i) => unwrapSeed(X(i.wrapped), X(i.wrapping_key)),
  open_records: (i) => openRecords(i.lines, X(i.records_secret), X(i.org_pub), i.now),
  open_frame: (i) => {
    const rx = new ReceiveChain(X(i.ck), X(i.chat_id), i.epoch, i.dir);
    rx.nextN = i.expected_n;
    rx.open(X(i.frame));
  },
  verify_accept: (i) => {
    const revocations = revocationsFor(i);
    const accept = decodeMessage(X(i.accept));
    return verifyAccept(accept, {
      chatId: X(i.chat_id),
      epoch: i.epoch,
      commit: X(i.commit),
      orgPub: X(i.org_pub),
      revocations,
      now: i.now,
      expectedIk: i.expected_ik === null ? null : X(i.expected_ik),
      transfer: i.transfer,
    });
  },
  verify_transfer: (i) => {
    const revocations = verifyRevocationList(X(i.org_pub), X(i.revocation_list), VECTOR_NOW);
    return verifyTransfer({
      ik2: X(i.ik2),
      cert2: X(i.cert2),
      sig: X(i.sig),
      chatId: X(i.chat_id),
      epoch: i.epoch,
      currentIk: X(i.current_ik),
      orgPub: X(i.org_pub),
      revocations,
      now: i.now,
    });
  },
};

/** @returns {Promise<string>} the error code, "accepted", or "unknown_kind:<kind>" */
export async function runNegativeCase(vectors, c) {
  const run = KINDS[c.kind];
  if (run === undefined) return `unknown_kind:${c.kind}`;
  try {
    await run(c.input, vectors);
    return 'accepted';
  } catch (e) {
    if (e instanceof CryptoError) return e.code;
    throw e;
  }
}
