// The workspace's logic in Node (node --test): frames in and out with a fake socket,
// real HLP1 sessions on both sides (a SeekerSession plays the visitor).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import './testing/paths.mjs';

const hlp1 = await import('/static/crypto/hlp1.mjs');
const { Workspace } = await import('./workspace.mjs');
const { fitsInOneMessage, MAX_RELOAD_TRANSCRIPT, STALE_STATE } = await import('./chat.mjs');
const { ColleagueKeyError, checkColleague, trustFromCrypto, vetColleagues } = await import('./workspace.mjs');
const { CounsellorSession, SeekerSession, b64uDecode, b64uEncode, makeCertificate, makeRevocationList, nacl, publicKeyFromSeed, verifyRevocationList } =
  hlp1;

const NOW = Math.floor(Date.now() / 1000);
const DAY = 86_400;
const orgSeed = new Uint8Array(32).fill(1);
const orgPub = publicKeyFromSeed(orgSeed);
const seed = new Uint8Array(32).fill(3);
const cert = makeCertificate(orgSeed, publicKeyFromSeed(seed), NOW + 30 * DAY, 'Sam');
const seed2 = new Uint8Array(32).fill(4);
const ik2 = publicKeyFromSeed(seed2);
const cert2 = makeCertificate(orgSeed, ik2, NOW + 30 * DAY, 'Noor');
const rl = verifyRevocationList(orgPub, makeRevocationList(orgSeed, NOW - 3600, NOW + 29 * DAY, []), NOW);

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/** A workspace on a fake socket; `sent` collects frames, `seen` what it notified. */
function setup({ up = true } = {}) {
  const sent = [];
  const seen = [];
  const ws = new Workspace({
    send: (frame) => {
      sent.push(frame);
      return true;
    },
    notify: (kind, detail) => seen.push([kind, detail]),
    identity: { seed, cert },
  });
  ws.trust = { orgPub, revocations: rl };
  if (up) ws.onUp();
  return { ws, sent, seen, take: () => sent.splice(0) };
}

/** The visitor: a SeekerSession and the relay's numbering of its envelopes. */
function visitor(chatId) {
  const session = new SeekerSession(b64uDecode(chatId), orgPub, rl);
  let seq = 0;
  return {
    session,
    frame: (bytes) => ({ v: 1, type: 'relay', chat_id: chatId, seq: ++seq, payload: b64uEncode(bytes) }),
    open: (frame) => session.receive(b64uDecode(frame.payload), NOW),
  };
}

const newChatId = () => b64uEncode(nacl.randomBytes(16));

/** Matches a chat and runs the handshake; returns {chatId, chat, v}. */
async function matched(t, acceptedSeq = 0) {
  const chatId = newChatId();
  t.ws.onFrame({ v: 1, type: 'matched', chat_id: chatId, language: 'en', accepted_seq: acceptedSeq });
  const chat = t.ws.chats.get(chatId);
  const v = visitor(chatId);
  t.ws.onFrame(v.frame(v.session.hello(NOW)));
  const accept = t.take().find((f) => f.type === 'relay');
  assert.equal(accept.seq, acceptedSeq + 1);
  const [reveal] = v.open(accept);
  t.ws.onFrame(v.frame(reveal.payload));
  await tick();
  t.take();
  assert.ok(chat.established);
  return { chatId, chat, v };
}

test('a matched chat: handshake, messages both ways, acks, replays dropped', async () => {
  const t = setup();
  const { chatId, chat, v } = await matched(t);
  assert.equal(chat.alias, 'Visitor 1');
  assert.equal(chat.safetyCode, v.session.safetyCode);

  const hi = v.frame(v.session.sendMessage('hello'));
  t.ws.onFrame(hi);
  t.ws.onFrame(hi); // a replay: shown once
  await tick();
  assert.deepEqual(t.take(), [{ v: 1, type: 'ack', chat_id: chatId, seq: 3 }]);
  assert.equal(chat.unread, 1);
  assert.deepEqual(chat.transcript.map((e) => [e.dir, e.text]), [['theirs', 'hello']]);
  const messages = t.seen.filter(([k, d]) => k === 'chat' && d.event && d.event.kind === 'message');
  assert.equal(messages.length, 1);

  const entry = t.ws.sendText(chatId, 'I am here');
  const [out] = t.take();
  assert.equal(out.type, 'relay');
  assert.equal(out.seq, 2);
  assert.equal(entry.seq, 2);
  assert.deepEqual(v.open(out).map((e) => e.text), ['I am here']);

  // Something that cannot be decrypted (an old epoch's frame after a transfer) is acked anyway.
  t.ws.onFrame({ v: 1, type: 'relay', chat_id: chatId, seq: 4, payload: b64uEncode(new Uint8Array(300).fill(1)) });
  await tick();
  assert.deepEqual(t.take(), [{ v: 1, type: 'ack', chat_id: chatId, seq: 4 }]);
  assert.equal(chat.broken, null);
  assert.ok(fitsInOneMessage('x'.repeat(1000)));
  assert.ok(!fitsInOneMessage('x'.repeat(17000)));
});

test('numbering continues from accepted_seq; welcome re-sends, lists orphans, loses the rest', async () => {
  const t = setup();
  const { chatId, chat } = await matched(t, 5);
  t.ws.sendText(chatId, 'one');
  t.ws.sendText(chatId, 'two');
  assert.deepEqual(t.take().map((f) => f.seq), [7, 8]);
  t.ws.onFrame({ v: 1, type: 'delivered', chat_id: chatId, seq: 7 });
  assert.equal(chat.delivery.deliveredSeq, 7);

  t.ws.onDown();
  t.ws.onUp();
  const other = newChatId();
  t.ws.onFrame({
    v: 1,
    type: 'welcome',
    username: 'sam',
    languages: ['en', 'de'],
    capacity: 2,
    max_capacity: 3,
    status: 'away',
    resume_grace_s: 120,
    wrap_up_s: 0,
    chats: [
      { chat_id: chatId, language: 'en', accepted_seq: 7 },
      { chat_id: other, language: 'de', accepted_seq: 0 },
    ],
  });
  await tick();
  const again = t.take();
  assert.deepEqual(again.filter((f) => f.type === 'relay').map((f) => f.seq), [8]);
  assert.ok(again.some((f) => f.type === 'ack' && f.seq === 2)); // acks are owed again
  const orphan = t.ws.chats.get(other);
  assert.ok(orphan.orphan);
  assert.equal(orphan.alias, 'Visitor 2');
  assert.equal(orphan.canSend, false);

  // A second welcome without the first chat: it ended while we were away.
  t.ws.onFrame({ v: 1, type: 'welcome', username: 'sam', languages: ['en'], capacity: 1, max_capacity: 3, status: 'away', resume_grace_s: 120, chats: [] });
  assert.equal(chat.ended, 'lost');
  assert.ok(chat.session.closed);
  assert.ok(!t.ws.chats.has(other)); // an orphan that is gone is simply removed
});

test('ending: own actions vanish when confirmed, other ends wait for Close; the count goes up', async () => {
  const t = setup();
  const a = await matched(t);
  const b = await matched(t);
  assert.equal(b.chat.alias, 'Visitor 2');

  assert.ok(t.ws.end(a.chatId, 'support'));
  const frames = t.take();
  assert.equal(frames[0].type, 'relay'); // the encrypted goodbye first
  assert.deepEqual(a.v.open(frames[0]).map((e) => e.kind), ['peerClosed']);
  assert.deepEqual(frames[1], { v: 1, type: 'end', chat_id: a.chatId, outcome: 'support' });
  t.ws.onFrame({ v: 1, type: 'chat_ended', chat_id: a.chatId, reason: 'counsellor_ended' });
  assert.ok(!t.ws.chats.has(a.chatId));
  assert.equal(a.chat.transcript.length, 0);
  assert.ok(a.chat.session.closed);

  b.v.session.sendMessage('bye'); // never delivered
  t.ws.onFrame({ v: 1, type: 'chat_ended', chat_id: b.chatId, reason: 'seeker_left' });
  assert.equal(t.ws.chats.get(b.chatId).ended, 'seeker_left');
  assert.ok(b.chat.session.closed);
  assert.equal(t.ws.handled, 2);
  const ended = t.seen.find(([k, d]) => k === 'chat' && d.event && d.event.kind === 'ended');
  assert.match(ended[1].event.text, /visitor left/);
  assert.ok(t.ws.close(b.chatId));
  assert.equal(t.ws.chats.size, 0);
});

test('requeue, block and language transfer are sent and confirmed', async () => {
  const t = setup();
  const a = await matched(t);
  t.ws.requeue(a.chatId);
  assert.deepEqual(t.take(), [{ v: 1, type: 'requeue', chat_id: a.chatId }]);
  t.ws.onFrame({ v: 1, type: 'chat_ended', chat_id: a.chatId, reason: 'handed_back' });
  assert.equal(t.ws.chats.size, 0);

  const b = await matched(t);
  t.ws.transferToLanguage(b.chatId, 'de');
  assert.deepEqual(t.take(), [{ v: 1, type: 'transfer', chat_id: b.chatId, language: 'de' }]);
  t.ws.onFrame({ v: 1, type: 'error', code: 'not_allowed', message: 'closed now', seq: null, chat_id: b.chatId });
  assert.equal(b.chat.pendingAction, null);
  assert.ok(t.seen.some(([k, d]) => k === 'notice' && /closed now/.test(d.text)));
  assert.ok(b.chat.canSend); // a refused language transfer used no frame

  t.ws.block(b.chatId);
  assert.deepEqual(t.take(), [{ v: 1, type: 'block', chat_id: b.chatId }]);
  t.ws.onFrame({ v: 1, type: 'chat_ended', chat_id: b.chatId, reason: 'blocked' });
  assert.equal(t.ws.chats.size, 0);
});

test('transfer to a colleague: one envelope with the next seq; a refusal keeps the numbering', async () => {
  const t = setup();
  const { chatId, chat, v } = await matched(t);
  t.ws.sendText(chatId, 'hi');
  t.take();
  assert.ok(t.ws.transferToColleague(chatId, { username: 'noor', ik: ik2, cert: cert2 }));
  // A typing frame carrying our acknowledgement goes first (the transfer frame has none).
  const [typing, frame] = t.take();
  assert.deepEqual([typing.type, typing.seq], ['relay', 3]);
  assert.equal(frame.type, 'transfer');
  assert.equal(frame.to, 'noor');
  assert.equal(frame.seq, 4);
  assert.equal(chat.delivery.lastSeq, 3); // not submitted: the server takes both or neither
  assert.equal(chat.canSend, false);

  t.ws.onFrame({ v: 1, type: 'error', code: 'not_allowed', message: 'no free slot', seq: null, chat_id: chatId });
  assert.equal(chat.delivery.lastSeq, 3);
  assert.ok(chat.failedTransfer);
  assert.equal(chat.canSend, false); // the frame number is used: sending would leave a gap
  assert.throws(() => t.ws.transferToColleague(chatId, { username: 'alex', ik: ik2, cert: cert2 }));

  // The same envelope to the same colleague again; accepted this time.
  t.ws.transferToColleague(chatId, { username: 'noor', ik: ik2, cert: cert2 });
  const [retry] = t.take();
  assert.deepEqual([retry.seq, retry.payload], [frame.seq, frame.payload]);
  t.ws.onFrame({ v: 1, type: 'chat_ended', chat_id: chatId, reason: 'transferred' });
  assert.equal(t.ws.chats.size, 0);
});

test('the transfer envelope is what the visitor verifies as a handover', async () => {
  const t = setup();
  const { chatId, v } = await matched(t);
  t.ws.transferToColleague(chatId, { username: 'noor', ik: ik2, cert: cert2 });
  const [typing, frame] = t.take();
  const [typingEvent] = v.open(typing);
  assert.deepEqual([typingEvent.kind, typingEvent.on], ['typing', false]);
  const [event] = v.open(frame);
  assert.equal(event.kind, 'transferRequested');
  assert.equal(event.handle2, 'Noor');
  // The colleague's side: a fresh CounsellorSession takes the next epoch.
  const c2 = new CounsellorSession(b64uDecode(chatId), seed2, cert2);
  const [accept] = c2.receive(v.session.hello(NOW), NOW);
  assert.equal(accept.kind, 'outgoing');
});

test('offers, status, queues, help and errors', () => {
  const t = setup();
  const chatId = newChatId();
  t.ws.onFrame({ v: 1, type: 'offer', chat_id: chatId, language: 'en', waited_s: 12, expires_in_s: 30, transfer_from: 'alex' });
  assert.equal(t.ws.offers.get(chatId).transferFrom, 'alex');
  t.ws.accept(chatId);
  assert.deepEqual(t.take(), [{ v: 1, type: 'accept', chat_id: chatId }]);
  t.ws.onFrame({ v: 1, type: 'offer_withdrawn', chat_id: chatId, reason: 'timeout' });
  assert.equal(t.ws.offers.size, 0);
  t.ws.onFrame({ v: 1, type: 'status', status: 'away', languages: ['en'], capacity: 1, wrap_up_s: 0 });
  assert.equal(t.ws.status.status, 'away');
  t.ws.onFrame({ v: 1, type: 'status', status: 'available', languages: ['en'], capacity: 2, wrap_up_s: 20 });
  assert.ok(t.ws.status.wrapUpUntil > Date.now() + 19_000);
  t.ws.setStatus({ status: 'available', languages: ['en'], capacity: 2 });
  assert.deepEqual(t.take(), [{ v: 1, type: 'status', status: 'available', languages: ['en'], capacity: 2 }]);
  t.ws.onFrame({ v: 1, type: 'error', code: 'not_allowed', message: 'no certified key', seq: null, chat_id: null });
  assert.ok(t.seen.some(([k, d]) => k === 'notice' && /no certified key/.test(d.text)));
  t.ws.onFrame({ v: 1, type: 'queues', languages: [{ language: 'en', waiting: 3, longest_wait_s: 65 }] });
  assert.equal(t.ws.queues[0].waiting, 3);
  t.ws.askHelp(true);
  assert.deepEqual(t.take(), [{ v: 1, type: 'help', on: true }]);
  t.ws.onFrame({ v: 1, type: 'help', on: false, since: null, acknowledged: true });
  assert.ok(t.ws.help.acknowledged);
  const d = newChatId();
  t.ws.onFrame({ v: 1, type: 'offer', chat_id: d, language: 'en', waited_s: 1, expires_in_s: 30, transfer_from: null });
  t.ws.decline(d);
  assert.deepEqual(t.take(), [{ v: 1, type: 'decline', chat_id: d }]);
  assert.equal(t.ws.offers.size, 0);
});

test('reload: chats survive in the sealed blob when the session can export its state', async (tt) => {
  if (typeof CounsellorSession.prototype.exportState !== 'function' || typeof CounsellorSession.resumeFrom !== 'function') {
    tt.skip('CounsellorSession.exportState/resumeFrom not available yet');
    return;
  }
  const t = setup();
  const { chatId, v } = await matched(t);
  t.ws.onFrame(v.frame(v.session.sendMessage('before')));
  t.ws.sendText(chatId, 'unacknowledged');
  await tick();
  t.take();
  const data = JSON.parse(JSON.stringify(t.ws.exportForReload()));
  const t2 = setup({ up: false });
  assert.equal(t2.ws.restore(data), 1);
  const chat = t2.ws.chats.get(chatId);
  assert.deepEqual(chat.transcript.map((e) => e.text), ['before', 'unacknowledged']);
  t2.ws.onUp();
  t2.ws.onFrame({ v: 1, type: 'welcome', username: 'sam', languages: ['en'], capacity: 1, max_capacity: 3, status: 'away', resume_grace_s: 120, chats: [{ chat_id: chatId, language: 'en', accepted_seq: 1 }] });
  await tick();
  const relays = t2.take().filter((f) => f.type === 'relay');
  assert.deepEqual(relays.map((f) => f.seq), [2]);
  assert.deepEqual(v.open(relays[0]).map((e) => e.text), ['unacknowledged']);
  t2.ws.onFrame(v.frame(v.session.sendMessage('after')));
  assert.deepEqual(chat.transcript.map((e) => e.text), ['before', 'unacknowledged', 'after']);
  t2.ws.sendText(chatId, 'still here');
  const [next] = t2.take().filter((f) => f.type === 'relay');
  assert.deepEqual(v.open(next).map((e) => e.text), ['still here']);
  assert.equal(t2.ws.aliasCounter, 1);
});

test('wipe leaves nothing', async () => {
  const t = setup();
  const { chat } = await matched(t);
  t.ws.wipe();
  assert.equal(t.ws.chats.size, 0);
  assert.ok(chat.session.closed);
  assert.equal(chat.transcript.length, 0);
});

test('an orphan can only be ended (no encrypted goodbye); typing frames go out encrypted', async () => {
  const t = setup();
  const other = newChatId();
  t.ws.onFrame({ v: 1, type: 'welcome', username: 'sam', languages: ['en'], capacity: 1, max_capacity: 3, status: 'away', resume_grace_s: 120, chats: [{ chat_id: other, language: 'en', accepted_seq: 3 }] });
  await tick();
  t.take();
  assert.equal(t.ws.requeue(other), true); // the server decides; nothing to encrypt
  t.take();
  t.ws.chats.get(other).pendingAction = null;
  assert.ok(t.ws.end(other, 'other'));
  assert.deepEqual(t.take(), [{ v: 1, type: 'end', chat_id: other, outcome: 'other' }]);
  t.ws.onFrame({ v: 1, type: 'chat_ended', chat_id: other, reason: 'counsellor_ended' });
  assert.equal(t.ws.chats.size, 0);
  assert.equal(t.ws.handled, 0); // an orphan is not counted as handled here

  const { chatId, v } = await matched(t);
  t.ws.sendTyping(chatId, true);
  const [typing] = t.take();
  assert.deepEqual(v.open(typing).map((e) => [e.kind, e.on]), [['typing', true]]);
  t.ws.onFrame(v.frame(v.session.sendTyping(true)));
  assert.equal(t.ws.chats.get(chatId).theyType, true);
  t.ws.onFrame(v.frame(v.session.sendMessage('hi')));
  assert.equal(t.ws.chats.get(chatId).theyType, false); // a message ends typing
});

test('the visitor closing the chat is reported; the server end follows', async () => {
  const t = setup();
  const { chatId, chat, v } = await matched(t);
  t.ws.onFrame(v.frame(v.session.sendClose('seeker_left')));
  assert.ok(t.seen.some(([k, d]) => k === 'chat' && d.event && d.event.kind === 'peerClosed'));
  assert.equal(chat.canSend, false);
  t.ws.onFrame({ v: 1, type: 'chat_ended', chat_id: chatId, reason: 'seeker_left' });
  assert.equal(chat.ended, 'seeker_left');
  assert.equal(t.ws.exportForReload(), null); // nothing worth keeping over a reload
  t.ws.close(chatId);
  assert.equal(t.ws.chats.size, 0);
});

test('a lost connection drops offers and pending actions; the welcome sorts out the rest', async () => {
  const t = setup();
  const { chatId, chat } = await matched(t);
  t.ws.onFrame({ v: 1, type: 'offer', chat_id: newChatId(), language: 'en', waited_s: 1, expires_in_s: 30, transfer_from: null });
  t.ws.requeue(chatId);
  t.ws.onDown();
  assert.equal(t.ws.offers.size, 0);
  assert.equal(chat.pendingAction, null);
  assert.equal(t.ws.requeue(chatId), false); // not while offline
  assert.equal(t.ws.send({ type: 'ping' }), true); // the fake socket takes anything
});

const welcomeWith = (chatId, acceptedSeq) => ({
  v: 1,
  type: 'welcome',
  username: 'sam',
  languages: ['en'],
  capacity: 1,
  max_capacity: 3,
  status: 'away',
  resume_grace_s: 120,
  chats: [{ chat_id: chatId, language: 'en', accepted_seq: acceptedSeq }],
});

test('reload: the blob keeps only the last 200 transcript entries per chat', async () => {
  const t = setup();
  const { chatId, chat, v } = await matched(t);
  for (let i = 0; i < 150; i += 1) t.ws.onFrame(v.frame(v.session.sendMessage(`theirs ${i}`)));
  for (let i = 0; i < 150; i += 1) t.ws.sendText(chatId, `mine ${i}`);
  await tick();
  t.take();
  assert.equal(chat.transcript.length, 300); // the screen keeps more
  const data = JSON.parse(JSON.stringify(t.ws.exportForReload()));
  const saved = data.chats[0].transcript;
  assert.equal(MAX_RELOAD_TRANSCRIPT, 200);
  assert.equal(saved.length, 200);
  assert.equal(saved[0].text, 'theirs 100');
  assert.equal(saved.at(-1).text, 'mine 149');
  // A blob holding more (not written by us) is cut on restore too.
  data.chats[0].transcript = [...chat.transcript.map((e) => ({ ...e })), ...chat.transcript.map((e) => ({ ...e, id: e.id + 1000 }))];
  const t2 = setup({ up: false });
  assert.equal(t2.ws.restore(data), 1);
  assert.equal(t2.ws.chats.get(chatId).transcript.length, 200);
});

test('reload: a stale blob (the page went on sending after it was written) breaks the chat, nothing is sent', async () => {
  const t = setup();
  const { chatId, chat, v } = await matched(t);
  t.ws.sendText(chatId, 'one');
  assert.deepEqual(v.open(t.take()[0]).map((e) => e.text), ['one']);
  // pagehide writes the blob at seq 2; the page comes back from the back-forward cache
  // and goes on sending (seq 3) under the same chain.
  const stale = JSON.parse(JSON.stringify(t.ws.exportForReload()));
  const [live] = (t.ws.sendText(chatId, 'two'), t.take());
  assert.equal(live.seq, 3);
  assert.deepEqual(v.open(live).map((e) => e.text), ['two']);

  // The old blob restored elsewhere: the server has seq 3, this state numbered only 2.
  const t2 = setup({ up: false });
  assert.equal(t2.ws.restore(stale), 1);
  const restored = t2.ws.chats.get(chatId);
  assert.equal(restored.delivery.lastSeq, 2);
  t2.ws.onUp();
  t2.ws.onFrame(welcomeWith(chatId, 3));
  await tick();
  assert.equal(restored.broken, STALE_STATE);
  assert.equal(restored.canSend, false);
  assert.ok(restored.session.closed); // the rolled-back chain is wiped
  assert.ok(t2.take().every((f) => f.type !== 'relay')); // nothing re-sent or re-encrypted
  assert.ok(t2.seen.some(([k, d]) => k === 'chat' && d.event && d.event.kind === 'broken' && d.event.code === STALE_STATE));
  assert.ok(t2.seen.some(([k, d]) => k === 'notice' && d.chatId === chatId && /out-of-date/.test(d.text)));
  assert.throws(() => t2.ws.sendText(chatId, 'three'));
  t2.ws.sendTyping(chatId, true);
  assert.deepEqual(t2.take(), []);
  // The seeker's next message is acknowledged but not decrypted with the stale state.
  t2.ws.onFrame(v.frame(v.session.sendMessage('hello?')));
  await tick();
  assert.deepEqual(t2.take().map((f) => f.type), ['ack']);
  // Nothing of it goes into a later blob; End and hand-back still work (no encrypted goodbye).
  assert.equal(t2.ws.exportForReload(), null);
  assert.ok(t2.ws.end(chatId, 'other'));
  assert.deepEqual(t2.take(), [{ v: 1, type: 'end', chat_id: chatId, outcome: 'other' }]);

  // A current blob (nothing sent after it) resumes normally.
  const fresh = JSON.parse(JSON.stringify(t.ws.exportForReload()));
  const t3 = setup({ up: false });
  t3.ws.restore(fresh);
  t3.ws.onUp();
  t3.ws.onFrame(welcomeWith(chatId, 3));
  assert.equal(t3.ws.chats.get(chatId).broken, null);
  assert.ok(t3.ws.chats.get(chatId).canSend);
  assert.equal(chat.broken, null);
});

test('a refused colleague transfer that did go through is not mistaken for a stale state', async () => {
  const t = setup();
  const { chatId, chat } = await matched(t);
  t.ws.transferToColleague(chatId, { username: 'noor', ik: ik2, cert: cert2 });
  const [, frame] = t.take();
  t.ws.onDown(); // fate unknown: counted as refused
  assert.ok(chat.failedTransfer);
  t.ws.onUp();
  t.ws.onFrame(welcomeWith(chatId, frame.seq));
  assert.equal(chat.broken, null);
  assert.equal(chat.failedTransfer, null);
  assert.equal(chat.delivery.lastSeq, frame.seq);
});

test('transfer: the colleague\'s certificate is verified (org key, same ik, not revoked) before anything is signed', async () => {
  const now = NOW;
  const info = { org_public_key: b64uEncode(orgPub), revocation_list: b64uEncode(makeRevocationList(orgSeed, NOW - 3600, NOW + 29 * DAY, [])) };
  const trust = trustFromCrypto(info, now);
  const ok = checkColleague({ username: 'noor', ik: b64uEncode(ik2), cert: b64uEncode(cert2) }, trust, now);
  assert.equal(ok.handle, 'Noor');
  assert.deepEqual(ok.ik, ik2);

  const refusal = (c, tr = trust) => {
    try {
      checkColleague(c, tr, now);
    } catch (error) {
      assert.ok(error instanceof ColleagueKeyError);
      return error.code;
    }
    return null;
  };
  const seed3 = new Uint8Array(32).fill(5);
  const ik3 = publicKeyFromSeed(seed3);
  // A certificate for another key (the server swapped the ik).
  assert.equal(refusal({ username: 'noor', ik: ik3, cert: cert2 }), 'key_mismatch');
  // Signed by another organisation.
  const rogue = makeCertificate(new Uint8Array(32).fill(6), ik2, NOW + DAY, 'Noor');
  assert.equal(refusal({ username: 'noor', ik: ik2, cert: rogue }), 'bad_signature');
  // Expired.
  const old = makeCertificate(orgSeed, ik2, NOW - 10, 'Noor');
  assert.equal(refusal({ username: 'noor', ik: ik2, cert: old }), 'expired');
  // Revoked.
  const revokedInfo = { ...info, revocation_list: b64uEncode(makeRevocationList(orgSeed, NOW - 3600, NOW + 29 * DAY, [ik2])) };
  assert.equal(refusal({ username: 'noor', ik: ik2, cert: cert2 }, trustFromCrypto(revokedInfo, now)), 'revoked');
  // No key, no trust anchors.
  assert.equal(refusal({ username: 'noor', ik: null, cert: null }), 'no_key');
  assert.equal(refusal({ username: 'noor', ik: ik2, cert: cert2 }, null), 'no_trust');
  assert.throws(() => trustFromCrypto({ org_public_key: info.org_public_key, revocation_list: null }, now), (e) => e.code === 'no_revocation_list');
  assert.throws(() => trustFromCrypto(info, NOW + 40 * DAY), (e) => e.code === 'stale_revocation_list');

  // The dialog's list: certified handles, refusals named.
  const listed = vetColleagues(
    [
      { username: 'noor', handle: 'Server says', ik: b64uEncode(ik2), cert: b64uEncode(cert2) },
      { username: 'eve', handle: 'Noor', ik: b64uEncode(ik3), cert: b64uEncode(cert2) },
    ],
    trust,
    now,
  );
  assert.deepEqual(listed.map((c) => [c.username, c.certifiedHandle, c.refusal]), [['noor', 'Noor', null], ['eve', null, 'key_mismatch']]);
  assert.ok(vetColleagues([{ username: 'noor', ik: 'x', cert: 'y' }], null, now, { code: 'no_revocation_list' }).every((c) => c.refusal === 'no_revocation_list'));

  // The workspace refuses before signing: no frame, the chat can still send.
  const t = setup();
  const { chatId, chat } = await matched(t);
  const sentBefore = chat.session.sent;
  assert.throws(() => t.ws.transferToColleague(chatId, { username: 'noor', ik: ik3, cert: cert2 }), (e) => e instanceof ColleagueKeyError && e.code === 'key_mismatch');
  t.ws.trust = trustFromCrypto(revokedInfo, now);
  assert.throws(() => t.ws.transferToColleague(chatId, { username: 'noor', ik: ik2, cert: cert2 }), (e) => e.code === 'revoked');
  t.ws.trust = null;
  assert.throws(() => t.ws.transferToColleague(chatId, { username: 'noor', ik: ik2, cert: cert2 }), (e) => e.code === 'no_trust');
  assert.deepEqual(t.take(), []);
  assert.equal(chat.session.sent, sentBefore);
  assert.ok(chat.canSend);
  t.ws.trust = trust;
  assert.ok(t.ws.transferToColleague(chatId, { username: 'noor', ik: b64uEncode(ik2), cert: b64uEncode(cert2) }));
  assert.equal(t.take().at(-1).type, 'transfer');
});
