// The help-seeker's page: notice → waiting → chat → ended, with a quick exit.
//
// Rules:
// - The page writes no cookie, no localStorage, no IndexedDB. While it is open it
//   writes nothing at all: the resume token and the state needed to re-hello after a
//   reload go to sessionStorage only when the page is left (pagehide), with the
//   time, and the next load reads and deletes them at once and takes them only if it
//   is a reload within seconds (storage.mjs). A tab closed and reopened later, or a
//   duplicated tab, does not get back into the chat.
// - `join` is sent once: after the welcome, a lost connection resumes with the token
//   or, when there is none left, is not reopened. Ending or leaving while offline
//   resumes first and then leaves, so nobody is put back in a queue they left.
// - Every text from outside (messages, the counsellor's name, resources) is set
//   with textContent: markup is shown as text, never run.
// - Quick exit (the button, or Esc twice) first wipes keys, tokens and the page,
//   then replaces the page with the operator's neutral site (location.replace:
//   Back does not come back here).
// - A dropped connection is resumed without the user doing anything; a banner says
//   so meanwhile. Messages are shown exactly once, in order (chat.mjs, delivery.mjs).

import { b64uDecode, verifyRevocationList } from '/static/crypto/hlp1.mjs';
import { ChatStopped, HANDSHAKE_TIMEOUT, SeekerChat, fitsInOneMessage, now, requeuedNote } from './chat.mjs';
import { endonym, loadCatalogue, preferredLanguage, translateDocument } from './i18n.mjs';
import { CLOSE_REPLACED, SeekerLink } from './link.mjs';
import { clearStorage, saveForReload, takeSaved } from './storage.mjs';
import { $, Transcript, announce, formatTime, renderResources, setText } from './view.mjs';

const DEFAULT_EXIT = 'https://www.bbc.com/weather';
const ESCAPE_TWICE_MS = 1000;
const TYPING_REFRESH_MS = 4000;
const TYPING_IDLE_MS = 5000;
const TYPING_SHOWN_MS = 8000;
const HANDSHAKE_TRIES = 3;
const SERVICE_REFRESH_MS = 60_000;

const page = {
  state: 'loading',
  service: null,
  trust: null, // {orgPub, revocations} or null when the list is missing or stale
  catalogue: null,
  language: null,
  fallback: null,
  // Whether the seeker chose the fallback themselves; until then the menu shows the
  // queue's own (the operator's choice, GET /api/service `fallback`).
  fallbackChosen: false,
  link: null,
  token: null,
  chat: null,
  counsellor: null,
  queue: null, // {position, estimate, language}
  waitingNote: null,
  endedKey: null,
  failedKey: null,
  ticket: null,
  joined: false, // welcome received: never join again on this page
  leaving: false, // asked to leave (or end) while the connection was down
  handshakeTimer: null,
  handshakeTries: 0,
  lastEscape: 0,
  typingSentAt: 0,
  typingIdle: null,
  typingShown: null,
  transcript: null, // the chat on screen (view.mjs)
  savedChat: null, // a reload's saved HLP1 state, used once by onResumed
};

// ---- storage: sessionStorage only --------------------------------------------------

/** pagehide: what a reload needs to take the place or the chat back. */
function onPageHide() {
  if (page.token === null || page.leaving) return;
  if (!['waiting', 'connecting', 'chat'].includes(page.state)) return;
  saveForReload({
    token: page.token,
    language: page.language,
    chat: page.chat ? page.chat.savedState() : null,
  });
}

function forget() {
  page.token = null;
  clearStorage();
}

// ---- quick exit ----------------------------------------------------------------------

function quickExit() {
  const target = page.service?.quick_exit_url ?? DEFAULT_EXIT;
  page.leaving = true; // nothing is saved on the way out (pagehide)
  if (page.link) {
    page.link.send({ v: 1, type: 'leave' });
    page.link.stop();
  }
  if (page.chat) page.chat.destroy();
  page.chat = null;
  page.link = null;
  forget();
  document.title = '';
  document.body.replaceChildren();
  try {
    if (window.top !== window.self) {
      window.top.location.replace(target);
      return;
    }
  } catch {
    // a frame we may not navigate: replace ourselves
  }
  location.replace(target);
}

// ---- views ---------------------------------------------------------------------------

function t(key, vars) {
  return page.catalogue.t(key, vars);
}

function show(state, { focus = true } = {}) {
  page.state = state;
  $('main').dataset.state = state;
  for (const section of document.querySelectorAll('main > section')) {
    section.hidden = !section.dataset.view.split(' ').includes(state);
  }
  render();
  if (!focus) return;
  const target = state === 'chat' ? $('composer') : document.querySelector(`main > section:not([hidden]) h1`);
  if (target) target.focus({ preventScroll: state === 'chat' });
}

function queueInfo(code) {
  return page.service.languages.find((queue) => queue.code === code) ?? null;
}

function queueName(queue) {
  return queue.name || endonym(queue.code);
}

function fillLanguageSelects() {
  const select = $('language');
  select.replaceChildren();
  for (const queue of page.service.languages) {
    const option = new Option(queueName(queue), queue.code, false, queue.code === page.language);
    option.lang = queue.code;
    select.append(option);
  }
  const fallback = $('fallback');
  fallback.replaceChildren(new Option(t('fallback_none'), ''));
  const chosen = page.fallbackChosen ? page.fallback : (queueInfo(page.language)?.fallback ?? null);
  for (const queue of page.service.languages) {
    if (queue.code === page.language) continue;
    const option = new Option(queueName(queue), queue.code, false, queue.code === chosen);
    option.lang = queue.code;
    fallback.append(option);
  }
  const ui = $('ui-language');
  ui.replaceChildren();
  for (const code of page.service.ui_languages) {
    const option = new Option(endonym(code), code, false, code === page.catalogue.code);
    option.lang = code;
    ui.append(option);
  }
}

/** Everything on screen that depends on state or on the interface language. */
function render() {
  if (page.catalogue === null) return;
  translateDocument(page.catalogue);
  $('failed-reason').textContent = page.failedKey ? t(page.failedKey) : '';
  if (page.service === null) return;
  fillLanguageSelects();
  $('transcripts-notice').hidden = !page.service.transcripts;
  $('not-stored').hidden = page.service.transcripts; // never both promises at once

  const queue = queueInfo(page.language);
  const closed = queue !== null && !queue.open;
  $('closed-info').hidden = !closed;
  $('start').hidden = closed;
  $('fallback').closest('.field').hidden = closed || page.service.languages.length < 2;
  if (closed) {
    $('opens-at').textContent = queue.opens_at ? t('opens_at', { time: formatTime(page.catalogue.code, queue.opens_at) }) : t('opens_unknown');
    $('closed-message').textContent = queue.closed_message ?? '';
    $('closed-message').hidden = !queue.closed_message;
    renderResources($('closed-resources'), queue.resources, t);
  }
  if (page.state === 'notice' && closed) {
    page.state = 'closed';
    $('main').dataset.state = 'closed';
  } else if (page.state === 'closed' && !closed) {
    page.state = 'notice';
    $('main').dataset.state = 'notice';
  }

  if (page.queue) {
    const { position, estimate } = page.queue;
    setText($('position'), position <= 1 ? t('position_next') : t('position', { position }));
    let text = t('estimate_unknown');
    if (estimate !== null && estimate < 60) text = t('estimate_under_minute');
    else if (estimate !== null) text = t('estimate_minutes', { minutes: Math.ceil(estimate / 60) });
    setText($('estimate'), text);
  }
  const note = waitingNoteText();
  $('waiting-note').hidden = note === null;
  $('waiting-note').textContent = note ?? '';

  if (page.counsellor) {
    $('counsellor-name').textContent = page.counsellor.handle;
    $('safety-code').textContent = page.counsellor.safetyCode;
    $('chat-transcripts').hidden = !page.counsellor.transcripts;
  }
  page.transcript.relabel(t);
  $('ended-reason').textContent = page.endedKey ? t(page.endedKey) : '';
  if (page.state === 'ended') renderResources($('resources'), queue?.resources, t);
}

/** The waiting screen's note; a passed-on chat waits for the queue frame that names
    the new language (it follows `requeued` at once). */
function waitingNoteText() {
  if (page.waitingNote === null) return null;
  if (page.waitingNote !== 'waiting_transferred') return t(page.waitingNote);
  const code = page.queue?.language;
  if (!code) return null;
  // First-strong isolate: a language name in another script keeps its own direction.
  return t(page.waitingNote, { language: `\u2068${queueName(queueInfo(code) ?? { code })}\u2069` });
}

// ---- messages ------------------------------------------------------------------------

function clearChatView() {
  page.transcript.clear();
  $('composer').value = '';
  $('composer-note').textContent = '';
  $('typing').hidden = true;
  $('peer-note').hidden = true;
  $('end-confirm').hidden = true;
  $('mismatch-confirm').hidden = true;
  page.counsellor = null;
}

// ---- the connection ------------------------------------------------------------------

function connect(first) {
  stopLink(); // a finished chat's link may still wait for the server to close it
  const link = new SeekerLink({
    hello: () => {
      if (page.token) return { v: 1, type: 'resume', token: page.token };
      return page.joined ? null : first;
    },
    onFrame,
    onUp: () => {
      if (!$('reconnecting').hidden) announce(t('reconnected'));
      $('reconnecting').hidden = true;
    },
    onDown: () => {
      $('reconnecting').hidden = false;
      announce(t('reconnecting'));
    },
    onStop: (code) => {
      if (page.link !== link) return;
      $('reconnecting').hidden = true;
      page.link = null;
      page.token = null;
      page.leaving = false;
      if (!['waiting', 'connecting', 'chat'].includes(page.state)) return;
      fail(code === CLOSE_REPLACED ? 'failed_other_tab' : 'failed_lost');
    },
  });
  page.link = link;
  link.start();
}

function send(frame) {
  return page.link !== null && page.link.send(frame);
}

function onFrame(frame) {
  switch (frame.type) {
    case 'welcome':
      page.token = frame.token;
      page.joined = true;
      return;
    case 'resumed':
      return onResumed(frame);
    case 'queue':
      if (!['waiting', 'connecting', 'chat'].includes(page.state)) return; // left already
      page.queue = { position: frame.position, estimate: frame.estimated_wait_s, language: frame.language };
      if (page.state !== 'waiting') show('waiting');
      else render();
      return;
    case 'matched':
      return onMatched(frame.chat_id);
    case 'relay':
      return onRelay(frame);
    case 'delivered':
      if (page.chat) page.transcript.delivered(page.chat.onDelivered(frame.seq), t);
      return;
    case 'peer':
      // During a handover the first counsellor has left on purpose: the transfer note says so.
      $('peer-note').hidden = frame.connected || Boolean(page.chat?.transferring);
      return;
    case 'requeued':
      dropChat();
      page.waitingNote = requeuedNote(frame.reason);
      page.queue = null;
      show('waiting');
      return;
    case 'chat_ended':
      return onChatEnded(frame);
    case 'error':
      return onError(frame);
    default:
  }
}

function onResumed(frame) {
  if (page.leaving) {
    send({ v: 1, type: 'leave' }); // asked while offline: leave now
    return;
  }
  if (frame.state === 'chatting') {
    if (page.chat && page.chat.chatId === frame.chat_id) {
      page.chat.onResumed(frame.accepted_seq);
      return;
    }
    // After a page reload: the keys were in memory only; a re-hello makes new ones.
    page.chat = new SeekerChat(frame.chat_id, page.trust, send);
    try {
      page.chat.restart(page.savedChat, frame.accepted_seq);
    } catch {
      fail('failed_broken');
      return;
    }
    page.savedChat = null;
    armHandshakeTimer();
    show('connecting');
  } else if (frame.state === 'waiting' && page.state !== 'waiting') {
    show('waiting');
  }
}

function onMatched(chatId) {
  clearChatView();
  page.waitingNote = null;
  page.chat = new SeekerChat(chatId, page.trust, send);
  try {
    page.chat.start();
  } catch {
    fail('failed_broken');
    return;
  }
  armHandshakeTimer();
  show('connecting');
}

/** A HELLO that gets no ACCEPT (lost with a counsellor's connection, delayed past the
    handshake timeout) is sent again, a few times, then the chat is given up. The same
    for the HELLO to the colleague after a handover. */
function armHandshakeTimer() {
  clearTimeout(page.handshakeTimer);
  page.handshakeTries = 1;
  const retry = () => {
    if (page.chat === null || !page.chat.awaitingHandshake) return;
    if (!['connecting', 'chat'].includes(page.state)) return;
    if (page.handshakeTries < HANDSHAKE_TRIES && page.chat.restartHandshake()) {
      page.handshakeTries += 1;
      page.handshakeTimer = setTimeout(retry, (HANDSHAKE_TIMEOUT + 1) * 1000);
      return;
    }
    fail('failed_broken');
  };
  page.handshakeTimer = setTimeout(retry, (HANDSHAKE_TIMEOUT + 1) * 1000);
}

function onRelay(frame) {
  if (page.chat === null || frame.chat_id !== page.chat.chatId) return;
  let events;
  try {
    events = page.chat.onRelay(frame);
  } catch (error) {
    if (error instanceof ChatStopped) {
      fail(error.why === 'verification' ? 'failed_verification' : 'failed_broken');
      return;
    }
    throw error;
  }
  for (const event of events) {
    if (event.kind === 'established') {
      clearTimeout(page.handshakeTimer);
      const before = page.counsellor;
      page.counsellor = event;
      if (page.state !== 'chat') {
        show('chat');
        const said = [t('counsellor_joined', { name: event.handle })];
        if (event.transcripts) said.push(t('chat_transcripts'));
        announce(said.join(' '));
      } else {
        render();
        if (event.transferred) {
          // The log (role="log") reads the note; a new recording setting is said too.
          // Left-to-right isolate: in Arabic the code's two groups must not swap places.
          page.transcript.note('transfer_joined', event.handle, t, { code: `\u2066${event.safetyCode}\u2069` });
          $('peer-note').hidden = true;
          if (event.transcripts && !before?.transcripts) announce(t('chat_transcripts'));
        }
      }
    } else if (event.kind === 'delivered') {
      page.transcript.delivered(event.ids, t);
    } else if (event.kind === 'message') {
      hideTyping();
      page.transcript.add('theirs', event.text, null, t);
    } else if (event.kind === 'typing') {
      if (event.on) showTyping();
      else hideTyping();
    } else if (event.kind === 'transfer') {
      // The HELLO to the colleague is out already (chat.mjs); it is retried like the first.
      armHandshakeTimer();
      hideTyping();
      $('peer-note').hidden = true;
      page.transcript.note('transferred', event.handle, t);
    } else if (event.kind === 'peerClosed') {
      ended('ended_counsellor');
    }
  }
}

function onChatEnded(frame) {
  page.token = null; // the server forgot it too
  page.leaving = false;
  page.ticket = typeof frame.feedback === 'string' ? frame.feedback : null;
  if (page.state !== 'ended') ended(frame.reason === 'seeker_left' ? 'ended_you' : 'ended_counsellor');
  else render();
  $('feedback').hidden = !(page.service.feedback && page.ticket);
}

function onError(frame) {
  const code = frame.code;
  if (code === 'bad_token' && (page.leaving || page.state === 'ended' || page.state === 'notice')) {
    // Back too late to say goodbye: the server has forgotten us already. Nothing to show.
    stopLink();
    page.token = null;
    page.leaving = false;
  } else if (code === 'bad_token') {
    fail('failed_lost');
  } else if (page.state === 'notice' || page.state === 'closed' || (page.state === 'waiting' && page.queue === null)) {
    // join refused: back to the notice with a reason
    stopLink();
    forget();
    const key = {
      queue_full: 'start_error_queue_full',
      queue_closed: 'start_error_closed',
    }[code] ?? 'start_error_generic';
    startError(key);
    refreshService();
  }
  // Refused relay/ack frames are retried by delivery; nothing else to show.
}

function stopLink() {
  if (page.link) page.link.stop();
  page.link = null;
  $('reconnecting').hidden = true;
}

function dropChat() {
  clearTimeout(page.handshakeTimer);
  if (page.chat) page.chat.destroy();
  page.chat = null;
  clearChatView();
}

function ended(key) {
  clearTimeout(page.handshakeTimer);
  if (page.chat) page.chat.destroy();
  page.chat = null;
  page.endedKey = key;
  // The token stays in memory until the server's chat_ended (with the feedback
  // ticket), so that a resume after a drop can still say goodbye; nothing is stored.
  clearStorage();
  hideTyping();
  clearChatView();
  $('feedback').hidden = !(page.service.feedback && page.ticket);
  $('feedback-thanks').hidden = true;
  $('feedback-note').textContent = '';
  show('ended');
}

function fail(key) {
  clearTimeout(page.handshakeTimer);
  if (page.link) send({ v: 1, type: 'leave' });
  stopLink();
  if (page.chat) page.chat.destroy();
  page.chat = null;
  forget();
  clearChatView();
  page.failedKey = key;
  show('failed');
}

// ---- typing --------------------------------------------------------------------------

function showTyping() {
  $('typing').hidden = false;
  clearTimeout(page.typingShown);
  page.typingShown = setTimeout(hideTyping, TYPING_SHOWN_MS);
}

function hideTyping() {
  clearTimeout(page.typingShown);
  $('typing').hidden = true;
}

function onComposerInput() {
  const text = $('composer').value;
  $('composer-note').textContent = fitsInOneMessage(text) ? '' : t('message_too_long');
  if (!page.chat || !page.chat.established) return;
  const at = Date.now();
  if (text && at - page.typingSentAt > TYPING_REFRESH_MS) {
    page.typingSentAt = at;
    page.chat.sendTyping(true);
  }
  clearTimeout(page.typingIdle);
  page.typingIdle = setTimeout(stopTyping, TYPING_IDLE_MS);
}

function stopTyping() {
  clearTimeout(page.typingIdle);
  if (page.typingSentAt === 0) return;
  page.typingSentAt = 0;
  if (page.chat && page.chat.established) page.chat.sendTyping(false);
}

function sendMessage(event) {
  event.preventDefault();
  const composer = $('composer');
  const text = composer.value;
  if (!text.trim() || !page.chat || !page.chat.established) return;
  if (!fitsInOneMessage(text)) {
    $('composer-note').textContent = t('message_too_long');
    return;
  }
  clearTimeout(page.typingIdle);
  page.typingSentAt = 0; // a message ends "typing" on the other side
  const id = page.chat.sendText(text);
  page.transcript.add('mine', text, id, t);
  composer.value = '';
  $('composer-note').textContent = '';
  composer.focus();
}

// ---- starting, leaving, ending -------------------------------------------------------

function startError(key) {
  const box = $('start-error');
  box.dataset.key = key;
  box.textContent = t(key);
  box.hidden = false;
  show('notice');
}

async function start(event) {
  event.preventDefault();
  page.joined = false;
  page.leaving = false;
  $('start-error').hidden = true;
  if (page.trust === null) {
    startError('start_error_crypto');
    return;
  }
  page.language = $('language').value;
  page.fallback = $('fallback').value || null;
  page.queue = null;
  page.waitingNote = null;
  page.ticket = null;
  // "No other language" where the queue has a fallback of its own is said as the
  // queue's own code: null would let the server add the queue's fallback (§2.1).
  const none = queueInfo(page.language)?.fallback ? page.language : null;
  connect({ v: 1, type: 'join', language: page.language, fallback_language: page.fallback ?? none });
  show('waiting');
}

function leaveQueue() {
  page.queue = null;
  if (send({ v: 1, type: 'leave' })) {
    stopLink();
    forget();
  } else {
    page.leaving = true; // offline: the link resumes, then leaves (onResumed)
    clearStorage();
  }
  show('notice');
}

function endChat(reason = 'seeker_ended') {
  $('end-confirm').hidden = true;
  if (page.chat) page.chat.close(reason);
  // The server answers chat_ended, with the feedback ticket; offline, the link
  // resumes first and leaves then (onResumed).
  if (!send({ v: 1, type: 'leave' })) page.leaving = true;
  ended('ended_you');
}

async function sendFeedback(event) {
  event.preventDefault();
  const answer = new FormData($('feedback')).get('answer');
  $('feedback-note').textContent = answer ? '' : t('feedback_choose');
  if (!answer || !page.ticket) return;
  const ticket = page.ticket;
  page.ticket = null;
  try {
    await fetch('/api/feedback', {
      method: 'POST',
      credentials: 'omit',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ticket, answer }),
    });
  } catch {
    // feedback is optional: a lost answer is not worth bothering anyone about
  }
  $('feedback').hidden = true;
  $('feedback-thanks').hidden = false;
  $('feedback-thanks').focus();
}

async function startAgain() {
  page.endedKey = null;
  page.failedKey = null;
  page.ticket = null;
  await refreshService();
  show('notice');
}

// ---- loading -------------------------------------------------------------------------

async function fetchJson(url) {
  const response = await fetch(url, { credentials: 'omit', cache: 'no-store' });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
}

async function refreshService() {
  let fresh;
  try {
    fresh = await fetchJson('/api/service');
  } catch {
    return; // keep what we had
  }
  // Unchanged: nothing to redraw (redrawing would reset a menu someone has open).
  if (JSON.stringify(fresh) === JSON.stringify(page.service)) return;
  page.service = fresh;
  if (!queueInfo(page.language)) page.language = page.service.languages[0]?.code ?? null;
  render();
}

async function loadTrust() {
  try {
    const info = await fetchJson('/api/crypto');
    if (!info.revocation_list) return null;
    const orgPub = b64uDecode(info.org_public_key);
    return { orgPub, revocations: verifyRevocationList(orgPub, b64uDecode(info.revocation_list), now()) };
  } catch {
    return null; // "without a current list the seeker's page does not start a chat"
  }
}

async function setInterfaceLanguage(code) {
  if (!page.service.ui_languages.includes(code)) return;
  page.catalogue = await loadCatalogue(code);
  render();
}

function bindEvents() {
  window.addEventListener('pagehide', onPageHide);
  // Back to this page from the browser's back-forward cache: start afresh, so that
  // an old chat's screen never comes back by itself.
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) location.reload();
  });
  $('quick-exit').addEventListener('click', quickExit);
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    const at = Date.now();
    if (at - page.lastEscape < ESCAPE_TWICE_MS) quickExit();
    page.lastEscape = at;
  });
  $('start-form').addEventListener('submit', start);
  $('language').addEventListener('change', async () => {
    page.language = $('language').value;
    if (page.fallback === page.language) page.fallback = null;
    if (page.service.ui_languages.includes(page.language)) await setInterfaceLanguage(page.language);
    else render();
  });
  $('fallback').addEventListener('change', () => {
    page.fallback = $('fallback').value || null;
    page.fallbackChosen = true;
  });
  $('ui-language').addEventListener('change', () => setInterfaceLanguage($('ui-language').value));
  $('leave-queue').addEventListener('click', leaveQueue);
  $('composer-form').addEventListener('submit', sendMessage);
  $('composer').addEventListener('input', onComposerInput);
  $('composer').addEventListener('keydown', (event) => {
    // Enter sends, Shift+Enter makes a new line (as in every chat app); on a touch
    // screen Enter makes a new line and the Send button sends.
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing) return;
    if (matchMedia('(pointer: coarse)').matches) return;
    sendMessage(event);
  });
  $('end-chat').addEventListener('click', () => {
    $('end-confirm').hidden = false;
    $('end-no').focus(); // the safe choice first: Enter twice must not end the chat
  });
  $('end-no').addEventListener('click', () => {
    $('end-confirm').hidden = true;
    $('end-chat').focus();
  });
  $('end-yes').addEventListener('click', () => endChat());
  $('code-mismatch').addEventListener('click', () => {
    $('mismatch-confirm').hidden = false;
    $('mismatch-no').focus();
  });
  $('mismatch-no').addEventListener('click', () => {
    $('mismatch-confirm').hidden = true;
    $('code-mismatch').focus();
  });
  $('mismatch-yes').addEventListener('click', () => {
    if (page.chat) page.chat.close('safety_code_mismatch');
    fail('failed_code_mismatch');
  });
  $('feedback').addEventListener('submit', sendFeedback);
  $('start-again').addEventListener('click', startAgain);
  $('failed-again').addEventListener('click', startAgain);
}

async function main() {
  page.transcript = new Transcript($('messages'), $('message-log'));
  bindEvents();
  const [service, trust] = await Promise.all([fetchJson('/api/service'), loadTrust()]);
  page.service = service;
  page.trust = trust;
  const uiCode = preferredLanguage(service.ui_languages);
  page.catalogue = await loadCatalogue(uiCode);
  const codes = service.languages.map((queue) => queue.code);
  page.language = codes.includes(uiCode) ? uiCode : (codes[0] ?? null);

  const saved = takeSaved();
  if (saved !== null && trust !== null) {
    // A reload: take our place or chat back.
    page.token = saved.token;
    page.joined = true;
    page.savedChat = saved.chat ?? null;
    page.language = saved.language ?? page.language;
    connect(null);
    show('waiting', { focus: false });
    $('reconnecting').hidden = false;
    return;
  }
  show('notice', { focus: false });
  // Opening hours pass while the notice is on screen: a closed queue opens by itself.
  setInterval(() => {
    if (page.state === 'notice' || page.state === 'closed') refreshService();
  }, SERVICE_REFRESH_MS);
}

main().catch(async () => {
  // The server did not answer as it should: say so rather than show a blank page.
  try {
    page.catalogue ??= await loadCatalogue('en');
  } catch {
    return;
  }
  page.failedKey = 'failed_broken';
  show('failed');
});
