// The History tab: figures of a day (per hour), an ISO week or a month (per day) from
// GET /api/admin/history, and the CSV export (GET /api/admin/history.csv). Both read
// only hourly aggregates; a count the server hides (null: from 1 to min_count − 1, or
// hidden with one so that it cannot be worked out from a total) is shown as "<5",
// explained above the tables. A refused export (422 too_little_data, 400) is said in
// words instead of downloading an error.
//
// The pure helpers (URLs, labels, cells, the date range) are exported for the Node
// tests; HistoryView draws into supervisor.html's history panel.

import { ApiError } from './api.mjs';
import { $, announce, el, showError } from './dom.mjs';
import { H, T, shareText } from './supervisor-strings.mjs';

const { FIGURE_NAMES, WAIT_NAMES, END_NAMES, FEEDBACK_NAMES } = H;

export const HISTORY_URL = '/api/admin/history';
export const CSV_URL = '/api/admin/history.csv';
const FIGURES = ['requests', 'answered', 'abandoned', 'within_target'];
/** YYYY-MM-DD of a Date in the browser's time zone. */
export function isoDate(d) {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

export function validDate(text) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text ?? '')) return false;
  const [y, m, d] = text.split('-').map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

function query(params) {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) search.set(k, v);
  return search.toString();
}

export function historyUrl(period, date, language = '') {
  return `${HISTORY_URL}?${query({ period, date, language })}`;
}

export function csvUrl(from, to, language = '') {
  return `${CSV_URL}?${query({ from, to, language })}`;
}

/** null when from..to is a range the export takes, else the sentence saying why not. */
export function rangeProblem(from, to) {
  if (!validDate(from) || !validDate(to) || from > to) return T.exportBadRange;
  const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000 + 1;
  return days > 366 ? T.exportTooLong : null;
}

/** The text of a count: the number, or "<min_count" when the server hid it (null). */
export function cellText(value, minCount) {
  return value === null || value === undefined ? `<${minCount}` : String(value);
}

/** A row's label: "14:00" for an hour (the service's clock, from the ISO time the
 *  server wrote), a short date for a day ("Mon 23 Nov"). */
export function timeLabel(start, step, locale = undefined) {
  if (step === 'hour') {
    const m = /T(\d{2}:\d{2})/.exec(start ?? '');
    return m ? m[1] : String(start);
  }
  if (!validDate(start)) return String(start);
  const [y, mo, d] = start.split('-').map(Number);
  return new Intl.DateTimeFormat(locale, { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date(Date.UTC(y, mo - 1, d)));
}

/** "23 November 2026" for a YYYY-MM-DD. */
export function longDate(text, locale = undefined) {
  if (!validDate(text)) return String(text);
  const [y, m, d] = text.split('-').map(Number);
  return new Intl.DateTimeFormat(locale, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(Date.UTC(y, m - 1, d)));
}

/** Whether any count of the answer is hidden (then the explanation is shown). */
export function anyHidden(answer) {
  const seen = (v) => v === null || (v && typeof v === 'object' && Object.values(v).some(seen));
  return [answer.total, ...(answer.by_time ?? []), ...(answer.by_language ?? []), answer.feedback?.total].some((x) => x && seen(x));
}

/** The file name in a Content-Disposition header, or `fallback`. */
export function fileName(disposition, fallback) {
  const m = /filename="([^"]+)"/.exec(disposition ?? '');
  return m && /^[A-Za-z0-9._-]+$/.test(m[1]) ? m[1] : fallback;
}

function countCell(value, minCount) {
  if (value === null || value === undefined) {
    return el('td', { class: 'num suppressed' }, el('span', { 'aria-hidden': 'true', text: `<${minCount}` }), el('span', { class: 'visually-hidden', text: T.suppressedLabel }));
  }
  return el('td', { class: 'num', text: String(value) });
}

function table(caption, headers, rows, total = null) {
  const head = el('tr', {}, ...headers.map((h, i) => el('th', { scope: 'col', class: i ? 'num' : null, text: h })));
  const t = el('table', { class: 'figures' }, el('caption', { text: caption }), el('thead', {}, head), el('tbody', {}, ...rows));
  if (total) t.append(el('tfoot', {}, total));
  return el('div', { class: 'table-scroll', role: 'region', 'aria-label': caption, tabindex: '0' }, t);
}

export class HistoryView {
  /** @param {{api: import('./api.mjs').Api}} options */
  constructor({ api }) {
    this.api = api;
    this.shown = false;
    this.languageList = null;
    this.minCount = 5;
    this._request = 0;
    $('history-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.load();
    });
    for (const id of ['export-from', 'export-to', 'export-language']) $(id).addEventListener('input', () => this._exportLink());
    $('export-link').addEventListener('click', (e) => {
      e.preventDefault();
      this.download();
    });
  }

  /** The first time the tab is shown: today's figures. */
  show() {
    if (this.shown) return;
    this.shown = true;
    const today = new Date();
    $('history-date').value = isoDate(today);
    $('export-from').value = isoDate(new Date(today.getFullYear(), today.getMonth(), 1));
    $('export-to').value = isoDate(today);
    this._exportLink();
    this._loadLanguages();
    this.load();
  }

  /** Language choices: the service's queues (GET /api/staff/settings). */
  languages() {
    this.languageList = null;
  }

  async _loadLanguages() {
    if (this.languageList) return;
    try {
      const settings = await this.api.get('/api/staff/settings');
      this.languageList = Array.isArray(settings?.languages) ? settings.languages : [];
    } catch {
      this.languageList = [];
    }
    for (const id of ['history-language', 'export-language']) {
      const select = $(id);
      const chosen = select.value;
      select.replaceChildren(el('option', { value: '', text: T.allLanguages }), ...this.languageList.map((l) => el('option', { value: l.code, text: l.name || l.code })));
      select.value = chosen;
    }
  }

  clear() {
    this.shown = false;
    this._request += 1;
    $('history-result').replaceChildren();
    showError($('history-error'), null);
    $('export-message').textContent = '';
  }

  async load() {
    const period = $('history-period').value;
    const date = $('history-date').value;
    if (!validDate(date)) {
      showError($('history-error'), T.exportBadRange);
      $('history-date').setAttribute('aria-invalid', 'true');
      $('history-date').focus();
      return;
    }
    $('history-date').removeAttribute('aria-invalid');
    showError($('history-error'), null);
    const request = ++this._request;
    const result = $('history-result');
    result.setAttribute('aria-busy', 'true');
    try {
      const answer = await this.api.get(historyUrl(period, date, $('history-language').value));
      if (request !== this._request) return;
      this.render(answer);
    } catch (error) {
      if (request !== this._request) return;
      const why = error instanceof ApiError ? (typeof error.body?.message === 'string' ? error.body.message : error.code === 'network' ? T.network : error.code) : 'unexpected';
      showError($('history-error'), T.historyFailed(why));
    } finally {
      if (request === this._request) result.setAttribute('aria-busy', 'false');
    }
  }

  render(answer) {
    const min = Number.isInteger(answer.min_count) ? answer.min_count : 5;
    this.minCount = min;
    const names = new Map((answer.languages ?? []).map((l) => [l.code, l.name || l.code]));
    const langName = (code) => names.get(code) ?? code;
    const step = answer.step === 'hour' ? 'hour' : 'day';
    const span = answer.from === answer.to ? longDate(answer.from) : `${longDate(answer.from)} – ${longDate(answer.to)}`;
    const parts = [el('h3', { id: 'history-span', text: `${span} (${answer.time_zone ?? ''})` })];
    const total = answer.total ?? {};
    if (!total.requests && total.requests !== null) {
      parts.push(el('p', { class: 'note', text: T.historyEmpty }));
      $('history-result').replaceChildren(...parts);
      announce(`${span}: ${T.historyEmpty}`);
      return;
    }
    if (anyHidden(answer)) parts.push(el('p', { class: 'warning suppression-note', text: T.suppressedNote(min) }));
    parts.push(
      el(
        'ul',
        { class: 'summary-figures', 'aria-label': H.totals },
        ...[...FIGURES.slice(0, 3).map((k) => [FIGURE_NAMES[k], cellText(total[k], min)]), [H.serviceLevelTarget(answer.target_s ?? 60), shareText(total.service_level)]].map(([label, value]) =>
          el('li', {}, el('span', { class: 'label', text: label }), el('span', { class: 'figure', text: value })),
        ),
      ),
    );
    const figureHeaders = [...FIGURES.map((k) => FIGURE_NAMES[k]), H.serviceLevel];
    const figureCells = (c) => [...FIGURES.map((k) => countCell(c[k], min)), el('td', { class: 'num', text: shareText(c.service_level) })];
    const totalRow = (label, c) => el('tr', { class: 'total' }, el('th', { scope: 'row', text: label }), ...figureCells(c));
    parts.push(
      table(
        step === 'hour' ? H.byHour : H.byDay,
        [step === 'hour' ? H.hour : H.day, ...figureHeaders],
        (answer.by_time ?? []).map((r) => el('tr', {}, el('th', { scope: 'row', text: timeLabel(r.start, step) }), ...figureCells(r))),
        totalRow(H.all, total),
      ),
      table(H.byLanguage, [H.language, ...figureHeaders], (answer.by_language ?? []).map((r) => el('tr', {}, el('th', { scope: 'row', text: langName(r.language) }), ...figureCells(r))), totalRow(T.allLanguages, total)),
    );
    const languages = (answer.by_language ?? []).map((r) => r.language);
    const columns = ['', ...languages.map(langName), T.allLanguages];
    const breakdown = (caption, first, metric, labels, keys, source = answer) => {
      const rows = keys.map((key) => {
        const pick = (c) => (metric ? c?.[metric]?.[key] : c?.[key]);
        return el('tr', {}, el('th', { scope: 'row', text: labels[key] ?? key }), ...(source.by_language ?? []).map((r) => countCell(pick(r), min)), countCell(pick(source.total), min));
      });
      return table(caption, [first, ...columns.slice(1)], rows);
    };
    const waitKeys = answer.wait_buckets ?? Object.keys(total.wait ?? {});
    parts.push(el('h3', { text: H.waits }), breakdown(H.waitsCaption, H.wait, 'wait', WAIT_NAMES, waitKeys));
    const outcomes = Object.keys(total.outcome ?? {});
    if (outcomes.length) parts.push(el('h3', { text: H.outcomes }), breakdown(H.outcomesCaption, H.outcome, 'outcome', {}, outcomes));
    const ends = Object.keys(total.end ?? {});
    if (ends.length) parts.push(el('h3', { text: H.ends }), breakdown(H.endsCaption, H.end, 'end', END_NAMES, ends));
    const feedback = answer.feedback;
    if (feedback && feedback.total && (feedback.total.answers === null || feedback.total.answers > 0)) {
      parts.push(el('h3', { text: H.feedback }), breakdown(H.feedbackCaption, H.answer, null, FEEDBACK_NAMES, ['helpful', 'somewhat', 'not_helpful', 'answers'], feedback));
    }
    $('history-result').replaceChildren(...parts);
    announce(H.loaded(span, cellText(total.requests, min)));
  }

  _exportLink() {
    $('export-link').setAttribute('href', csvUrl($('export-from').value, $('export-to').value, $('export-language').value));
  }

  async download() {
    const from = $('export-from').value;
    const to = $('export-to').value;
    const message = $('export-message');
    const say = (kind, text) => {
      message.dataset.kind = kind;
      message.textContent = text;
    };
    const problem = rangeProblem(from, to);
    if (problem) {
      say('refused', problem);
      return;
    }
    const url = csvUrl(from, to, $('export-language').value);
    let response;
    try {
      response = await fetch(url, { credentials: 'same-origin', cache: 'no-store' });
    } catch {
      say('refused', T.network);
      return;
    }
    if (!response.ok) {
      let body = {};
      try {
        body = await response.json();
      } catch {
        body = {};
      }
      if (response.status === 422) say('refused', T.exportRefused(body.min_count ?? this.minCount));
      else if (typeof body.message === 'string') say('refused', `${T.exportFailed(response.status)} ${body.message}`);
      else say('refused', T.exportFailed(body.error ?? response.status));
      return;
    }
    const name = fileName(response.headers.get('Content-Disposition'), `helpline-${from}-${to}.csv`);
    const blob = await response.blob();
    const href = URL.createObjectURL(blob);
    const link = el('a', { href, download: name, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(href), 10_000);
    say('done', T.exportDone(name));
  }
}
