// The first-start page (/staff/setup#<token>): creates the first supervisor account.
//
// The server prints the link once, at a start with no accounts; the one-time token is in
// the fragment, which no request line carries, and this page takes it out of the
// address (and so out of the history) as soon as it has read it. GET /api/setup says
// whether setting up is still needed and the PBKDF2 count; the password is turned into
// the login secret here, like every sign-in (crypto/js password.mjs): the salt is
// random, only the secret is sent, with the token, to POST /api/setup, which signs the
// new supervisor in. Then the supervision page opens.

import { CryptoError, checkIterations } from '/static/crypto/hlp1.mjs';
import { Api, ApiError } from './api.mjs';
import { PASSWORD_MAX, PASSWORD_MIN, minimumIterations, newLoginSecret, usernameRefused } from './auth.mjs';
import { $, showError } from './dom.mjs';
import { T } from './supervisor-strings.mjs';

export const SUPERVISION_URL = '/staff/supervisor';

/**
 * What is wrong with the form, as {field, message}, or null. The server checks again;
 * this only saves a slow key derivation for input it would refuse.
 */
export function checkSetupForm(username, password, again) {
  if (usernameRefused(username)) return { field: 'username', message: T.setupUsername };
  if (password.length < PASSWORD_MIN) return { field: 'password', message: T.setupPasswordShort(PASSWORD_MIN) };
  if (password.length > PASSWORD_MAX) return { field: 'password', message: T.setupPasswordLong(PASSWORD_MAX) };
  if (password !== again) return { field: 'password2', message: T.setupPasswordsDiffer };
  return null;
}

/** The token from the address's fragment ("#abc…"), or "" when there is none. */
export function tokenFrom(hash) {
  const token = (hash ?? '').replace(/^#/, '').trim();
  return /^[A-Za-z0-9_-]{8,256}$/.test(token) ? token : '';
}

/** The request body for POST /api/setup (the password is never in it). */
export async function setupBody(token, username, password, iterations, random = undefined) {
  return { token, username, ...(await newLoginSecret(password, iterations, random)) };
}

const FIELDS = { username: 'setup-username', password: 'setup-password', password2: 'setup-password2' };
const api = new Api();
let token = '';
let iterations = null;
let busy = false;

function showView(name) {
  const main = $('main');
  main.dataset.view = name;
  for (const view of main.querySelectorAll('.view')) view.hidden = view.dataset.for !== name;
  main.querySelector(`.view[data-for="${name}"] h1[tabindex]`)?.focus();
}

function message(text, { link = true } = {}) {
  $('message-text').textContent = text;
  $('message-link').hidden = !link;
  showView('message');
}

function fieldError(field, text) {
  for (const [name, id] of Object.entries(FIELDS)) {
    const input = $(id);
    if (name === field) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }
  showError($('setup-error'), text);
  if (field && FIELDS[field]) {
    $(FIELDS[field]).setAttribute('aria-errormessage', 'setup-error');
    $(FIELDS[field]).focus();
  }
}

function errorMessage(error) {
  if (error instanceof CryptoError) return error.code === 'weak_kdf' ? T.weakKdf : T.serverError(error.code);
  if (error instanceof ApiError) {
    if (error.code === 'network') return T.network;
    if (typeof error.body?.message === 'string') return error.body.message;
    return T.serverError(error.code);
  }
  return T.serverError('unexpected');
}

async function submit() {
  if (busy) return;
  const username = $('setup-username').value.trim();
  const password = $('setup-password').value;
  const again = $('setup-password2').value;
  const wrong = checkSetupForm(username, password, again);
  if (wrong) {
    fieldError(wrong.field, wrong.message);
    return;
  }
  fieldError(null, null);
  busy = true;
  const button = $('setup-submit');
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  $('setup-progress').textContent = T.setupWorking;
  try {
    const checked = checkIterations(iterations, await minimumIterations(api));
    const body = await setupBody(token, username, password, checked);
    $('setup-password').value = '';
    $('setup-password2').value = '';
    await api.post('/api/setup', body);
    message(T.setupDone, { link: true });
    location.replace(SUPERVISION_URL);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'bad_token') message(T.setupBadToken, { link: false });
    else if (error instanceof ApiError && error.code === 'already_set_up') message(T.setupAlreadySetUp);
    else fieldError(error instanceof ApiError ? error.body?.field ?? null : null, errorMessage(error));
  } finally {
    busy = false;
    button.disabled = false;
    button.removeAttribute('aria-busy');
    $('setup-progress').textContent = '';
  }
}

async function boot() {
  let info;
  try {
    info = await api.get('/api/setup');
  } catch (error) {
    message(errorMessage(error), { link: false });
    return;
  }
  if (!info || info.needed !== true) {
    message(T.setupNotNeeded);
    return;
  }
  if (!token) {
    message(T.setupNoToken, { link: false });
    return;
  }
  iterations = info.iterations;
  showView('form');
  $('setup-username').focus();
}

if (typeof document !== 'undefined' && document.getElementById('setup-form')) {
  token = tokenFrom(location.hash);
  // Out of the address bar and the history at once (the fragment never reached a server).
  if (location.hash) history.replaceState(null, '', location.pathname);
  // The link pasted into this tab again: no reload happens, only the fragment changes.
  window.addEventListener('hashchange', () => {
    const fresh = tokenFrom(location.hash);
    history.replaceState(null, '', location.pathname);
    if (!fresh || busy) return;
    token = fresh;
    boot();
  });
  $('setup-form').addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  });
  boot();
}
