// One error type for everything HLP1 rejects (mirrors crypto.errors.CryptoError).
//
// CryptoError.code is a short machine-readable string shared with the Python
// implementation ("bad_signature", "bad_cert", "expired", "revoked", "replay", ...);
// callers branch on the code, never on the message. Exceptions thrown by tweetnacl
// or WebCrypto are mapped to a CryptoError at the boundary where they can occur.

export class CryptoError extends Error {
  /**
   * @param {string} code
   * @param {string} [message]
   */
  constructor(code, message) {
    super(message ? `${code}: ${message}` : code);
    this.name = 'CryptoError';
    this.code = code;
  }
}

/** Throw CryptoError(code) unless cond holds. */
export function check(cond, code, message) {
  if (!cond) throw new CryptoError(code, message);
}
