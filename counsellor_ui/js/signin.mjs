// The views before the workspace: sign-in, the TOTP code, unlock (after a reload the
// session cookie is still good but the key is gone from memory) and signed out.
// Passwords are read once, cleared from the field, and never kept.

import { CryptoError } from '/static/crypto/hlp1.mjs';
import { ApiError } from './api.mjs';
import { login, openIdentity, passwordKeys, wipeKeys } from './auth.mjs';
import { $, showError } from './dom.mjs';
import { S } from './strings.mjs';

/** Shows one view of main[data-view]; the header bar only with the workspace. */
export function showView(name, { focus = true } = {}) {
  const main = $('main');
  main.dataset.view = name;
  for (const view of main.querySelectorAll('.view')) view.hidden = view.dataset.for !== name;
  $('bar').hidden = name !== 'workspace';
  if (focus) {
    const heading = main.querySelector(`.view[data-for="${name}"] h1[tabindex]`);
    if (heading) heading.focus();
  }
}

/** A sentence for what went wrong while signing in or unlocking. */
export function errorText(error, { unlocking = false } = {}) {
  if (error instanceof CryptoError) {
    if (error.code === 'weak_kdf') return S.weakKdf;
    if (error.code === 'bad_mac') return S.unlockWrong;
    return S.serverError(error.code);
  }
  if (error instanceof ApiError) {
    if (error.code === 'network') return S.network;
    if (error.code === 'bad_credentials') return unlocking ? S.unlockWrong : S.signinFailed;
    if (error.code === 'bad_code') return S.badCode;
    if (error.code === 'rate_limited') return S.rateLimited(error.body.retry_after_s ?? 60);
    return S.serverError(error.code);
  }
  if (error instanceof Error && error.message === 'key_mismatch') return S.keyMismatch;
  return S.serverError('unexpected');
}

export class SignIn {
  /**
   * @param {{api: import('./api.mjs').Api, onReady: (me: object, identity: object) => void,
   *          onSignOut: () => void}} options
   */
  constructor({ api, onReady, onSignOut }) {
    this.api = api;
    this.onReady = onReady;
    this.onSignOut = onSignOut;
    this._pending = null; // {username, keys} while the TOTP code is asked
    this._me = null;
    this._busy = false;
    $('signin-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this._signIn();
    });
    $('totp-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this._totp();
    });
    $('totp-cancel').addEventListener('click', () => {
      this._dropPending();
      this.showSignin();
    });
    $('unlock-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this._unlock();
    });
    $('unlock-signout').addEventListener('click', () => this.onSignOut());
    $('signin-again').addEventListener('click', () => this.showSignin());
  }

  showSignin(message = null) {
    this._dropPending();
    const note = $('signin-message');
    note.textContent = message ?? '';
    note.hidden = !message;
    showError($('signin-error'), null);
    showView('signin');
    $(($('username').value ? 'password' : 'username')).focus();
  }

  showUnlock(me) {
    this._me = me;
    $('unlock-username').textContent = me.username;
    showError($('unlock-error'), null);
    showView('unlock');
    $('unlock-password').focus();
  }

  showSignedOut(message = S.signedOut) {
    this._dropPending();
    $('signedout-message').textContent = message;
    showView('signedout');
  }

  async _signIn() {
    if (this._busy) return;
    const username = $('username').value.trim();
    const password = $('password').value;
    $('password').value = '';
    if (!username || !password) {
      showError($('signin-error'), S.signinFailed);
      return;
    }
    await this._run('signin', async () => {
      const keys = await passwordKeys(this.api, username, password);
      await this._login(username, keys);
    });
  }

  async _totp() {
    if (this._busy || this._pending === null) return;
    const code = $('totp-code').value.replace(/\s+/g, '');
    $('totp-code').value = '';
    if (!/^[0-9]{6}$/.test(code)) {
      showError($('totp-error'), S.badCode);
      return;
    }
    const { username, keys } = this._pending;
    await this._run('totp', async () => {
      const me = await login(this.api, username, keys, code);
      this._pending = null;
      await this._finish(me, keys);
    });
  }

  async _unlock() {
    if (this._busy || this._me === null) return;
    const password = $('unlock-password').value;
    $('unlock-password').value = '';
    if (!password) return;
    await this._run('unlock', async () => {
      const keys = await passwordKeys(this.api, this._me.username, password);
      const info = await this.api.get('/api/identity');
      // Without a stored key nothing checks the password here: signing in again does.
      if (info.state === 'none' || !info.wrapped_seed) await this._login(this._me.username, keys);
      else await this._finish(await this.api.get('/api/me'), keys);
    });
  }

  async _login(username, keys) {
    try {
      const me = await login(this.api, username, keys);
      await this._finish(me, keys);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'totp_required') {
        this._pending = { username, keys };
        showError($('totp-error'), null);
        showView('totp');
        $('totp-code').focus();
        return;
      }
      wipeKeys(keys);
      throw error;
    }
  }

  async _finish(me, keys) {
    let identity;
    try {
      identity = await openIdentity(this.api, keys.wrappingKey);
    } finally {
      wipeKeys(keys); // the wrapping key's work is done
    }
    this.onReady(me, identity);
  }

  /** Runs a step with its button disabled; errors are shown under its form. */
  async _run(step, fn) {
    const button = $(`${step}-submit`);
    const error = $(`${step}-error`);
    this._busy = true;
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    showError(error, null);
    try {
      await fn();
    } catch (e) {
      if (step === 'totp' && !(e instanceof ApiError && e.code === 'bad_code')) {
        this._dropPending();
        this.showSignin(errorText(e));
      } else {
        showError(error, errorText(e, { unlocking: step === 'unlock' }));
      }
    } finally {
      this._busy = false;
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  }

  _dropPending() {
    if (this._pending) wipeKeys(this._pending.keys);
    this._pending = null;
  }
}
