// The workspace's other DOM-free parts in Node: the sealed reload blob, the API client's
// CSRF header, signing in and the identity key with a fake server, and the link.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import './testing/paths.mjs';

const { b64uDecode, b64uEncode, nacl, publicKeyFromSeed, unwrapSeed, derivePasswordKeys, CryptoError } = await import('/static/crypto/hlp1.mjs');
const reload = await import('./reload.mjs');
const { Api, ApiError } = await import('./api.mjs');
const auth = await import('./auth.mjs');
const { StaffLink, staffSocketUrl } = await import('./link.mjs');
const { S, duration, endedReason } = await import('./strings.mjs');
const { colleagueLabel, colleagueWhyNot, whyNot } = await import('./dialogs.mjs');

class MemoryStorage {
  constructor() {
    this.map = new Map();
  }
  getItem(k) {
    return this.map.has(k) ? this.map.get(k) : null;
  }
  setItem(k, v) {
    this.map.set(k, String(v));
  }
  removeItem(k) {
    this.map.delete(k);
  }
}

const seed = new Uint8Array(32).fill(7);
const otherSeed = new Uint8Array(32).fill(8);

const sk = new Uint8Array(32).fill(9); // the session's reload_key
const otherSk = new Uint8Array(32).fill(10);

test('the reload blob opens only with the same seed and reload_key, once, within 120 s', () => {
  const store = new MemoryStorage();
  const data = { time: Date.now(), aliasCounter: 3, handled: 2, chats: [{ chatId: 'x', transcript: [{ text: 'secret words' }] }] };
  assert.ok(reload.saveBlob(store, data, seed, sk));
  const raw = store.getItem(reload.RELOAD_KEY);
  assert.ok(!raw.includes('secret'));
  assert.equal(reload.open(raw, otherSeed, sk), null);
  assert.equal(reload.open(raw, seed, otherSk), null); // another session: the blob is dead
  assert.equal(reload.open(raw, seed, undefined), null);
  assert.deepEqual(reload.open(raw, seed, sk), data);
  assert.deepEqual(reload.takeBlob(store, seed, sk), data);
  assert.equal(store.getItem(reload.RELOAD_KEY), null); // deleted at once
  assert.equal(reload.takeBlob(store, seed, sk), null);

  reload.saveBlob(store, { ...data, time: Date.now() - 121_000 }, seed, sk);
  assert.equal(reload.takeBlob(store, seed, sk), null);
  assert.equal(store.getItem(reload.RELOAD_KEY), null); // too old: gone too
  reload.saveBlob(store, data, seed, sk);
  assert.equal(reload.takeBlob(store, otherSeed, sk), null);
  assert.equal(store.getItem(reload.RELOAD_KEY), null);
  reload.saveBlob(store, data, seed, sk);
  assert.equal(reload.takeBlob(store, seed, otherSk), null);
  assert.equal(store.getItem(reload.RELOAD_KEY), null);
  reload.saveBlob(store, data, seed, sk);
  assert.equal(reload.takeBlob(store, seed, null), null); // no reload_key: nothing opens
  assert.equal(store.getItem(reload.RELOAD_KEY), null);
  // Tampering is noticed.
  reload.saveBlob(store, data, seed, sk);
  const bytes = b64uDecode(store.getItem(reload.RELOAD_KEY));
  bytes[40] ^= 1;
  assert.equal(reload.open(b64uEncode(bytes), seed, sk), null);
  // Two seals of the same data differ (random nonce).
  assert.notEqual(reload.seal(data, seed, sk), reload.seal(data, seed, sk));
});

test('the reload key is SHA-512("HLP1-ui/reload" ‖ seed ‖ reload_key)[0:32]; nothing is saved without a reload_key', () => {
  const label = new TextEncoder().encode('HLP1-ui/reload');
  const input = new Uint8Array([...label, ...seed, ...sk]);
  assert.deepEqual(reload.reloadKey(seed, sk), nacl.hash(input).slice(0, 32));
  assert.notDeepEqual(reload.reloadKey(seed, sk), nacl.hash(new Uint8Array([...label, ...seed])).slice(0, 32));
  assert.throws(() => reload.reloadKey(seed));
  assert.throws(() => reload.reloadKey(seed, new Uint8Array(16)));
  // A blob from before stays only if a new one replaces it: a refused save removes it.
  const store = new MemoryStorage();
  reload.saveBlob(store, { time: Date.now(), chats: [] }, seed, sk);
  assert.equal(reload.saveBlob(store, { time: Date.now(), chats: [] }, seed, null), false);
  assert.equal(store.getItem(reload.RELOAD_KEY), null);
  reload.saveBlob(store, { time: Date.now(), chats: [] }, seed, sk);
  reload.dropBlob(store); // pageshow
  assert.equal(store.getItem(reload.RELOAD_KEY), null);
  // The server's reload_key: b64u of 32 bytes, else none.
  assert.deepEqual(reload.sessionReloadKey({ reload_key: b64uEncode(sk) }), sk);
  assert.equal(reload.sessionReloadKey({ reload_key: b64uEncode(new Uint8Array(31)) }), null);
  assert.equal(reload.sessionReloadKey({ reload_key: '!!' }), null);
  assert.equal(reload.sessionReloadKey({ username: 'sam' }), null);
  assert.equal(reload.sessionReloadKey(null), null);
});

test('the handled count is a plain number; sign-out clears both entries', () => {
  const store = new MemoryStorage();
  assert.equal(reload.readHandled(store), 0);
  reload.writeHandled(store, 4);
  assert.equal(reload.readHandled(store), 4);
  store.setItem(reload.HANDLED_KEY, 'junk');
  assert.equal(reload.readHandled(store), 0);
  reload.saveBlob(store, { time: Date.now(), chats: [] }, seed, sk);
  reload.clearAll(store);
  assert.equal(store.map.size, 0);
});

/** A fake server: routes "METHOD path" → (body, headers) → [status, json]. */
function fakeFetch(routes, log = []) {
  return async (path, init) => {
    const key = `${init.method} ${path.split('?')[0]}`;
    log.push({ key, path, headers: init.headers, body: init.body ? JSON.parse(init.body) : undefined });
    const route = routes[key];
    if (!route) return { ok: false, status: 404, json: async () => ({ error: 'not_found' }) };
    const [status, json] = await route(init.body ? JSON.parse(init.body) : undefined, init.headers);
    return { ok: status < 400, status, json: async () => json };
  };
}

test('the API client keeps the csrf token and sends it on state changes only', async () => {
  const log = [];
  const api = new Api(
    fakeFetch(
      {
        'GET /api/me': () => [200, { username: 'sam', csrf: 'tok' }],
        'POST /api/logout': () => [204, null],
        'POST /api/login': () => [401, { error: 'totp_required' }],
      },
      log,
    ),
  );
  await api.get('/api/me');
  assert.equal(api.csrf, 'tok');
  await api.post('/api/logout');
  assert.equal(log[0].headers['X-CSRF-Token'], undefined);
  assert.equal(log[1].headers['X-CSRF-Token'], 'tok');
  await assert.rejects(api.post('/api/login', {}), (e) => e instanceof ApiError && e.status === 401 && e.code === 'totp_required');
  const down = new Api(async () => {
    throw new TypeError('offline');
  });
  await assert.rejects(down.get('/api/me'), (e) => e.code === 'network');
});

test('sign-in: salt, iterations checked, login secret only; TOTP asked; a key is made, then unwrapped', async () => {
  const salt = b64uEncode(new Uint8Array(16).fill(2));
  let stored = null;
  let development = true;
  let iterations = 1000;
  const log = [];
  const routes = {
    'GET /api/crypto': () => [200, { development }],
    'GET /api/salt': () => [200, { salt, iterations }],
    'POST /api/login': (body) => (body.totp ? [200, { username: 'sam', role: 'counsellor', csrf: 'c1' }] : [401, { error: 'totp_required' }]),
    'GET /api/me': () => [200, { username: 'sam', languages: ['en'], capacity: 2, csrf: 'c1', totp: true }],
    'GET /api/identity': () => [200, stored ?? { state: 'none', ik: null, wrapped_seed: null, cert: null }],
    'PUT /api/identity': (body) => {
      stored = { ...body, state: 'pending', cert: null, not_after: null };
      return [200, stored];
    },
  };
  const api = new Api(fakeFetch(routes, log));
  const keys = await auth.passwordKeys(api, 'sam', 'correct horse');
  await assert.rejects(auth.login(api, 'sam', keys), (e) => e.code === 'totp_required');
  const me = await auth.login(api, 'sam', keys, '123456');
  assert.equal(me.username, 'sam');
  const posted = log.filter((l) => l.key === 'POST /api/login');
  assert.deepEqual(Object.keys(posted[1].body).sort(), ['secret', 'totp', 'username']);
  assert.ok(!JSON.stringify(posted).includes('correct horse'));
  assert.equal(posted[1].headers['X-CSRF-Token'], undefined); // no session yet

  const made = await auth.openIdentity(api, keys.wrappingKey);
  assert.equal(made.state, 'pending');
  assert.deepEqual(publicKeyFromSeed(made.seed), b64uDecode(stored.ik));
  assert.deepEqual(unwrapSeed(b64uDecode(stored.wrapped_seed), keys.wrappingKey), made.seed);
  const put = log.find((l) => l.key === 'PUT /api/identity');
  assert.equal(put.headers['X-CSRF-Token'], 'c1');

  const again = await auth.openIdentity(api, keys.wrappingKey);
  assert.deepEqual(again.seed, made.seed);
  assert.equal(again.fingerprint, made.fingerprint);
  const wrong = await derivePasswordKeys('wrong', b64uDecode(salt), 1000);
  await assert.rejects(auth.openIdentity(api, wrong.wrappingKey), (e) => e instanceof CryptoError && e.code === 'bad_mac');
  // A stored key that is not this seed's.
  stored = { ...stored, ik: b64uEncode(publicKeyFromSeed(otherSeed)) };
  await assert.rejects(auth.openIdentity(api, keys.wrappingKey), /key_mismatch/);
  auth.wipeKeys(keys);
  assert.ok(keys.wrappingKey.every((b) => b === 0));

  // Cheap settings are refused unless the server says it is a development server.
  development = false;
  await assert.rejects(auth.passwordKeys(api, 'sam', 'pw'), (e) => e.code === 'weak_kdf');
  iterations = 20_000_000;
  development = true;
  await assert.rejects(auth.passwordKeys(api, 'sam', 'pw'), (e) => e.code === 'weak_kdf');
});

class FakeSocket {
  static all = [];
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    FakeSocket.all.push(this);
  }
  send(data) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen();
  }
  receive(frame) {
    this.onmessage({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) });
  }
  drop(code) {
    this.readyState = 3;
    this.onclose({ code });
  }
}

test('the link: URL from the location, frames in and out, retry on drops, stop on 4001/4010', async () => {
  assert.equal(staffSocketUrl({ protocol: 'https:', host: 'x.onion' }), 'wss://x.onion/ws/staff');
  assert.equal(staffSocketUrl({ protocol: 'http:', host: '127.0.0.1:8080' }), 'ws://127.0.0.1:8080/ws/staff');
  const events = [];
  const link = new StaffLink(
    {
      onFrame: (f) => events.push(['frame', f.type]),
      onUp: () => events.push(['up']),
      onDown: (n) => events.push(['down', n]),
      onStop: (code) => events.push(['stop', code]),
    },
    { url: 'ws://test/ws/staff', WebSocketImpl: FakeSocket },
  );
  link.start();
  const first = FakeSocket.all.at(-1);
  assert.equal(link.send({ type: 'ping' }), false);
  first.open();
  first.receive({ v: 1, type: 'welcome' });
  first.receive('not json');
  first.receive('[1]');
  assert.ok(link.send({ v: 1, type: 'ping' }));
  assert.deepEqual(first.sent, [{ v: 1, type: 'ping' }]);
  first.drop(1006);
  assert.deepEqual(events, [['up'], ['frame', 'welcome'], ['down', 1]]);
  await new Promise((r) => setTimeout(r, 800)); // the first backoff is 0.5 s ± 25 %
  const second = FakeSocket.all.at(-1);
  assert.notEqual(second, first);
  second.open();
  second.drop(4010);
  assert.deepEqual(events.slice(-2), [['up'], ['stop', 4010]]);
  link.stop();
});

test('texts: durations, end reasons, why a colleague cannot take a chat', () => {
  assert.equal(duration(45), '45 s');
  assert.equal(duration(185), '3 min');
  assert.equal(duration(3900), '1 h 05 min');
  assert.match(endedReason('seeker_gone'), /without coming back/);
  assert.match(endedReason('other'), /other/);
  assert.equal(S.alias(3), 'Visitor 3');
  const c = { languages: ['en'], status: 'available', free: true };
  assert.equal(whyNot(c, 'en'), null);
  assert.equal(whyNot(c, 'de'), S.freeNot.language);
  assert.equal(whyNot({ ...c, free: false }, 'en'), S.freeNot.full);
  assert.equal(whyNot({ ...c, status: 'offline' }, 'en'), S.freeNot.offline);
  assert.equal(whyNot({ ...c, status: 'away' }, 'en'), S.freeNot.away);
  // The transfer dialog names a colleague by the certified handle and the username;
  // an unverified key cannot be chosen, whatever the server calls it.
  const noor = { ...c, username: 'noor', handle: 'Server handle', certifiedHandle: 'Noor', refusal: null };
  assert.equal(colleagueWhyNot(noor, 'en'), null);
  assert.equal(colleagueLabel(noor, null), 'Noor (noor)');
  assert.equal(colleagueLabel(noor, colleagueWhyNot({ ...noor, status: 'away' }, 'en')), 'Noor (noor) – away');
  const eve = { ...c, username: 'eve', handle: 'Noor', certifiedHandle: null, refusal: 'revoked' };
  assert.match(colleagueWhyNot(eve, 'en'), /not verified: the key is revoked/);
  assert.equal(colleagueLabel(eve, colleagueWhyNot(eve, 'en')), 'eve – key not verified: the key is revoked');
  assert.match(colleagueWhyNot({ ...c, username: 'x', refusal: 'weird' }, 'en'), /invalid certificate \(weird\)/);
  assert.match(S.colleagueRefused('eve', 'the key is revoked'), /eve.*not be verified.*revoked/);
});
