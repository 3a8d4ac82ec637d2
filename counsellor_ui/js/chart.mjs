// The dashboard's chart: seekers waiting and chats active per language over the shift,
// in plain SVG (no library). The pure parts (merging the series, the scales, the ticks,
// the line paths, the summary and the sampled table) are exported for the Node tests;
// ChartView draws them with DOM calls only. Colours and dashes come from the style
// sheet through classes (the page's CSP allows no inline style); the picture has a
// text alternative (title and description) and a table of its figures.

import { el } from './dom.mjs';
import { T, clock } from './supervisor-strings.mjs';

const SVG = 'http://www.w3.org/2000/svg';
/** Points kept: one a minute over 24 hours (the server's bound too). */
export const MAX_POINTS = 1440;
/** Colour classes c0…c(n−1) cycle over the languages. */
export const COLOURS = 6;
const TIME_STEPS = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400];

function isPoint(p) {
  return p && typeof p === 'object' && Number.isFinite(p.at);
}

/**
 * The series after a `series` message: `incoming` is {points: [...], replace} (the
 * whole series with `replace: true`, as on connecting, or new points) or one bare point
 * {at, waiting, active}. Points are keyed by `at` (a newer copy replaces an older one),
 * sorted, at most `max` (oldest dropped).
 */
export function mergeSeries(points, incoming, max = MAX_POINTS) {
  const fresh = Array.isArray(incoming?.points) ? incoming.points : isPoint(incoming) ? [incoming] : [];
  const byAt = new Map(incoming?.replace === true ? [] : points.map((p) => [p.at, p]));
  for (const p of fresh) {
    if (!isPoint(p)) continue;
    byAt.set(p.at, { at: p.at, waiting: { ...(p.waiting ?? {}) }, active: { ...(p.active ?? {}) } });
  }
  const merged = [...byAt.values()].sort((a, b) => a.at - b.at);
  return merged.length > max ? merged.slice(merged.length - max) : merged;
}

/** A step of 1, 2 or 5 × 10^k (at least 1: counts are whole) for about `ticks` ticks. */
export function niceScale(max, ticks = 4) {
  const top = Math.max(0, Number(max) || 0);
  const raw = top / ticks;
  let step = 1;
  if (raw > 1) {
    const power = 10 ** Math.floor(Math.log10(raw));
    step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  }
  const ceiling = Math.max(step, Math.ceil(top / step) * step);
  const values = [];
  for (let v = 0; v <= ceiling; v += step) values.push(v);
  return { max: ceiling, step, ticks: values };
}

/**
 * Time ticks between t0 and t1 (unix seconds): the smallest round step (1 min … 1 day)
 * giving at most `most` ticks, aligned to the local clock (`offsetS` east of UTC).
 */
export function timeTicks(t0, t1, most = 6, offsetS = 0) {
  if (!(t1 > t0)) return [t0];
  const span = t1 - t0;
  const step = TIME_STEPS.find((s) => Math.floor(span / s) + 1 <= most) ?? TIME_STEPS[TIME_STEPS.length - 1];
  const ticks = [];
  for (let t = Math.ceil((t0 + offsetS) / step) * step - offsetS; t <= t1; t += step) ticks.push(t);
  return ticks;
}

/**
 * Coordinates of the chart for `points` and the languages (codes, in order) in a box
 * of `width` × `height`: scales, ticks and one path per language and kind
 * ("M x y L x y …"; a gap of more than two steps starts a new piece).
 */
export function layout(points, codes, { width = 640, height = 240, stepS = 60, offsetS = 0, margin = null } = {}) {
  const m = margin ?? { top: 10, right: 12, bottom: 28, left: 36 };
  const plotW = Math.max(1, width - m.left - m.right);
  const plotH = Math.max(1, height - m.top - m.bottom);
  const t0 = points.length ? points[0].at : 0;
  const t1 = points.length ? points[points.length - 1].at : 0;
  let highest = 0;
  for (const p of points) {
    for (const code of codes) highest = Math.max(highest, p.waiting?.[code] ?? 0, p.active?.[code] ?? 0);
  }
  const yScale = niceScale(highest, height < 200 ? 3 : 4);
  const x = (t) => (t1 > t0 ? m.left + ((t - t0) / (t1 - t0)) * plotW : m.left + plotW);
  const y = (v) => m.top + plotH - (v / yScale.max) * plotH;
  const round = (n) => Math.round(n * 10) / 10;
  const lines = [];
  const dots = []; // points alone in their piece: a path of one point draws nothing
  codes.forEach((code, index) => {
    for (const kind of ['waiting', 'active']) {
      const pieces = [];
      let last = null;
      for (const p of points) {
        const v = p[kind]?.[code];
        if (typeof v !== 'number') {
          last = null;
          continue;
        }
        if (last === null || p.at - last > 2 * stepS) pieces.push([]);
        pieces[pieces.length - 1].push([round(x(p.at)), round(y(v))]);
        last = p.at;
      }
      const d = pieces.map((piece) => piece.map(([px, py], i) => `${i ? 'L' : 'M'}${px} ${py}`).join(' ')).join(' ');
      lines.push({ code, kind, colour: index % COLOURS, d });
      for (const piece of pieces) if (piece.length === 1) dots.push({ code, kind, colour: index % COLOURS, x: piece[0][0], y: piece[0][1] });
    }
  });
  const most = Math.max(2, Math.floor(plotW / 70));
  const right = m.left + plotW;
  // Labels near an edge are anchored inside the picture rather than cut off.
  const anchor = (px) => (px > right - 24 ? 'end' : px < m.left + 24 ? 'start' : 'middle');
  return {
    margin: m,
    width,
    height,
    plot: { x: m.left, y: m.top, width: plotW, height: plotH },
    yTicks: yScale.ticks.map((v) => ({ value: v, y: round(y(v)) })),
    xTicks: points.length ? timeTicks(t0, t1, most, offsetS).map((t) => ({ at: t, x: round(x(t)), anchor: anchor(x(t)) })) : [],
    lines,
    dots,
  };
}

/** Per language: the newest figures and the highest wait count with its time. */
export function summarise(points, codes) {
  const last = points[points.length - 1];
  return codes.map((code) => {
    let peak = 0;
    let peakAt = null;
    for (const p of points) {
      const v = p.waiting?.[code] ?? 0;
      if (v > peak) {
        peak = v;
        peakAt = p.at;
      }
    }
    return { code, waiting: last?.waiting?.[code] ?? 0, active: last?.active?.[code] ?? 0, peakWaiting: peak, peakAt };
  });
}

/** At most `most` points for the table, evenly spaced, the newest always included. */
export function sampleRows(points, most = 48) {
  if (points.length <= most) return points.slice();
  const every = Math.ceil(points.length / most);
  const rows = [];
  for (let i = points.length - 1; i >= 0 && rows.length < most; i -= every) rows.push(points[i]);
  return rows.reverse();
}

/** The local time zone's offset east of UTC in seconds at `at` (unix seconds). */
export function localOffset(at) {
  return -new Date(at * 1000).getTimezoneOffset() * 60;
}

function svg(tag, attrs = {}, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== null) node.textContent = text;
  return node;
}

/** Draws the chart into a <figure> with .chart-box, .chart-legend and .chart-data. */
export class ChartView {
  constructor(figure, { idPrefix = 'chart' } = {}) {
    this.figure = figure;
    this.box = figure.querySelector('.chart-box');
    this.legend = figure.querySelector('.chart-legend');
    this.table = figure.querySelector('.chart-data table');
    this.idPrefix = idPrefix;
    this.points = [];
    this.languages = [];
    this.stepS = 60;
    this._width = 0;
    if (typeof ResizeObserver === 'function') {
      this._observer = new ResizeObserver(() => {
        const w = Math.round(this.box.clientWidth);
        if (w && w !== this._width) this.draw();
      });
      this._observer.observe(this.box);
    }
  }

  /** New data: `languages` [{code, name}], `points` as mergeSeries makes them. */
  update(points, languages, stepS = 60) {
    const sameLanguages = languages.length === this.languages.length && languages.every((l, i) => l.code === this.languages[i].code && l.name === this.languages[i].name);
    if (points === this.points && sameLanguages) return;
    this.points = points;
    this.languages = languages.map((l) => ({ code: l.code, name: l.name }));
    this.stepS = stepS;
    this.draw();
    this._drawTable();
    if (!sameLanguages) this._drawLegend();
  }

  draw() {
    const width = Math.max(280, Math.round(this.box.clientWidth) || 640);
    this._width = Math.round(this.box.clientWidth);
    const height = width < 500 ? 200 : 260;
    const codes = this.languages.map((l) => l.code);
    const names = new Map(this.languages.map((l) => [l.code, l.name]));
    const at = this.points.length ? this.points[this.points.length - 1].at : 0;
    const geo = layout(this.points, codes, { width, height, stepS: this.stepS, offsetS: localOffset(at) });
    const titleId = `${this.idPrefix}-svg-title`;
    const descId = `${this.idPrefix}-svg-desc`;
    const root = svg('svg', { class: 'chart', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': `${titleId} ${descId}` });
    root.append(svg('title', { id: titleId }, T.chartTitle), svg('desc', { id: descId }, this.description(names)));
    const frame = svg('g', { class: 'axes', 'aria-hidden': 'true' });
    for (const tick of geo.yTicks) {
      frame.append(
        svg('line', { class: 'grid', x1: geo.plot.x, x2: geo.plot.x + geo.plot.width, y1: tick.y, y2: tick.y }),
        svg('text', { class: 'tick y', x: geo.plot.x - 6, y: tick.y, 'text-anchor': 'end', 'dominant-baseline': 'middle' }, String(tick.value)),
      );
    }
    for (const tick of geo.xTicks) {
      frame.append(
        svg('line', { class: 'tick-mark', x1: tick.x, x2: tick.x, y1: geo.plot.y + geo.plot.height, y2: geo.plot.y + geo.plot.height + 4 }),
        svg('text', { class: 'tick x', x: tick.x, y: geo.plot.y + geo.plot.height + 18, 'text-anchor': tick.anchor }, clock(tick.at)),
      );
    }
    frame.append(svg('line', { class: 'axis', x1: geo.plot.x, x2: geo.plot.x + geo.plot.width, y1: geo.plot.y + geo.plot.height, y2: geo.plot.y + geo.plot.height }));
    root.append(frame);
    const lines = svg('g', { class: 'lines', 'aria-hidden': 'true' });
    for (const line of geo.lines) {
      if (line.d) lines.append(svg('path', { class: `line ${line.kind} c${line.colour}`, d: line.d, 'data-language': line.code, 'data-kind': line.kind }));
    }
    for (const dot of geo.dots) {
      lines.append(svg('circle', { class: `dot ${dot.kind} c${dot.colour}`, cx: dot.x, cy: dot.y, r: dot.kind === 'active' ? 2.5 : 3.5, 'data-language': dot.code, 'data-kind': dot.kind }));
    }
    root.append(lines);
    const empty = this.points.length ? null : el('p', { class: 'note chart-empty', text: T.chartEmpty });
    this.box.replaceChildren(...(empty ? [empty] : []), root);
  }

  /** The picture in words: per language now and at its busiest, and the time span. */
  description(names) {
    const codes = this.languages.map((l) => l.code);
    if (!this.points.length) return T.chartEmpty;
    const first = this.points[0].at;
    const last = this.points[this.points.length - 1].at;
    const parts = summarise(this.points, codes).map((s) => T.chartSummary(names.get(s.code) ?? s.code, s.waiting, s.active, s.peakWaiting, s.peakAt ? clock(s.peakAt) : null));
    return [T.chartSpan(clock(first), clock(last)), ...parts].join(' ');
  }

  _drawLegend() {
    this.legend.replaceChildren(
      ...this.languages.map((l, i) =>
        el(
          'li',
          {},
          el('span', { class: `swatch c${i % COLOURS}`, 'aria-hidden': 'true' }),
          ` ${l.name}`,
        ),
      ),
      el('li', { class: 'kinds', text: `${T.legendWaiting}; ${T.legendActive}` }),
    );
  }

  _drawTable() {
    const head = el('tr', {}, el('th', { scope: 'col', text: T.time }));
    for (const l of this.languages) {
      head.append(el('th', { scope: 'col', text: `${l.name}: ${T.waitingShort}` }), el('th', { scope: 'col', text: `${l.name}: ${T.activeShort}` }));
    }
    const rows = sampleRows(this.points).map((p) => {
      const row = el('tr', {}, el('th', { scope: 'row', text: clock(p.at) }));
      for (const l of this.languages) row.append(el('td', { text: String(p.waiting?.[l.code] ?? 0) }), el('td', { text: String(p.active?.[l.code] ?? 0) }));
      return row;
    });
    this.table.tHead.replaceChildren(head);
    this.table.tBodies[0].replaceChildren(...rows);
  }
}
