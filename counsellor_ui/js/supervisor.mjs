// The supervisors' page (/staff/supervisor): the entry module. Signs in (its own form:
// a supervisor needs no identity key here, so the password only derives the login
// secret), then shows the tabs: Dashboard (dashboard.mjs, live), History (history.mjs)
// and the administration panels (admin-*.mjs), each mounted once, when its tab is
// first shown, with ctx = {api, me, announce}.
//
// - Load: GET /api/me. Not signed in → sign-in; a counsellor → "supervisors only".
// - The dashboard's stream runs while signed in (help requests are announced on every
//   tab); it reports a session that ended, and the page goes back to signing in.
// - Sign out (or the session ended): the stream stops and every panel is emptied, so
//   nothing of the shift stays on screen; signing in again mounts them afresh.

import { Api, ApiError } from './api.mjs';
import { mountAudit } from './admin-audit.mjs';
import { mountQueues } from './admin-queues.mjs';
import { mountService } from './admin-service.mjs';
import { mountStaff } from './admin-staff.mjs';
import { login, passwordKeys, wipeKeys } from './auth.mjs';
import { DashboardView } from './dashboard.mjs';
import { $, announce, showError } from './dom.mjs';
import { HistoryView } from './history.mjs';
import { errorText } from './signin.mjs';
import { T } from './supervisor-strings.mjs';
import { Tabs } from './tabs.mjs';

const api = new Api();
const state = { me: null, pending: null, busy: false };

const MOUNTS = { staff: mountStaff, queues: mountQueues, service: mountService, audit: mountAudit };
const mounted = new Set();

const dashboard = new DashboardView({ api, onEnded: () => ended() });
const historyView = new HistoryView({ api });

const tabs = new Tabs($('tabs'), {
  onShow: (name, label) => {
    document.title = `${label} — ${T.title}`;
    if (name === 'history') historyView.show();
    const mount = MOUNTS[name];
    if (mount && !mounted.has(name) && state.me) {
      mounted.add(name);
      const failed = (error) => {
        mounted.delete(name); // shown again, the tab tries again
        announce(T.serverError(error instanceof ApiError ? error.code : 'unexpected'), true);
      };
      try {
        Promise.resolve(mount($(`panel-${name}`), { api, me: state.me, announce })).catch(failed);
      } catch (error) {
        failed(error);
      }
    }
  },
});

/** Shows one view of main[data-view]; the bar only with the tabs. */
function showView(name, { focus = true } = {}) {
  const main = $('main');
  main.dataset.view = name;
  for (const view of main.querySelectorAll('.view')) view.hidden = view.dataset.for !== name;
  $('bar').hidden = name !== 'app';
  if (focus) main.querySelector(`.view[data-for="${name}"] h1[tabindex]`)?.focus();
}

function showSignin(message = null) {
  dropPending();
  const note = $('signin-message');
  note.textContent = message ?? '';
  note.hidden = !message;
  showError($('signin-error'), null);
  $('code-field').hidden = true;
  $('signin-cancel').hidden = true;
  $('password-field').hidden = false;
  $('username').disabled = false;
  showView('signin', { focus: false });
  $($('username').value ? 'password' : 'username').focus();
}

function enter(me) {
  state.me = me;
  if (me.role !== 'supervisor') {
    $('forbidden-user').textContent = me.username;
    showView('forbidden');
    return;
  }
  $('me').textContent = me.username;
  showView('app', { focus: false });
  dashboard.start();
  historyView.languages(me);
  tabs.select(tabs.fromHash(location.hash) ?? 'dashboard', { focus: false });
  $('page-title').focus();
}

function dropPending() {
  if (state.pending) wipeKeys(state.pending.keys);
  state.pending = null;
}

async function signIn() {
  if (state.busy) return;
  const button = $('signin-submit');
  const error = $('signin-error');
  let username = $('username').value.trim();
  const password = $('password').value;
  const code = $('code').value.replace(/\s+/g, '');
  $('password').value = '';
  $('code').value = '';
  if (state.pending ? !/^[0-9]{6}$/.test(code) : !username || !password) {
    showError(error, state.pending ? errorText(new ApiError(401, 'bad_code')) : T.signinFailed);
    return;
  }
  state.busy = true;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  showError(error, null);
  let keys = null;
  try {
    if (state.pending) {
      ({ username, keys } = state.pending);
      const me = await login(api, username, keys, code);
      dropPending();
      enter(me);
      return;
    }
    keys = await passwordKeys(api, username, password);
    try {
      const me = await login(api, username, keys);
      wipeKeys(keys);
      enter(me);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'totp_required') {
        state.pending = { username, keys };
        $('password-field').hidden = true;
        $('username').disabled = true;
        $('code-field').hidden = false;
        $('signin-cancel').hidden = false;
        showError(error, null);
        announce(T.needCode);
        $('code').focus();
        return;
      }
      wipeKeys(keys);
      throw e;
    }
  } catch (e) {
    if (state.pending && !(e instanceof ApiError && e.code === 'bad_code')) {
      showSignin(errorText(e));
      return;
    }
    showError(error, errorText(e));
    (state.pending ? $('code') : $('password')).focus();
  } finally {
    state.busy = false;
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

/** Everything of the signed-in supervisor goes: stream, panels, figures. */
function teardown() {
  dashboard.stop();
  dashboard.clear();
  historyView.clear();
  tabs.current = null;
  // A fresh, empty element for each mounted panel: whatever its module attached to the
  // old one (listeners, observers) goes with it.
  for (const name of mounted) {
    const old = $(`panel-${name}`);
    old.replaceWith(old.cloneNode(false));
  }
  mounted.clear();
  state.me = null;
  api.forget();
}

async function signOut() {
  try {
    await api.post('/api/logout', {});
  } catch {
    // signed out here all the same
  }
  teardown();
  showSignin(T.signedOut);
}

function ended() {
  teardown();
  showSignin(T.sessionEnded);
}

$('signin-form').addEventListener('submit', (e) => {
  e.preventDefault();
  signIn();
});
$('signin-cancel').addEventListener('click', () => showSignin());
$('signout').addEventListener('click', () => signOut());
$('forbidden-signout').addEventListener('click', () => signOut());
window.addEventListener('hashchange', () => {
  const name = tabs.fromHash(location.hash);
  if (name && state.me?.role === 'supervisor') tabs.select(name);
});

async function boot() {
  try {
    enter(await api.get('/api/me'));
  } catch (error) {
    showSignin(error instanceof ApiError && error.code === 'network' ? T.network : null);
  }
}

boot();
