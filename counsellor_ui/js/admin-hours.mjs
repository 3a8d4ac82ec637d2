// The queue editor's pure parts: weekly opening hours between the editor's model and
// the server's JSON (docs/protocol.md §6.7: null = open all the time, else per weekday
// a list of ["HH:MM", "HH:MM"] in the helpline's time zone), their checks with the
// server's field paths, holidays and language tags as typed. No DOM.

import { A, WEEKDAY_NAMES } from './admin-strings.mjs';

export const WEEKDAYS = Object.freeze(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);
const TIME = /^(?:([01][0-9]|2[0-3]):([0-5][0-9])|24:00)$/;

/**
 * The editor's model of a queue's hours: {always, days: {mon: [{start, end}], …}}.
 * `hours` null means open all the time. A period ending at "24:00" is shown ending at
 * "00:00" (a time input cannot hold 24:00; an end of 00:00 means midnight).
 */
export function hoursToModel(hours) {
  const days = {};
  for (const day of WEEKDAYS) {
    const periods = hours && Array.isArray(hours[day]) ? hours[day] : [];
    days[day] = periods.map(([start, end]) => ({ start, end: end === '24:00' ? '00:00' : end }));
  }
  return { always: hours === null || hours === undefined, days };
}

/** The JSON the server takes: null (always open) or every weekday's [["HH:MM", "HH:MM"]]. */
export function modelToHours(model) {
  if (model.always) return null;
  const hours = {};
  for (const day of WEEKDAYS) {
    hours[day] = (model.days[day] ?? [])
      .filter((p) => p.start || p.end)
      .map((p) => [p.start, p.end === '00:00' ? '24:00' : p.end]);
  }
  return hours;
}

/** Drops the blank rows (no start, no end) from the model, so that the rows shown are
 *  numbered as the server numbers them; true when there were some. */
export function pruneBlankPeriods(model) {
  let pruned = false;
  for (const day of WEEKDAYS) {
    const periods = model.days[day] ?? [];
    for (let i = periods.length - 1; i >= 0; i -= 1) {
      if (periods[i].start || periods[i].end) continue;
      periods.splice(i, 1); // in place: the editor's rows hold this very list
      pruned = true;
    }
  }
  return pruned;
}

function minutes(time) {
  const [h, m] = time.split(':');
  return Number(h) * 60 + Number(m);
}

/**
 * What is wrong with the weekly hours before they are sent, as [{field, message}] with
 * the server's paths ("hours.tue[1]"): a missing or malformed time, an end not after
 * its start, periods out of order or overlapping. Blank rows are ignored (dropped).
 */
export function checkHours(model) {
  const problems = [];
  if (model.always) return problems;
  for (const day of WEEKDAYS) {
    let previousEnd = -1;
    let i = 0;
    for (const period of model.days[day] ?? []) {
      if (!period.start && !period.end) continue;
      const at = `hours.${day}[${i}]`;
      i += 1;
      const end = period.end === '00:00' ? '24:00' : period.end;
      if (!TIME.test(period.start ?? '') || !TIME.test(end ?? '')) {
        // The input to fix: the start when it is wrong, else the end.
        problems.push({ field: `${at}[${TIME.test(period.start ?? '') ? 1 : 0}]`, message: A.periodMissing });
        continue;
      }
      const s = minutes(period.start);
      const e = minutes(end);
      if (s === 1440) problems.push({ field: at, message: A.midnightStart });
      else if (e <= s) problems.push({ field: at, message: A.periodOrder });
      else if (s < previousEnd) problems.push({ field: at, message: A.periodOverlap });
      previousEnd = Math.max(previousEnd, e);
    }
  }
  return problems;
}

/** "Mon 09:00–17:00; Tue closed; …" for the queue list (or "Open all the time"). */
export function hoursSummary(hours) {
  if (hours === null || hours === undefined) return A.alwaysOpen;
  return WEEKDAYS.map((day) => {
    const periods = hours[day] ?? [];
    const text = periods.length ? periods.map(([s, e]) => `${s}–${e}`).join(', ') : A.closedNow.toLowerCase();
    return `${WEEKDAY_NAMES[day].slice(0, 3)} ${text}`;
  }).join('; ');
}

/** Non-empty trimmed lines of a textarea. */
export function lines(text) {
  return String(text ?? '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
}

/** Holidays from a textarea, one YYYY-MM-DD per line: {dates, problems} (problems
 *  with the server's paths, "holidays[2]"). Real calendar dates only. */
export function parseHolidays(text) {
  const dates = [];
  const problems = [];
  lines(text).forEach((line, i) => {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(line);
    const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
    if (!d || d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3])) {
      problems.push({ field: `holidays[${i}]`, message: A.holidayBad(line) });
    }
    dates.push(line);
  });
  return { dates, problems };
}

/** A BCP 47 tag as a person may type it (language, script, region, variants); the
 *  server has the last word. */
export function looksLikeLanguageTag(code) {
  return /^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?(-([A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*$/.test(code);
}
