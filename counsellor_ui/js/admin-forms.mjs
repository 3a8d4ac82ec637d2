// Shared pieces of the administration panels: the server's field errors shown next to
// their field, the busy state of a form, confirmation dialogs, form dialogs, scrolling
// tables (the queue editor's pure conversions are in admin-hours.mjs).
//
// The server answers a refused form with 400 {"error": "bad_field", "field": "<path>",
// "message": "<sentence>"}; the path names a field of the JSON sent ("capacity",
// "hours.mon[0]", "resources[1].url", maybe prefixed "queues.<code>."). Each form binds
// its controls to such paths; an error is shown under the control of the longest bound
// path the error's path starts with, with aria-invalid and aria-describedby, and focus
// moves to the first one. Nothing here parses markup: every text goes in as textContent.
// What a form or panel just did goes into its status line (role=status: read out once);
// ctx.announce is for what happens without one (a dialog closed, older entries loaded).

import { ApiError } from './api.mjs';
import { el } from './dom.mjs';
import { A } from './admin-strings.mjs';

let counter = 0;

/** A fresh element id ("adm-name-7"). */
export function uid(name = 'id') {
  counter += 1;
  return `adm-${name}-${counter}`;
}

// -- pure: field paths and messages ------------------------------------------------------

/**
 * The paths under which a form may have bound the control for `path`, most precise
 * first: "queues.en.hours.mon[0][1]" → ["hours.mon[0][1]", "hours.mon[0]", "hours.mon",
 * "hours"] (a "queues.<code>." prefix is the whole service document's; the forms send
 * one queue).
 */
export function fieldCandidates(path) {
  if (typeof path !== 'string' || !path) return [];
  let rest = path.replace(/^queues\.[A-Za-z0-9-]+\./, '');
  const out = [];
  while (rest) {
    out.push(rest);
    const shorter = rest.replace(/(\[\d+\]|\.[^.[\]]+)$/, '');
    if (shorter === rest) break;
    rest = shorter;
  }
  return out;
}

/** The server's sentence without a leading "<path>: " (messages of the service parser
 *  name the path, which the field next to the message already says). */
export function cleanMessage(message, field) {
  if (typeof message !== 'string' || !message.trim()) return null;
  const m = /^([A-Za-z0-9_.[\]-]+): (.+)$/s.exec(message);
  if (m && field && (m[1] === field || m[1].endsWith(field) || field.endsWith(m[1]) || /[.[]/.test(m[1]))) return m[2];
  return message;
}

/** Sentences for refusals that are not about one field (by error code). */
const GENERAL = {
  network: A.network,
  unauthorized: A.sessionEnded,
  forbidden: A.forbidden,
  bad_csrf: A.staleCsrf,
  bad_origin: A.staleCsrf,
  too_large: A.tooLarge,
  not_found: A.notFound,
  self: A.selfRefused,
};

/**
 * What to show for a failed request: {field, message}; field is null for a refusal
 * of the whole form. `fallbacks` gives sentences per field path (and per error code)
 * for answers without a message.
 */
export function problemOf(error, fallbacks = {}) {
  if (error instanceof ApiError) {
    const body = error.body ?? {};
    const field = typeof body.field === 'string' ? body.field : null;
    if (error.code === 'bad_field' || (field && error.status === 400)) {
      const known = fieldCandidates(field).map((p) => fallbacks[p]).find(Boolean);
      return { field, message: cleanMessage(body.message, field) ?? known ?? A.notAccepted };
    }
    const message = cleanMessage(body.message, field) ?? fallbacks[error.code] ?? GENERAL[error.code];
    if (message) return { field, message };
    return { field, message: A.serverError(error.status ? `${error.status} ${error.code}` : error.code) };
  }
  // Errors of this page itself (crypto/js CryptoError: deriving the login secret).
  if (error && error.code === 'weak_kdf') return { field: null, message: A.weakKdf };
  if (error && error.code === 'unsupported') return { field: null, message: A.noWebCrypto };
  return { field: null, message: A.pageError(error && error.code ? error.code : 'unexpected') };
}

// -- DOM: field errors -------------------------------------------------------------------

/**
 * The error messages of one form. `bind(path, controls, errorNode)`: the controls get
 * aria-invalid and aria-describedby (the error node's id) when an error for `path` is
 * shown, and the first gets the focus; `general` shows errors of the whole form.
 */
export class FieldErrors {
  constructor(general) {
    this.general = general; // a p.error with role="alert"
    this.bindings = new Map(); // path → {controls, node}
    this.shown = [];
  }

  bind(path, controls, node) {
    this.bindings.set(path, { controls: [controls].flat().filter(Boolean), node });
  }

  unbindPrefix(prefix) {
    for (const path of [...this.bindings.keys()]) if (path === prefix || path.startsWith(`${prefix}[`) || path.startsWith(`${prefix}.`)) this.bindings.delete(path);
  }

  /** The binding for an error path, or null. */
  find(path) {
    for (const candidate of fieldCandidates(path)) {
      const found = this.bindings.get(candidate);
      if (found) return found;
    }
    return null;
  }

  clear() {
    for (const { controls, node } of this.shown) {
      node.textContent = '';
      node.hidden = true;
      for (const control of controls) {
        control.removeAttribute('aria-invalid');
        const rest = (control.getAttribute('aria-describedby') ?? '').split(/\s+/).filter((id) => id && id !== node.id);
        if (rest.length) control.setAttribute('aria-describedby', rest.join(' '));
        else control.removeAttribute('aria-describedby');
      }
    }
    this.shown = [];
    if (this.general) {
      this.general.textContent = '';
      this.general.hidden = true;
    }
  }

  /** Shows `problems` ([{field, message}]), focuses the first field with an error. */
  show(problems) {
    this.clear();
    const general = [];
    let first = null;
    for (const { field, message } of problems) {
      const binding = field ? this.find(field) : null;
      if (!binding) {
        general.push(message);
        continue;
      }
      if (this.shown.includes(binding)) continue; // one message per field: the first
      binding.node.textContent = message;
      binding.node.hidden = false;
      for (const control of binding.controls) {
        control.setAttribute('aria-invalid', 'true');
        const ids = (control.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean);
        if (!ids.includes(binding.node.id)) control.setAttribute('aria-describedby', [binding.node.id, ...ids].join(' '));
      }
      this.shown.push(binding);
      first ??= binding.controls[0];
    }
    if (this.general && general.length) {
      this.general.textContent = general.join(' ');
      this.general.hidden = false;
    }
    if (first) first.focus();
    return { fields: this.shown.length, general: general.length };
  }
}

/** An empty, hidden error line with an id (for FieldErrors.bind). */
export function errorLine() {
  return el('p', { class: 'error field-error', id: uid('err'), hidden: true });
}

/**
 * A labelled control: div.field with the label, the hint (aria-describedby), the
 * control and its error line, bound to `path` in `errors`. `control` is an input,
 * select or textarea element (its id is set here).
 */
export function field(errors, path, label, control, { hint = null, check = false } = {}) {
  const id = uid('f');
  control.id = id;
  const error = errorLine();
  const hintNode = hint ? el('p', { class: 'hint', id: uid('hint'), text: hint }) : null;
  if (hintNode) control.setAttribute('aria-describedby', hintNode.id);
  errors.bind(path, control, error);
  if (check) {
    return el('div', { class: 'field check-field' }, el('label', { class: 'check', for: id }, control, ` ${label}`), hintNode, error);
  }
  return el('div', { class: 'field' }, el('label', { for: id, text: label }), hintNode, control, error);
}

/** A fieldset of checkboxes (one per option {value, label}), bound to `path`. */
export function checkboxGroup(errors, path, legend, options, chosen = [], { hint = null } = {}) {
  const boxes = options.map((o) => el('input', { type: 'checkbox', value: o.value, checked: chosen.includes(o.value), id: uid('c') }));
  const error = errorLine();
  const hintNode = hint ? el('p', { class: 'hint', id: uid('hint'), text: hint }) : null;
  const set = el(
    'fieldset',
    { class: 'inline checks', 'aria-describedby': hintNode ? hintNode.id : null },
    el('legend', { text: legend }),
    ...options.map((o, i) => el('label', { class: 'check', for: boxes[i].id }, boxes[i], ` ${o.label}`)),
  );
  errors.bind(path, boxes, error);
  return { node: el('div', { class: 'field checks-field' }, set, hintNode, error), values: () => boxes.filter((b) => b.checked).map((b) => b.value) };
}

// -- DOM: forms, busy state, dialogs, tables ---------------------------------------------------

/**
 * Runs `work()` with the form busy: the submit button disabled and aria-busy, a status
 * line saying so; errors are shown with `errors` (ApiError → next to their field).
 * Returns true when the work succeeded. Ignores a second submit while busy.
 */
export async function submitting(form, errors, work, { status = null, busyText = A.saving, fallbacks = {} } = {}) {
  if (form.dataset.busy === 'true') return false;
  const buttons = [...form.querySelectorAll('button[type="submit"]')];
  form.dataset.busy = 'true';
  form.setAttribute('aria-busy', 'true');
  for (const b of buttons) b.disabled = true;
  if (status) status.textContent = busyText;
  errors.clear();
  try {
    await work();
    if (status) status.textContent = '';
    return true;
  } catch (error) {
    if (status) status.textContent = '';
    errors.show([problemOf(error, fallbacks)]);
    return false;
  } finally {
    delete form.dataset.busy;
    form.removeAttribute('aria-busy');
    for (const b of buttons) b.disabled = false;
  }
}

/** A form with a general error line (role=alert) and a status line; `onSubmit` is
 *  called on submit (the browser's own validation is off: the server's messages are
 *  the ones shown, next to their fields). */
export function adminForm(className, onSubmit, { label = null } = {}) {
  const general = el('p', { class: 'error form-error', role: 'alert', hidden: true });
  const status = el('p', { class: 'note form-status', role: 'status' });
  const form = el('form', { class: `admin-form ${className}`, novalidate: true, 'aria-label': label });
  const errors = new FieldErrors(general);
  form.append(general);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    onSubmit();
  });
  return { form, errors, status, general };
}

function dialogShell(className, title) {
  const heading = el('h3', { text: title, id: uid('dlg'), tabindex: '-1' });
  const dialog = el('dialog', { class: `dialog admin-dialog ${className}`, 'aria-labelledby': heading.id }, heading);
  return { dialog, heading };
}

/** Opens `dialog` as a modal inside `host` (the panel: when the panel is emptied at
 *  sign-out, an open dialog goes with it), focus on `focus`; on close it is removed
 *  and the focus goes back to where it was. */
function openModal(dialog, focus, host) {
  const opener = document.activeElement;
  (host ?? document.body).append(dialog);
  dialog.addEventListener(
    'close',
    () => {
      dialog.remove();
      if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
    },
    { once: true },
  );
  dialog.showModal();
  (focus ?? dialog.querySelector('h3')).focus();
}

/**
 * A confirmation as a real modal dialog: resolves true when confirmed, false when
 * cancelled (Esc, the cancel button). The safe choice (cancel) has the focus.
 * `paragraphs`: each a text, or a list of texts and elements (a command as code).
 */
export function confirmDialog({ title, paragraphs = [], confirm, danger = false, className = 'confirm-dialog', host = null }) {
  return new Promise((resolve) => {
    const { dialog } = dialogShell(className, title);
    let answer = false;
    for (const parts of paragraphs) dialog.append(el('p', {}, ...[parts].flat())); // text and nodes
    const yes = el('button', { type: 'button', class: `confirm ${danger ? 'danger' : 'primary'}`, text: confirm });
    const no = el('button', { type: 'button', class: 'cancel', text: A.cancel });
    yes.addEventListener('click', () => {
      answer = true;
      dialog.close();
    });
    no.addEventListener('click', () => dialog.close());
    dialog.append(el('div', { class: 'dialog-actions' }, yes, no));
    dialog.addEventListener('close', () => resolve(answer), { once: true });
    openModal(dialog, no, host);
  });
}

/**
 * A modal dialog holding a form (edit an account, reset a password, edit a canned
 * response): `build(dialogApi)` returns the form element; the dialog closes with
 * `dialogApi.close()` or Esc. Focus goes to the first control.
 */
export function formDialog({ title, className, build, host = null }) {
  const { dialog } = dialogShell(className, title);
  const api = { dialog, close: () => dialog.close() };
  const form = build(api);
  dialog.append(form);
  openModal(dialog, form.querySelector('input, select, textarea') ?? undefined, host);
  return api;
}

/** A cancel button that closes its dialog. */
export function cancelButton(dialogApi) {
  const button = el('button', { type: 'button', class: 'cancel', text: A.cancel });
  button.addEventListener('click', () => dialogApi.close());
  return button;
}

/**
 * A table with a caption and column headers (scope=col), inside a focusable region that
 * scrolls sideways on a narrow screen. Returns {wrap, table, tbody}.
 */
export function dataTable(className, caption, columns) {
  const captionNode = el('caption', { text: caption, id: uid('cap') });
  const tbody = el('tbody');
  const table = el(
    'table',
    { class: `admin-table figures ${className}` },
    captionNode,
    el('thead', {}, el('tr', {}, ...columns.map((c) => el('th', { scope: 'col', text: c })))),
    tbody,
  );
  const wrap = el('div', { class: 'table-scroll', role: 'region', tabindex: '0', 'aria-labelledby': captionNode.id }, table);
  return { wrap, table, tbody, caption: captionNode };
}

/**
 * Calls `fn` each time `panel` is shown again (its `hidden` attribute removed: the
 * tabs show one panel at a time), so a list is fresh when the supervisor comes back.
 * Stops once `marker` (an element of this mount) has left the page: the page empties
 * the panels at sign-out and mounts them afresh at the next sign-in.
 */
export function onShown(panel, fn, marker = panel.firstElementChild) {
  const observer = new MutationObserver(() => {
    if (marker && !marker.isConnected) {
      observer.disconnect();
      return;
    }
    const shown = !panel.hidden;
    if (shown && panel.dataset.shown !== 'true') fn();
    panel.dataset.shown = String(shown);
  });
  panel.dataset.shown = String(!panel.hidden);
  observer.observe(panel, { attributes: true, attributeFilter: ['hidden'] });
  return observer;
}

/** A panel's heading, its tools (buttons) and a status line for loading, failures and
 *  what was just done; returns the pieces. */
export function panelHeader(panel, title, ...tools) {
  const heading = el('h2', { text: title, id: uid('h') });
  const status = el('p', { class: 'note panel-status', role: 'status' });
  panel.append(el('div', { class: 'panel-head' }, heading, ...tools), status);
  return { heading, status };
}

/** A row of controls side by side that wraps on a narrow screen. */
export function row(...children) {
  return el('div', { class: 'toolbar' }, ...children);
}

/** The buttons at the end of a form. */
export function actions(...buttons) {
  return el('div', { class: 'dialog-actions form-actions' }, ...buttons);
}
