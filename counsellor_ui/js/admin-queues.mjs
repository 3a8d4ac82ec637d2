// The Queues panel: the language queues (name, weekly opening hours with several
// periods a day, holidays, the closed switch and message, the fallback queue, the
// self-help resources), adding a queue by its language tag, and the canned responses
// of each language (admin-canned.mjs). Endpoints (docs/protocol.md §6.7): GET
// /api/admin/service, PUT /api/admin/service/queues/{code}.

import { CannedAdmin } from './admin-canned.mjs';
import { el } from './dom.mjs';
import { A, WEEKDAY_NAMES, queueLabel } from './admin-strings.mjs';
import {
  actions,
  adminForm,
  dataTable,
  errorLine,
  field,
  onShown,
  panelHeader,
  problemOf,
  row,
  submitting,
  uid,
} from './admin-forms.mjs';
import { WEEKDAYS, checkHours, hoursSummary, hoursToModel, looksLikeLanguageTag, modelToHours, parseHolidays, pruneBlankPeriods } from './admin-hours.mjs';

/** The editor's state of one queue (from GET /api/admin/service's queue object). */
export function queueToModel(queue) {
  return {
    code: queue.code,
    name: queue.name ?? '',
    hours: hoursToModel(queue.hours),
    holidays: (queue.holidays ?? []).join('\n'),
    closed: Boolean(queue.closed),
    closedMessage: queue.closed_message ?? '',
    fallback: queue.fallback ?? '',
    resources: (queue.resources ?? []).map((r) => ({ title: r.title ?? '', text: r.text ?? '', url: r.url ?? '', phone: r.phone ?? '' })),
  };
}

/**
 * The body of PUT /api/admin/service/queues/{code} (the queue without its code) and
 * the problems found before sending ([{field, message}], the server's paths). Empty
 * optional texts become null; blank periods and blank resources are dropped.
 */
export function modelToQueue(model) {
  const holidays = parseHolidays(model.holidays);
  const problems = [...checkHours(model.hours), ...holidays.problems];
  const resources = model.resources
    .filter((r) => r.title.trim() || r.text.trim() || r.url.trim() || r.phone.trim())
    .map((r) => ({ title: r.title.trim(), text: r.text.trim(), url: r.url.trim() || null, phone: r.phone.trim() || null }));
  resources.forEach((r, i) => {
    if (!r.title) problems.push({ field: `resources[${i}].title`, message: A.required });
  });
  const body = {
    name: model.name.trim() || null,
    hours: modelToHours(model.hours),
    holidays: holidays.dates,
    closed: model.closed,
    closed_message: model.closedMessage.trim() || null,
    fallback: model.fallback || null,
    resources,
  };
  return { body, problems };
}

/** Drops the resources with nothing filled in from the model; true when there were some. */
export function pruneBlankResources(model) {
  const kept = model.resources.filter((r) => r.title.trim() || r.text.trim() || r.url.trim() || r.phone.trim());
  const pruned = kept.length !== model.resources.length;
  model.resources = kept;
  return pruned;
}

/** A new queue: open all the time, nothing else set. */
export function newQueue(name) {
  return { name: name.trim() || null, hours: null, holidays: [], closed: false, closed_message: null, fallback: null, resources: [] };
}

const FALLBACKS = { code: A.queueCodeBad };

function hidden(text) {
  return el('span', { class: 'visually-hidden', text });
}

class QueuesPanel {
  constructor(panel, ctx) {
    this.panel = panel;
    this.ctx = ctx;
    this.service = null;
    panel.classList.add('admin-panel');
    this.status = panelHeader(panel, A.queuesHeading).status;
    this.table = dataTable('queues-table', A.queuesCaption, [A.colCode, A.colName, A.colOpenNow, A.colHours, A.colFallback, A.colActions]);
    this.editor = el('section', { class: 'block queue-editor', hidden: true });
    this.addSection = el('section', { class: 'block add-queue' });
    this.canned = new CannedAdmin(el('section', { class: 'block canned-admin' }), panel, ctx);
    panel.append(this.table.wrap, this.editor, this.addSection, this.canned.section);
    this.renderAdd();
    onShown(panel, () => this.refresh()); // "open now" changes with the clock
  }

  get queues() {
    return this.service ? this.service.queues : [];
  }

  async load() {
    this.status.textContent = A.loading;
    try {
      this.service = await this.ctx.api.get('/api/admin/service');
      this.renderList();
      await this.canned.load(this.queues);
      this.status.textContent = '';
    } catch (error) {
      this.status.textContent = `${A.loadFailed(A.queuesCaption)} ${problemOf(error).message}`;
    }
  }

  /** The lists again (queues, canned responses), leaving the forms as they are. */
  async refresh() {
    try {
      this.service = await this.ctx.api.get('/api/admin/service');
      this.renderList();
      await this.canned.refresh(this.queues);
    } catch {
      // the lists shown stay; the next save or visit tries again
    }
  }

  renderList() {
    this.table.tbody.replaceChildren(
      ...this.queues.map((queue) => {
        const edit = el('button', { type: 'button', class: 'edit', 'aria-label': A.rowButton(A.edit, queueLabel(queue)), text: A.edit });
        edit.addEventListener('click', () => this.openEditor(queue.code));
        const fallback = queue.fallback ? this.queues.find((q) => q.code === queue.fallback) : null;
        const hoursText = queue.closed ? `${A.closedSwitch}. ${hoursSummary(queue.hours)}` : hoursSummary(queue.hours);
        return el(
          'tr',
          { data: { code: queue.code } },
          el('th', { scope: 'row' }, el('code', { text: queue.code })),
          el('td', { text: queue.name || queue.display_name || '' }),
          el('td', { class: 'open-now', data: { open: String(Boolean(queue.open_now)) }, text: queue.open_now ? A.openNow : A.closedNow }),
          el('td', { class: 'hours-summary', text: hoursText }),
          el('td', { text: fallback ? queueLabel(fallback) : queue.fallback ?? A.none }),
          el('td', {}, edit),
        );
      }),
    );
  }

  // -- the queue editor ----------------------------------------------------------------------

  openEditor(code) {
    const queue = this.queues.find((q) => q.code === code);
    if (!queue) return;
    this.model = queueToModel(queue);
    const heading = el('h3', { tabindex: '-1', id: uid('qh'), text: A.editQueue(queueLabel(queue)) });
    const { form, errors, status } = adminForm('queue-form', () => this.saveQueue(form, errors, status));
    form.setAttribute('aria-labelledby', heading.id);
    form.dataset.code = code;
    this.errors = errors;
    const m = this.model;

    const name = el('input', { type: 'text', name: 'name', value: m.name, maxlength: '64' });
    name.addEventListener('input', () => (m.name = name.value));

    this.hoursBox = el('div', { class: 'hours-days' });
    const hoursError = errorLine();
    const always = el('input', { type: 'radio', name: `hours-mode-${code}`, value: 'always', id: uid('r'), checked: m.hours.always });
    const weekly = el('input', { type: 'radio', name: `hours-mode-${code}`, value: 'weekly', id: uid('r'), checked: !m.hours.always });
    errors.bind('hours', [weekly, always], hoursError);
    const setMode = () => {
      m.hours.always = always.checked;
      this.hoursBox.hidden = m.hours.always;
    };
    always.addEventListener('change', setMode);
    weekly.addEventListener('change', setMode);
    const hoursNote = el('p', { class: 'hint', id: uid('hint'), text: A.hoursNote(this.service.time_zone ?? 'UTC') });
    const hoursSet = el(
      'fieldset',
      { class: 'hours', 'aria-describedby': hoursNote.id },
      el('legend', { text: A.hoursLegend }),
      hoursNote,
      row(el('label', { class: 'check', for: always.id }, always, ` ${A.hoursAlways}`), el('label', { class: 'check', for: weekly.id }, weekly, ` ${A.hoursWeekly}`)),
      hoursError,
      this.hoursBox,
    );
    this.renderDays();
    this.hoursBox.hidden = m.hours.always;

    const holidays = el('textarea', { name: 'holidays', rows: '3', spellcheck: 'false' });
    holidays.value = m.holidays;
    holidays.addEventListener('input', () => (m.holidays = holidays.value));
    const closed = el('input', { type: 'checkbox', name: 'closed', checked: m.closed });
    closed.addEventListener('change', () => (m.closed = closed.checked));
    const message = el('textarea', { name: 'closed_message', rows: '2' });
    message.value = m.closedMessage;
    message.addEventListener('input', () => (m.closedMessage = message.value));
    const fallback = el(
      'select',
      { name: 'fallback' },
      el('option', { value: '', text: A.noFallback }),
      ...this.queues.filter((q) => q.code !== code).map((q) => el('option', { value: q.code, text: queueLabel(q), selected: q.code === m.fallback })),
    );
    fallback.addEventListener('change', () => (m.fallback = fallback.value));

    this.resourcesBox = el('div', { class: 'resources' });
    const addResource = el('button', { type: 'button', class: 'add-resource', text: A.addResource });
    addResource.addEventListener('click', () => {
      m.resources.push({ title: '', text: '', url: '', phone: '' });
      this.renderResources();
      const inputs = this.resourcesBox.querySelectorAll('input[name="title"]');
      inputs[inputs.length - 1].focus();
    });
    this.renderResources();

    form.append(
      field(errors, 'name', A.queueName, name, { hint: A.queueNameHint }),
      hoursSet,
      field(errors, 'holidays', A.holidays, holidays, { hint: A.holidaysHint }),
      field(errors, 'closed', A.closedSwitch, closed, { hint: A.closedSwitchHint, check: true }),
      field(errors, 'closed_message', A.closedMessage, message, { hint: A.closedMessageHint }),
      field(errors, 'fallback', A.fallback, fallback, { hint: A.fallbackHint }),
      el('fieldset', { class: 'resources-set' }, el('legend', { text: A.resourcesLegend }), this.resourcesBox, addResource),
      actions(el('button', { type: 'submit', class: 'primary', text: A.saveQueue })),
      status,
    );
    this.editor.replaceChildren(heading, form);
    this.editor.hidden = false;
    heading.focus();
  }

  renderDays() {
    const m = this.model;
    this.errors.clear();
    for (const day of WEEKDAYS) this.errors.unbindPrefix(`hours.${day}`);
    const sets = WEEKDAYS.map((day) => {
      const dayName = WEEKDAY_NAMES[day];
      const periods = m.hours.days[day];
      const list = el('div', { class: 'periods' });
      periods.forEach((period, i) => {
        const n = i + 1;
        const from = el('input', { type: 'time', id: uid('t'), value: period.start, name: `${day}-${n}-from` });
        const to = el('input', { type: 'time', id: uid('t'), value: period.end, name: `${day}-${n}-to` });
        from.addEventListener('input', () => (period.start = from.value));
        to.addEventListener('input', () => (period.end = to.value));
        const remove = el('button', { type: 'button', class: 'remove-period', 'aria-label': A.removePeriod(dayName, n), text: '×' });
        remove.addEventListener('click', () => {
          periods.splice(i, 1);
          this.renderDays();
          const again = this.hoursBox.querySelector(`fieldset[data-day="${day}"] .add-period`);
          if (again) again.focus();
        });
        const error = errorLine();
        this.errors.bind(`hours.${day}[${i}]`, [from, to], error);
        this.errors.bind(`hours.${day}[${i}][0]`, [from], error);
        this.errors.bind(`hours.${day}[${i}][1]`, [to], error);
        list.append(
          el(
            'div',
            { class: 'toolbar period', data: { index: String(i) } },
            el('div', { class: 'field' }, el('label', { for: from.id }, A.periodFrom, hidden(` (${dayName}, ${n})`)), from),
            el('div', { class: 'field' }, el('label', { for: to.id }, A.periodTo, hidden(` (${dayName}, ${n})`)), to),
            remove,
          ),
          error,
        );
      });
      if (!periods.length) list.append(el('p', { class: 'note', text: A.closedAllDay }));
      const add = el('button', { type: 'button', class: 'add-period' }, A.addPeriod, hidden(` (${dayName})`));
      add.addEventListener('click', () => {
        const last = periods[periods.length - 1];
        periods.push(last ? { start: last.end === '00:00' ? '' : last.end, end: '' } : { start: '09:00', end: '17:00' });
        this.renderDays();
        const inputs = this.hoursBox.querySelectorAll(`fieldset[data-day="${day}"] input[type="time"]`);
        inputs[inputs.length - 2].focus();
      });
      const dayError = errorLine();
      const set = el('fieldset', { class: 'inline day', data: { day } }, el('legend', { text: dayName }), list, add, dayError);
      this.errors.bind(`hours.${day}`, [add], dayError);
      return set;
    });
    this.hoursBox.replaceChildren(...sets);
  }

  renderResources() {
    const m = this.model;
    this.errors.clear();
    this.errors.unbindPrefix('resources');
    const error = errorLine();
    this.errors.bind('resources', [], error);
    const sets = m.resources.map((resource, i) => {
      const n = i + 1;
      const inputs = {};
      const make = (key, control, label) => {
        control.value = resource[key];
        control.addEventListener('input', () => (resource[key] = control.value));
        inputs[key] = control;
        return field(this.errors, `resources[${i}].${key}`, label, control);
      };
      const remove = el('button', { type: 'button', class: 'remove-resource danger', text: A.removeResource(n) });
      remove.addEventListener('click', () => {
        m.resources.splice(i, 1);
        this.renderResources();
        this.panel.querySelector('.add-resource').focus();
      });
      const set = el(
        'fieldset',
        { class: 'resource' },
        el('legend', { text: A.resource(n) }),
        make('title', el('input', { type: 'text', name: 'title', maxlength: '200' }), A.resourceTitle),
        make('text', el('textarea', { name: 'text', rows: '2' }), A.resourceText),
        row(
          make('url', el('input', { type: 'url', name: 'url', inputmode: 'url', spellcheck: 'false' }), A.resourceUrl),
          make('phone', el('input', { type: 'tel', name: 'phone' }), A.resourcePhone),
        ),
        remove,
      );
      this.errors.bind(`resources[${i}]`, [inputs.title], this.errors.bindings.get(`resources[${i}].title`).node);
      return set;
    });
    const first = sets.length ? [] : [el('p', { class: 'note', text: A.noResources })];
    this.resourcesBox.replaceChildren(...first, ...sets, error);
    if (!sets.length) this.errors.bind('resources', [this.panel.querySelector('.add-resource')].filter(Boolean), error);
  }

  async saveQueue(form, errors, status) {
    const code = form.dataset.code;
    // Blank rows are not sent: drop them first, so that the rows shown are numbered as
    // the paths of the errors (ours and the server's) number them.
    if (pruneBlankPeriods(this.model.hours)) this.renderDays();
    if (pruneBlankResources(this.model)) this.renderResources();
    const { body, problems } = modelToQueue(this.model);
    if (problems.length) {
      errors.show(problems);
      return;
    }
    let saved = null;
    const ok = await submitting(
      form,
      errors,
      async () => {
        saved = await this.ctx.api.put(`/api/admin/service/queues/${encodeURIComponent(code)}`, body);
      },
      { status, fallbacks: FALLBACKS },
    );
    if (!ok) return;
    const label = queueLabel({ code, ...saved });
    await this.refresh(); // the list; the editor and the other forms keep what they hold
    status.textContent = A.queueSaved(label);
  }

  // -- adding a queue ------------------------------------------------------------------------

  renderAdd() {
    const heading = el('h3', { id: uid('h'), text: A.addQueueHeading });
    const { form, errors, status } = adminForm('add-queue-form', () => submit());
    form.setAttribute('aria-labelledby', heading.id);
    const code = el('input', { type: 'text', name: 'code', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', maxlength: '35' });
    const name = el('input', { type: 'text', name: 'name', maxlength: '64' });
    form.append(
      row(field(errors, 'code', A.queueCode, code, { hint: A.queueCodeHint }), field(errors, 'name', A.queueName, name)),
      actions(el('button', { type: 'submit', text: A.addQueueSubmit })),
      status,
    );
    const submit = async () => {
      const tag = code.value.trim();
      if (!looksLikeLanguageTag(tag)) {
        errors.show([{ field: 'code', message: A.queueCodeBad }]);
        return;
      }
      if (this.queues.some((q) => q.code.toLowerCase() === tag.toLowerCase())) {
        errors.show([{ field: 'code', message: A.queueExists }]);
        return;
      }
      let saved = null;
      const ok = await submitting(
        form,
        errors,
        async () => {
          saved = await this.ctx.api.put(`/api/admin/service/queues/${encodeURIComponent(tag)}`, newQueue(name.value));
        },
        { status, fallbacks: { ...FALLBACKS, language: A.queueCodeBad, bad_language: A.queueCodeBad } },
      );
      if (!ok) return;
      code.value = '';
      name.value = '';
      const added = saved && saved.code ? saved.code : tag;
      await this.load();
      this.ctx.announce(A.queueAdded(added));
      this.openEditor(added);
    };
    this.addSection.replaceChildren(heading, form);
  }
}

/** Fills the Queues panel (called once, when its tab is first shown). */
export async function mountQueues(panel, ctx) {
  const view = new QueuesPanel(panel, ctx);
  await view.load();
  return view;
}
