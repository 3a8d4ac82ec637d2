// HLP1 for the browser (and Node): the public API, mirroring the Python package
// `crypto` in camelCase, with Uint8Array for bytes. See e2e-protocol.md for the protocol
// and crypto/session.py for the session rules this mirrors.
//
// Loading in a page (no CDN, nothing from a third party at run time):
//
//   <script src="/static/vendor/tweetnacl/nacl-fast.min.js"
//           integrity="sha384-…"></script>              (sets self.nacl; classic script)
//   <script type="module" src="/static/seeker.js"></script>
//
// where seeker.js does `import { SeekerSession, ... } from '/static/crypto/js/hlp1.mjs'`.
// The server serves node_modules/tweetnacl/nacl-fast.min.js (pinned 1.0.3, integrity in
// package-lock.json) and crypto/js/*.mjs with a JavaScript MIME type from its own
// origin; module scripts are deferred, so the classic script has run before any module.
// The pages need WebCrypto (a secure context: HTTPS or localhost) only for password.mjs.
// In Node (tests), nacl.mjs loads the npm package with createRequire instead.

export { CryptoError } from './errors.mjs';
export { default as nacl } from './nacl.mjs';
export { b64uDecode, b64uEncode, fromHex, toHex } from './encoding.mjs';
export {
  Certificate,
  RevocationList,
  certHash,
  fingerprint,
  identityPublicKey,
  makeCertificate,
  makeRevocationList,
  orgPublicKey,
  parseCertificate,
  recordsPublicKey,
  verifyCertificate,
  verifyRevocationList,
} from './certs.mjs';
export { publicKeyFromSeed, sign, verifyStrict } from './ed25519.mjs';
export {
  checkCommit,
  commitment,
  decodeMessage,
  deriveEpochKeys,
  rehelloTag,
  safetyCode,
  verifyAccept,
  verifyTransfer,
} from './handshake.mjs';
export { BUCKETS, FrameType, MAX_FRAME, MAX_PLAINTEXT, ReceiveChain, SendChain } from './frames.mjs';
export { FINAL_DIR, RecordWriter, openRecords, parseRecordLines } from './records.mjs';
export { MAX_ITERATIONS, PBKDF2_ITERATIONS, SALT_BYTES, checkIterations, derivePasswordKeys, unwrapSeed, wrapSeed } from './password.mjs';
export { CounsellorSession, HANDSHAKE_TIMEOUT, STATE_VERSION, SeekerSession } from './session.mjs';
