// The supervisors' page's DOM-free parts in Node: the chart's series, scales, ticks and
// paths; the dashboard's messages, help requests, times and the event stream's states
// (with a fake EventSource); the history's cells, labels, URLs and ranges; the setup
// page's checks and request body; the tab keys.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import './testing/paths.mjs';

const chart = await import('./chart.mjs');
const dash = await import('./dashboard.mjs');
const hist = await import('./history.mjs');
const setup = await import('./setup.mjs');
const { nextIndex, tabName } = await import('./tabs.mjs');
const { T, countText, shareText, waitText } = await import('./supervisor-strings.mjs');
const { b64uDecode, derivePasswordKeys } = await import('/static/crypto/hlp1.mjs');

const point = (at, waiting = {}, active = {}) => ({ at, waiting, active });

// -- chart ----------------------------------------------------------------------------

test('the series: replaced on connect, new points added, sorted, bounded, junk ignored', () => {
  let s = chart.mergeSeries([], { step_s: 60, replace: true, points: [point(120, { en: 1 }), point(60, { en: 0 })] });
  assert.deepEqual(s.map((p) => p.at), [60, 120]);
  s = chart.mergeSeries(s, { replace: false, points: [point(180, { en: 2 })] });
  assert.deepEqual(s.map((p) => p.at), [60, 120, 180]);
  s = chart.mergeSeries(s, point(180, { en: 5 })); // a newer copy of the same minute
  assert.equal(s.length, 3);
  assert.equal(s[2].waiting.en, 5);
  s = chart.mergeSeries(s, { points: [null, { at: 'x' }, 7, point(240)] });
  assert.deepEqual(s.map((p) => p.at), [60, 120, 180, 240]);
  s = chart.mergeSeries(s, { replace: true, points: [point(600)] }); // a reconnection starts afresh
  assert.deepEqual(s.map((p) => p.at), [600]);
  const many = Array.from({ length: 1500 }, (_, i) => point(i * 60));
  const bounded = chart.mergeSeries([], { points: many });
  assert.equal(bounded.length, chart.MAX_POINTS);
  assert.equal(bounded[0].at, (1500 - chart.MAX_POINTS) * 60); // the oldest dropped
  assert.deepEqual(chart.mergeSeries(s, null), s);
});

test('the count scale: whole steps of 1, 2 or 5 × 10^k, the top at or above the highest', () => {
  assert.deepEqual(chart.niceScale(0), { max: 1, step: 1, ticks: [0, 1] });
  assert.deepEqual(chart.niceScale(3), { max: 3, step: 1, ticks: [0, 1, 2, 3] });
  assert.deepEqual(chart.niceScale(7), { max: 8, step: 2, ticks: [0, 2, 4, 6, 8] });
  assert.deepEqual(chart.niceScale(23), { max: 30, step: 10, ticks: [0, 10, 20, 30] });
  assert.deepEqual(chart.niceScale(120), { max: 150, step: 50, ticks: [0, 50, 100, 150] });
  assert.deepEqual(chart.niceScale(10, 4).ticks, [0, 5, 10]);
  for (let n = 0; n < 500; n += 7) {
    const s = chart.niceScale(n);
    assert.ok(s.max >= n && s.step >= 1 && s.ticks.length <= 6, `scale for ${n}`);
    assert.equal(s.ticks[s.ticks.length - 1], s.max);
  }
});

test('time ticks: round steps, aligned to the local clock, never more than asked', () => {
  assert.deepEqual(chart.timeTicks(0, 3600, 6), [0, 900, 1800, 2700, 3600]);
  assert.deepEqual(chart.timeTicks(100, 700, 4), [300, 600]); // 5-minute steps from 100 s
  // A zone 30 minutes east of UTC: hours fall on the local hour.
  assert.deepEqual(chart.timeTicks(0, 4 * 3600, 5, 1800), [1800, 5400, 9000, 12600]);
  assert.deepEqual(chart.timeTicks(50, 50), [50]);
  const day = chart.timeTicks(0, 86_400, 6);
  assert.ok(day.length <= 6 && day.length >= 4);
});

test('the layout: one path per language and kind, breaks at gaps, top of the scale at the top', () => {
  const points = [point(0, { en: 0, de: 1 }, { en: 2 }), point(60, { en: 4 }, { en: 1 }), point(120, { en: 2 }), point(600, { en: 1 })];
  const g = chart.layout(points, ['en', 'de'], { width: 400, height: 200, margin: { top: 10, right: 10, bottom: 30, left: 40 } });
  assert.deepEqual(g.plot, { x: 40, y: 10, width: 350, height: 160 });
  assert.deepEqual(g.yTicks.map((t) => t.value), [0, 1, 2, 3, 4]);
  assert.equal(g.yTicks[0].y, 170);
  assert.equal(g.yTicks[4].y, 10);
  const en = g.lines.find((l) => l.code === 'en' && l.kind === 'waiting');
  assert.equal(en.colour, 0);
  // 0..600 s over 350 px; the gap from 120 to 600 starts a new piece.
  assert.equal(en.d, 'M40 170 L75 10 L110 90 M390 130');
  const de = g.lines.find((l) => l.code === 'de' && l.kind === 'waiting');
  assert.equal(de.colour, 1);
  assert.equal(de.d, 'M40 130');
  assert.equal(g.lines.find((l) => l.code === 'de' && l.kind === 'active').d, '');
  // Points alone in their piece are drawn as dots (a one-point path shows nothing).
  assert.deepEqual(
    g.dots.map((d) => [d.code, d.kind, d.x, d.y]),
    [
      ['en', 'waiting', 390, 130],
      ['de', 'waiting', 40, 130],
    ],
  );
  assert.ok(g.xTicks.every((t) => t.x >= 40 && t.x <= 390));
  assert.equal(g.xTicks[0].anchor, 'start');
  assert.equal(g.xTicks.at(-1).anchor, 'end');
  const empty = chart.layout([], ['en']);
  assert.deepEqual(empty.xTicks, []);
  assert.equal(empty.lines[0].d, '');
});

test('the chart in words and as a table: now, busiest, sampled rows with the newest', () => {
  const points = [point(0, { en: 1 }, { en: 0 }), point(60, { en: 3 }, { en: 1 }), point(120, { en: 2 }, { en: 2 })];
  assert.deepEqual(chart.summarise(points, ['en', 'fr']), [
    { code: 'en', waiting: 2, active: 2, peakWaiting: 3, peakAt: 60 },
    { code: 'fr', waiting: 0, active: 0, peakWaiting: 0, peakAt: null },
  ]);
  const many = Array.from({ length: 1440 }, (_, i) => point(i * 60));
  const rows = chart.sampleRows(many, 48);
  assert.ok(rows.length <= 48);
  assert.equal(rows[rows.length - 1].at, 1439 * 60);
  assert.ok(rows.every((r, i) => i === 0 || r.at > rows[i - 1].at));
  assert.deepEqual(chart.sampleRows(points, 48), points);
});

// -- dashboard ------------------------------------------------------------------------

const SNAPSHOT = {
  at: 1000,
  target_s: 60,
  languages: [{ code: 'en', name: 'English', waiting: 2, longest_wait_s: 75, median_wait_s: null, p90_wait_s: null, answered: 0, abandoned: 0, service_level: null, active: 1, available: 0, busy: 1, away: 0 }],
  counsellors: [
    { username: 'zoe', status: 'away', languages: ['en'], chats: 0, status_since: 900 },
    { username: 'ann', status: 'busy', languages: ['en'], chats: 1, status_since: 950 },
    { username: 'bob', status: 'available', languages: ['en'], chats: 0, status_since: 990 },
    { username: 'al', status: 'busy', languages: ['en'], chats: 1, status_since: 950 },
  ],
  help: [
    { username: 'ann', since: 980 },
    { username: 'al', since: 970 },
  ],
};

test('dashboard messages: JSON objects only; missing lists become empty; help oldest first', () => {
  assert.equal(dash.parseMessage('not json'), null);
  assert.equal(dash.parseMessage('[1]'), null);
  assert.equal(dash.parseMessage('null'), null);
  assert.deepEqual(dash.parseMessage('{"at":1}'), { at: 1 });
  const snap = dash.normaliseSnapshot(SNAPSHOT);
  assert.equal(snap.at, 1000);
  assert.equal(snap.targetS, 60);
  assert.deepEqual(snap.help.map((h) => h.username), ['al', 'ann']);
  const bare = dash.normaliseSnapshot({ languages: 'x', counsellors: [null, { username: 3 }, { username: 'a' }] });
  assert.deepEqual(bare.languages, []);
  assert.deepEqual(bare.counsellors, [{ username: 'a' }]);
  assert.deepEqual(bare.help, []);
  assert.equal(bare.at, null);
});

test('new help requests, counsellors in order of status, times on the server clock', () => {
  assert.deepEqual(dash.newHelp([], SNAPSHOT.help), ['ann', 'al']);
  assert.deepEqual(dash.newHelp([{ username: 'ann' }], SNAPSHOT.help), ['al']);
  assert.deepEqual(dash.newHelp(SNAPSHOT.help, []), []);
  assert.deepEqual(dash.sortCounsellors(SNAPSHOT.counsellors).map((c) => c.username), ['bob', 'al', 'ann', 'zoe']);
  // The server's clock is 500 s ahead of the browser's.
  assert.equal(dash.elapsedS(900, 500, 450_000), 50);
  assert.equal(dash.elapsedS(2000, 0, 1_000_000), 0); // never negative
  assert.equal(dash.elapsedS(undefined, 0, 0), null);
  assert.deepEqual([1, 2, 3, 4, 5, 6, 50].map(dash.backoffS), [1, 2, 5, 10, 30, 30, 30]);
});

class FakeSource {
  static made = [];
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.listeners = new Map();
    this.closed = false;
    FakeSource.made.push(this);
  }
  addEventListener(type, fn) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  fire(type, event = {}) {
    for (const fn of this.listeners.get(type) ?? []) fn(event);
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
}

function feed({ alive = true } = {}) {
  FakeSource.made = [];
  const seen = { states: [], dashboards: [], series: [], timers: [] };
  const f = new dash.LiveFeed({
    EventSourceImpl: FakeSource,
    onDashboard: (d) => seen.dashboards.push(d),
    onSeries: (d) => seen.series.push(d),
    onState: (s) => seen.states.push(s),
    sessionAlive: async () => {
      if (alive instanceof Error) throw alive;
      return alive;
    },
    setTimer: (fn, ms) => {
      seen.timers.push({ fn, ms });
      return seen.timers.length;
    },
    clearTimer: () => {},
  });
  return { f, seen };
}

test('the stream: connecting, live on open or data, reconnecting while the browser retries', () => {
  const { f, seen } = feed();
  f.start();
  assert.equal(FakeSource.made.length, 1);
  assert.equal(FakeSource.made[0].url, '/api/admin/dashboard/events');
  const source = FakeSource.made[0];
  source.fire('dashboard', { data: JSON.stringify(SNAPSHOT) });
  assert.deepEqual(seen.states, ['connecting', 'live']);
  assert.equal(seen.dashboards[0].at, 1000);
  source.fire('series', { data: '{"step_s":60,"replace":true,"points":[]}' });
  assert.equal(seen.series.length, 1);
  source.fire('dashboard', { data: '{broken' }); // ignored
  assert.equal(seen.dashboards.length, 1);
  source.readyState = 0; // the browser reconnects by itself
  source.fire('error');
  assert.deepEqual(seen.states, ['connecting', 'live', 'reconnecting']);
  source.readyState = 1;
  source.fire('open');
  assert.deepEqual(seen.states, ['connecting', 'live', 'reconnecting', 'live']);
  assert.equal(FakeSource.made.length, 1); // no new EventSource: the browser did it
  f.stop();
  assert.ok(source.closed);
  source.fire('dashboard', { data: '{"at":2}' }); // after stop: nothing
  assert.equal(seen.dashboards.length, 1);
});

test('the stream refused with the session alive: a new one after a growing back-off', async () => {
  const { f, seen } = feed({ alive: true });
  f.start();
  const first = FakeSource.made[0];
  first.readyState = 2;
  first.fire('error');
  await new Promise((r) => setImmediate(r));
  assert.ok(first.closed);
  assert.deepEqual(seen.states, ['connecting', 'reconnecting']);
  assert.equal(seen.timers.length, 1);
  assert.equal(seen.timers[0].ms, 1000);
  seen.timers[0].fn();
  assert.equal(FakeSource.made.length, 2);
  first.fire('dashboard', { data: '{"at":1}' }); // the old stream no longer counts
  assert.equal(seen.dashboards.length, 0);
  const second = FakeSource.made[1];
  second.readyState = 2;
  second.fire('error');
  await new Promise((r) => setImmediate(r));
  assert.equal(seen.timers[1].ms, 2000);
  seen.timers[1].fn();
  FakeSource.made[2].fire('open');
  assert.equal(seen.states.at(-1), 'live');
  assert.equal(f.failures, 0);
  f.stop();
});

test('the stream refused because the session ended: "ended", and no new stream', async () => {
  const { f, seen } = feed({ alive: false });
  f.start();
  FakeSource.made[0].readyState = 2;
  FakeSource.made[0].fire('error');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(seen.states, ['connecting', 'reconnecting', 'ended']);
  assert.equal(seen.timers.length, 0);
  assert.equal(FakeSource.made.length, 1);
  // Unknown (the check itself failed): try again later.
  const other = feed({ alive: new Error('offline') });
  other.f.start();
  FakeSource.made[0].readyState = 2;
  FakeSource.made[0].fire('error');
  await new Promise((r) => setImmediate(r));
  assert.equal(other.seen.timers.length, 1);
  other.f.stop();
});

test('dashboard figures as text: waits, shares, suppressed counts', () => {
  assert.equal(waitText(null), '—');
  assert.equal(waitText(45), '45 s');
  assert.equal(waitText(125), '2 min');
  assert.equal(shareText(null), '—');
  assert.equal(shareText(0.8333), '83 %');
  assert.equal(shareText(1), '100 %');
  assert.equal(countText(null), '<5');
  assert.equal(countText(0), '0');
  assert.equal(countText(null, 10), '<10');
});

// -- history --------------------------------------------------------------------------

test('history cells, labels and URLs', () => {
  assert.equal(hist.cellText(null, 5), '<5');
  assert.equal(hist.cellText(12, 5), '12');
  assert.equal(hist.cellText(0, 5), '0');
  assert.equal(hist.timeLabel('2026-11-27T14:00:00+01:00', 'hour'), '14:00');
  assert.equal(hist.timeLabel('2026-11-23', 'day', 'en-GB'), 'Mon 23 Nov');
  assert.match(hist.longDate('2026-11-23', 'en-GB'), /^Monday,? 23 November 2026$/);
  assert.equal(hist.historyUrl('week', '2026-11-27'), '/api/admin/history?period=week&date=2026-11-27');
  assert.equal(hist.historyUrl('day', '2026-11-27', 'pt-BR'), '/api/admin/history?period=day&date=2026-11-27&language=pt-BR');
  assert.equal(hist.csvUrl('2026-11-01', '2026-11-30', 'en'), '/api/admin/history.csv?from=2026-11-01&to=2026-11-30&language=en');
  assert.equal(hist.csvUrl('2026-11-01', '2026-11-30', 'a&b=c'), '/api/admin/history.csv?from=2026-11-01&to=2026-11-30&language=a%26b%3Dc');
  assert.equal(hist.isoDate(new Date(2026, 0, 5)), '2026-01-05');
  assert.equal(hist.fileName('attachment; filename="helpline-2026-11-01-2026-11-30.csv"', 'x'), 'helpline-2026-11-01-2026-11-30.csv');
  assert.equal(hist.fileName('attachment; filename="../evil"', 'x.csv'), 'x.csv');
  assert.equal(hist.fileName(null, 'x.csv'), 'x.csv');
});

test('export ranges: valid dates, in order, at most 366 days', () => {
  assert.equal(hist.validDate('2026-02-29'), false);
  assert.equal(hist.validDate('2028-02-29'), true);
  assert.equal(hist.validDate('26-1-1'), false);
  assert.equal(hist.rangeProblem('2026-11-01', '2026-11-30'), null);
  assert.equal(hist.rangeProblem('2026-11-30', '2026-11-01'), T.exportBadRange);
  assert.equal(hist.rangeProblem('', '2026-11-01'), T.exportBadRange);
  assert.equal(hist.rangeProblem('2025-01-01', '2026-01-01'), null); // 366 days
  assert.equal(hist.rangeProblem('2025-01-01', '2026-01-02'), T.exportTooLong);
});

test('an answer with hidden counts is recognised (the explanation is shown then)', () => {
  const shown = { total: { requests: 12, wait: { '0-30': 7 } }, by_time: [], by_language: [], feedback: { total: { answers: 0 } } };
  assert.equal(hist.anyHidden(shown), false);
  assert.equal(hist.anyHidden({ ...shown, by_time: [{ requests: null }] }), true);
  assert.equal(hist.anyHidden({ ...shown, total: { requests: 12, wait: { '0-30': null } } }), true);
  assert.equal(hist.anyHidden({ ...shown, feedback: { total: { helpful: null } } }), true);
  assert.match(T.suppressedNote(5), /“<5”/);
});

// -- setup ----------------------------------------------------------------------------

test('the setup form is checked before the slow derivation', () => {
  assert.equal(setup.checkSetupForm('admin', 'long enough', 'long enough'), null);
  assert.equal(setup.checkSetupForm('', 'long enough', 'long enough').field, 'username');
  assert.equal(setup.checkSetupForm('two words', 'long enough', 'long enough').field, 'username');
  assert.equal(setup.checkSetupForm('a'.repeat(65), 'long enough', 'long enough').field, 'username');
  assert.equal(setup.checkSetupForm('ad\u0000min', 'long enough', 'long enough').field, 'username');
  assert.equal(setup.checkSetupForm('admin', 'short', 'short').field, 'password');
  assert.equal(setup.checkSetupForm('admin', 'x'.repeat(1025), 'x'.repeat(1025)).field, 'password');
  assert.equal(setup.checkSetupForm('admin', 'long enough', 'long enougH').field, 'password2');
  assert.equal(setup.tokenFrom('#abcDEF_-123456789'), 'abcDEF_-123456789');
  assert.equal(setup.tokenFrom(''), '');
  assert.equal(setup.tokenFrom('#short'), '');
  assert.equal(setup.tokenFrom('#has space inside'), '');
});

test('the setup request carries the derived login secret and salt, never the password', async () => {
  const salt = new Uint8Array(16).fill(3);
  const password = 'correct horse battery staple';
  const body = await setup.setupBody('tok', 'admin', password, 1000, () => salt.slice());
  assert.deepEqual(Object.keys(body).sort(), ['iterations', 'salt', 'secret', 'token', 'username']);
  assert.ok(!JSON.stringify(body).includes('horse'));
  assert.deepEqual(b64uDecode(body.salt), salt);
  const keys = await derivePasswordKeys(password, salt, 1000);
  assert.deepEqual(b64uDecode(body.secret), keys.loginSecret);
  assert.equal(body.iterations, 1000);
});

// -- tabs -----------------------------------------------------------------------------

test('tab keys: arrows wrap around, Home and End, other keys do nothing', () => {
  assert.equal(nextIndex(0, 'ArrowRight', 6), 1);
  assert.equal(nextIndex(5, 'ArrowRight', 6), 0);
  assert.equal(nextIndex(0, 'ArrowLeft', 6), 5);
  assert.equal(nextIndex(3, 'Home', 6), 0);
  assert.equal(nextIndex(3, 'End', 6), 5);
  assert.equal(nextIndex(3, 'Enter', 6), null);
  assert.equal(nextIndex(0, 'ArrowRight', 0), null);
  assert.equal(tabName('tab-audit'), 'audit');
});

test('a paused stream lets go of its connection and starts afresh', () => {
  const { f, seen } = feed();
  f.start();
  const first = FakeSource.made[0];
  first.fire('open');
  f.pause();
  assert.ok(first.closed);
  assert.equal(f.state, 'paused');
  assert.deepEqual(seen.states, ['connecting', 'live', 'paused']);
  first.fire('dashboard', { data: JSON.stringify(SNAPSHOT) }); // late: ignored
  assert.equal(seen.dashboards.length, 0);
  f.start();
  assert.equal(FakeSource.made.length, 2);
  assert.deepEqual(seen.states, ['connecting', 'live', 'paused', 'connecting']);
});
