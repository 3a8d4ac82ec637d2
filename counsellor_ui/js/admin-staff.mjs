// The Staff panel: every account with its identity key (fingerprint, state, "valid
// until"), two-step sign-in and presence; add an account; edit its role, languages and
// capacity; take it off duty at once (or put it back); reset its password.
//
// Passwords never leave this page: like signing in (auth.mjs), the page derives the
// login secret from the password with a fresh random salt and the server's PBKDF2
// count, sends only {salt, secret, iterations}, and wipes the derived keys.
// Endpoints (docs/protocol.md §6.7): GET/POST /api/admin/staff, POST
// /api/admin/staff/{id}, POST /api/admin/staff/{id}/password.

import { checkIterations } from '/static/crypto/hlp1.mjs';
import { PASSWORD_MIN, USERNAME_MAX, minimumIterations, newLoginSecret, usernameRefused } from './auth.mjs';
import { el } from './dom.mjs';
import { A, keyStateText, queueLabel } from './admin-strings.mjs';
import {
  actions,
  adminForm,
  cancelButton,
  checkboxGroup,
  confirmDialog,
  dataTable,
  field,
  formDialog,
  onShown,
  panelHeader,
  problemOf,
  row,
  submitting,
  uid,
} from './admin-forms.mjs';

export { PASSWORD_MIN, newLoginSecret };

/** Problems with a new password typed twice, as [{field, message}]. */
export function checkNewPassword(password, again) {
  if (password.length < PASSWORD_MIN) return [{ field: 'password', message: A.passwordShort(PASSWORD_MIN) }];
  if (password !== again) return [{ field: 'password_again', message: A.passwordMismatch }];
  return [];
}

/** Problems with a username before it is sent (the server checks again). */
export function checkUsername(username) {
  return usernameRefused(username) ? [{ field: 'username', message: A.usernameBad }] : [];
}

/** Field messages for answers without one. */
const FALLBACKS = {
  username: A.usernameBad,
  secret: A.notAccepted,
  exists: A.usernameTaken,
  username_taken: A.usernameTaken,
  self: A.selfRefused,
};

class StaffPanel {
  constructor(panel, ctx) {
    this.panel = panel;
    this.ctx = ctx;
    this.accounts = [];
    this.languages = []; // [{value, label}] of the service's queues
    this.maxCapacity = 3;
    this.iterations = null;
    panel.classList.add('admin-panel');
    const refresh = el('button', { type: 'button', class: 'refresh', text: A.refresh });
    refresh.addEventListener('click', () => this.load());
    this.status = panelHeader(panel, A.staffHeading, refresh).status;
    this.table = dataTable('staff-table', A.staffCaption, [
      A.colUsername,
      A.colRole,
      A.colLanguages,
      A.colCapacity,
      A.colDuty,
      A.colPresence,
      A.colKey,
      A.colTotp,
      A.colActions,
    ]);
    this.addSection = el('section', { class: 'block add-account' });
    panel.append(this.table.wrap, this.addSection);
    onShown(panel, () => this.load()); // presence and keys change while away
  }

  get myName() {
    return this.ctx.me ? this.ctx.me.username : null;
  }

  async load() {
    this.status.textContent = A.loading;
    try {
      const [listing, settings, service] = await Promise.all([
        this.ctx.api.get('/api/admin/staff'),
        this.ctx.api.get('/api/staff/settings').catch(() => null),
        this.ctx.api.get('/api/admin/service').catch(() => null),
      ]);
      this.accounts = listing.accounts ?? [];
      if (Number.isInteger(listing.iterations)) this.iterations = listing.iterations;
      if (settings && Number.isInteger(settings.max_capacity)) this.maxCapacity = settings.max_capacity;
      const queues = service && Array.isArray(service.queues) ? service.queues : (settings?.languages ?? []);
      this.languages = queues.map((q) => ({ value: q.code, label: queueLabel(q) }));
      this.status.textContent = '';
    } catch (error) {
      this.status.textContent = `${A.loadFailed(A.staffCaption)} ${problemOf(error).message}`;
      return;
    }
    this.render();
    // The add form again when a queue was added meanwhile (unless something is typed).
    const key = JSON.stringify([this.languages, this.maxCapacity]);
    const typed = [...this.addSection.querySelectorAll('input[type="text"], input[type="password"]')].some((i) => i.value);
    if (!this.addSection.firstChild || (key !== this.addKey && !typed)) this.renderAdd();
    this.addKey = key;
  }

  render() {
    const rows = this.accounts.map((account) => this.row(account));
    if (!rows.length) rows.push(el('tr', {}, el('td', { colspan: '9', text: A.noAccounts })));
    this.table.tbody.replaceChildren(...rows);
  }

  row(account) {
    const self = account.username === this.myName;
    const key = account.key;
    const keyCell = el(
      'td',
      { class: 'key-cell' },
      el('span', { class: 'key-state', data: { state: key ? key.state : 'none' }, text: keyStateText(key) }),
    );
    if (key && key.fingerprint) keyCell.append(el('br'), el('code', { class: 'fingerprint', text: key.fingerprint }));
    const buttons = el('div', { class: 'toolbar row-actions' });
    // Each button names its account for a screen reader going from button to button
    // (aria-label: a visually hidden span inside a scrolling table widens the page).
    const edit = el('button', { type: 'button', class: 'edit', 'aria-label': A.rowButton(A.edit, account.username), text: A.edit });
    edit.addEventListener('click', () => this.editDialog(account));
    const reset = el('button', { type: 'button', class: 'reset-password', 'aria-label': A.rowButton(A.resetPassword, account.username), text: A.resetPassword });
    reset.addEventListener('click', () => this.passwordDialog(account));
    buttons.append(edit, reset);
    if (!self) {
      const duty = account.disabled
        ? el('button', { type: 'button', class: 'enable', 'aria-label': A.rowButton(A.putBack, account.username), text: A.putBack })
        : el('button', { type: 'button', class: 'disable danger', 'aria-label': A.rowButton(A.takeOff, account.username), text: A.takeOff });
      duty.addEventListener('click', () => (account.disabled ? this.enable(account) : this.disable(account)));
      buttons.append(duty);
    }
    const name = el('th', { scope: 'row' }, account.username);
    if (self) name.append(' ', el('span', { class: 'note', text: A.you }));
    return el(
      'tr',
      { data: { username: account.username, disabled: String(Boolean(account.disabled)) } },
      name,
      el('td', { text: A.roles[account.role] ?? account.role }),
      el('td', { text: account.languages && account.languages.length ? account.languages.join(', ') : A.noLanguages }),
      el('td', { class: 'number', text: String(account.capacity) }),
      el('td', { class: 'duty', text: account.disabled ? A.offDuty : A.onDuty }),
      el('td', { class: 'presence', text: A.presence[account.presence] ?? account.presence ?? '' }),
      keyCell,
      el('td', { text: account.totp ? A.totpOn : A.totpOff }),
      el('td', {}, buttons),
    );
  }

  replace(account) {
    const at = this.accounts.findIndex((a) => a.id === account.id);
    if (at === -1) this.accounts.push(account);
    else this.accounts[at] = account;
    this.render();
  }

  focusRowButton(account, selector) {
    const row = [...this.table.tbody.rows].find((r) => r.dataset.username === account.username);
    const button = row ? row.querySelector(selector) : null;
    if (button) button.focus();
  }

  async iterationCount() {
    if (this.iterations === null) {
      const info = await this.ctx.api.get('/api/identity');
      this.iterations = info.kdf_iterations;
    }
    return checkIterations(this.iterations, await minimumIterations(this.ctx.api));
  }

  // -- add ------------------------------------------------------------------------------

  renderAdd() {
    const { form, errors, status } = adminForm('add-account-form', () => submit());
    const heading = el('h3', { text: A.addHeading, id: `${this.table.caption.id}-add` });
    form.setAttribute('aria-labelledby', heading.id);
    const username = el('input', { type: 'text', name: 'username', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', maxlength: String(USERNAME_MAX) });
    const role = el('select', { name: 'role' }, ...Object.entries(A.roles).map(([value, label]) => el('option', { value, text: label })));
    const langs = checkboxGroup(errors, 'languages', A.languages, this.languages, [], { hint: A.languagesHint });
    const capacity = el('input', { type: 'number', name: 'capacity', min: '1', max: String(this.maxCapacity), step: '1', value: '1', inputmode: 'numeric' });
    const password = el('input', { type: 'password', name: 'password', autocomplete: 'new-password' });
    const again = el('input', { type: 'password', name: 'password_again', autocomplete: 'new-password' });
    const passwordHint = el('p', { class: 'hint', id: uid('hint'), text: A.passwordHint(PASSWORD_MIN) });
    password.setAttribute('aria-describedby', passwordHint.id);
    form.append(
      row(
        field(errors, 'username', A.username, username, { hint: A.usernameHint }),
        field(errors, 'role', A.role, role),
        field(errors, 'capacity', A.capacity, capacity, { hint: A.capacityHint(this.maxCapacity) }),
      ),
      langs.node,
      passwordHint,
      row(field(errors, 'password', A.password, password), field(errors, 'password_again', A.passwordAgain, again)),
      actions(el('button', { type: 'submit', class: 'primary', text: A.addSubmit })),
      status,
    );
    for (const path of ['secret', 'salt', 'iterations']) errors.bind(path, password, errors.bindings.get('password').node);
    const submit = async () => {
      const name = username.value.trim();
      const local = [...checkUsername(name), ...checkCapacity(capacity.value, this.maxCapacity), ...checkNewPassword(password.value, again.value)];
      if (local.length) {
        errors.show(local);
        return;
      }
      let created = null;
      const ok = await submitting(
        form,
        errors,
        async () => {
          const iterations = await this.iterationCount();
          status.textContent = A.deriving;
          const secret = await newLoginSecret(password.value, iterations);
          status.textContent = A.saving;
          created = await this.ctx.api.post('/api/admin/staff', {
            username: name,
            role: role.value,
            languages: langs.values(),
            capacity: Number(capacity.value),
            ...secret,
          });
        },
        { status, fallbacks: FALLBACKS },
      );
      if (!ok) return;
      password.value = '';
      again.value = '';
      username.value = '';
      this.replace(created);
      status.textContent = A.created(created.username);
    };
    this.addSection.replaceChildren(heading, form);
  }

  // -- edit --------------------------------------------------------------------------------

  editDialog(account) {
    formDialog({
      host: this.panel,
      title: A.editTitle(account.username),
      className: 'edit-account-dialog',
      build: (dialogApi) => {
        const { form, errors, status } = adminForm('edit-account-form', () => save());
        const role = el('select', { name: 'role' }, ...Object.entries(A.roles).map(([value, label]) => el('option', { value, text: label, selected: value === account.role })));
        const langs = checkboxGroup(errors, 'languages', A.languages, this.languages, account.languages ?? [], { hint: A.languagesHint });
        const capacity = el('input', { type: 'number', name: 'capacity', min: '1', max: String(this.maxCapacity), step: '1', value: String(account.capacity), inputmode: 'numeric' });
        form.append(
          el('p', { class: 'note', text: A.editNote }),
          row(field(errors, 'role', A.role, role), field(errors, 'capacity', A.capacity, capacity, { hint: A.capacityHint(this.maxCapacity) })),
          langs.node,
          actions(el('button', { type: 'submit', class: 'primary', text: A.save }), cancelButton(dialogApi)),
          status,
        );
        const save = async () => {
          const local = checkCapacity(capacity.value, this.maxCapacity);
          if (local.length) {
            errors.show(local);
            return;
          }
          let saved = null;
          const body = { role: role.value, languages: langs.values(), capacity: Number(capacity.value) };
          const ok = await submitting(form, errors, async () => {
            saved = await this.ctx.api.post(`/api/admin/staff/${account.id}`, body);
          }, { status, fallbacks: FALLBACKS });
          if (!ok) return;
          dialogApi.close();
          this.replace(saved);
          this.focusRowButton(saved, 'button.edit');
          this.ctx.announce(A.accountSaved(saved.username));
        };
        return form;
      },
    });
  }

  // -- password ------------------------------------------------------------------------------

  passwordDialog(account) {
    formDialog({
      host: this.panel,
      title: A.resetTitle(account.username),
      className: 'password-dialog',
      build: (dialogApi) => {
        const { form, errors, status } = adminForm('password-form', () => save());
        const password = el('input', { type: 'password', name: 'password', autocomplete: 'new-password' });
        const again = el('input', { type: 'password', name: 'password_again', autocomplete: 'new-password' });
        form.append(
          el('p', { class: 'note', text: A.resetNote }),
          ...(account.username === this.myName ? [el('p', { class: 'warning', text: A.resetSelfNote })] : []),
          field(errors, 'password', A.newPassword, password, { hint: A.passwordHint(PASSWORD_MIN) }),
          field(errors, 'password_again', A.passwordAgain, again),
          actions(el('button', { type: 'submit', class: 'danger', text: A.resetConfirm }), cancelButton(dialogApi)),
          status,
        );
        for (const path of ['secret', 'salt', 'iterations']) errors.bind(path, password, errors.bindings.get('password').node);
        const save = async () => {
          const local = checkNewPassword(password.value, again.value);
          if (local.length) {
            errors.show(local);
            return;
          }
          const ok = await submitting(form, errors, async () => {
            const iterations = await this.iterationCount();
            status.textContent = A.deriving;
            const secret = await newLoginSecret(password.value, iterations);
            status.textContent = A.saving;
            await this.ctx.api.post(`/api/admin/staff/${account.id}/password`, secret);
          }, { status, fallbacks: FALLBACKS });
          if (!ok) return; // the passwords stay for another try
          password.value = '';
          again.value = '';
          dialogApi.close();
          await this.load();
          this.status.textContent = A.resetDone(account.username);
          this.focusRowButton(account, 'button.reset-password');
        };
        return form;
      },
    });
  }

  // -- duty -----------------------------------------------------------------------------------

  async disable(account) {
    const sure = await confirmDialog({
      host: this.panel,
      title: A.takeOffTitle(account.username),
      paragraphs: [A.takeOffNote, [A.revokeBefore, el('code', { text: A.revokeCommand(account.username) }), A.revokeAfter]],
      confirm: A.takeOff,
      danger: true,
      className: 'off-duty-dialog',
    });
    if (sure) await this.setDisabled(account, true);
  }

  async enable(account) {
    await this.setDisabled(account, false);
  }

  async setDisabled(account, disabled) {
    this.status.textContent = A.saving;
    try {
      const saved = await this.ctx.api.post(`/api/admin/staff/${account.id}`, { disabled });
      this.replace(saved);
      const text = disabled ? A.takenOff(saved.username) : A.putBackDone(saved.username);
      this.status.textContent = text;
      this.focusRowButton(saved, disabled ? 'button.enable' : 'button.disable');
    } catch (error) {
      this.status.textContent = problemOf(error, FALLBACKS).message;
    }
  }
}

/** The capacity field: a whole number from 1 to max. */
export function checkCapacity(value, max) {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(String(value)) || !Number.isInteger(n) || n < 1 || n > max) return [{ field: 'capacity', message: A.capacityBad(max) }];
  return [];
}

/** Fills the Staff panel (called once, when its tab is first shown). */
export async function mountStaff(panel, ctx) {
  const view = new StaffPanel(panel, ctx);
  await view.load();
  return view;
}
