// The page's DOM building blocks: how texts, resources and the chat transcript are
// put on screen. Every text from outside (messages, names, the operator's resources)
// is set with textContent, never as markup; `t` is the interface language's lookup.

export const $ = (id) => document.getElementById(id);

/** Sets text only when it changes: live regions read every write, even the same text. */
export function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

/** Says text through the page's polite live region (#announcer). */
export function announce(text) {
  const announcer = $('announcer');
  announcer.textContent = '';
  // A separate task, so that screen readers notice the change even for the same text.
  setTimeout(() => {
    announcer.textContent = text;
  }, 50);
}

/** A moment (Unix seconds) in the reader's own time zone and language. */
export function formatTime(locale, seconds) {
  return new Intl.DateTimeFormat(locale, {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  }).format(new Date(seconds * 1000));
}

/** Splits a text with one {placeholder} into the parts around it, for nodes between
    (vars fill the text's other placeholders). */
function around(t, key, placeholder, vars = {}) {
  const [before, after = ''] = t(key, { ...vars, [placeholder]: '\u0000' }).split('\u0000');
  return [before, after];
}

/** The operator's self-help resources as list items. */
export function renderResources(list, resources, t) {
  list.replaceChildren();
  if (!resources || resources.length === 0) {
    const item = document.createElement('li');
    item.textContent = t('no_resources');
    list.append(item);
    return;
  }
  for (const resource of resources) {
    const item = document.createElement('li');
    // The operator's texts may be in another script than the page: each finds its own
    // direction. Links open here, not in a new tab that a quick exit would leave open.
    const title = document.createElement(resource.url ? 'a' : 'span');
    title.className = 'title';
    title.dir = 'auto';
    title.textContent = resource.title;
    if (resource.url) {
      title.href = resource.url;
      title.rel = 'noreferrer';
    }
    item.append(title);
    if (resource.text) {
      const text = document.createElement('p');
      text.dir = 'auto';
      text.textContent = resource.text;
      item.append(text);
    }
    if (resource.phone) item.append(phoneLine(resource.phone, t));
    list.append(item);
  }
}

/** "Phone: 0800 123 456" with the number isolated left to right (in Arabic text the
    bidi rules would otherwise reverse its groups) and callable. */
function phoneLine(number, t) {
  const line = document.createElement('p');
  const [before, after] = around(t, 'resource_phone', 'phone');
  const link = document.createElement('a');
  link.href = `tel:${number.replace(/[^\d+]/g, '')}`;
  link.dir = 'ltr';
  link.textContent = number;
  line.append(before, link, after);
  return line;
}

/** The chat on screen (#messages in the scrolling #message-log): messages both ways,
    the page's own notes, and "Sending…" / "Delivered" on the seeker's messages. */
export class Transcript {
  constructor(list, log) {
    this.list = list;
    this.log = log;
    this._statusById = new Map(); // message id (chat.mjs) -> its "Sending…" element, until delivered
  }

  /** A message; id (ours: sendText's answer, null for theirs) is marked by delivered(). */
  add(kind, text, id, t) {
    const item = document.createElement('li');
    item.className = `message ${kind}`;
    const who = document.createElement('span');
    who.className = 'who';
    who.dataset.key = kind === 'mine' ? 'you' : 'counsellor';
    who.textContent = t(who.dataset.key);
    const body = document.createElement('span');
    body.className = 'text';
    body.dir = 'auto';
    body.textContent = text;
    item.append(who, body);
    if (id !== null) {
      const status = document.createElement('span');
      status.className = 'status';
      status.setAttribute('aria-hidden', 'true'); // "Delivered" for every line is noise
      status.dataset.key = 'message_sending';
      status.textContent = t('message_sending');
      item.append(status);
      this._statusById.set(id, status);
    }
    const log = this.log;
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 48;
    this.list.append(item);
    // Follow new messages, unless the person scrolled up to read again (their own always).
    if (atBottom || kind === 'mine') log.scrollTop = log.scrollHeight;
  }

  /** A line from the page itself; the name (a counsellor's handle) is isolated
      (<bdi>) so that its characters cannot reorder the sentence around it; vars fill
      the text's other placeholders (the page's own values, such as a safety code). */
  note(key, name, t, vars = {}) {
    const item = document.createElement('li');
    item.className = 'message system';
    item.dataset.note = key;
    item.dataset.name = name;
    item.dataset.vars = JSON.stringify(vars);
    this._fillNote(item, t);
    this.list.append(item);
  }

  /** The messages with these ids reached the counsellor. */
  delivered(ids, t) {
    for (const id of ids) {
      const status = this._statusById.get(id);
      if (status === undefined) continue;
      status.dataset.key = 'message_delivered';
      status.textContent = t('message_delivered');
      this._statusById.delete(id);
    }
  }

  /** Every label again, in the interface language now chosen. */
  relabel(t) {
    for (const element of this.list.querySelectorAll('[data-key]')) setText(element, t(element.dataset.key));
    for (const item of this.list.querySelectorAll('[data-note]')) this._fillNote(item, t);
  }

  /** Nothing of the chat stays in the page. */
  clear() {
    this.list.replaceChildren();
    this._statusById.clear();
  }

  _fillNote(item, t) {
    const [before, after] = around(t, item.dataset.note, 'name', JSON.parse(item.dataset.vars ?? '{}'));
    const bdi = document.createElement('bdi');
    bdi.textContent = item.dataset.name;
    item.replaceChildren(before, bdi, after);
  }
}
