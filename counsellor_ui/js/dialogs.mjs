// The per-chat dialogs: end (with an outcome), transfer (a colleague or a language
// queue), block (confirm), and the canned-response picker. Native <dialog> with
// showModal(): focus stays inside, Esc closes, focus returns to the opener.

import { el } from './dom.mjs';
import { S, colleagueWhy } from './strings.mjs';

function shell(className, title, ...body) {
  const heading = el('h3', { text: title, tabindex: '-1' });
  const dialog = el('dialog', { class: `dialog ${className}`, 'aria-label': title }, heading, ...body);
  dialog.addEventListener('click', (e) => {
    if (e.target === dialog) dialog.close(); // a click on the backdrop
  });
  return dialog;
}

function cancelButton(dialog) {
  const button = el('button', { type: 'button', class: 'cancel', text: S.cancel });
  button.addEventListener('click', () => dialog.close());
  return button;
}

let uid = 0;

/** End: the outcome select (from /api/staff/settings) and a confirm button. */
export function endDialog(alias, outcomes, onConfirm) {
  const id = `outcome-${++uid}`;
  const select = el('select', { id, class: 'outcome' });
  const dialog = shell(
    'end-dialog',
    S.endTitle(alias),
    el('div', { class: 'field' }, el('label', { for: id, text: S.outcome }), select),
    el('p', { class: 'note', text: S.endNote }),
  );
  const confirm = el('button', { type: 'button', class: 'end-confirm danger', text: S.endConfirm });
  confirm.addEventListener('click', () => {
    dialog.close();
    onConfirm(select.value || null);
  });
  dialog.append(el('div', { class: 'dialog-actions' }, confirm, cancelButton(dialog)));
  return {
    dialog,
    open() {
      select.replaceChildren();
      for (const outcome of outcomes()) select.append(el('option', { value: outcome, text: outcome.replaceAll('_', ' ') }));
      dialog.showModal();
      select.focus();
    },
  };
}

/** Block: a confirmation. */
export function blockDialog(alias, onConfirm) {
  const dialog = shell(
    'block-dialog',
    S.blockTitle(alias),
    el('p', { text: S.blockNote }),
  );
  const confirm = el('button', { type: 'button', class: 'block-confirm danger', text: S.block });
  confirm.addEventListener('click', () => {
    dialog.close();
    onConfirm();
  });
  const cancel = cancelButton(dialog);
  dialog.append(el('div', { class: 'dialog-actions' }, confirm, cancel));
  return {
    dialog,
    open() {
      dialog.showModal();
      cancel.focus(); // the safe choice has the focus
    },
  };
}

/**
 * Transfer: `load()` resolves to {colleagues: [{username, languages, status, free,
 * certifiedHandle, refusal}] (see vetColleagues in workspace.mjs), languages: [{code,
 * name}]}; colleagues that can take the chat come first, the others are listed
 * disabled with the reason. A colleague is named by the handle in their verified
 * certificate (what the visitor will see) and their username, never by the server's
 * unchecked handle; one whose certificate does not check out cannot be chosen.
 */
export function transferDialog(alias, chatLanguage, load, onConfirm) {
  const id = `transfer-${++uid}`;
  const select = el('select', { id, class: 'transfer-to' });
  const note = el('p', { class: 'note', role: 'status' });
  const dialog = shell(
    'transfer-dialog',
    S.transferTitle(alias),
    el('div', { class: 'field' }, el('label', { for: id, text: S.transferTo }), select),
    note,
    el('p', { class: 'note', text: S.transferNote }),
  );
  const confirm = el('button', { type: 'button', class: 'transfer-confirm primary', text: S.transfer });
  confirm.addEventListener('click', () => {
    if (!select.value) return;
    dialog.close();
    onConfirm(select.value);
  });
  dialog.append(el('div', { class: 'dialog-actions' }, confirm, cancelButton(dialog)));
  return {
    dialog,
    /** onlyUser: a refused transfer's colleague (the only one possible); colleagues:
     *  false when the chat cannot send the TRANSFER frame (queues only). */
    async open({ onlyUser = null, colleagues = true } = {}) {
      select.replaceChildren();
      note.textContent = S.loading;
      confirm.disabled = true;
      dialog.showModal();
      let data;
      try {
        data = await load();
      } catch {
        note.textContent = S.network;
        return;
      }
      note.textContent = onlyUser ? S.transferOnlySame : colleagues ? '' : S.transferQueuesOnly;
      const people = el('optgroup', { label: S.colleagues });
      const ranked = data.colleagues
        .map((c) => ({ c, why: colleagueWhyNot(c, chatLanguage) }))
        .sort((a, b) => Number(a.why !== null) - Number(b.why !== null)); // stable: free first
      for (const { c, why } of ranked) {
        const label = colleagueLabel(c, why);
        const disabled = why !== null || !colleagues || (onlyUser !== null && c.username !== onlyUser);
        people.append(el('option', { value: `user:${c.username}`, disabled, text: label }));
      }
      if (!data.colleagues.length) people.append(el('option', { value: '', disabled: true, text: S.noColleagues }));
      select.append(people);
      const queues = el('optgroup', { label: S.languageQueues });
      for (const lang of data.languages) {
        if (lang.code !== chatLanguage) queues.append(el('option', { value: `lang:${lang.code}`, text: S.queueOption(lang.name || lang.code) }));
      }
      select.append(queues);
      const first = [...select.options].find((o) => !o.disabled);
      if (first) select.value = first.value;
      confirm.disabled = !first;
      select.focus();
    },
  };
}

/** Why a colleague cannot be chosen: an unverified key first, then whyNot. */
export function colleagueWhyNot(colleague, language) {
  if (colleague.refusal || !colleague.certifiedHandle) return S.colleagueUnverified(colleagueWhy(colleague.refusal ?? 'no_key'));
  return whyNot(colleague, language);
}

/** "Handle (username)" with the handle from the verified certificate; the username
 *  alone when it did not verify; then the reason it cannot be chosen, if any. */
export function colleagueLabel(colleague, why = null) {
  const name = colleague.certifiedHandle ? `${colleague.certifiedHandle} (${colleague.username})` : colleague.username;
  return `${name}${why ? ` – ${why}` : ''}`;
}

/** Why a colleague cannot take this chat now, or null. */
export function whyNot(colleague, language) {
  if (!(colleague.languages ?? []).includes(language)) return S.freeNot.language;
  if (colleague.status === 'offline') return S.freeNot.offline;
  if (colleague.status !== 'available') return S.freeNot.away;
  if (!colleague.free) return S.freeNot.full;
  return null;
}

/** The canned-response picker: a filter field and one button per response. */
export function cannedDialog(alias, responses, onPick) {
  const id = `canned-filter-${++uid}`;
  const filter = el('input', { id, class: 'canned-filter', type: 'search', autocomplete: 'off' });
  const list = el('div', { class: 'canned-list', role: 'group', 'aria-label': S.cannedList });
  const dialog = shell(
    'canned-dialog',
    S.cannedTitle(alias),
    el('div', { class: 'field' }, el('label', { for: id, text: S.filter }), filter),
    list,
    el('p', { class: 'hint', text: S.cannedHint }),
  );
  dialog.append(el('div', { class: 'dialog-actions' }, cancelButton(dialog)));
  const draw = () => {
    const q = filter.value.trim().toLowerCase();
    list.replaceChildren();
    const shown = responses().filter((r) => !q || r.title.toLowerCase().includes(q) || r.text.toLowerCase().includes(q));
    for (const r of shown) {
      const item = el('button', { type: 'button', class: 'canned-item' }, el('span', { class: 'canned-title', text: r.title }), el('span', { class: 'canned-text', text: r.text }));
      item.addEventListener('click', () => {
        dialog.close();
        onPick(r.text);
      });
      list.append(item);
    }
    if (!shown.length) list.append(el('p', { class: 'note', text: S.noCanned }));
  };
  filter.addEventListener('input', draw);
  dialog.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const items = [...list.querySelectorAll('.canned-item')];
    if (!items.length) return;
    e.preventDefault();
    const at = items.indexOf(document.activeElement);
    const next = e.key === 'ArrowDown' ? Math.min(items.length - 1, at + 1) : Math.max(0, at - 1);
    items[at === -1 ? 0 : next].focus();
  });
  return {
    dialog,
    open() {
      filter.value = '';
      draw();
      dialog.showModal();
      const first = list.querySelector('.canned-item');
      (first ?? filter).focus();
    },
  };
}
