// Every text the workspace shows, in one place (English only for now; a catalogue can
// replace this module later), and the small formatting helpers that go with them.

export const S = {
  title: 'Helpline workspace',
  alias: (n) => `Visitor ${n}`,
  signinFailed: 'Wrong username or password.',
  rateLimited: (s) => `Too many attempts. Try again in ${s} seconds.`,
  weakKdf: 'The server asked for unsafe password settings. Do not sign in; tell your operator.',
  badCode: 'That code was not accepted. Try the newest code from your app.',
  network: 'The server cannot be reached. Check the connection and try again.',
  serverError: (code) => `The server refused (${code}).`,
  unlockWrong: 'Wrong password.',
  unlocking: 'Unlocking…',
  signingIn: 'Signing in…',
  sessionEnded: 'Your session has ended (signed out, or idle for too long). Please sign in again.',
  replaced: 'The workspace was opened in another tab or window. This one has stopped; use the other one, or reload here to take over.',
  signOut: 'Sign out',
  signOutConfirm: (n) => `Click again to sign out: ${n} open chat${n === 1 ? '' : 's'} will end for you`,
  signedOut: 'You are signed out. Nothing of your conversations was kept.',
  keyState: {
    valid: (until) => `Key valid until ${until}`,
    pending: 'Key waiting for certification',
    expired: 'Key expired',
    revoked: 'Key revoked',
    none: 'No key',
  },
  keyHelp: {
    pending: (fp) => `You cannot take chats yet. Ask your operator to certify your key; tell them this fingerprint: ${fp}`,
    expired: (fp) => `Your key's certificate has expired. Ask your operator to renew it; tell them this fingerprint: ${fp}`,
    revoked: 'Your key was revoked. Ask your operator what to do next; you cannot take chats with it.',
    none: 'You have no identity key yet. Reload the page to make one.',
  },
  keyMismatch: 'The stored key does not match this password’s key. Do not take chats; tell your operator.',
  available: 'Available',
  away: 'Away',
  setAway: 'Go away',
  setAvailable: 'Go available',
  offerLanguage: (lang) => `New chat in ${lang}`,
  offerWaited: (s) => `waited ${duration(s)}`,
  offerTransfer: (name) => `transfer from ${name}`,
  offerExpires: (s) => `${s} s left`,
  offerAnnounce: (lang) => `New chat offered, in ${lang}. Accept or decline.`,
  offerTitlePrefix: '(!) ',
  wrapUp: (s) => `Wrap-up pause: ${s} s before new chats.`,
  notConnected: 'Not connected. Reconnecting…',
  connected: 'Connected',
  noCertificate: 'A chat was matched but your key has no certificate: it cannot be answered.',
  transferRefused: (alias) => `The transfer of ${alias} was refused.`,
  transferRefusedNote:
    'The transfer was refused, so this chat can no longer send messages safely. Try the same colleague again, hand the chat back to the queue, transfer it to a language queue, or end it.',
  transferOnlySame: 'The refused transfer can only be offered to the same colleague again (or use a language queue).',
  transferQueuesOnly: 'This chat cannot send encrypted messages now, so it can only go to a language queue.',
  refused: (alias) => `The server refused that for ${alias}.`,
  refusedGeneric: 'The server refused that.',
  orphan: 'This chat cannot be continued here (it was opened in another tab or before the page lost its keys). You can only end it.',
  brokenNote: 'The encrypted channel broke (the visitor’s messages could not be trusted). End the chat or hand it back to the queue.',
  staleNote:
    'This chat was restored from an out-of-date saved copy (the page went on after it was saved), so it can no longer send safely. Hand it back to the queue (the visitor’s page then starts a fresh key exchange) or end it.',
  staleState: (alias) => `${alias} was restored from an out-of-date copy and can no longer send. Hand it back to the queue or end it.`,
  colleagueRefused: (who, why) => `Not transferred: ${who}’s key could not be verified (${why}).`,
  colleagueUnverified: (why) => `key not verified: ${why}`,
  colleagueWhy: {
    no_trust: 'the organisation key could not be loaded',
    no_revocation_list: 'no current revocation list',
    stale_revocation_list: 'the revocation list is out of date',
    bad_revocation_list: 'the revocation list is not valid',
    no_key: 'no certified key',
    key_mismatch: 'the certificate is for another key',
    revoked: 'the key is revoked',
    expired: 'the certificate has expired',
    bad_signature: 'the certificate is not signed by the organisation',
  },
  peerGone: 'The visitor’s connection dropped; they may come back.',
  peerBack: 'The visitor is back.',
  endedPeer: 'The visitor ended the chat.',
  samePerson: 'The visitor reloaded their page: same person (checked).',
  notSamePerson: 'Warning: the visitor’s page started again and could NOT prove it is the same person.',
  typing: 'The visitor is typing…',
  safetyCode: 'Safety code',
  waitingKeys: 'Setting up encryption…',
  delivered: 'delivered',
  sending: 'sending',
  tooLong: 'This message is too long to send in one piece.',
  newMessage: (alias) => `New message from ${alias}`,
  helpRequested: (t) => `Help requested${t ? ` at ${t}` : ''}`,
  helpAcknowledged: 'A supervisor acknowledged your request.',
  helpAsk: 'Ask for help',
  helpWithdraw: 'Withdraw help request',
  handled: (n) => `Chats this shift: ${n}`,
  soundOn: 'Sound on',
  soundOff: 'Sound off',
  noCanned: 'No canned responses for this language.',
  closeChat: 'Close',
  // chat panels and dialogs
  send: 'Send',
  canned: 'Canned',
  end: 'End',
  requeue: 'Hand back to queue',
  transfer: 'Transfer',
  block: 'Block',
  cancel: 'Cancel',
  accept: 'Accept',
  decline: 'Decline',
  you: 'You: ',
  messagesWith: (alias) => `Messages with ${alias}`,
  messageTo: (alias) => `Message to ${alias}`,
  toolsFor: (alias) => `Tools for ${alias}`,
  chatOpen: (alias, lang) => `${alias} (${lang}) is open.`,
  endTitle: (alias) => `End the chat with ${alias}`,
  outcome: 'Outcome',
  endNote: 'The visitor is told the chat has ended. Nothing of it is kept.',
  endConfirm: 'End the chat',
  blockTitle: (alias) => `Block ${alias}?`,
  blockNote: 'Only for abuse. The chat ends at once, the visitor sees a neutral “the counsellor ended the chat” and cannot come back to it.',
  transferTitle: (alias) => `Transfer ${alias}`,
  transferTo: 'Transfer to',
  transferNote: 'To a colleague: they get the chat with a fresh key exchange; no history travels. To a queue: the visitor waits at the front of that language’s queue.',
  loading: 'Loading…',
  colleagues: 'Colleagues',
  noColleagues: 'No colleague has a valid key',
  languageQueues: 'Language queues',
  queueOption: (name) => `${name} queue`,
  cannedList: 'Canned responses',
  cannedTitle: (alias) => `Canned responses for ${alias}`,
  filter: 'Filter',
  cannedHint: 'Arrow keys move, Enter inserts the text into the message to edit before sending.',
  availableNote: 'You are available: new chats are offered to you.',
  awayNote: 'You are away: no new chats are offered.',
  awayNoKeyNote: 'You are away. You cannot go available until your key is valid (see above).',
  totpOn: 'Two-step sign-in is on.',
  totpOff: 'Two-step sign-in is off.',
  totpNowOn: 'Two-step sign-in is now on. You will be asked for a code when you sign in.',
  closedBy: (code) => `The server closed the connection (code ${code}). Reload the page to continue.`,
  freeNot: {
    offline: 'offline',
    away: 'away',
    full: 'no free slot',
    language: 'does not speak this language',
  },
};

const ENDED = {
  seeker_left: 'The visitor left the chat.',
  seeker_gone: 'The visitor left without coming back (their connection was lost).',
  counsellor_ended: 'The chat was ended.',
  handed_back: 'The chat was handed back to the queue.',
  transferred: 'The chat was transferred.',
  blocked: 'The visitor was blocked.',
  lost: 'The chat is no longer open on the server (it ended while you were away).',
  peer_closed: 'The visitor ended the chat.',
};

/** Why a colleague's key was refused, from a CryptoError code. */
export function colleagueWhy(code) {
  return S.colleagueWhy[code] ?? `invalid certificate (${code})`;
}

export function endedReason(reason) {
  return ENDED[reason] ?? `The chat ended (${reason}).`;
}

/** "45 s", "3 min", "1 h 05 min". */
export function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** A date in the reader's language, e.g. for the key's validity. */
export function formatDate(unixSeconds) {
  return new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'long', year: 'numeric' }).format(new Date(unixSeconds * 1000));
}

export function formatClock(unixSeconds, { seconds = false } = {}) {
  const options = { hour: '2-digit', minute: '2-digit' };
  if (seconds) options.second = '2-digit';
  return new Intl.DateTimeFormat(undefined, options).format(new Date(unixSeconds * 1000));
}
