// Strict JSON for HLP1 messages: "JSON is compared by value (exact key set,
// integers, canonical base64url), never by bytes" (e2e-protocol.md, Data frames).
//
// JSON.parse is too lenient to make two implementations agree on what is valid:
// it silently keeps the last of duplicate keys, turns 1.0 and 1e0 into the integer
// 1 and rounds integers above 2^53. This parser follows RFC 8259 and:
//   - rejects duplicate keys (the safest reading of "exact key set");
//   - keeps integer literals exact: a Number, or a BigInt beyond 2^53 - 1 (which no
//     HLP1 field accepts); a literal with a fraction or exponent becomes a JsonFloat,
//     accepted as an integer only when its value is whole (as Python's side does);
//     -0 is the integer 0;
//   - rejects escaped lone surrogates (they are not text) and a leading BOM.
// Input is bytes, decoded as strict UTF-8 first. Any failure throws CryptoError(code) whose
// message never contains anything from the input (it is often a decrypted plaintext).

import { CryptoError, check } from './errors.mjs';
import { b64uDecode, isWellFormed, utf8Decode, utf8Encode } from './encoding.mjs';

/** A JSON number that is not an integer literal (e.g. 1.0, 1e3). */
export class JsonFloat {
  constructor(value) {
    this.value = value;
  }
}

/**
 * @param {Uint8Array} bytes
 * @param {string} code error code on failure
 * @returns {any}
 */
export function parseJson(bytes, code) {
  const text = utf8Decode(bytes, code);
  let i = 0;
  const fail = (why) => {
    throw new CryptoError(code, `invalid JSON: ${why}`);
  };
  const ws = () => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };
  const value = (depth) => {
    if (depth > 16) fail('nested too deep');
    ws();
    const c = text[i];
    if (c === '{') return object(depth);
    if (c === '[') return array(depth);
    if (c === '"') return string();
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    if (text.startsWith('true', i)) return (i += 4), true;
    if (text.startsWith('false', i)) return (i += 5), false;
    if (text.startsWith('null', i)) return (i += 4), null;
    return fail(`unexpected character at ${i}`);
  };
  const object = (depth) => {
    i++;
    const out = Object.create(null);
    const seen = new Set();
    ws();
    if (text[i] === '}') return i++, out;
    for (;;) {
      ws();
      if (text[i] !== '"') fail('expected a key');
      const key = string();
      if (seen.has(key)) fail('duplicate key'); // never the key itself: the text may be a decrypted plaintext
      seen.add(key);
      ws();
      if (text[i] !== ':') fail('expected ":"');
      i++;
      out[key] = value(depth + 1);
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') return i++, out;
      fail('expected "," or "}"');
    }
  };
  const array = (depth) => {
    i++;
    const out = [];
    ws();
    if (text[i] === ']') return i++, out;
    for (;;) {
      out.push(value(depth + 1));
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === ']') return i++, out;
      fail('expected "," or "]"');
    }
  };
  const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
  const number = () => {
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m) fail('bad number');
    i = NUMBER.lastIndex;
    if (m[1] !== undefined || m[2] !== undefined) return new JsonFloat(Number(m[0]));
    const big = BigInt(m[0]);
    if (big === 0n) return 0;
    return big >= -BigInt(Number.MAX_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(big)
      : big;
  };
  const ESC = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
  const hex4 = () => {
    const h = text.slice(i, i + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(h)) fail('bad \\u escape');
    i += 4;
    return parseInt(h, 16);
  };
  const string = () => {
    i++;
    let out = '';
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return out;
      }
      if (c < 0x20) fail('control character in string');
      if (c !== 0x5c) {
        out += text[i++];
        continue;
      }
      const e = text[i + 1];
      i += 2;
      if (e === 'u') {
        const u = hex4();
        if (u >= 0xd800 && u <= 0xdbff) {
          if (text[i] !== '\\' || text[i + 1] !== 'u') fail('lone surrogate');
          i += 2;
          const lo = hex4();
          if (lo < 0xdc00 || lo > 0xdfff) fail('lone surrogate');
          out += String.fromCharCode(u, lo);
        } else if (u >= 0xdc00 && u <= 0xdfff) {
          fail('lone surrogate');
        } else {
          out += String.fromCharCode(u);
        }
      } else if (e !== undefined && Object.hasOwn(ESC, e)) {
        out += ESC[e];
      } else {
        fail('bad escape');
      }
    }
  };
  if (text.charCodeAt(0) === 0xfeff) fail('byte order mark');
  const v = value(0);
  ws();
  if (i !== text.length) fail('trailing data');
  return v;
}

/**
 * Compact JSON of a flat object of strings, safe integers, booleans and null, keys
 * in insertion order: the same bytes as Python's
 * json.dumps(obj, separators=(",", ":"), ensure_ascii=False). A string with a lone
 * surrogate is "bad_text" (JSON.stringify would escape it; Python cannot encode it).
 */
export function dumpJson(obj) {
  const parts = [];
  for (const [k, v] of Object.entries(obj)) {
    check(
      v === null || typeof v === 'boolean' || typeof v === 'string' || Number.isSafeInteger(v),
      'unexpected',
      `cannot serialise ${k}`,
    );
    check(typeof v !== 'string' || isWellFormed(v), 'bad_text', 'text is not valid Unicode (lone surrogate)');
    parts.push(`${JSON.stringify(k)}:${JSON.stringify(v)}`);
  }
  return utf8Encode(`{${parts.join(',')}}`);
}

// ---- typed access by value (mirrors crypto/strictjson.py) ------------------------

/** The value must be a JSON object (not an array); else CryptoError(code). */
export function requireObject(v, code) {
  check(v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof JsonFloat), code, 'not a JSON object');
  return v;
}

/** Exactly these keys, nothing more (key order is irrelevant). */
export function requireKeys(obj, keys, code) {
  const own = Object.keys(obj);
  check(own.length === keys.length && keys.every((k) => Object.hasOwn(obj, k)), code, `expected keys ${keys.join(', ')}`);
}

/**
 * An integer by value with lo ≤ value ≤ hi: 1, 1.0 and 1e0 are the same value
 * (JavaScript cannot tell them apart, so Python accepts all three too); true and
 * false are not integers.
 */
export function getInt(obj, key, code, lo, hi) {
  let v = obj[key];
  if (v instanceof JsonFloat) {
    check(Number.isFinite(v.value) && Number.isInteger(v.value), code, `${key} must be an integer`);
    v = v.value === 0 ? 0 : v.value;
  }
  check(typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi, code, `${key} must be an integer from ${lo} to ${hi}`);
  return v;
}

export function getOptionalInt(obj, key, code, lo, hi) {
  return obj[key] === null ? null : getInt(obj, key, code, lo, hi);
}

export function getStr(obj, key, code) {
  check(typeof obj[key] === 'string', code, `${key} must be a string`);
  return obj[key];
}

export function getBool(obj, key, code) {
  check(typeof obj[key] === 'boolean', code, `${key} must be true or false`);
  return obj[key];
}

/**
 * Canonical base64url bytes; a decoding failure or a wrong fixed length is
 * "bad_encoding" whatever the caller's code, a non-string or an over-long value is code.
 */
export function getB64u(obj, key, code, length = null, maxLength = 4096) {
  const v = obj[key];
  check(typeof v === 'string' && v.length <= maxLength * 2, code, `${key} must be base64url`);
  const raw = b64uDecode(v);
  check(length === null || raw.length === length, 'bad_encoding', `expected ${length} bytes, got ${raw.length}`);
  check(raw.length <= maxLength, code, `${key} is too long`);
  return raw;
}
