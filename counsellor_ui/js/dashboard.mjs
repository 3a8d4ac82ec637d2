// The live dashboard (docs/protocol.md, the supervisors' dashboard): figures per
// language, counsellors, open help requests (acknowledged from here) and the chart,
// pushed by the server over Server-Sent Events on /api/admin/dashboard/events:
// `dashboard` (the snapshot, whenever it changed) and `series` (the chart's points).
//
// LiveFeed and the helpers above it are DOM-free (Node tests give a fake EventSource);
// DashboardView draws into supervisor.html's dashboard panel.
//
// Connection states: "connecting" (first connection), "live", "reconnecting" (the
// browser retries by itself after a network error; when the server refused the
// stream, e.g. 401 after the session ended, we ask /api/me and either report the
// session as ended or open a new stream after a back-off).

import { ApiError } from './api.mjs';
import { ChartView, mergeSeries } from './chart.mjs';
import { $, announce, el, setText } from './dom.mjs';
import { T, clock, duration, shareText, waitText } from './supervisor-strings.mjs';

export const EVENTS_URL = '/api/admin/dashboard/events';
/** Seconds before opening a new stream after the server refused one (then the last). */
export const BACKOFF_S = [1, 2, 5, 10, 30];
const CLOSED = 2; // EventSource.CLOSED
const PAUSE_HIDDEN_MS = 30_000; // a tab hidden this long lets go of its stream
const STATUS_ORDER = { available: 0, busy: 1, away: 2, offline: 3 };

/** A `dashboard` or `series` message's JSON, or null when it is not an object. */
export function parseMessage(data) {
  try {
    const value = JSON.parse(data);
    return value && typeof value === 'object' && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

/** The snapshot with its lists made safe to draw (missing lists become empty). */
export function normaliseSnapshot(raw) {
  const list = (v) => (Array.isArray(v) ? v.filter((x) => x && typeof x === 'object') : []);
  return {
    at: Number.isFinite(raw.at) ? raw.at : null,
    targetS: Number.isFinite(raw.target_s) ? raw.target_s : null,
    languages: list(raw.languages).filter((l) => typeof l.code === 'string'),
    counsellors: list(raw.counsellors).filter((c) => typeof c.username === 'string'),
    help: list(raw.help)
      .filter((h) => typeof h.username === 'string')
      .sort((a, b) => (a.since ?? 0) - (b.since ?? 0)),
  };
}

/** Usernames whose help request is new in `next` (compared with `previous`). */
export function newHelp(previous, next) {
  const before = new Set(previous.map((h) => h.username));
  return next.filter((h) => !before.has(h.username)).map((h) => h.username);
}

/** Counsellors by status (available, busy, away, offline), then by username. */
export function sortCounsellors(list) {
  return [...list].sort((a, b) => (STATUS_ORDER[a.status] ?? 9) - (STATUS_ORDER[b.status] ?? 9) || a.username.localeCompare(b.username));
}

/**
 * Seconds since `since` on the server's clock: `skewS` is the server's clock minus the
 * browser's (measured when a snapshot arrived), `nowMs` the browser's Date.now().
 */
export function elapsedS(since, skewS, nowMs) {
  if (!Number.isFinite(since)) return null;
  return Math.max(0, Math.floor(nowMs / 1000 + skewS - since));
}

/** The back-off before the n-th (1-based) new stream. */
export function backoffS(failures) {
  return BACKOFF_S[Math.min(Math.max(failures, 1), BACKOFF_S.length) - 1];
}

/**
 * The stream: one EventSource at a time; `onState(state)` for "connecting", "live",
 * "reconnecting" and "ended" (the session is gone: the page signs in again).
 */
export class LiveFeed {
  /**
   * @param {{onDashboard: Function, onSeries: Function, onState: Function,
   *          sessionAlive: () => Promise<boolean>, url?: string, EventSourceImpl?: Function,
   *          setTimer?: Function, clearTimer?: Function}} options
   */
  constructor({ onDashboard, onSeries, onState, sessionAlive, url = EVENTS_URL, EventSourceImpl = globalThis.EventSource, setTimer = (f, ms) => setTimeout(f, ms), clearTimer = (t) => clearTimeout(t) }) {
    Object.assign(this, { onDashboard, onSeries, onState, sessionAlive, url, EventSourceImpl, setTimer, clearTimer });
    this.source = null;
    this.state = null;
    this.failures = 0;
    this._timer = null;
    this._stopped = true;
  }

  start() {
    this._stopped = false;
    this.failures = 0;
    this._setState('connecting');
    this._open();
  }

  stop() {
    this._stopped = true;
    this.clearTimer(this._timer);
    this._timer = null;
    if (this.source) this.source.close();
    this.source = null;
  }

  /** Let go of the stream for now (a tab in the background); start() takes it up again. */
  pause() {
    this.stop();
    this._setState('paused');
  }

  _open() {
    this._timer = null;
    if (this._stopped) return;
    const source = new this.EventSourceImpl(this.url);
    this.source = source;
    source.addEventListener('open', () => {
      if (source !== this.source) return;
      this.failures = 0;
      this._setState('live');
    });
    source.addEventListener('dashboard', (event) => this._message(source, event, this.onDashboard));
    source.addEventListener('series', (event) => this._message(source, event, this.onSeries));
    source.addEventListener('error', () => {
      if (source !== this.source || this._stopped) return;
      if (source.readyState === CLOSED) this._refused(source);
      else this._setState('reconnecting'); // the browser retries by itself
    });
  }

  _message(source, event, handler) {
    if (source !== this.source) return;
    const data = parseMessage(event.data);
    if (data === null) return;
    if (this.state !== 'live') this._setState('live');
    handler(data);
  }

  /** The server answered something other than a stream (401, 403, 503...). */
  async _refused(source) {
    source.close();
    this.source = null;
    this.failures += 1;
    this._setState('reconnecting');
    let alive = true;
    try {
      alive = await this.sessionAlive();
    } catch {
      alive = true; // unknown: try again later
    }
    if (this._stopped) return;
    if (!alive) {
      this.stop();
      this._setState('ended');
      return;
    }
    this._timer = this.setTimer(() => this._open(), backoffS(this.failures) * 1000);
  }

  _setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.onState(state);
  }
}

/** Draws the dashboard panel and acknowledges help requests. */
export class DashboardView {
  /** @param {{api: import('./api.mjs').Api, onEnded: () => void}} options */
  constructor({ api, onEnded }) {
    this.api = api;
    this.onEnded = onEnded;
    this.snapshot = null;
    this.skewS = 0;
    this.points = [];
    this.stepS = 60;
    this.lastChange = null;
    this.chart = new ChartView($('chart'));
    this.feed = new LiveFeed({
      onDashboard: (data) => this.dashboard(data),
      onSeries: (data) => this.series(data),
      onState: (state) => this.connection(state),
      sessionAlive: () => this._sessionAlive(),
    });
    this._ticker = null;
  }

  start() {
    this.feed.start();
    this._ticker = setInterval(() => this.tick(), 1000);
    this._onVisibility = () => this.visibility(document.hidden);
    document.addEventListener('visibilitychange', this._onVisibility);
  }

  stop() {
    this.feed.stop();
    clearInterval(this._ticker);
    this._ticker = null;
    clearTimeout(this._pauseTimer);
    this._pauseTimer = null;
    if (this._onVisibility) document.removeEventListener('visibilitychange', this._onVisibility);
    this._onVisibility = null;
  }

  /**
   * A browser opens at most six connections to one server over HTTP/1.1 (an onion
   * address, most proxies), and each open dashboard holds one for its stream: a tab
   * left in the background lets go of it after PAUSE_HIDDEN_MS, so that more tabs
   * still load, and takes it up again (with the whole state) when shown.
   */
  visibility(hidden) {
    clearTimeout(this._pauseTimer);
    this._pauseTimer = null;
    if (hidden) {
      this._pauseTimer = setTimeout(() => this.feed.pause(), PAUSE_HIDDEN_MS);
    } else if (this.feed.state === 'paused') {
      this.feed.start();
    }
  }

  /** Nothing of the shift stays on screen (signed out). */
  clear() {
    this.snapshot = null;
    this.points = [];
    this.lastChange = null;
    $('languages-table').tBodies[0].replaceChildren();
    $('counsellors-table').tBodies[0].replaceChildren();
    $('help-list').replaceChildren();
    $('help-empty').hidden = false;
    $('help-count').textContent = '0';
    setText($('last-updated'), T.noChangeYet);
    this.chart.update([], []);
  }

  async _sessionAlive() {
    try {
      await this.api.get('/api/me');
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return false;
      throw error;
    }
  }

  connection(state) {
    const node = $('live-state');
    node.dataset.state = state;
    if (state === 'ended') {
      this.stop();
      this.onEnded();
      return;
    }
    const text = { live: T.live, connecting: T.connecting, paused: T.paused }[state] ?? T.reconnecting;
    setText(node, text);
    $('panel-dashboard').dataset.live = String(state === 'live');
  }

  dashboard(raw) {
    const previous = this.snapshot;
    const snap = normaliseSnapshot(raw);
    this.snapshot = snap;
    if (snap.at !== null) {
      this.skewS = snap.at - Date.now() / 1000;
      this.lastChange = snap.at;
    }
    if (raw.series) this.series(raw.series);
    this._languages(snap);
    this._counsellors(snap);
    this._help(snap, previous);
    if (snap.targetS !== null) setText($('target-note'), T.targetNote(snap.targetS));
    setText($('last-updated'), this.lastChange !== null ? T.lastChange(clock(this.lastChange, { seconds: true })) : T.noChangeYet);
    this.chart.update(this.points, snap.languages.map((l) => ({ code: l.code, name: l.name ?? l.code })), this.stepS);
  }

  series(raw) {
    if (Number.isFinite(raw.step_s) && raw.step_s > 0) this.stepS = raw.step_s;
    this.points = mergeSeries(this.points, raw);
    const languages = this.snapshot ? this.snapshot.languages.map((l) => ({ code: l.code, name: l.name ?? l.code })) : this._codesFromPoints();
    this.chart.update(this.points, languages, this.stepS);
  }

  _codesFromPoints() {
    const codes = new Set();
    for (const p of this.points) for (const c of Object.keys(p.waiting ?? {})) codes.add(c);
    return [...codes].map((code) => ({ code, name: code }));
  }

  /** Every second: times in status and since a help request. */
  tick(nowMs = Date.now()) {
    for (const row of $('counsellors-table').tBodies[0].rows) {
      const since = Number(row.dataset.since);
      const s = elapsedS(row.dataset.since ? since : NaN, this.skewS, nowMs);
      setText(row.querySelector('.since'), s === null ? T.none : duration(s));
    }
    for (const item of $('help-list').children) {
      const since = Number(item.dataset.since);
      const s = elapsedS(since, this.skewS, nowMs);
      setText(item.querySelector('.help-since'), T.helpSince(clock(since), duration(s ?? 0)));
    }
  }

  _languages(snap) {
    const body = $('languages-table').tBodies[0];
    const rows = snap.languages.map((l) => {
      const row = el(
        'tr',
        { data: { language: l.code } },
        el('th', { scope: 'row', text: l.name ?? l.code }),
        cell('waiting', String(l.waiting ?? 0)),
        cell('longest', l.waiting ? waitText(l.longest_wait_s ?? 0) : T.none),
        cell('median', waitText(l.median_wait_s)),
        cell('p90', waitText(l.p90_wait_s)),
        cell('active', String(l.active ?? 0)),
        cell('available', String(l.available ?? 0)),
        cell('busy', String(l.busy ?? 0)),
        cell('away', String(l.away ?? 0)),
        cell('answered', String(l.answered ?? 0)),
        cell('abandoned', String(l.abandoned ?? 0)),
        cell('service-level', shareText(l.service_level)),
      );
      return row;
    });
    syncRows(body, rows, 'language');
    $('languages-empty').hidden = snap.languages.length > 0;
  }

  _counsellors(snap) {
    const body = $('counsellors-table').tBodies[0];
    const names = new Map((snap.languages ?? []).map((l) => [l.code, l.name ?? l.code]));
    const rows = sortCounsellors(snap.counsellors).map((c) =>
      el(
        'tr',
        { data: { username: c.username, since: Number.isFinite(c.status_since) ? String(c.status_since) : '' } },
        el('th', { scope: 'row', text: c.username }),
        el('td', { class: 'status' }, el('span', { class: 'status-badge', data: { status: c.status }, text: T.status[c.status] ?? String(c.status) })),
        cell('languages', (Array.isArray(c.languages) ? c.languages : []).map((code) => names.get(code) ?? code).join(', ') || T.none),
        cell('chats', String(c.chats ?? 0)),
        cell('since', T.none),
      ),
    );
    syncRows(body, rows, 'username');
    $('counsellors-empty').hidden = snap.counsellors.length > 0;
    this.tick();
  }

  /** The open requests, oldest first. Items already shown are kept (with their
   *  button and its focus), so that a screen reader is not sent back to the list at
   *  every update; new ones are announced. */
  _help(snap, previous) {
    const list = $('help-list');
    const fresh = newHelp(previous ? previous.help : [], snap.help);
    const shown = new Map([...list.children].map((li) => [li.dataset.username, li]));
    const focused = list.contains(document.activeElement) ? document.activeElement.closest('li') : null;
    let anchor = null;
    for (const h of snap.help) {
      let item = shown.get(h.username);
      shown.delete(h.username);
      if (!item) item = this._helpItem(h.username);
      item.dataset.since = String(h.since ?? 0);
      const wanted = anchor ? anchor.nextElementSibling : list.firstElementChild;
      if (wanted !== item) list.insertBefore(item, wanted);
      anchor = item;
    }
    for (const gone of shown.values()) gone.remove();
    if (focused && !focused.isConnected) (list.querySelector('button') ?? $('help-title')).focus();
    const count = snap.help.length;
    $('help-empty').hidden = count > 0;
    setText($('help-count'), String(count));
    if (fresh.length) announce(fresh.map((username) => T.helpNew(username)).join(' '), true);
    this.tick();
  }

  _helpItem(username) {
    const button = el('button', { type: 'button', class: 'ack primary', 'aria-label': T.acknowledgeLabel(username), text: T.acknowledge });
    button.addEventListener('click', () => this.acknowledge(username, button));
    return el(
      'li',
      { class: 'help-item', data: { username } },
      el('p', { class: 'help-who' }, el('strong', { text: T.helpFrom(username) }), ' ', el('span', { class: 'help-since' })),
      button,
    );
  }

  async acknowledge(username, button) {
    button.disabled = true;
    try {
      await this.api.post(`/api/admin/help/${encodeURIComponent(username)}/ack`, {});
      announce(T.helpAcknowledged(username));
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) announce(T.helpGone(username));
      else {
        button.disabled = false;
        announce(T.ackFailed(username, error instanceof ApiError ? error.code : 'unexpected'), true);
        return;
      }
    }
    // Gone here at once; the next snapshot agrees.
    const item = button.closest('li');
    const next = item.nextElementSibling ?? item.previousElementSibling;
    const hadFocus = item.contains(document.activeElement);
    item.remove();
    if (this.snapshot) this.snapshot.help = this.snapshot.help.filter((h) => h.username !== username);
    $('help-empty').hidden = $('help-list').children.length > 0;
    $('help-count').textContent = String($('help-list').children.length);
    if (hadFocus) (next?.querySelector('button') ?? $('help-title')).focus();
  }
}

function cell(name, text) {
  return el('td', { class: name, text });
}

/** Puts `rows` into `body`, keeping (and updating) the rows already there by key, so
 *  that focus and reading position survive an update. */
function syncRows(body, rows, key) {
  const old = new Map([...body.rows].map((r) => [r.dataset[key], r]));
  let anchor = null;
  for (const row of rows) {
    const existing = old.get(row.dataset[key]);
    let current = row;
    if (existing) {
      old.delete(row.dataset[key]);
      Object.assign(existing.dataset, row.dataset);
      [...row.cells].forEach((c, i) => {
        const target = existing.cells[i];
        if (!target) return;
        if (c.classList.contains('since')) return; // kept by tick()
        if (c.children.length) {
          if (target.textContent !== c.textContent || target.firstElementChild?.dataset.status !== c.firstElementChild?.dataset.status) target.replaceChildren(...c.childNodes);
        } else {
          setText(target, c.textContent);
        }
      });
      current = existing;
    }
    const wanted = anchor ? anchor.nextElementSibling : body.firstElementChild;
    if (wanted !== current) body.insertBefore(current, wanted);
    anchor = current;
  }
  for (const stale of old.values()) stale.remove();
}

