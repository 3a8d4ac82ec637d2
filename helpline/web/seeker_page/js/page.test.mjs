// Unit tests for the page's pure parts (node --test): delivery and language choice.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ChatDelivery } from './delivery.mjs';
import { Catalogue, preferredLanguage } from './i18n.mjs';

const seqs = (envelopes) => envelopes.map((e) => e.seq);

test('envelopes are numbered from 1 and held back beyond the window', () => {
  const d = new ChatDelivery('c', { windowFrames: 2 });
  assert.deepEqual(seqs(d.submit('a')), [1]);
  assert.deepEqual(seqs(d.submit('b')), [2]);
  assert.deepEqual(seqs(d.submit('c')), []); // the window is full
  assert.equal(d.undelivered, 3);
  assert.deepEqual(seqs(d.onDelivered(1)), [3]);
  assert.deepEqual(seqs(d.onDelivered(1)), []); // the same delivered again: nothing
  assert.deepEqual(seqs(d.onDelivered(3)), []);
  assert.equal(d.undelivered, 0);
});

test('the byte window counts payload lengths', () => {
  const d = new ChatDelivery('c', { windowBytes: 10 });
  assert.deepEqual(seqs(d.submit('x'.repeat(8))), [1]);
  assert.deepEqual(seqs(d.submit('y'.repeat(8))), []);
  assert.deepEqual(seqs(d.onDelivered(1)), [2]);
});

test('a resume sends again everything after the accepted seq, in order', () => {
  const d = new ChatDelivery('c');
  d.submit('a');
  d.submit('b');
  d.submit('c');
  d.onDelivered(1);
  assert.deepEqual(seqs(d.onResume(2)), [3]);
  assert.deepEqual(seqs(d.onResume(1)), [2, 3]);
});

test('replayed relays are dropped and acks are owed again on a new connection', () => {
  const d = new ChatDelivery('c');
  assert.equal(d.onRelay(1), true);
  assert.equal(d.onRelay(2), true);
  assert.equal(d.onRelay(2), false);
  assert.equal(d.onRelay(1), false);
  assert.equal(d.ackDue(), 2);
  d.acked(2);
  assert.equal(d.ackDue(), null);
  d.newConnection();
  assert.equal(d.ackDue(), 2);
});

test('wipe forgets every payload', () => {
  const d = new ChatDelivery('c', { windowFrames: 1 });
  d.submit('secret');
  d.submit('more');
  d.wipe();
  assert.equal(d.undelivered, 0);
  assert.deepEqual(d.onResume(0), []);
});

test('the interface language follows the browser, by primary subtag, else English', () => {
  const available = ['ar', 'de', 'en', 'fi'];
  assert.equal(preferredLanguage(available, ['de-AT', 'en']), 'de');
  assert.equal(preferredLanguage(available, ['pt-BR', 'FI']), 'fi');
  assert.equal(preferredLanguage(available, ['ja']), 'en');
  assert.equal(preferredLanguage(['fi'], ['ja']), 'fi');
});

test('catalogues fill placeholders and fall back to English per key', () => {
  const en = new Catalogue('en', { a: 'A {x}', b: 'B' });
  const de = new Catalogue('de', { _dir: 'ltr', a: 'Ä {x} {x}' }, en);
  assert.equal(de.t('a', { x: 1 }), 'Ä 1 1');
  assert.equal(de.t('b'), 'B');
  assert.equal(de.t('missing'), 'missing');
  assert.equal(de.t('a'), 'Ä {x} {x}');
  assert.equal(new Catalogue('ar', { _dir: 'rtl' }).dir, 'rtl');
});
