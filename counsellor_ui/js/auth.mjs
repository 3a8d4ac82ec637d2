// Signing in, unlocking and the identity key, without any DOM (docs/protocol.md §6.1,
// §6.2; docs/crypto.md). The password never leaves this module: only the login secret
// is sent; the wrapping key unwraps (or wraps) the identity seed and is wiped at once.
// The seed then lives in memory only.

import {
  PBKDF2_ITERATIONS,
  SALT_BYTES,
  b64uDecode,
  b64uEncode,
  checkIterations,
  derivePasswordKeys,
  fingerprint,
  nacl,
  publicKeyFromSeed,
  unwrapSeed,
  wrapSeed,
} from '/static/crypto/hlp1.mjs';

// Development servers (and the test suite) use cheap PBKDF2 settings; the production
// minimum applies unless the server says it runs in development mode.
export const DEV_MIN_ITERATIONS = 1000;

/** The lowest iteration count this page accepts from this server. */
export async function minimumIterations(api) {
  try {
    const info = await api.get('/api/crypto');
    return info && info.development === true ? DEV_MIN_ITERATIONS : PBKDF2_ITERATIONS;
  } catch {
    return PBKDF2_ITERATIONS;
  }
}

/** {loginSecret, wrappingKey} for this account (throws CryptoError weak_kdf). */
export async function passwordKeys(api, username, password) {
  const minimum = await minimumIterations(api);
  const salt = await api.get(`/api/salt?username=${encodeURIComponent(username)}`);
  const iterations = checkIterations(salt.iterations, minimum);
  return derivePasswordKeys(password, b64uDecode(salt.salt), iterations);
}

/** POST /api/login; ApiError "totp_required" asks for a code and another call. */
export async function login(api, username, keys, totp = null) {
  const body = { username, secret: b64uEncode(keys.loginSecret) };
  if (totp !== null) body.totp = totp;
  await api.post('/api/login', body);
  return api.get('/api/me'); // the account's languages and capacity, and the csrf token
}

export function wipeKeys(keys) {
  if (!keys) return;
  keys.loginSecret.fill(0);
  keys.wrappingKey.fill(0);
}

/** An account's password and username limits, as the server's (helpline/cli.py
 *  PASSWORD_MIN, helpline/store/accounts.py username_problem); the server checks again. */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 1024;
export const USERNAME_MAX = 64;

/** Whether a new account's username breaks the server's rule (length, no spaces or
 *  control characters). */
export function usernameRefused(username) {
  return !username || username.length > USERNAME_MAX || /[\s\p{C}]/u.test(username);
}

/**
 * {salt, secret, iterations} for a new password (a new account, a reset, the first
 * supervisor): a random 16-byte salt and the login secret PBKDF2 derives from it
 * (crypto/js/password.mjs), base64url. Only these go to the server; the wrapping key is
 * wiped unused, as the account's identity key is made by its owner's browser.
 */
export async function newLoginSecret(password, iterations, random = nacl.randomBytes) {
  const salt = random(SALT_BYTES);
  const keys = await derivePasswordKeys(password, salt, iterations);
  try {
    return { salt: b64uEncode(salt), secret: b64uEncode(keys.loginSecret), iterations };
  } finally {
    wipeKeys(keys);
  }
}

/** Equal bytes, in constant time. */
function same(a, b) {
  return a.length === b.length && nacl.verify(a, b);
}

/**
 * The identity key: made and uploaded when the account has none, else unwrapped and
 * checked against the stored public key. Returns {seed, ik, cert, state, notAfter,
 * fingerprint, handle}. Throws ApiError, CryptoError("bad_mac": wrong password) or
 * Error("key_mismatch").
 */
export async function openIdentity(api, wrappingKey, random = nacl.randomBytes) {
  let info = await api.get('/api/identity');
  let seed;
  if (info.state === 'none' || !info.wrapped_seed) {
    seed = random(32);
    const ik = publicKeyFromSeed(seed);
    info = await api.put('/api/identity', { ik: b64uEncode(ik), wrapped_seed: b64uEncode(wrapSeed(seed, wrappingKey)) });
  } else {
    seed = unwrapSeed(b64uDecode(info.wrapped_seed), wrappingKey);
  }
  const ik = publicKeyFromSeed(seed);
  if (!info.ik || !same(ik, b64uDecode(info.ik))) {
    seed.fill(0);
    throw new Error('key_mismatch');
  }
  return {
    seed,
    ik,
    cert: info.cert ? b64uDecode(info.cert) : null,
    state: info.state,
    notAfter: info.not_after ?? null,
    handle: info.handle ?? null,
    fingerprint: fingerprint(ik),
  };
}

/** GET /api/identity again (a certificate may have arrived): same seed, new facts. */
export async function refreshIdentity(api, identity) {
  const info = await api.get('/api/identity');
  if (!info.ik || !same(identity.ik, b64uDecode(info.ik))) return identity;
  return {
    ...identity,
    cert: info.cert ? b64uDecode(info.cert) : null,
    state: info.state,
    notAfter: info.not_after ?? null,
    handle: info.handle ?? null,
  };
}

export function wipeIdentity(identity) {
  if (identity && identity.seed) identity.seed.fill(0);
}
