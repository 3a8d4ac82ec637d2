// DOM building blocks. Every text from outside (messages, names, canned texts) goes in
// with textContent; no markup is ever parsed from data (the page's CSP forbids inline
// script and style anyway).

export const $ = (id) => document.getElementById(id);

/**
 * el('button', {type: 'button', class: 'send', text: 'Send', data: {chatId}}, child…)
 * Attributes are set with setAttribute (never on*; no style attribute).
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'text') node.textContent = value;
    else if (key === 'class') node.className = value;
    else if (key === 'data') for (const [k, v] of Object.entries(value)) node.dataset[k] = v;
    else if (key === 'hidden') node.hidden = Boolean(value);
    else if (key.startsWith('on')) throw new Error('no inline handlers');
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

/** Sets text only when it changes (live regions read every write). */
export function setText(node, text) {
  if (node && node.textContent !== text) node.textContent = text;
}

const pendingAnnouncements = new Set(); // {text, timer} not yet written

/** Polite announcement (#announcer); `urgent` uses the assertive region (#alerter). */
export function announce(text, urgent = false) {
  const region = $(urgent ? 'alerter' : 'announcer');
  if (!region) return;
  region.textContent = '';
  const entry = { text, timer: null };
  entry.timer = setTimeout(() => {
    pendingAnnouncements.delete(entry);
    region.textContent = text;
  }, 50);
  pendingAnnouncements.add(entry);
}

/** Drops announcements starting with `prefix` (a closed chat's "Visitor 3: …"), shown
 *  or still pending: the live regions must not keep a message after its chat is gone. */
export function unannounce(prefix) {
  for (const entry of pendingAnnouncements) {
    if (!entry.text.startsWith(prefix)) continue;
    clearTimeout(entry.timer);
    pendingAnnouncements.delete(entry);
  }
  for (const id of ['announcer', 'alerter']) {
    const region = $(id);
    if (region && region.textContent.startsWith(prefix)) region.textContent = '';
  }
}

export function showError(node, text) {
  node.textContent = text ?? '';
  node.hidden = !text;
}
