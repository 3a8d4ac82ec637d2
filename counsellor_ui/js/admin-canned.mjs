// The canned responses of each language, in the Queues panel: a table per language,
// add, change (a dialog) and remove (a confirmation). Endpoints (docs/protocol.md §6.6):
// GET/POST /api/admin/canned, PUT/DELETE /api/admin/canned/{id}. Texts are shown as
// text, never parsed as markup.

import { el } from './dom.mjs';
import { A, queueLabel } from './admin-strings.mjs';
import { actions, adminForm, cancelButton, confirmDialog, dataTable, field, formDialog, problemOf, row, submitting, uid } from './admin-forms.mjs';

// The server's limits (helpline/store/models.py CANNED_TITLE_MAX, CANNED_TEXT_MAX).
const TITLE_MAX = 80;
const TEXT_MAX = 2000;

const FALLBACKS = {
  too_many: A.cannedTooMany,
  text: A.cannedBadText,
  title: A.cannedBadText,
  language: A.notAccepted,
};

export class CannedAdmin {
  /** `section` is filled; dialogs open in `panel`; `status` shows refusals of a removal. */
  constructor(section, panel, ctx) {
    this.section = section;
    this.panel = panel;
    this.ctx = ctx;
    this.queues = [];
    this.canned = [];
    this.language = null;
    this.list = null;
    this.status = el('p', { class: 'note', role: 'status' });
  }

  /** Loads the responses and draws everything (the language picker from `queues`). */
  async load(queues) {
    const canned = await this.ctx.api.get('/api/admin/canned');
    this.queues = queues;
    this.canned = Array.isArray(canned) ? canned : [];
    this.render();
  }

  /** Loads the responses again and redraws the table only (the add form keeps its text). */
  async refresh(queues) {
    const canned = await this.ctx.api.get('/api/admin/canned');
    this.queues = queues;
    this.canned = Array.isArray(canned) ? canned : [];
    if (this.list) this.renderList(this.list);
    else this.render();
  }

  render() {
    const previous = this.language;
    const heading = el('h3', { id: uid('h'), text: A.cannedHeading });
    const picker = el('select', { id: uid('f'), class: 'canned-language' }, ...this.queues.map((q) => el('option', { value: q.code, text: queueLabel(q) })));
    if (previous && this.queues.some((q) => q.code === previous)) picker.value = previous;
    this.language = picker.value;
    const list = el('div', { class: 'canned-table' });
    const addBox = el('div', { class: 'canned-add' });
    picker.addEventListener('change', () => {
      this.language = picker.value;
      this.renderList(list);
      this.renderAdd(addBox);
    });
    this.section.replaceChildren(heading, row(el('div', { class: 'field' }, el('label', { for: picker.id, text: A.cannedLanguage }), picker)), this.status, list, addBox);
    this.renderList(list);
    this.renderAdd(addBox);
    this.list = list;
  }

  /** "Deutsch (de)" for a language code. */
  languageName(code) {
    const queue = this.queues.find((q) => q.code === code);
    return queue ? queueLabel(queue) : code;
  }

  renderList(box) {
    const rows = this.canned.filter((c) => c.language === this.language);
    const table = dataTable('canned-responses', A.cannedCaption(this.languageName(this.language)), [A.colTitle, A.colText, A.colActions]);
    table.tbody.append(
      ...rows.map((entry) => {
        const edit = el('button', { type: 'button', class: 'edit', 'aria-label': A.rowButton(A.edit, entry.title), text: A.edit });
        edit.addEventListener('click', () => this.edit(entry));
        const remove = el('button', { type: 'button', class: 'remove danger', 'aria-label': A.rowButton(A.remove, entry.title), text: A.remove });
        remove.addEventListener('click', () => this.remove(entry));
        return el(
          'tr',
          { data: { id: String(entry.id) } },
          el('th', { scope: 'row', text: entry.title }),
          el('td', { class: 'canned-text', text: entry.text }),
          el('td', {}, el('div', { class: 'toolbar row-actions' }, edit, remove)),
        );
      }),
    );
    if (!rows.length) table.tbody.append(el('tr', {}, el('td', { colspan: '3', text: A.noCannedYet })));
    box.replaceChildren(table.wrap);
  }

  renderAdd(box) {
    const heading = el('h4', { id: uid('h'), text: A.cannedAddHeading });
    const { form, errors, status } = adminForm('canned-add-form', () => submit());
    form.setAttribute('aria-labelledby', heading.id);
    const title = el('input', { type: 'text', name: 'title', maxlength: String(TITLE_MAX) });
    const text = el('textarea', { name: 'text', rows: '3', maxlength: String(TEXT_MAX) });
    form.append(
      field(errors, 'title', A.cannedTitle, title),
      field(errors, 'text', A.cannedText, text),
      actions(el('button', { type: 'submit', text: A.cannedAdd })),
      status,
    );
    errors.bind('language', [title], errors.bindings.get('title').node);
    const submit = async () => {
      const problems = [];
      if (!title.value.trim()) problems.push({ field: 'title', message: A.required });
      if (!text.value.trim()) problems.push({ field: 'text', message: A.required });
      if (problems.length) {
        errors.show(problems);
        return;
      }
      let added = null;
      const ok = await submitting(
        form,
        errors,
        async () => {
          added = await this.ctx.api.post('/api/admin/canned', { language: this.language, title: title.value.trim(), text: text.value.trim() });
        },
        { status, fallbacks: FALLBACKS },
      );
      if (!ok) return;
      this.canned.push(added);
      title.value = '';
      text.value = '';
      this.renderList(this.list);
      status.textContent = A.cannedAdded(added.title);
      title.focus();
    };
    box.replaceChildren(heading, form);
  }

  edit(entry) {
    formDialog({
      host: this.panel,
      title: A.cannedEditTitle(entry.title),
      className: 'canned-edit-dialog',
      build: (dialogApi) => {
        const { form, errors, status } = adminForm('canned-edit-form', () => save());
        const title = el('input', { type: 'text', name: 'title', maxlength: String(TITLE_MAX), value: entry.title });
        const text = el('textarea', { name: 'text', rows: '5', maxlength: String(TEXT_MAX) });
        text.value = entry.text;
        form.append(
          field(errors, 'title', A.cannedTitle, title),
          field(errors, 'text', A.cannedText, text),
          actions(el('button', { type: 'submit', class: 'primary', text: A.save }), cancelButton(dialogApi)),
          status,
        );
        const save = async () => {
          let saved = null;
          const ok = await submitting(
            form,
            errors,
            async () => {
              saved = await this.ctx.api.put(`/api/admin/canned/${entry.id}`, { title: title.value.trim(), text: text.value.trim() });
            },
            { status, fallbacks: FALLBACKS },
          );
          if (!ok) return;
          dialogApi.close();
          this.canned = this.canned.map((c) => (c.id === saved.id ? saved : c));
          this.renderList(this.list);
          this.focus(saved.id, 'button.edit');
          this.ctx.announce(A.cannedSaved(saved.title));
        };
        return form;
      },
    });
  }

  async remove(entry) {
    const sure = await confirmDialog({
      host: this.panel,
      title: A.cannedRemoveTitle(entry.title),
      paragraphs: [A.cannedRemoveNote],
      confirm: A.remove,
      danger: true,
      className: 'canned-remove-dialog',
    });
    if (!sure) return;
    try {
      await this.ctx.api.request('DELETE', `/api/admin/canned/${entry.id}`);
    } catch (error) {
      if (!(error && error.status === 404)) {
        this.status.textContent = problemOf(error, FALLBACKS).message;
        return;
      }
    }
    this.canned = this.canned.filter((c) => c.id !== entry.id);
    this.renderList(this.list);
    this.ctx.announce(A.cannedRemoved(entry.title));
    const first = this.list.querySelector('button') ?? this.section.querySelector('select');
    if (first) first.focus();
  }

  focus(id, selector) {
    const tr = this.list.querySelector(`tr[data-id="${id}"]`);
    const button = tr ? tr.querySelector(selector) : null;
    if (button) button.focus();
  }
}
