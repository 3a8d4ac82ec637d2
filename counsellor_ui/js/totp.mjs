// Two-step sign-in settings (TOTP): enrol (the server makes a pending secret and
// serves its QR code as SVG from our own origin), confirm with a code, or turn it off.

import { $ } from './dom.mjs';
import { errorText } from './signin.mjs';
import { S } from './strings.mjs';

export class TotpSettings {
  constructor(api) {
    this.api = api;
    this.on = false;
    $('settings-toggle').addEventListener('click', () => this.toggle());
    $('totp-enrol').addEventListener('click', () => this._enrol());
    $('totp-confirm').addEventListener('click', () => this._confirm());
    $('totp-disable').addEventListener('click', () => this._disable());
    for (const id of ['totp-confirm-code', 'totp-disable-code']) {
      $(id).addEventListener('keydown', (e) => {
        if (e.key === 'Enter') {
          e.preventDefault();
          if (id === 'totp-confirm-code') this._confirm();
          else this._disable();
        }
      });
    }
  }

  toggle(open = $('settings').hidden) {
    $('settings').hidden = !open;
    $('settings-toggle').setAttribute('aria-expanded', String(open));
    if (open) $('settings-title').focus();
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

  async _enrol() {
    try {
      const answer = await this.api.post('/api/totp/enrol', {});
      $('totp-secret').textContent = answer.secret;
      // Served with no-store; the attribute is dropped first so a new enrol loads anew.
      $('totp-qr').removeAttribute('src');
      $('totp-qr').src = '/api/totp/qr';
      $('totp-setup').hidden = false;
      this._say('');
      $('totp-confirm-code').focus();
    } catch (e) {
      this._say(errorText(e));
    }
  }

  async _confirm() {
    const code = $('totp-confirm-code').value.replace(/\s+/g, '');
    try {
      await this.api.post('/api/totp/confirm', { code });
      this.render(true);
      this._say(S.totpNowOn);
    } catch (e) {
      this._say(errorText(e));
    }
  }

  async _disable() {
    const code = $('totp-disable-code').value.replace(/\s+/g, '');
    $('totp-disable-code').value = '';
    try {
      await this.api.post('/api/totp/disable', { code });
      this.render(false);
      this._say(S.totpOff);
    } catch (e) {
      this._say(errorText(e));
    }
  }
}
