// Sessions in memory: a full conversation, re-hello after a reload, handover, and the
// negative paths (replay, gap, tampering, bad accept, revoked, expired, unauthorised
// transfer, wrong re-hello tag, timeouts, fatal frames).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import nacl from './nacl.mjs';
import { CryptoError } from './errors.mjs';
import { b64uDecode, b64uEncode, concat, utf8Encode } from './encoding.mjs';
import { publicKeyFromSeed } from './ed25519.mjs';
import { makeCertificate, makeRevocationList, verifyRevocationList } from './certs.mjs';
import { decodeMessage, encodeAccept, encodeHello, encodeReveal } from './handshake.mjs';
import { FrameType, SendChain, chainStep, encodeHeader, frameNonce, pad } from './frames.mjs';
import { CounsellorSession, HANDSHAKE_TIMEOUT, SeekerSession } from './session.mjs';

const NOW = 1_700_000_000;
const DAY = 86_400;
const fill = (b, n = 32) => new Uint8Array(n).fill(b);
const orgSeed = fill(1);
const orgPub = publicKeyFromSeed(orgSeed);
const ik1Seed = fill(3);
const ik2Seed = fill(4);
const ik3Seed = fill(0x11);
const ik1 = publicKeyFromSeed(ik1Seed);
const ik2 = publicKeyFromSeed(ik2Seed);
const ik3 = publicKeyFromSeed(ik3Seed);
const cert1 = makeCertificate(orgSeed, ik1, NOW + 30 * DAY, 'Sam');
const cert2 = makeCertificate(orgSeed, ik2, NOW + 30 * DAY, 'Noor');
const cert3 = makeCertificate(orgSeed, ik3, NOW + 30 * DAY, 'Alex');
const rlBlob = makeRevocationList(orgSeed, NOW - 3600, NOW + 29 * DAY, [ik3]);
const rl = verifyRevocationList(orgPub, rlBlob, NOW);

const rejects = (fn, code) =>
  assert.throws(fn, (e) => {
    assert.ok(e instanceof CryptoError, `not a CryptoError: ${e && e.stack}`);
    assert.equal(e.code, code, e.message);
    return true;
  });

/** Delivers b to a and returns the events; the payload goes through b64u as on the relay. */
const relay = (session, payload, now = NOW) => session.receive(b64uDecode(b64uEncode(payload)), now);
const only = (events, kind) => {
  assert.equal(events.length, 1, JSON.stringify(events.map((e) => e.kind)));
  assert.equal(events[0].kind, kind);
  return events[0];
};

function connect(seeker, counsellor, now = NOW) {
  const accept = only(relay(counsellor, seeker.hello(now), now), 'outgoing');
  const [reveal, est] = relay(seeker, accept.payload, now);
  assert.equal(reveal.kind, 'outgoing');
  assert.equal(est.kind, 'established');
  const cEst = only(relay(counsellor, reveal.payload, now), 'established');
  assert.equal(est.safetyCode, cEst.safetyCode);
  assert.match(est.safetyCode, /^\d{5} \d{5}$/);
  return { seekerEst: est, counsellorEst: cEst };
}

function newChat({ transcripts = false } = {}) {
  const chatId = nacl.randomBytes(16);
  const seeker = new SeekerSession(chatId, orgPub, rl);
  const counsellor = new CounsellorSession(chatId, ik1Seed, cert1, transcripts);
  return { chatId, seeker, counsellor };
}

test('a full conversation in both directions, with acks, typing and close', () => {
  const { seeker, counsellor } = newChat({ transcripts: true });
  const { seekerEst, counsellorEst } = connect(seeker, counsellor);
  assert.deepEqual(
    [seekerEst.epoch, seekerEst.handle, seekerEst.transcripts, seekerEst.samePerson],
    [0, 'Sam', true, null],
  );
  assert.equal(counsellorEst.samePerson, null);
  assert.ok(seeker.established && counsellor.established);
  assert.equal(seeker.handle, 'Sam');
  assert.equal(seeker.safetyCode, counsellor.safetyCode);

  let m = only(relay(counsellor, seeker.sendMessage('Hi, I need someone to talk to. 👋')), 'message');
  assert.deepEqual([m.n, m.text, m.ack], [0, 'Hi, I need someone to talk to. 👋', null]);
  const t = only(relay(seeker, counsellor.sendTyping(true)), 'typing');
  assert.deepEqual([t.n, t.on, t.ack], [0, true, 0]);
  m = only(relay(seeker, counsellor.sendMessage('Hello, I am here.')), 'message');
  assert.deepEqual([m.n, m.ack], [1, 0]);
  for (const size of [10, 300, 2000, 9000, 16000]) {
    m = only(relay(counsellor, seeker.sendMessage('x'.repeat(size))), 'message');
    assert.equal(m.text.length, size);
    assert.equal(m.ack, 1);
  }
  assert.equal(counsellor.peerAck, 1);
  const c = only(relay(counsellor, seeker.sendClose('seeker_left')), 'peerClosed');
  assert.equal(c.reason, 'seeker_left');
  assert.ok(seeker.closed && counsellor.closed);
  rejects(() => seeker.sendMessage('more'), 'closed');
  rejects(() => counsellor.sendMessage('more'), 'closed');
});

test('replayed frames are dropped silently; a gap asks for a resend; reordered frames recover', () => {
  const { seeker, counsellor } = newChat();
  connect(seeker, counsellor);
  const f = [0, 1, 2].map((i) => seeker.sendMessage(`m${i}`));
  assert.equal(only(relay(counsellor, f[0]), 'message').text, 'm0');
  assert.deepEqual(relay(counsellor, f[0]), []); // replay: no event
  const gap = only(relay(counsellor, f[2]), 'gapDetected');
  assert.deepEqual([gap.expected, gap.got], [1, 2]);
  assert.equal(only(relay(counsellor, f[1]), 'message').text, 'm1');
  assert.equal(only(relay(counsellor, f[2]), 'message').text, 'm2');
  assert.deepEqual(relay(counsellor, f[1]), []);
});

test('tampered, foreign, misdirected and truncated frames are rejected and change nothing', () => {
  const { seeker, counsellor } = newChat();
  connect(seeker, counsellor);
  const frame = seeker.sendMessage('hello');
  const flipped = (i) => {
    const g = frame.slice();
    g[i] ^= 1;
    return g;
  };
  rejects(() => relay(counsellor, flipped(100)), 'bad_mac'); // body
  rejects(() => relay(counsellor, flipped(1)), 'bad_type'); // header: type 1 -> 0
  rejects(() => relay(counsellor, flipped(2)), 'wrong_chat');
  rejects(() => relay(counsellor, flipped(21)), 'bad_epoch');
  rejects(() => relay(counsellor, flipped(22)), 'wrong_direction');
  rejects(() => relay(counsellor, flipped(30)), 'bad_mac');
  rejects(() => relay(counsellor, frame.subarray(0, 20)), 'bad_frame');
  rejects(() => relay(counsellor, frame.subarray(0, frame.length - 1)), 'bad_length');
  rejects(() => relay(seeker, frame), 'wrong_direction'); // the seeker's own frame reflected
  rejects(() => counsellor.receive(new Uint8Array(0), NOW), 'bad_frame');
  assert.equal(only(relay(counsellor, frame), 'message').text, 'hello');
  assert.ok(counsellor.established);
});

test('a frame the peer authenticated but which is malformed ends the chat (bad_plaintext, bad_ack)', () => {
  // A broken peer: seal frames directly with the real chain key of the seeker.
  const { seeker, counsellor } = newChat();
  connect(seeker, counsellor);
  const chain = seeker._send; // white-box: the seeker's sending chain
  const bad = chain.seal(FrameType.MESSAGE, { text: 'a', ack: 5 }); // we never sent 5 frames
  rejects(() => relay(counsellor, bad), 'bad_ack');
  assert.ok(counsellor.closed);
  rejects(() => relay(counsellor, bad), 'closed');
});

test('an error about a decrypted plaintext never quotes it (no text, keys or values)', () => {
  const CANARY = 'CANARY-7f3a';
  const plaintexts = [
    `${CANARY} is not JSON`,
    `{"${CANARY}":1,"${CANARY}":2}`, // duplicate key
    `{"${CANARY}":"x","ack":null}`, // wrong key set
    `{"text":"${CANARY}","text":"y","ack":null}`,
    `{"text":"${CANARY}\\ud800","ack":null}`, // lone surrogate
    `{"text":"${CANARY}","ack":NaN}`,
    `{"text":"${CANARY}","ack":"${CANARY}"}`,
    `{"text":["${CANARY}"],"ack":null}`,
  ];
  for (const text of plaintexts) {
    const { seeker, counsellor } = newChat();
    connect(seeker, counsellor);
    // a broken (authenticated) peer: seal raw plaintext with the seeker's chain key
    const chain = seeker._send; // white-box
    const { mk } = chainStep(chain._ck);
    const header = encodeHeader(FrameType.MESSAGE, chain._chatId, chain._epoch, chain._dir, 0);
    const frame = concat(header, nacl.secretbox(pad(utf8Encode(text)), frameNonce(header), mk));
    let error = null;
    try {
      relay(counsellor, frame);
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof CryptoError, text);
    assert.equal(error.code, 'bad_plaintext', text);
    for (const s of [error.message, String(error), error.stack, JSON.stringify(error)]) {
      assert.ok(!s.includes(CANARY), `${JSON.stringify(text)} leaked into ${s}`);
    }
    assert.equal(error.cause, undefined);
    assert.ok(counsellor.closed);
  }
});

test('closing wipes every secret: chains, cont and a pending ephemeral secret', () => {
  const zero = (a) => a.every((b) => b === 0);
  const { seeker, counsellor } = newChat();
  connect(seeker, counsellor);
  // the counsellor has a pending handshake (its ec secret) when the chat ends
  relay(counsellor, seeker.hello(NOW + 1), NOW + 1);
  const { _send: cSend, _recv: cRecv, _cont: cCont } = counsellor;
  const ec = counsellor._pending.ecSecret;
  const sSend = seeker._send._ck;
  const sCont = seeker._cont;
  const es = seeker._pending.esSecret;
  const frame = counsellor.sendClose('bye');
  assert.ok(counsellor.closed);
  assert.ok(zero(cSend._ck) && zero(cRecv._ck) && zero(cCont) && zero(ec));
  assert.deepEqual([counsellor._send, counsellor._recv, counsellor._cont, counsellor._pending], [null, null, null, null]);
  assert.equal(only(relay(seeker, frame, NOW + 1), 'peerClosed').reason, 'bye');
  assert.ok(seeker.closed);
  assert.ok(zero(sSend) && zero(sCont) && zero(es));
  assert.deepEqual([seeker._send, seeker._recv, seeker._cont, seeker._pending], [null, null, null, null]);
  rejects(() => seeker.exportState(), 'unexpected');
});

test('oversized plaintext is refused before sending and uses no counter', () => {
  const { seeker, counsellor } = newChat();
  connect(seeker, counsellor);
  rejects(() => seeker.sendMessage('x'.repeat(16_364)), 'too_large');
  assert.equal(seeker.sent, 0);
  assert.equal(only(relay(counsellor, seeker.sendMessage('ok')), 'message').n, 0);
});

test('the seeker refuses a bad ACCEPT: signature, forged/expired/revoked certificate, flags, epoch', () => {
  const attackerSeed = fill(0x12);
  const cases = [
    ['bad_signature', { sigSeed: ik2Seed }],
    ['bad_signature', { cert: makeCertificate(attackerSeed, ik1, NOW + DAY, 'Sam') }],
    ['expired', { now: NOW + 30 * DAY + 1 }],
    ['revoked', { seed: ik3Seed, cert: cert3 }],
    ['bad_flags', { flags: 2 }],
    ['bad_cert', { ik: ik2, sigSeed: ik2Seed }],
  ];
  for (const [code, o] of cases) {
    const { chatId, seeker } = newChat();
    const now = o.now ?? NOW;
    // hello() needs a list current at its time (checked at HELLO and again at ACCEPT)
    if (o.now) seeker.updateRevocations(verifyRevocationList(orgPub, makeRevocationList(orgSeed, now - 3600, now + DAY, [ik3]), now));
    const hello = decodeMessage(seeker.hello(now - 1));
    const seed = o.seed ?? ik1Seed;
    const ik = o.ik ?? publicKeyFromSeed(seed);
    const ec = nacl.randomBytes(32);
    const ecPub = nacl.scalarMult.base(ec);
    const flags = o.flags ?? 0;
    const signedBy = o.sigSeed ?? seed;
    const sig = nacl.sign.detached(
      new Uint8Array([
        ...utf8Encode('HLP1/accept\u0000'),
        ...chatId,
        0, 0, 0, 0,
        ...hello.commit,
        ...ecPub,
        ...ik,
        flags,
      ]),
      nacl.sign.keyPair.fromSeed(signedBy).secretKey,
    );
    const accept = encodeAccept(0, ecPub, ik, o.cert ?? (seed === ik3Seed ? cert3 : cert1), flags, sig);
    rejects(() => relay(seeker, accept, now), code);
    assert.ok(!seeker.established);
    rejects(() => relay(seeker, accept, now), 'unexpected'); // the handshake was refused
  }
});

test('the seeker refuses an ACCEPT for another epoch, an unsolicited one, and one after the timeout', () => {
  const { chatId, seeker, counsellor } = newChat();
  rejects(() => relay(seeker, encodeHello(0, fill(0))), 'unexpected'); // a HELLO to the seeker: not an ACCEPT
  const hello = seeker.hello(NOW);
  rejects(() => seeker.hello(NOW + HANDSHAKE_TIMEOUT - 1), 'unexpected');
  const accept = only(relay(counsellor, hello), 'outgoing').payload;
  rejects(() => relay(seeker, accept, NOW + HANDSHAKE_TIMEOUT), 'unexpected');
  // a new HELLO for the same epoch after the timeout works
  const c2 = new CounsellorSession(chatId, ik1Seed, cert1);
  connect(seeker, c2, NOW + HANDSHAKE_TIMEOUT + 1);
  assert.equal(seeker.epoch, 0);
  // the stale ACCEPT of the first attempt can never complete now
  rejects(() => relay(seeker, accept, NOW + 70), 'unexpected');
});

test('the counsellor refuses a REVEAL that does not match the commitment, and one after the timeout', () => {
  const { seeker, counsellor } = newChat();
  const accept = only(relay(counsellor, seeker.hello(NOW)), 'outgoing').payload;
  relay(seeker, accept);
  const wrong = new TextEncoder().encode(
    `{"hlp":1,"kind":"reveal","epoch":0,"es":"${b64uEncode(nacl.scalarMult.base(nacl.randomBytes(32)))}"}`,
  );
  rejects(() => relay(counsellor, wrong), 'bad_commit');
  assert.ok(!counsellor.established);
  assert.equal(counsellor.epoch, -1);
  const s2 = newChat();
  const acc2 = only(relay(s2.counsellor, s2.seeker.hello(NOW)), 'outgoing').payload;
  const [reveal] = relay(s2.seeker, acc2);
  rejects(() => relay(s2.counsellor, reveal.payload, NOW + HANDSHAKE_TIMEOUT), 'unexpected');
});

test('a forged REVEAL (bad_commit) keeps the pending handshake: the genuine REVEAL completes the epoch', () => {
  const { seeker, counsellor } = newChat();
  connect(seeker, counsellor);
  const accept = only(relay(counsellor, seeker.hello(NOW + 1), NOW + 1), 'outgoing').payload;
  const [reveal] = relay(seeker, accept, NOW + 1);
  assert.equal(seeker.epoch, 1);
  for (const es of [nacl.scalarMult.base(fill(9)), fill(9)]) {
    rejects(() => relay(counsellor, encodeReveal(1, es), NOW + 1), 'bad_commit');
    assert.equal(counsellor.epoch, 0);
  }
  const est = only(relay(counsellor, reveal.payload, NOW + 1), 'established');
  assert.equal(counsellor.epoch, 1);
  assert.equal(est.safetyCode, seeker.safetyCode);
  assert.equal(only(relay(counsellor, seeker.sendMessage('hi'), NOW + 2), 'message').text, 'hi');
  assert.equal(only(relay(seeker, counsellor.sendMessage('hello'), NOW + 2), 'message').text, 'hello');
  // a forged REVEAL after completion is refused without harm
  rejects(() => relay(counsellor, encodeReveal(1, fill(0)), NOW + 3), 'unexpected');
  assert.ok(counsellor.established);
});

test('hello() fails closed without a current revocation list; it is checked again at ACCEPT', () => {
  const expires = NOW + 29 * DAY;
  const { seeker, counsellor } = newChat();
  rejects(() => seeker.hello(expires + 1), 'stale_revocation_list');
  rejects(() => seeker.hello(NOW - 3600 - 301), 'stale_revocation_list'); // from the future
  const accept = only(relay(counsellor, seeker.hello(expires), expires), 'outgoing').payload;
  rejects(() => relay(seeker, accept, expires + 1), 'stale_revocation_list');
  // nothing was started by the refused hello(): a current list lets the session go on
  seeker.updateRevocations(verifyRevocationList(orgPub, makeRevocationList(orgSeed, expires, expires + DAY, []), expires));
  const c2 = new CounsellorSession(seeker.chatId, ik1Seed, cert1);
  connect(seeker, c2, expires + 1);
  assert.ok(seeker.established);
});

test('all-zero shared secret: a small-order ec aborts the handshake', () => {
  const { chatId, seeker } = newChat();
  const hello = decodeMessage(seeker.hello(NOW));
  const ecPub = new Uint8Array(32); // X25519 point of order 4 (u = 0)
  const signed = new Uint8Array([
    ...utf8Encode('HLP1/accept\u0000'),
    ...chatId,
    0, 0, 0, 0,
    ...hello.commit,
    ...ecPub,
    ...ik1,
    0,
  ]);
  const sig = nacl.sign.detached(signed, nacl.sign.keyPair.fromSeed(ik1Seed).secretKey);
  rejects(() => relay(seeker, encodeAccept(0, ecPub, ik1, cert1, 0, sig)), 'zero_shared_secret');
  assert.ok(!seeker.established);
});

test('re-hello after a page reload: same person, new epoch, old frames rejected, unacked resent', () => {
  const { seeker, counsellor } = newChat();
  connect(seeker, counsellor);
  only(relay(counsellor, seeker.sendMessage('before reload')), 'message');
  seeker.sendMessage('never delivered'); // lost with the page
  const state = JSON.parse(JSON.stringify(seeker.exportState())); // through sessionStorage
  assert.deepEqual(Object.keys(state).sort(), ['chat_id', 'cont', 'epoch', 'ik', 'rl_issued_at', 'v']);
  const resumed = SeekerSession.resumeFrom(state, orgPub, rl);
  assert.equal(resumed.epoch, 0);
  const oldFrame = counsellor.sendMessage('epoch 0 message');
  const { seekerEst, counsellorEst } = connect(resumed, counsellor, NOW + 10);
  assert.equal(seekerEst.epoch, 1);
  assert.equal(counsellorEst.samePerson, true);
  assert.deepEqual([counsellorEst.prevEpochAck, counsellorEst.prevEpochSent], [null, 1]);
  rejects(() => relay(resumed, oldFrame), 'bad_epoch');
  const m = only(relay(counsellor, resumed.sendMessage('after reload')), 'message');
  assert.deepEqual([m.n, m.text], [0, 'after reload']);
  assert.notEqual(seekerEst.safetyCode, undefined);
});

test('re-hello with a wrong or missing tag is reported as not the same person', () => {
  for (const tamper of ['wrong', 'missing']) {
    const { seeker, counsellor } = newChat();
    connect(seeker, counsellor);
    const state = seeker.exportState();
    if (tamper === 'wrong') state.cont = b64uEncode(nacl.randomBytes(32));
    const s2 = SeekerSession.resumeFrom(state, orgPub, rl);
    let hello = s2.hello(NOW);
    if (tamper === 'missing') {
      const h = decodeMessage(hello);
      hello = encodeHello(h.epoch, h.commit, null);
    }
    const accept = only(relay(counsellor, hello), 'outgoing').payload;
    const [reveal] = relay(s2, accept);
    const est = only(relay(counsellor, reveal.payload), 'established');
    assert.equal(est.samePerson, false, tamper);
  }
});

test('re-hello: the seeker refuses another counsellor key (identity_changed); bad saved state', () => {
  const { chatId, seeker, counsellor } = newChat();
  connect(seeker, counsellor);
  const state = seeker.exportState();
  const s2 = SeekerSession.resumeFrom(state, orgPub, rl);
  const other = new CounsellorSession(chatId, ik2Seed, cert2);
  other._epoch = 0; // white-box: pretend it had the chat
  other._cont = new Uint8Array(32);
  const accept = only(relay(other, s2.hello(NOW)), 'outgoing').payload;
  rejects(() => relay(s2, accept), 'identity_changed');
  rejects(() => SeekerSession.resumeFrom({ ...state, epoch: '01' }, orgPub, rl), 'bad_state');
  rejects(() => SeekerSession.resumeFrom({ ...state, x: '1' }, orgPub, rl), 'bad_state');
  rejects(() => SeekerSession.resumeFrom({ ...state, cont: 'AAAA' }, orgPub, rl), 'bad_encoding');
  rejects(
    () => SeekerSession.resumeFrom({ ...state, rl_issued_at: String(rl.issuedAt + 1) }, orgPub, rl),
    'stale_revocation_list',
  );
  rejects(() => new SeekerSession(chatId, orgPub, null), 'no_revocation_list');
});

test('the counsellor refuses a HELLO for any epoch but current + 1', () => {
  const { seeker, counsellor } = newChat();
  connect(seeker, counsellor);
  rejects(() => relay(counsellor, encodeHello(0, fill(9))), 'bad_epoch');
  rejects(() => relay(counsellor, encodeHello(2, fill(9))), 'bad_epoch');
  assert.equal(only(relay(counsellor, encodeHello(1, fill(9))), 'outgoing').kind, 'outgoing');
});

test('handover: transfer, fresh handshake with counsellor 2 only, no history', () => {
  const { chatId, seeker, counsellor } = newChat();
  connect(seeker, counsellor);
  only(relay(counsellor, seeker.sendMessage('hi')), 'message');
  const tr = only(relay(seeker, counsellor.sendTransfer(ik2, cert2)), 'transferRequested');
  assert.deepEqual([Buffer.from(tr.ik2).toString('hex'), tr.handle2], [Buffer.from(ik2).toString('hex'), 'Noor']);
  const c2 = new CounsellorSession(chatId, ik2Seed, cert2);
  const { seekerEst, counsellorEst } = connect(seeker, c2, NOW + 5);
  assert.deepEqual([seekerEst.epoch, seekerEst.handle, counsellorEst.samePerson], [1, 'Noor', null]);
  assert.equal(only(relay(c2, seeker.sendMessage('hello Noor')), 'message').text, 'hello Noor');
  assert.equal(only(relay(seeker, c2.sendMessage('hello')), 'message').ack, 0);
});

test('handover: an ACCEPT from any key but ik2 is an unauthorised transfer', () => {
  const { chatId, seeker, counsellor } = newChat();
  connect(seeker, counsellor);
  only(relay(seeker, counsellor.sendTransfer(ik2, cert2)), 'transferRequested');
  const impostor = new CounsellorSession(chatId, ik1Seed, cert1); // counsellor 1 again, or anyone else
  const accept = only(relay(impostor, seeker.hello(NOW)), 'outgoing').payload;
  rejects(() => relay(seeker, accept), 'unauthorised_transfer');
  assert.equal(seeker.epoch, 0);
});

test('handover: a transfer to a revoked key, or one not signed by the counsellor, ends the chat', () => {
  {
    const { seeker, counsellor } = newChat();
    connect(seeker, counsellor);
    rejects(() => relay(seeker, counsellor.sendTransfer(ik3, cert3)), 'revoked');
    assert.ok(seeker.closed);
  }
  {
    const { seeker, counsellor } = newChat();
    connect(seeker, counsellor);
    rejects(() => counsellor.sendTransfer(ik2, cert3), 'unauthorised_transfer');
    // a transfer frame signed by someone else, sealed on the genuine chain
    const sig = nacl.sign.detached(new Uint8Array(10), nacl.sign.keyPair.fromSeed(ik2Seed).secretKey);
    const frame = counsellor._seal(FrameType.TRANSFER, { ik2, cert2, sig });
    rejects(() => relay(seeker, frame), 'unauthorised_transfer');
    assert.ok(seeker.closed);
  }
});

test('the seeker rejects a transfer sealed on its own direction; sessions need 16-byte chat ids', () => {
  const { chatId, seeker, counsellor } = newChat();
  connect(seeker, counsellor);
  const sendChain = new SendChain(new Uint8Array(32), chatId, 0, 0);
  const f = sendChain.seal(FrameType.TRANSFER, { ik2, cert2, sig: new Uint8Array(64) });
  rejects(() => relay(counsellor, f), 'bad_type');
  rejects(() => new SeekerSession(new Uint8Array(15), orgPub, rl), 'bad_state');
  rejects(() => new CounsellorSession(chatId, ik2Seed, cert1), 'bad_cert');
});

// ---- the counsellor's saved state (the workspace reloads) -----------------------------

const COUNSELLOR_STATE_FIELDS = [
  'chat_id', 'cont', 'epoch', 'ik', 'mac', 'peer_ack', 'recv_ck', 'recv_n', 'role', 'safety_code',
  'send_ck', 'send_n', 'transcripts', 'v',
];

test('a counsellor resumed from its saved state continues the chat; a later seeker re-hello is the same person', () => {
  const { seeker, counsellor } = newChat({ transcripts: true });
  connect(seeker, counsellor);
  const s0 = seeker.sendMessage('first');
  only(relay(counsellor, s0), 'message');
  only(relay(seeker, counsellor.sendMessage('hello')), 'message');
  const s1 = seeker.sendMessage('written while the workspace reloads'); // not yet received
  const state = JSON.parse(JSON.stringify(counsellor.exportState())); // through sessionStorage
  assert.deepEqual(Object.keys(state).sort(), COUNSELLOR_STATE_FIELDS);
  assert.ok(Object.values(state).every((v) => typeof v === 'string'));
  const text = JSON.stringify(state);
  for (const secret of [b64uEncode(ik1Seed), Buffer.from(ik1Seed).toString('hex')]) assert.ok(!text.includes(secret));
  assert.deepEqual([state.epoch, state.send_n, state.recv_n, state.peer_ack, state.transcripts], ['0', '1', '1', '', '1']);

  const resumed = CounsellorSession.resumeFrom(state, ik1Seed, cert1);
  assert.ok(resumed.established);
  assert.deepEqual(
    [resumed.epoch, resumed.safetyCode, resumed.handle, resumed.transcripts, resumed.peerAck, resumed.sent],
    [0, seeker.safetyCode, 'Sam', true, null, 1],
  );
  assert.deepEqual(relay(resumed, s0), []); // the relay's replay of a frame seen before the reload
  const m = only(relay(resumed, s1), 'message');
  assert.deepEqual([m.n, m.text, m.ack], [1, 'written while the workspace reloads', 0]);
  const back = only(relay(seeker, resumed.sendMessage('still here')), 'message');
  assert.deepEqual([back.n, back.ack], [1, 1]);
  assert.equal(resumed.peerAck, 0);
  assert.equal(only(relay(resumed, seeker.sendTyping(true)), 'typing').ack, 1);
  assert.equal(resumed.peerAck, 1);

  // later the seeker's page reloads too: its re-hello checks against the saved cont
  const seeker2 = SeekerSession.resumeFrom(seeker.exportState(), orgPub, rl);
  const { seekerEst, counsellorEst } = connect(seeker2, resumed, NOW + 5);
  assert.deepEqual([seekerEst.epoch, counsellorEst.samePerson, counsellorEst.prevEpochSent], [1, true, 2]);
  assert.equal(only(relay(resumed, seeker2.sendMessage('back again'), NOW + 6), 'message').text, 'back again');
  assert.equal(only(relay(seeker2, resumed.sendMessage('welcome back'), NOW + 6), 'message').ack, 0);
  // and a state saved in the new epoch resumes there
  const again = CounsellorSession.resumeFrom(resumed.exportState(), ik1Seed, cert1, true);
  assert.equal(again.epoch, 1);
  assert.equal(only(relay(seeker2, again.sendMessage('after a second reload'), NOW + 7), 'message').n, 1);
});

test('a saved counsellor state refuses another seed or certificate, and any change', () => {
  const { seeker, counsellor } = newChat();
  rejects(() => counsellor.exportState(), 'unexpected'); // nothing established yet
  connect(seeker, counsellor);
  only(relay(counsellor, seeker.sendMessage('hi')), 'message');
  const state = counsellor.exportState();
  assert.ok(CounsellorSession.resumeFrom(state, ik1Seed, cert1).established);

  rejects(() => CounsellorSession.resumeFrom(state, ik2Seed, cert2), 'bad_state'); // another identity
  rejects(() => CounsellorSession.resumeFrom(state, ik1Seed, cert2), 'bad_cert'); // cert not for the seed
  rejects(() => CounsellorSession.resumeFrom(state, ik1Seed, cert1, true), 'bad_state'); // transcripts turned on
  const flip = (s) => (s.endsWith('A') ? `${s.slice(0, -1)}B` : `${s.slice(0, -1)}A`);
  for (const key of Object.keys(state)) {
    if (key === 'v' || key === 'role') continue;
    const changed = { ...state, [key]: key === 'safety_code' ? '00000 00000' : /^\d+$/.test(state[key]) ? String(Number(state[key]) + 1) : flip(state[key]) };
    rejects(() => CounsellorSession.resumeFrom(changed, ik1Seed, cert1), 'bad_state');
  }
  for (const bad of [
    null,
    [],
    'state',
    { ...state, v: '2' },
    { ...state, role: 'seeker' },
    { ...state, extra: '1' },
    { ...state, epoch: 0 },
    { ...state, peer_ack: '\ud800' },
    (({ mac, ...rest }) => rest)(state),
    seeker.exportState(),
  ]) {
    rejects(() => CounsellorSession.resumeFrom(bad, ik1Seed, cert1), 'bad_state');
  }
  counsellor.destroy();
  rejects(() => counsellor.exportState(), 'unexpected');
});

test('a saved counsellor state holds no pending handshake: the seeker hellos again', () => {
  const { seeker, counsellor } = newChat();
  connect(seeker, counsellor);
  const accept = only(relay(counsellor, seeker.hello(NOW + 1), NOW + 1), 'outgoing').payload;
  const resumed = CounsellorSession.resumeFrom(counsellor.exportState(), ik1Seed, cert1);
  const [reveal] = relay(seeker, accept, NOW + 1); // the seeker moved to epoch 1 ...
  rejects(() => relay(resumed, reveal.payload, NOW + 1), 'unexpected'); // ... the reloaded workspace cannot follow
  assert.equal(resumed.epoch, 0);
  // before the seeker's ACCEPT arrives, a reload loses the handshake: a new HELLO completes
  const s2 = newChat();
  connect(s2.seeker, s2.counsellor);
  relay(s2.counsellor, s2.seeker.hello(NOW + 1), NOW + 1); // its ACCEPT is lost with the page
  const r2 = CounsellorSession.resumeFrom(s2.counsellor.exportState(), ik1Seed, cert1);
  const { counsellorEst } = connect(s2.seeker, r2, NOW + 1 + HANDSHAKE_TIMEOUT);
  assert.deepEqual([counsellorEst.epoch, counsellorEst.samePerson], [1, true]);
});

test('a seeker page reloaded during a handover says hello to the colleague only', () => {
  const { chatId, seeker, counsellor } = newChat();
  connect(seeker, counsellor);
  only(relay(seeker, counsellor.sendTransfer(ik2, cert2)), 'transferRequested');
  const state = JSON.parse(JSON.stringify(seeker.exportState()));
  assert.equal(state.transfer_to, b64uEncode(ik2));
  const impostor = SeekerSession.resumeFrom(state, orgPub, rl);
  const fromSam = only(relay(new CounsellorSession(chatId, ik1Seed, cert1), impostor.hello(NOW)), 'outgoing').payload;
  rejects(() => relay(impostor, fromSam), 'unauthorised_transfer');
  const resumed = SeekerSession.resumeFrom(state, orgPub, rl);
  const hello = decodeMessage(resumed.hello(NOW));
  assert.deepEqual([hello.epoch, hello.tag], [1, null]);
  const c2 = new CounsellorSession(chatId, ik2Seed, cert2);
  const accept = only(relay(c2, encodeHello(hello.epoch, hello.commit, null)), 'outgoing').payload;
  const [reveal, est] = relay(resumed, accept);
  assert.deepEqual([est.epoch, est.handle], [1, 'Noor']);
  only(relay(c2, reveal.payload), 'established');
  assert.ok(!('transfer_to' in resumed.exportState())); // done: a later reload re-hellos Noor
  rejects(() => SeekerSession.resumeFrom({ ...state, transfer_to: 'AAAA' }, orgPub, rl), 'bad_encoding');
  rejects(() => SeekerSession.resumeFrom({ ...state, transfer_to: 1 }, orgPub, rl), 'bad_state');
});
