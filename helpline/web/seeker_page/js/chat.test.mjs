// The seeker's chat logic (chat.mjs) against real HLP1 counsellor sessions, in memory
// (node --test): the handover to a colleague (HELLO at once, only the colleague's key,
// unacknowledged and held messages sent again in the new epoch) and the requeued notes.
import assert from 'node:assert/strict';
import { register } from 'node:module';
import { test } from 'node:test';

// The page imports the crypto from the server's URL; here it comes from crypto/js.
const cryptoDir = new URL('../../../../crypto/js/', import.meta.url).href;
register(
  `data:text/javascript,${encodeURIComponent(`
export async function resolve(specifier, context, next) {
  if (specifier.startsWith('/static/crypto/')) {
    return next(${JSON.stringify(cryptoDir)} + specifier.slice('/static/crypto/'.length), context);
  }
  return next(specifier, context);
}`)}`,
);

const {
  CounsellorSession,
  b64uDecode,
  b64uEncode,
  decodeMessage,
  makeCertificate,
  makeRevocationList,
  nacl,
  publicKeyFromSeed,
  verifyRevocationList,
} = await import('../../../../crypto/js/hlp1.mjs');
const { ChatStopped, MAX_UNACKED, SeekerChat, requeuedNote } = await import('./chat.mjs');

const NOW = Math.floor(Date.now() / 1000); // chat.mjs reads the clock itself
const DAY = 86_400;
const fill = (b) => new Uint8Array(32).fill(b);
const orgSeed = fill(1);
const orgPub = publicKeyFromSeed(orgSeed);
const samSeed = fill(3);
const noorSeed = fill(4);
const noorIk = publicKeyFromSeed(noorSeed);
const samCert = makeCertificate(orgSeed, publicKeyFromSeed(samSeed), NOW + 30 * DAY, 'Sam');
const noorCert = makeCertificate(orgSeed, noorIk, NOW + 30 * DAY, 'Noor');
const trust = { orgPub, revocations: verifyRevocationList(orgPub, makeRevocationList(orgSeed, NOW - 3600, NOW + 29 * DAY, []), NOW) };

/** A seeker chat wired to an in-memory relay: `out` holds its relay payloads (bytes). */
function setup() {
  const chatId = nacl.randomBytes(16);
  const out = [];
  const frames = [];
  const chat = new SeekerChat(b64uEncode(chatId), trust, (frame) => {
    frames.push(frame);
    if (frame.type === 'relay') out.push({ seq: frame.seq, payload: b64uDecode(frame.payload) });
  });
  let c2s = 0;
  const fromCounsellor = (bytes) => chat.onRelay({ seq: ++c2s, payload: b64uEncode(bytes) });
  return { chatId, chat, out, frames, fromCounsellor };
}

/** Everything the seeker sent since `from` goes to the counsellor; returns its events. */
function deliver(counsellor, out, from) {
  const events = [];
  for (const { payload } of out.slice(from)) events.push(...counsellor.receive(payload, NOW));
  return events;
}

function handshake(t, counsellor) {
  const start = t.out.length - 1; // the HELLO
  const [accept] = deliver(counsellor, t.out, start);
  const events = t.fromCounsellor(accept.payload);
  const est = events.find((e) => e.kind === 'established');
  const [cEst] = counsellor.receive(t.out[start + 1].payload, NOW); // the REVEAL
  assert.equal(cEst.kind, 'established');
  assert.equal(est.safetyCode, cEst.safetyCode);
  return { est, events };
}

test('a handover: HELLO at once, only the colleague answers, unacknowledged and held messages go again', () => {
  const t = setup();
  t.chat.start();
  const sam = new CounsellorSession(t.chatId, samSeed, samCert);
  const { est } = handshake(t, sam);
  assert.deepEqual([est.handle, est.transferred, est.resent], ['Sam', false, 0]);

  let mark = t.out.length;
  const a = t.chat.sendText('a');
  assert.deepEqual(deliver(sam, t.out, mark).map((e) => e.text), ['a']);
  // Sam's reply acknowledges "a" (HLP1): the page may show it delivered without the relay
  let events = t.fromCounsellor(sam.sendMessage('hello'));
  assert.deepEqual(events.map((e) => e.kind), ['message', 'delivered']);
  assert.deepEqual(events[1].ids, [a]);

  mark = t.out.length;
  const b = t.chat.sendText('b');
  const c = t.chat.sendText('c');
  const bSeq = t.out[mark].seq;
  deliver(sam, t.out.slice(0, mark + 1), mark); // Sam's client gets "b" only, acknowledges nothing
  assert.deepEqual(t.chat.onDelivered(bSeq), [b]); // the relay confirms "b"

  // Sam hands over to Noor: the HELLO for epoch 1 goes out with the transfer's processing
  mark = t.out.length;
  events = t.fromCounsellor(sam.sendTransfer(noorIk, noorCert));
  assert.deepEqual(events, [{ kind: 'transfer', handle: 'Noor' }]);
  assert.equal(t.out.length, mark + 1);
  const hello = decodeMessage(t.out[mark].payload);
  assert.deepEqual([hello.kind, hello.epoch, hello.tag], ['hello', 1, null]); // no tag: Noor has no cont
  assert.ok(t.chat.transferring && t.chat.awaitingHandshake);

  // meanwhile: a message is held (nothing encrypted for Sam, who has left), typing is not sent
  const d = t.chat.sendText('d');
  t.chat.sendTyping(true);
  assert.equal(t.out.length, mark + 1);
  // the relay confirms old envelopes to Noor's client (it cannot read them): not "delivered"
  assert.deepEqual(t.chat.onDelivered(t.out[mark].seq), []);

  const noor = new CounsellorSession(t.chatId, noorSeed, noorCert);
  const { est: est2, events: ev2 } = handshake(t, noor);
  assert.deepEqual(ev2.map((e) => e.kind), ['established']);
  assert.deepEqual([est2.epoch, est2.handle, est2.transferred, est2.resent], [1, 'Noor', true, 3]);
  assert.ok(!t.chat.transferring && !t.chat.awaitingHandshake);
  // after the REVEAL: "b" and "c" (Sam never acknowledged them), then "d", in the new epoch
  const resent = deliver(noor, t.out, mark + 2);
  assert.deepEqual(resent.map((e) => [e.kind, e.n, e.text]), [
    ['message', 0, 'b'],
    ['message', 1, 'c'],
    ['message', 2, 'd'],
  ]);
  // "b" was confirmed before; "c" and "d" are confirmed by their new envelopes only
  assert.deepEqual(t.chat.onDelivered(t.out.at(-1).seq).sort(), [c, d]);
  events = t.fromCounsellor(noor.sendMessage('hi, I am Noor'));
  assert.deepEqual(events.map((e) => e.kind), ['message']);
  assert.equal(events[0].text, 'hi, I am Noor');
  mark = t.out.length;
  t.chat.sendTyping(true);
  assert.deepEqual(deliver(noor, t.out, mark).map((e) => [e.kind, e.on, e.ack]), [['typing', true, 0]]);
});

test('a handover answered by anyone but the colleague stops the chat (verification)', () => {
  const t = setup();
  t.chat.start();
  const sam = new CounsellorSession(t.chatId, samSeed, samCert);
  handshake(t, sam);
  t.fromCounsellor(sam.sendTransfer(noorIk, noorCert));
  const impostor = new CounsellorSession(t.chatId, samSeed, samCert); // Sam again (or the relay's pick)
  const [accept] = impostor.receive(t.out.at(-1).payload, NOW);
  assert.throws(
    () => t.fromCounsellor(accept.payload),
    (e) => e instanceof ChatStopped && e.why === 'verification' && e.code === 'unauthorised_transfer',
  );
  assert.ok(t.chat.session.closed);
  assert.equal(t.chat.established, false);
});

test('a transfer frame that does not verify stops the chat (verification); nothing is sent', () => {
  const t = setup();
  t.chat.start();
  const sam = new CounsellorSession(t.chatId, samSeed, samCert);
  handshake(t, sam);
  const forged = sam._seal(3, { ik2: noorIk, cert2: noorCert, sig: new Uint8Array(64) }); // white-box
  const before = t.out.length;
  assert.throws(
    () => t.fromCounsellor(forged),
    (e) => e instanceof ChatStopped && e.why === 'verification' && e.code === 'unauthorised_transfer',
  );
  assert.equal(t.out.length, before);
  // a transfer frame the relay made up fails before authentication: dropped, the chat goes on
  const u = setup();
  u.chat.start();
  const sam2 = new CounsellorSession(u.chatId, samSeed, samCert);
  handshake(u, sam2);
  const junk = sam2.sendTransfer(noorIk, noorCert);
  junk[40] ^= 1;
  assert.deepEqual(u.fromCounsellor(junk), []);
  assert.ok(u.chat.established && !u.chat.transferring);
});

test('the HELLO after a transfer is retried after the handshake timeout like the first one', () => {
  const t = setup();
  t.chat.start();
  const sam = new CounsellorSession(t.chatId, samSeed, samCert);
  handshake(t, sam);
  t.fromCounsellor(sam.sendTransfer(noorIk, noorCert));
  assert.equal(t.chat.restartHandshake(), false); // within the timeout: refused
  const pending = t.chat.session._pending; // white-box: as if the 60 s had passed
  pending.started -= 61;
  assert.equal(t.chat.restartHandshake(), true);
  const noor = new CounsellorSession(t.chatId, noorSeed, noorCert);
  assert.equal(handshake(t, noor).est.handle, 'Noor');
});

test('unacknowledged messages kept for a handover are bounded', () => {
  const t = setup();
  t.chat.start();
  handshake(t, new CounsellorSession(t.chatId, samSeed, samCert));
  for (let i = 0; i < MAX_UNACKED + 10; i++) t.chat.sendText(`m${i}`);
  assert.equal(t.chat._unacked.size, MAX_UNACKED); // white-box
  assert.equal([...t.chat._unacked.values()][0].text, 'm10');
  t.chat.destroy();
  assert.equal(t.chat._unacked.size, 0);
});

test('requeued reasons have their own notes', () => {
  assert.equal(requeuedNote('handed_back'), 'waiting_handed_back');
  assert.equal(requeuedNote('transfer_failed'), 'waiting_transfer_failed');
  assert.equal(requeuedNote('transferred'), 'waiting_transferred');
  assert.equal(requeuedNote('counsellor_lost'), 'waiting_counsellor_lost');
  assert.equal(requeuedNote('something new'), 'waiting_counsellor_lost');
});
