// The interface's texts, from one message catalogue per language
// (locales/<code>.json, fetched from our own server). Adding a language is adding
// one file: the server lists the files it has (`ui_languages` in /api/service).
//
// A catalogue maps keys to texts with {name} placeholders; `_dir` is "ltr" or
// "rtl". A key missing from a catalogue falls back to English, so a half-finished
// translation still shows every text. Texts are only ever set with textContent.

const BASE = '/static/seeker/locales/';
const FALLBACK = 'en';

export class Catalogue {
  constructor(code, messages, fallback = null) {
    this.code = code;
    this.messages = messages;
    this.fallback = fallback;
    this.dir = messages._dir === 'rtl' ? 'rtl' : 'ltr';
  }

  /** The text for key with {placeholders} filled in. */
  t(key, vars = {}) {
    let text = this.messages[key];
    if (typeof text !== 'string') text = this.fallback ? this.fallback.t(key, vars) : key;
    return text.replace(/\{(\w+)\}/g, (match, name) => (name in vars ? String(vars[name]) : match));
  }
}

async function fetchMessages(code) {
  const response = await fetch(`${BASE}${encodeURIComponent(code)}.json`, { credentials: 'omit' });
  if (!response.ok) throw new Error(`no catalogue for ${code}`);
  return response.json();
}

const loaded = new Map();

/** The catalogue for code (English underneath for missing keys). */
export async function loadCatalogue(code) {
  if (loaded.has(code)) return loaded.get(code);
  const english = code === FALLBACK ? null : await loadCatalogue(FALLBACK);
  const catalogue = new Catalogue(code, await fetchMessages(code), english);
  loaded.set(code, catalogue);
  return catalogue;
}

/** The best interface language for this browser among the available ones. */
export function preferredLanguage(available, wanted = navigator.languages ?? [navigator.language]) {
  for (const tag of wanted) {
    const lower = String(tag).toLowerCase();
    if (available.includes(lower)) return lower;
    const primary = lower.split('-')[0];
    if (available.includes(primary)) return primary;
  }
  return available.includes(FALLBACK) ? FALLBACK : available[0] ?? FALLBACK;
}

/** A language's name in that language ("Deutsch", "Suomi"), from the browser. */
export function endonym(code) {
  try {
    const name = new Intl.DisplayNames([code], { type: 'language' }).of(code);
    if (name && name !== code) return name.charAt(0).toLocaleUpperCase(code) + name.slice(1);
  } catch {
    // an unknown tag: fall through
  }
  return code;
}

/** Fills every element with data-i18n (text) and data-i18n-attr ("attr:key;…"). */
export function translateDocument(catalogue, root = document) {
  for (const element of root.querySelectorAll('[data-i18n]')) {
    // Only when it changes: a live region rewritten with the same text is read again.
    const text = catalogue.t(element.dataset.i18n);
    if (element.textContent !== text) element.textContent = text;
  }
  for (const element of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of element.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':');
      if (attr && key) element.setAttribute(attr.trim(), catalogue.t(key.trim()));
    }
  }
  document.documentElement.lang = catalogue.code;
  document.documentElement.dir = catalogue.dir;
}
