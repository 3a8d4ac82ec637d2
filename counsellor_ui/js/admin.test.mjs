// The administration panels' DOM-free parts in Node (node --test): the opening-hours
// editor's model <-> the server's JSON, the queue and settings bodies, the server's
// field errors mapped to fields (with a fake DOM node), the busy state, the new login
// secret, the audit log's paging.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import './testing/paths.mjs';

const { derivePasswordKeys, b64uDecode, b64uEncode } = await import('/static/crypto/hlp1.mjs');
const { ApiError } = await import('./api.mjs');
const forms = await import('./admin-forms.mjs');
const H = await import('./admin-hours.mjs');
const { A, keyStateText, queueLabel } = await import('./admin-strings.mjs');
const staff = await import('./admin-staff.mjs');
const queues = await import('./admin-queues.mjs');
const service = await import('./admin-service.mjs');
const audit = await import('./admin-audit.mjs');

/** Just enough of an element for FieldErrors and submitting. */
class FakeNode {
  constructor(id = '') {
    this.id = id;
    this.attrs = new Map();
    this.textContent = '';
    this.hidden = true;
    this.disabled = false;
    this.dataset = {};
    this.focused = false;
    this.children = [];
  }
  setAttribute(k, v) {
    this.attrs.set(k, String(v));
  }
  getAttribute(k) {
    return this.attrs.has(k) ? this.attrs.get(k) : null;
  }
  removeAttribute(k) {
    this.attrs.delete(k);
  }
  focus() {
    this.focused = true;
  }
  querySelectorAll() {
    return this.children;
  }
}

// -- opening hours ---------------------------------------------------------------------------

test('hours: null is "open all the time" both ways', () => {
  const model = H.hoursToModel(null);
  assert.equal(model.always, true);
  assert.deepEqual(model.days.mon, []);
  assert.equal(H.modelToHours(model), null);
});

test('hours: several periods a day, every weekday sent, 24:00 shown as 00:00 and back', () => {
  const hours = { mon: [['09:00', '12:00'], ['13:00', '17:30']], fri: [['18:00', '24:00']] };
  const model = H.hoursToModel(hours);
  assert.equal(model.always, false);
  assert.deepEqual(model.days.mon, [{ start: '09:00', end: '12:00' }, { start: '13:00', end: '17:30' }]);
  assert.deepEqual(model.days.fri, [{ start: '18:00', end: '00:00' }]);
  assert.deepEqual(model.days.sun, []);
  assert.deepEqual(H.modelToHours(model), {
    mon: [['09:00', '12:00'], ['13:00', '17:30']],
    tue: [],
    wed: [],
    thu: [],
    fri: [['18:00', '24:00']],
    sat: [],
    sun: [],
  });
});

test('hours: {} (weekly, no periods) is closed all week, not "always open"', () => {
  const model = H.hoursToModel({});
  assert.equal(model.always, false);
  assert.deepEqual(H.modelToHours(model), { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] });
});

test('hours: blank rows are dropped, not sent', () => {
  const model = H.hoursToModel({ tue: [['10:00', '11:00']] });
  model.days.tue.push({ start: '', end: '' });
  assert.deepEqual(H.modelToHours(model).tue, [['10:00', '11:00']]);
  assert.deepEqual(H.checkHours(model), []);
});

test('blank rows are pruned before checking, so rows and error paths number alike', () => {
  const model = H.hoursToModel(null);
  model.always = false;
  model.days.mon = [{ start: '', end: '' }, { start: '17:00', end: '09:00' }];
  const shown = model.days.mon; // the list the editor's rows change
  assert.equal(H.pruneBlankPeriods(model), true);
  assert.equal(model.days.mon, shown); // pruned in place
  assert.deepEqual(model.days.mon, [{ start: '17:00', end: '09:00' }]);
  assert.equal(H.checkHours(model)[0].field, 'hours.mon[0]');
  assert.equal(H.pruneBlankPeriods(model), false);
  const queue = queues.queueToModel({ code: 'en', hours: null, resources: [{ title: '', text: '' }, { title: 'A', text: 'b' }] });
  assert.equal(queues.pruneBlankResources(queue), true);
  assert.deepEqual(queue.resources.map((r) => r.title), ['A']);
});

test('hours: problems carry the server paths, counted without blank rows', () => {
  const model = H.hoursToModel(null);
  model.always = false;
  model.days.mon = [{ start: '', end: '' }, { start: '17:00', end: '09:00' }];
  model.days.tue = [{ start: '09:00', end: '' }];
  model.days.wed = [{ start: '09:00', end: '13:00' }, { start: '12:00', end: '14:00' }];
  model.days.thu = [{ start: '22:00', end: '00:00' }]; // until midnight: fine
  model.days.fri = [{ start: '9:00', end: '10:00' }];
  assert.deepEqual(H.checkHours(model), [
    { field: 'hours.mon[0]', message: A.periodOrder },
    { field: 'hours.tue[0][1]', message: A.periodMissing },
    { field: 'hours.wed[1]', message: A.periodOverlap },
    { field: 'hours.fri[0][0]', message: A.periodMissing },
  ]);
  model.always = true;
  assert.deepEqual(H.checkHours(model), []); // the weekly rows are not sent then
});

test('hours summary for the list', () => {
  assert.equal(H.hoursSummary(null), A.alwaysOpen);
  const text = H.hoursSummary({ mon: [['09:00', '17:00']], sat: [['10:00', '12:00'], ['14:00', '16:00']] });
  assert.match(text, /^Mon 09:00–17:00; Tue closed;/);
  assert.match(text, /Sat 10:00–12:00, 14:00–16:00; Sun closed$/);
});

test('holidays: one date per line, real dates only', () => {
  assert.deepEqual(H.parseHolidays(' 2026-12-25 \n\n2027-01-01\n'), { dates: ['2026-12-25', '2027-01-01'], problems: [] });
  const bad = H.parseHolidays('2026-02-30\n25.12.2026\n2028-02-29');
  assert.deepEqual(bad.dates, ['2026-02-30', '25.12.2026', '2028-02-29']);
  assert.deepEqual(
    bad.problems.map((p) => p.field),
    ['holidays[0]', 'holidays[1]'],
  );
  assert.equal(bad.problems[1].message, A.holidayBad('25.12.2026'));
});

test('language tags as typed', () => {
  for (const ok of ['en', 'pt-BR', 'sr-Latn', 'zh-Hant-TW', 'es-419', 'de-CH-1996', 'gsw']) assert.ok(H.looksLikeLanguageTag(ok), ok);
  for (const bad of ['', 'e', 'english', 'pt_BR', 'pt-', 'en BR', '12', 'en-<b>']) assert.ok(!H.looksLikeLanguageTag(bad), bad);
});

// -- queue and settings bodies -------------------------------------------------------------------

const QUEUE = {
  code: 'de',
  name: 'Deutsch',
  hours: { mon: [['09:00', '17:00']] },
  holidays: ['2026-12-25'],
  closed: false,
  closed_message: 'Wir sind morgen wieder da.',
  fallback: 'en',
  resources: [{ title: 'Telefonseelsorge', text: 'Rund um die Uhr', url: 'https://example.org/', phone: null }],
  open_now: true,
};

test('a queue goes through the editor unchanged (without code and open_now)', () => {
  const { body, problems } = queues.modelToQueue(queues.queueToModel(QUEUE));
  assert.deepEqual(problems, []);
  assert.deepEqual(body, {
    name: 'Deutsch',
    hours: { mon: [['09:00', '17:00']], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] },
    holidays: ['2026-12-25'],
    closed: false,
    closed_message: 'Wir sind morgen wieder da.',
    fallback: 'en',
    resources: [{ title: 'Telefonseelsorge', text: 'Rund um die Uhr', url: 'https://example.org/', phone: null }],
  });
});

test('a queue: empty texts are null, blank resources dropped, a resource needs a title', () => {
  const model = queues.queueToModel({ code: 'fr', hours: null });
  model.resources.push({ title: '', text: '', url: '', phone: '' }, { title: '', text: 'x', url: '', phone: '' });
  model.closedMessage = '   ';
  const { body, problems } = queues.modelToQueue(model);
  assert.equal(body.name, null);
  assert.equal(body.closed_message, null);
  assert.equal(body.fallback, null);
  assert.equal(body.hours, null);
  assert.deepEqual(body.resources, [{ title: '', text: 'x', url: null, phone: null }]);
  assert.deepEqual(problems, [{ field: 'resources[0].title', message: A.required }]);
  assert.deepEqual(queues.newQueue(' Português '), { name: 'Português', hours: null, holidays: [], closed: false, closed_message: null, fallback: null, resources: [] });
});

test('service settings: outcomes one per line, transcripts turned on asks first', () => {
  const body = service.settingsBody({ timeZone: ' Europe/Berlin ', quickExit: 'https://example.org/weather ', transcripts: true, feedback: false, outcomes: 'support_given\n\n referred \n' });
  assert.deepEqual(body, { time_zone: 'Europe/Berlin', quick_exit_url: 'https://example.org/weather', transcripts: true, feedback: false, outcomes: ['support_given', 'referred'] });
  assert.equal(service.turnsTranscriptsOn({ transcripts: false }, body), true);
  assert.equal(service.turnsTranscriptsOn({ transcripts: true }, body), false);
  assert.equal(service.turnsTranscriptsOn({ transcripts: false }, { ...body, transcripts: false }), false);
});

// -- field errors ------------------------------------------------------------------------------

test('field paths: the most precise bound path first, the service prefix dropped', () => {
  assert.deepEqual(forms.fieldCandidates('queues.pt-BR.hours.mon[0][1]'), ['hours.mon[0][1]', 'hours.mon[0]', 'hours.mon', 'hours']);
  assert.deepEqual(forms.fieldCandidates('resources[2].url'), ['resources[2].url', 'resources[2]', 'resources']);
  assert.deepEqual(forms.fieldCandidates('capacity'), ['capacity']);
  assert.deepEqual(forms.fieldCandidates(undefined), []);
});

test('messages: the server sentence, without a repeated path', () => {
  assert.equal(forms.cleanMessage('queues.de.hours.mon[0]: the end must be after the start', 'hours.mon[0]'), 'the end must be after the start');
  assert.equal(forms.cleanMessage('The capacity must be between 1 and 3.', 'capacity'), 'The capacity must be between 1 and 3.');
  assert.equal(forms.cleanMessage('Note: this is fine', 'name'), 'Note: this is fine');
  assert.equal(forms.cleanMessage('', 'x'), null);
});

test('problemOf: bad_field with and without a message, codes, network, weak KDF', () => {
  const withMessage = new ApiError(400, 'bad_field', { error: 'bad_field', field: 'capacity', message: 'Capacity is 1 to 3.' });
  assert.deepEqual(forms.problemOf(withMessage), { field: 'capacity', message: 'Capacity is 1 to 3.' });
  const bare = new ApiError(400, 'bad_field', { error: 'bad_field', field: 'username' });
  assert.deepEqual(forms.problemOf(bare, { username: 'Bad name.' }), { field: 'username', message: 'Bad name.' });
  assert.deepEqual(forms.problemOf(new ApiError(400, 'bad_field', { field: 'x' })), { field: 'x', message: A.notAccepted });
  assert.deepEqual(forms.problemOf(new ApiError(409, 'self', { error: 'self' })), { field: null, message: A.selfRefused });
  assert.deepEqual(forms.problemOf(new ApiError(409, 'exists', { error: 'exists' }), { exists: 'Taken.' }), { field: null, message: 'Taken.' });
  assert.deepEqual(forms.problemOf(new ApiError(0, 'network')), { field: null, message: A.network });
  assert.deepEqual(forms.problemOf(new ApiError(403, 'forbidden')), { field: null, message: A.forbidden });
  assert.equal(forms.problemOf(new ApiError(500, 'http_500')).message, A.serverError('500 http_500'));
  assert.equal(forms.problemOf({ code: 'weak_kdf', message: 'x' }).message, A.weakKdf);
  assert.equal(forms.problemOf({ code: 'unsupported' }).message, A.noWebCrypto);
  assert.equal(forms.problemOf(new Error('boom')).message, A.pageError('unexpected'));
});

test('FieldErrors: message next to its field, aria-invalid + aria-describedby, focus on the first, cleared', () => {
  const general = new FakeNode('general');
  const errors = new forms.FieldErrors(general);
  const name = new FakeNode('name');
  name.setAttribute('aria-describedby', 'name-hint');
  const nameError = new FakeNode('name-err');
  const from = new FakeNode('from');
  const to = new FakeNode('to');
  const periodError = new FakeNode('period-err');
  errors.bind('name', name, nameError);
  errors.bind('hours.mon[0]', [from, to], periodError);
  const shown = errors.show([
    { field: 'queues.de.hours.mon[0][1]', message: 'End after start.' },
    { field: 'name', message: 'Too long.' },
    { field: 'nowhere', message: 'Something else.' },
  ]);
  assert.deepEqual(shown, { fields: 2, general: 1 });
  assert.equal(periodError.textContent, 'End after start.');
  assert.equal(periodError.hidden, false);
  assert.equal(from.getAttribute('aria-invalid'), 'true');
  assert.equal(to.getAttribute('aria-describedby'), 'period-err');
  assert.equal(from.focused, true); // the first error in the server's order
  assert.equal(name.focused, false);
  assert.equal(name.getAttribute('aria-describedby'), 'name-err name-hint');
  assert.equal(general.textContent, 'Something else.');
  assert.equal(general.hidden, false);

  errors.clear();
  assert.equal(name.getAttribute('aria-invalid'), null);
  assert.equal(name.getAttribute('aria-describedby'), 'name-hint');
  assert.equal(from.getAttribute('aria-describedby'), null);
  assert.equal(periodError.hidden, true);
  assert.equal(general.hidden, true);
});

test('submitting: busy while working, a second submit ignored, errors shown, state restored', async () => {
  const form = new FakeNode('form');
  const button = new FakeNode('submit');
  form.children = [button];
  const general = new FakeNode('general');
  const errors = new forms.FieldErrors(general);
  const input = new FakeNode('capacity');
  const error = new FakeNode('capacity-err');
  errors.bind('capacity', input, error);
  const status = new FakeNode('status');
  let release;
  let runs = 0;
  const first = forms.submitting(
    form,
    errors,
    () => {
      runs += 1;
      return new Promise((resolve, reject) => (release = () => reject(new ApiError(400, 'bad_field', { field: 'capacity', message: 'Too many.' }))));
    },
    { status },
  );
  assert.equal(button.disabled, true);
  assert.equal(form.getAttribute('aria-busy'), 'true');
  assert.equal(status.textContent, A.saving);
  assert.equal(await forms.submitting(form, errors, async () => (runs += 1)), false);
  release();
  assert.equal(await first, false);
  assert.equal(runs, 1);
  assert.equal(button.disabled, false);
  assert.equal(form.getAttribute('aria-busy'), null);
  assert.equal(status.textContent, '');
  assert.equal(error.textContent, 'Too many.');
  assert.equal(input.focused, true);
  assert.equal(await forms.submitting(form, errors, async () => {}), true);
  assert.equal(error.hidden, true); // cleared by the next submit
});

// -- staff -------------------------------------------------------------------------------------

test('new password and username checks', () => {
  assert.deepEqual(staff.checkNewPassword('short', 'short'), [{ field: 'password', message: A.passwordShort(staff.PASSWORD_MIN) }]);
  assert.deepEqual(staff.checkNewPassword('long enough', 'long enougH'), [{ field: 'password_again', message: A.passwordMismatch }]);
  assert.deepEqual(staff.checkNewPassword('long enough', 'long enough'), []);
  assert.deepEqual(staff.checkUsername('sam'), []);
  assert.equal(staff.checkUsername('').length, 1);
  assert.equal(staff.checkUsername('sam smith').length, 1);
  assert.equal(staff.checkUsername('x'.repeat(65)).length, 1);
  assert.deepEqual(staff.checkCapacity('2', 3), []);
  for (const bad of ['0', '4', '1.5', '', 'two', '-1']) assert.equal(staff.checkCapacity(bad, 3).length, 1, bad);
});

test('a new login secret is what signing in derives from the same password and salt', async () => {
  const salt = new Uint8Array(16).fill(5);
  const made = await staff.newLoginSecret('correct horse battery staple', 1000, () => salt.slice());
  assert.equal(made.iterations, 1000);
  assert.equal(made.salt, b64uEncode(salt));
  assert.equal(b64uDecode(made.secret).length, 32);
  const keys = await derivePasswordKeys('correct horse battery staple', salt, 1000);
  assert.equal(made.secret, b64uEncode(keys.loginSecret));
  const other = await staff.newLoginSecret('correct horse battery staple', 1000);
  assert.notEqual(other.salt, made.salt); // a fresh random salt each time
  assert.notEqual(other.secret, made.secret);
});

// -- audit -------------------------------------------------------------------------------------

test('audit: newest first by pages, older ones before the oldest id shown', () => {
  assert.equal(audit.auditPath(), `/api/admin/audit?limit=${audit.PAGE}`);
  assert.equal(audit.auditPath(812, 20), '/api/admin/audit?limit=20&before=812');
  assert.equal(audit.detailText('capacity 2'), 'capacity 2');
  assert.equal(audit.detailText({ username: 'sam', languages: ['en', 'de'] }), 'username: sam, languages: ["en","de"]');
  assert.equal(audit.detailText(null), '');
  assert.equal(audit.actionText('staff.disable'), 'staff disable');
});

// -- strings -----------------------------------------------------------------------------------

test('queue labels and key states in words', () => {
  assert.equal(queueLabel({ code: 'de', name: 'Deutsch (Test)', display_name: 'Deutsch (Test)' }), 'Deutsch (Test) (de)');
  assert.equal(queueLabel({ code: 'de', name: null, display_name: 'Deutsch' }), 'Deutsch (de)');
  assert.equal(queueLabel({ code: 'pt-br', name: null, display_name: null }), 'pt-br');
  assert.equal(keyStateText(null), A.keyState.none);
  assert.equal(keyStateText({ state: 'pending', not_after: null }), A.keyState.pending);
  assert.equal(keyStateText({ state: 'revoked', not_after: 1_900_000_000 }), A.keyState.revoked);
  assert.match(keyStateText({ state: 'valid', not_after: 1_900_000_000 }), /^Valid until .*2030/);
  assert.match(keyStateText({ state: 'expired', not_after: 1_700_000_000 }), /^Expired on .*2023/);
});
