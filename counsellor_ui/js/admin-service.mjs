// The Service panel: the helpline's time zone, the quick-exit address, transcripts
// (turning them on asks first, and says the change is logged), anonymous feedback and
// the outcome codes. Endpoints (docs/protocol.md §6.7): GET /api/admin/service, PUT
// /api/admin/service/settings.

import { el } from './dom.mjs';
import { A } from './admin-strings.mjs';
import { actions, adminForm, confirmDialog, field, panelHeader, problemOf, row, submitting, uid } from './admin-forms.mjs';
import { lines } from './admin-hours.mjs';

/** The body of PUT /api/admin/service/settings from the form's values. */
export function settingsBody({ timeZone, quickExit, transcripts, feedback, outcomes }) {
  return {
    time_zone: timeZone.trim(),
    quick_exit_url: quickExit.trim(),
    transcripts: Boolean(transcripts),
    feedback: Boolean(feedback),
    outcomes: lines(outcomes),
  };
}

/** True when saving turns transcripts on (off before): that asks for a confirmation. */
export function turnsTranscriptsOn(before, body) {
  return !before.transcripts && body.transcripts === true;
}

function timeZones() {
  try {
    return typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  } catch {
    return [];
  }
}

class ServicePanel {
  constructor(panel, ctx) {
    this.panel = panel;
    this.ctx = ctx;
    this.settings = null;
    panel.classList.add('admin-panel');
    this.status = panelHeader(panel, A.serviceHeading).status;
    this.box = el('div', { class: 'service-settings' });
    panel.append(this.box);
  }

  async load() {
    this.status.textContent = A.loading;
    try {
      this.settings = await this.ctx.api.get('/api/admin/service');
      this.status.textContent = '';
    } catch (error) {
      this.status.textContent = `${A.loadFailed(A.serviceLegend)} ${problemOf(error).message}`;
      return;
    }
    this.render();
  }

  render() {
    const s = this.settings;
    const { form, errors, status } = adminForm('service-form', () => this.save(form, errors, status, values));
    form.setAttribute('aria-label', A.serviceLegend);
    const zones = el('datalist', { id: uid('zones') }, ...timeZones().map((z) => el('option', { value: z })));
    const timeZone = el('input', { type: 'text', name: 'time_zone', value: s.time_zone ?? 'UTC', list: zones.id, autocomplete: 'off', spellcheck: 'false' });
    const quickExit = el('input', { type: 'url', name: 'quick_exit_url', value: s.quick_exit_url ?? '', inputmode: 'url', spellcheck: 'false' });
    const transcripts = el('input', { type: 'checkbox', name: 'transcripts', checked: Boolean(s.transcripts) });
    const feedback = el('input', { type: 'checkbox', name: 'feedback', checked: Boolean(s.feedback) });
    const outcomes = el('textarea', { name: 'outcomes', rows: String(Math.max(4, (s.outcomes ?? []).length + 1)), spellcheck: 'false' });
    outcomes.value = (s.outcomes ?? []).join('\n');
    const values = () => ({ timeZone: timeZone.value, quickExit: quickExit.value, transcripts: transcripts.checked, feedback: feedback.checked, outcomes: outcomes.value });
    form.append(
      row(field(errors, 'time_zone', A.timeZone, timeZone, { hint: A.timeZoneHint })),
      zones,
      field(errors, 'quick_exit_url', A.quickExit, quickExit, { hint: A.quickExitHint }),
      field(errors, 'transcripts', A.transcripts, transcripts, { hint: A.transcriptsHint, check: true }),
      field(errors, 'feedback', A.feedback, feedback, { check: true }),
      field(errors, 'outcomes', A.outcomes, outcomes, { hint: A.outcomesHint }),
      actions(el('button', { type: 'submit', class: 'primary', text: A.saveService })),
      status,
    );
    this.box.replaceChildren(form);
  }

  async save(form, errors, status, values) {
    const body = settingsBody(values());
    if (turnsTranscriptsOn(this.settings, body)) {
      const sure = await confirmDialog({
        host: this.panel,
        title: A.transcriptsTitle,
        paragraphs: [A.transcriptsNote],
        confirm: A.transcriptsConfirm,
        className: 'transcripts-dialog',
      });
      if (!sure) return;
    }
    let saved = null;
    const ok = await submitting(
      form,
      errors,
      async () => {
        saved = await this.ctx.api.put('/api/admin/service/settings', body);
      },
      { status },
    );
    if (!ok) return;
    this.settings = { ...this.settings, ...(saved ?? body) };
    status.textContent = A.serviceSaved;
  }
}

/** Fills the Service panel (called once, when its tab is first shown). */
export async function mountService(panel, ctx) {
  const view = new ServicePanel(panel, ctx);
  await view.load();
  return view;
}
