// The counsellor's workspace: the entry module. Wires the sign-in views, the
// workspace state (workspace.mjs), the WebSocket (link.mjs) and the views (header,
// panels), and owns the page's life cycle:
//
// - Load: GET /api/me. Signed in → "unlock" (the key is in memory only); else sign-in.
// - Ready (signed in or unlocked, seed in memory): settings and canned responses are
//   fetched, a reload blob (reload.mjs) restores the chats, then the socket connects.
// - pagehide with open chats: the sealed reload blob is written (nothing else), under a
//   key from the identity seed and the session's reload_key (GET /api/me).
// - pageshow after start (a page back from the back-forward cache): the blob is
//   removed: the page goes on sending, so the blob would be out of date.
// - Sign out, close 4001 (session ended) and 4010 (replaced): every chat, key and
//   offer is wiped; the tab keeps nothing.

import { CryptoError } from '/static/crypto/hlp1.mjs';
import { Api, ApiError } from './api.mjs';
import { refreshIdentity, wipeIdentity } from './auth.mjs';
import { $, announce } from './dom.mjs';
import { HeaderView } from './header.mjs';
import { CLOSE_REPLACED, CLOSE_SESSION_ENDED, StaffLink } from './link.mjs';
import { ChatPanels } from './panels.mjs';
import { clearAll, dropBlob, readHandled, saveBlob, sessionReloadKey, takeBlob, writeHandled } from './reload.mjs';
import { SignIn, showView } from './signin.mjs';
import { Chime } from './sound.mjs';
import { S, colleagueWhy } from './strings.mjs';
import { TotpSettings } from './totp.mjs';
import { ColleagueKeyError, Workspace, trustFromCrypto, vetColleagues } from './workspace.mjs';

const IDENTITY_POLL_MS = 30_000;

const api = new Api();
const chime = new Chime();
const app = {
  me: null,
  identity: null,
  reloadKey: null, // the session's reload_key (bytes): with the seed, seals the reload blob
  ws: null,
  link: null,
  settings: null,
  canned: [],
  colleagues: new Map(),
  languages: new Map(),
  ticker: null,
  poller: null,
};

const languageName = (code) => app.languages.get(code) || code;

const header = new HeaderView({
  languageName,
  actions: {
    setStatus: (s) => app.ws?.setStatus(s),
    accept: (chatId) => app.ws?.accept(chatId),
    decline: (chatId) => app.ws?.decline(chatId),
    ready: () => app.ws?.setStatus({ status: 'available' }),
    help: (on) => app.ws?.askHelp(on),
    sound: () => {
      chime.set(!chime.enabled);
      header.sound(chime.enabled);
    },
    signOut: () => signOut(),
    title: () => updateTitle(),
  },
});

const panels = new ChatPanels({
  languageName,
  canned: (language) => app.canned.filter((r) => r.language === language),
  outcomes: () => app.settings?.outcomes ?? [],
  connected: () => Boolean(app.ws && app.ws.up),
  onRead: () => updateTitle(),
  transferTargets: async () => {
    // The colleagues' keys and certificates come from the server: checked against the
    // organisation key and a current revocation list before anything is signed.
    const [colleagues, info] = await Promise.all([api.get('/api/staff/colleagues'), api.get('/api/crypto')]);
    const now = Math.floor(Date.now() / 1000);
    let trust = null;
    let trustError = null;
    try {
      trust = trustFromCrypto(info, now);
    } catch (error) {
      if (!(error instanceof CryptoError)) throw error;
      trustError = error;
    }
    if (app.ws) app.ws.trust = trust;
    app.colleagues = new Map((Array.isArray(colleagues) ? colleagues : []).map((c) => [c.username, c]));
    return { colleagues: vetColleagues(colleagues, trust, now, trustError), languages: app.settings?.languages ?? [] };
  },
  actions: {
    sendText: (chatId, text) => app.ws.sendText(chatId, text),
    typing: (chatId, on) => app.ws?.sendTyping(chatId, on),
    end: (chatId, outcome) => app.ws?.end(chatId, outcome),
    requeue: (chatId) => app.ws?.requeue(chatId),
    block: (chatId) => app.ws?.block(chatId),
    close: (chatId) => app.ws?.close(chatId),
    transfer: (chatId, target) => transfer(chatId, target),
  },
});

const totp = new TotpSettings(api);
const signin = new SignIn({ api, onReady: (me, identity) => start(me, identity), onSignOut: () => signOut() });

function transfer(chatId, target) {
  const ws = app.ws;
  if (!ws) return;
  try {
    if (target.startsWith('lang:')) {
      ws.transferToLanguage(chatId, target.slice(5));
      return;
    }
    const c = app.colleagues.get(target.slice(5));
    if (!c) throw new Error('unknown colleague');
    ws.transferToColleague(chatId, c); // verifies the certificate first (checkColleague)
  } catch (error) {
    if (error instanceof ColleagueKeyError) header.notice(S.colleagueRefused(target.slice(5), colleagueWhy(error.code)));
    else header.notice(`${S.refusedGeneric} ${error.message}`);
  }
}

function updateTitle() {
  const offers = header.offers.size;
  const unread = app.ws ? [...app.ws.chats.values()].reduce((n, c) => n + c.unread, 0) : 0;
  document.title = (offers ? S.offerTitlePrefix : '') + (unread ? `(${unread}) ` : '') + S.title;
}

function notify(kind, d) {
  switch (kind) {
    case 'status':
      header.setStatus(d);
      break;
    case 'queues':
      header.queues(d);
      break;
    case 'offer':
      header.addOffer(d);
      chime.play();
      break;
    case 'offerGone':
      header.removeOffer(d.chatId);
      break;
    case 'chatAdded': {
      panels.add(d.chat);
      // Focus lost (the accepted offer's card is gone): go to the new chat.
      const active = document.activeElement;
      if (!active || active === document.body || active.id === 'chats') panels.select(d.chat.chatId, true);
      break;
    }
    case 'chat':
      panels.update(d.chat, d.event);
      break;
    case 'chatRemoved':
      panels.remove(d.chatId);
      break;
    case 'help':
      header.help(d);
      break;
    case 'handled':
      header.handled(d);
      writeHandled(sessionStorage, d);
      break;
    case 'notice':
      header.notice(d.text);
      break;
    default:
      break;
  }
  updateTitle();
}

async function start(me, identity) {
  app.me = me;
  app.identity = identity;
  app.reloadKey = sessionReloadKey(me); // null: this server sends none; no reload is kept
  const [settings, canned] = await Promise.allSettled([api.get('/api/staff/settings'), api.get('/api/canned')]);
  app.settings = settings.status === 'fulfilled' ? settings.value : { outcomes: [], languages: [] };
  app.canned = canned.status === 'fulfilled' && Array.isArray(canned.value) ? canned.value : [];
  app.languages = new Map((app.settings.languages ?? []).map((l) => [l.code, l.name]));
  showView('workspace', { focus: false });
  header.account(me);
  header.identity(identity);
  header.sound(chime.enabled);
  header.connection(false);
  totp.render(me.totp);
  const ws = new Workspace({
    send: (frame) => (app.link ? app.link.send(frame) : false),
    notify,
    identity: { seed: identity.seed, cert: identity.cert },
    handled: readHandled(sessionStorage),
  });
  app.ws = ws;
  const saved = takeBlob(sessionStorage, identity.seed, app.reloadKey); // null without a reload_key
  if (saved) ws.restore(saved);
  header.handled(ws.handled);
  app.link = new StaffLink({
    onFrame: (frame) => ws.onFrame(frame),
    onUp: () => {
      ws.onUp();
      header.connection(true);
      panels.refreshAll();
    },
    onDown: (failures) => {
      ws.onDown();
      header.connection(false);
      header.clearOffers();
      panels.refreshAll();
      if (failures >= 3) checkSession();
    },
    onStop: (code) => stopped(code),
  });
  app.link.start();
  app.ticker = setInterval(() => {
    header.tick();
    panels.tick();
  }, 1000);
  if (identity.state !== 'valid') app.poller = setInterval(pollIdentity, IDENTITY_POLL_MS);
  (panels.panels.size ? document.querySelector('.chat .composer:not([disabled])') : $('availability'))?.focus();
}

// The operator has just certified the key: no need to wait for the next poll.
$('key-check').addEventListener('click', () => pollIdentity());

/** A key waiting for certification: look again now and then (or when asked). */
async function pollIdentity() {
  if (!app.identity) return;
  try {
    app.identity = await refreshIdentity(api, app.identity);
  } catch {
    return;
  }
  header.identity(app.identity);
  if (app.ws) app.ws.identity = { seed: app.identity.seed, cert: app.identity.cert };
  if (app.identity.state === 'valid') clearInterval(app.poller);
}

/** Reconnecting keeps failing: is the session still there? */
async function checkSession() {
  try {
    await api.get('/api/me');
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) stopped(CLOSE_SESSION_ENDED);
  }
}

function stopped(code) {
  teardown();
  clearAll(sessionStorage); // the shift is over in this tab
  if (code === CLOSE_SESSION_ENDED) signin.showSignin(S.sessionEnded);
  else if (code === CLOSE_REPLACED) signin.showSignedOut(S.replaced);
  else signin.showSignedOut(S.closedBy(code));
}

/** Wipes everything this tab holds of the shift: chats, keys, offers, timers. */
function teardown() {
  if (app.link) app.link.stop();
  if (app.ws) app.ws.wipe();
  header.clearOffers();
  clearInterval(app.ticker);
  clearInterval(app.poller);
  wipeIdentity(app.identity);
  app.reloadKey?.fill(0);
  Object.assign(app, { me: null, identity: null, reloadKey: null, ws: null, link: null, canned: [], colleagues: new Map() });
  updateTitle();
}

let signOutArmed = null;

async function signOut() {
  // With chats open, a second click within a few seconds confirms (no modal prompt).
  const live = app.ws ? app.ws.liveChats.length : 0;
  const button = $('signout');
  if (live && signOutArmed === null) {
    button.textContent = S.signOutConfirm(live);
    announce(S.signOutConfirm(live), true);
    signOutArmed = setTimeout(() => {
      signOutArmed = null;
      button.textContent = S.signOut;
    }, 6000);
    return;
  }
  clearTimeout(signOutArmed);
  signOutArmed = null;
  button.textContent = S.signOut;
  try {
    await api.post('/api/logout', {});
  } catch {
    // signed out here all the same
  }
  teardown();
  clearAll(sessionStorage);
  api.forget();
  signin.showSignedOut();
}

// A reload keeps the open chats: sealed under a key from the seed and the session's
// reload_key, read back once.
window.addEventListener('pagehide', () => {
  if (!app.ws || !app.identity) return;
  const data = app.reloadKey ? app.ws.exportForReload() : null;
  if (data) saveBlob(sessionStorage, data, app.identity.seed, app.reloadKey);
  else dropBlob(sessionStorage); // an older blob must not come back
});

// Back from the back-forward cache (or shown again after start): this page goes on
// with its live state, so the blob its pagehide wrote is already out of date. Restored
// later, it would roll the send chains back and reuse keys and nonces.
window.addEventListener('pageshow', (event) => {
  if (event.persisted || app.ws) dropBlob(sessionStorage);
});

document.addEventListener('keydown', (e) => {
  if ($('main').dataset.view !== 'workspace' || !e.altKey || e.ctrlKey || e.metaKey) return;
  const digit = /^Digit([1-9])$/.exec(e.code);
  if (digit) panels.selectIndex(Number(digit[1]) - 1);
  else if (e.key === 'ArrowRight') panels.step(1);
  else if (e.key === 'ArrowLeft') panels.step(-1);
  else if (e.code === 'KeyA') header.acceptFirst();
  else return;
  e.preventDefault();
});

async function boot() {
  try {
    const me = await api.get('/api/me');
    signin.showUnlock(me);
  } catch (error) {
    signin.showSignin(error instanceof ApiError && error.code === 'network' ? S.network : null);
  }
}

boot();
