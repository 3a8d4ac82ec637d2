// Two-step sign-in settings (TOTP): enrol (the server makes a pending secret and
// serves its QR code as SVG from our own origin), confirm with a code, or turn it off.
// Each of the three needs the account's password too (docs/protocol.md §6.5), so a
// session left open cannot move the second factor: it is typed into one field, turned
// into the login secret as the sign-in does (GET /api/salt, checked iteration count,
// PBKDF2), and the derived keys are wiped as soon as the secret is encoded. The field
// is emptied after every use.

import { b64uEncode } from '/static/crypto/hlp1.mjs';
import { ApiError } from './api.mjs';
import { passwordKeys, wipeKeys } from './auth.mjs';
import { $ } from './dom.mjs';
import { errorText } from './signin.mjs';
import { S } from './strings.mjs';

const T = {
  passwordNeeded: 'Type your password first: changing two-step sign-in needs it.',
  wrongPassword: 'Wrong password. Two-step sign-in was not changed.',
  codeNeeded: 'Type the six-digit code shown by your authenticator app.',
  working: 'Checking your password…',
};

export class TotpSettings {
  constructor(api) {
    this.api = api;
    this.on = false;
    this._busy = false;
    $('settings-toggle').addEventListener('click', () => this.toggle());
    $('totp-enrol').addEventListener('click', () => this._enrol());
    $('totp-confirm').addEventListener('click', () => this._confirm());
    $('totp-disable').addEventListener('click', () => this._disable());
    const onEnter = (id, action) => {
      $(id).addEventListener('keydown', (e) => {
        if (e.key === 'Enter') {
          e.preventDefault();
          action();
        }
      });
    };
    onEnter('totp-confirm-code', () => this._confirm());
    onEnter('totp-disable-code', () => this._disable());
    // Enter in the password field does what the visible button does.
    onEnter('totp-password', () => {
      if (this.on) this._disable();
      else if (!$('totp-setup').hidden) this._confirm();
      else this._enrol();
    });
  }

  toggle(open = $('settings').hidden) {
    $('settings').hidden = !open;
    $('settings-toggle').setAttribute('aria-expanded', String(open));
    if (open) $('settings-title').focus();
    else $('totp-password').value = '';
  }

  /** The account's state from GET /api/me. */
  render(on) {
    this.on = Boolean(on);
    const state = $('totp-state');
    state.dataset.totp = String(this.on);
    state.textContent = this.on ? S.totpOn : S.totpOff;
    $('totp-enrol').hidden = this.on;
    $('totp-disable-box').hidden = !this.on;
    if (this.on) this._clearSetup();
  }

  _say(text) {
    $('totp-message').textContent = text;
  }

  _clearSetup() {
    $('totp-setup').hidden = true;
    $('totp-secret').textContent = '';
    $('totp-qr').removeAttribute('src');
    $('totp-confirm-code').value = '';
  }

  /**
   * The current login secret (b64u) from the password field, which is emptied; null
   * (and a message) when the field is empty. Throws what passwordKeys throws.
   */
  async _loginSecret() {
    const field = $('totp-password');
    const password = field.value;
    field.value = '';
    if (!password) {
      this._say(T.passwordNeeded);
      field.focus();
      return null;
    }
    this._say(T.working);
    const me = await this.api.get('/api/me');
    const keys = await passwordKeys(this.api, me.username, password);
    try {
      return b64uEncode(keys.loginSecret);
    } finally {
      wipeKeys(keys); // the wrapping key is never needed here
    }
  }

  /** Runs one change with the password; false when it did not happen. */
  async _withPassword(change) {
    if (this._busy) return false;
    this._busy = true;
    try {
      const secret = await this._loginSecret();
      if (secret === null) return false;
      await change(secret);
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.code === 'bad_credentials') {
        this._say(T.wrongPassword);
        $('totp-password').focus();
      } else {
        this._say(errorText(e));
      }
      return false;
    } finally {
      this._busy = false;
    }
  }

  _code(id) {
    const code = $(id).value.replace(/\s+/g, '');
    if (!/^[0-9]{6}$/.test(code)) {
      this._say(T.codeNeeded);
      $(id).focus();
      return null;
    }
    return code;
  }

  async _enrol() {
    await this._withPassword(async (secret) => {
      const answer = await this.api.post('/api/totp/enrol', { secret });
      $('totp-secret').textContent = answer.secret;
      // Served with no-store; the attribute is dropped first so a new enrol loads anew.
      $('totp-qr').removeAttribute('src');
      $('totp-qr').src = '/api/totp/qr';
      $('totp-setup').hidden = false;
      this._say('');
      $('totp-confirm-code').focus();
    });
  }

  async _confirm() {
    const code = this._code('totp-confirm-code');
    if (code === null) return;
    const done = await this._withPassword(async (secret) => {
      await this.api.post('/api/totp/confirm', { secret, code });
    });
    if (done) {
      this.render(true);
      this._say(S.totpNowOn);
    }
  }

  async _disable() {
    const code = this._code('totp-disable-code');
    if (code === null) return;
    $('totp-disable-code').value = '';
    const done = await this._withPassword(async (secret) => {
      await this.api.post('/api/totp/disable', { secret, code });
    });
    if (done) {
      this.render(false);
      this._say(S.totpOff);
    }
  }
}
