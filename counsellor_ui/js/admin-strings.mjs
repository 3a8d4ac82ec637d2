// Every text the administration panels show (staff, queues, service, audit log), in one
// place, English only for now, like strings.mjs for the workspace.

import { formatDate } from './strings.mjs';

export const WEEKDAY_NAMES = {
  mon: 'Monday',
  tue: 'Tuesday',
  wed: 'Wednesday',
  thu: 'Thursday',
  fri: 'Friday',
  sat: 'Saturday',
  sun: 'Sunday',
};

export const A = {
  // shared
  loading: 'Loading…',
  saving: 'Saving…',
  save: 'Save',
  cancel: 'Cancel',
  edit: 'Edit',
  remove: 'Remove',
  refresh: 'Refresh',
  none: 'None',
  required: 'Fill in this field.',
  notAccepted: 'This value was not accepted.',
  network: 'The server cannot be reached. Check the connection and try again.',
  sessionEnded: 'Your session has ended. Sign in again.',
  forbidden: 'Only supervisors can do this.',
  staleCsrf: 'This page is out of date. Reload it and try again.',
  tooLarge: 'That is more than the server accepts at once. Shorten it.',
  notFound: 'It is no longer there (someone else may have removed it). Refresh the list.',
  serverError: (code) => `The server refused (${code}).`,
  noWebCrypto: 'This browser cannot derive the login secret here: the page must be opened over HTTPS (or on this computer). Nothing was sent.',
  pageError: (code) => `Something went wrong in this page (${code}). Reload it and check whether the change was made.`,
  loadFailed: (what) => `${what} could not be loaded.`,
  // A row's button for a screen reader: its visible text first, then whose row.
  rowButton: (visible, who) => `${visible}, ${who}`,

  // staff
  staffHeading: 'Staff',
  staffCaption: 'Staff accounts',
  colUsername: 'Username',
  colRole: 'Role',
  colLanguages: 'Languages',
  colCapacity: 'Chats at once',
  colDuty: 'Duty',
  colPresence: 'Presence',
  colKey: 'Identity key',
  colTotp: 'Two-step sign-in',
  colActions: 'Actions',
  you: '(you)',
  roles: { counsellor: 'Counsellor', supervisor: 'Supervisor' },
  onDuty: 'On duty',
  offDuty: 'Off duty',
  presence: { available: 'Available', away: 'Away', offline: 'Offline' },
  totpOn: 'On',
  totpOff: 'Off',
  noLanguages: 'none',
  keyState: {
    none: 'No key yet',
    pending: 'Waiting for certification',
    valid: (until) => `Valid until ${until}`,
    expired: (until) => `Expired on ${until}`,
    revoked: 'Revoked',
  },
  noAccounts: 'No accounts yet.',
  editTitle: (u) => `Edit the account ${u}`,
  resetPassword: 'Reset password',
  resetTitle: (u) => `New password for ${u}`,
  resetNote:
    'Their sessions end at once. Their identity key was locked with the old password, so it is dropped: when they sign in with the new password the workspace makes a new key, which must be certified again (keys certify) before they can take chats.',
  resetSelfNote: 'This is your own account: you will be signed out here and sign in again with the new password.',
  editNote: 'Role, languages and capacity apply from their next sign-in.',
  resetDone: (u) => `The password of ${u} was reset. Give them the new password in person or by phone.`,
  resetConfirm: 'Set the new password',
  takeOff: 'Take off duty now',
  takeOffTitle: (u) => `Take ${u} off duty now?`,
  takeOffNote:
    'Their connections close at once, their sessions end and no chat is offered to them any more. They cannot sign in until you put them back on duty.',
  // "…the organisation key: <code>command</code>, which signs…" (the command as code)
  revokeBefore:
    'This does not revoke their identity key. If the key must not be trusted any more, revoke it on the offline machine that holds the organisation key: ',
  revokeCommand: (u) => `python -m helpline keys revoke --revoke ${u}`,
  revokeAfter: ', which signs and publishes a new revocation list.',
  takenOff: (u) => `${u} is off duty. Their connections were closed.`,
  putBack: 'Put back on duty',
  putBackDone: (u) => `${u} is back on duty and can sign in again.`,
  selfRefused: 'You cannot take yourself off duty or remove your own supervisor role.',
  accountSaved: (u) => `The account ${u} was saved.`,
  addHeading: 'Add an account',
  addSubmit: 'Add the account',
  username: 'Username',
  usernameHint: 'What they type to sign in: 1 to 64 characters, no spaces.',
  role: 'Role',
  languages: 'Languages they answer',
  languagesHint: 'A supervisor needs no language unless they also take chats.',
  capacity: 'Chats at once (at most)',
  capacityHint: (max) => `1 to ${max}.`,
  password: 'Initial password',
  newPassword: 'New password',
  passwordHint: (min) =>
    `At least ${min} characters. It never leaves this browser: only a secret derived from it is sent. Tell it to them in person or by phone; they change it after signing in.`,
  passwordAgain: 'Password again',
  passwordShort: (min) => `The password needs at least ${min} characters.`,
  passwordMismatch: 'The two passwords are not the same.',
  usernameBad: 'A username has 1 to 64 characters and no spaces.',
  usernameTaken: 'There is already an account with this username.',
  capacityBad: (max) => `Enter a whole number from 1 to ${max}.`,
  deriving: 'Deriving the login secret from the password…',
  weakKdf: 'The server asked for unsafe password settings. Nothing was sent; tell your operator.',
  created: (u) =>
    `The account ${u} was created. They sign in at /staff/ with the initial password; the key their browser makes must then be certified (keys certify) before they take chats.`,

  // queues
  queuesHeading: 'Queues',
  queuesCaption: 'Language queues',
  colCode: 'Code',
  colName: 'Name',
  colHours: 'Opening hours',
  colOpenNow: 'Open now',
  colFallback: 'Fallback',
  alwaysOpen: 'Open all the time',
  openNow: 'Open',
  closedNow: 'Closed',
  editQueue: (name) => `Edit the ${name} queue`,
  queueName: 'Display name',
  queueNameHint: 'The name seekers see, in the language itself (for example “Deutsch”). Empty: the built-in name.',
  hoursLegend: 'Opening hours',
  hoursAlways: 'Open all the time',
  hoursWeekly: 'Open at set times each week',
  hoursNote: (zone) => `Times are in the helpline’s time zone (${zone}). A period ending at midnight (00:00) runs to the end of the day. A day without periods is closed.`,
  periodFrom: 'From',
  periodTo: 'To',
  addPeriod: 'Add a period',
  removePeriod: (day, n) => `Remove period ${n} on ${day}`,
  closedAllDay: 'Closed all day',
  periodMissing: 'Enter a time here (both times of a period are needed).',
  periodOrder: 'The end must be after the start.',
  periodOverlap: 'Periods must be in order and must not overlap.',
  midnightStart: '24:00 can only end a period.',
  holidays: 'Holidays (closed all day)',
  holidaysHint: 'One date per line, as YYYY-MM-DD, for example 2026-12-25.',
  holidayBad: (line) => `“${line}” is not a date as YYYY-MM-DD.`,
  closedSwitch: 'Closed until further notice',
  closedSwitchHint: 'Overrides the opening hours: nobody can join this queue while it is on.',
  closedMessage: 'Message shown while the queue is closed',
  closedMessageHint: 'Optional. Seekers see it instead of the chat button.',
  fallback: 'Fallback queue',
  fallbackHint: 'Where a chat may go when nobody answers this language.',
  noFallback: 'No fallback',
  resourcesLegend: 'Self-help resources',
  resource: (n) => `Resource ${n}`,
  resourceTitle: 'Title',
  resourceText: 'Text',
  resourceUrl: 'Link (optional)',
  resourcePhone: 'Phone (optional)',
  addResource: 'Add a resource',
  removeResource: (n) => `Remove resource ${n}`,
  noResources: 'No resources.',
  saveQueue: 'Save the queue',
  queueSaved: (name) => `The ${name} queue was saved.`,
  addQueueHeading: 'Add a queue',
  queueCode: 'Language code',
  queueCodeHint: 'A BCP 47 language tag, for example pt-BR or sr-Latn.',
  queueCodeBad: 'Enter a language tag such as pt, pt-BR or sr-Latn.',
  queueExists: 'This queue exists already; edit it in the list.',
  addQueueSubmit: 'Add the queue',
  queueAdded: (code) => `The ${code} queue was added. Set its hours below.`,
  // canned responses
  cannedHeading: 'Canned responses',
  cannedLanguage: 'Language',
  cannedCaption: (name) => `Canned responses in ${name}`,
  colTitle: 'Title',
  colText: 'Text',
  noCannedYet: 'No canned responses in this language yet.',
  cannedTitle: 'Title',
  cannedText: 'Text',
  cannedAdd: 'Add the response',
  cannedAddHeading: 'Add a canned response',
  cannedEditTitle: (t) => `Edit “${t}”`,
  cannedRemoveTitle: (t) => `Remove the canned response “${t}”?`,
  cannedRemoveNote: 'Counsellors will no longer find it. This cannot be undone.',
  cannedAdded: (t) => `“${t}” was added.`,
  cannedSaved: (t) => `“${t}” was saved.`,
  cannedRemoved: (t) => `“${t}” was removed.`,
  cannedTooMany: 'There are too many canned responses in this language. Remove one first.',
  cannedBadText: 'This text is empty, too long, or has characters that are not allowed (control or formatting characters).',

  // service
  serviceHeading: 'Service',
  serviceLegend: 'Service settings',
  timeZone: 'Time zone',
  timeZoneHint: 'An IANA name such as Europe/Amsterdam. Opening hours are read in this zone.',
  quickExit: 'Quick-exit address',
  quickExitHint: 'Where the seeker’s “leave quickly” button goes: a harmless http:// or https:// page.',
  transcripts: 'Let seekers download a transcript',
  transcriptsHint: 'Off by default. Turning it on is recorded in the audit log with your name.',
  feedback: 'Ask seekers for anonymous feedback after a chat',
  outcomes: 'Outcome codes',
  outcomesHint: 'One per line, for example referred_emergency. Counsellors pick one when a chat ends.',
  transcriptsTitle: 'Turn transcripts on?',
  transcriptsNote:
    'Seekers will be offered a copy of their conversation to keep on their device. That copy may be found by someone else who uses the device. Turning this on is recorded in the audit log, with your username and the time.',
  transcriptsConfirm: 'Turn transcripts on',
  saveService: 'Save the settings',
  serviceSaved: 'The service settings were saved.',

  // audit
  auditHeading: 'Audit log',
  auditCaption: 'Administrative actions, newest first',
  colWhen: 'When',
  colWho: 'Who',
  colWhat: 'Action',
  colDetail: 'Details',
  loadOlder: 'Load older entries',
  noOlder: 'That is the oldest entry.',
  noEntries: 'No entries yet.',
  olderLoaded: (n) => `${n} older entr${n === 1 ? 'y' : 'ies'} loaded.`,
};

/** The key cell's words: state (and "valid until" / "expired on" with the date). */
export function keyStateText(key) {
  if (!key) return A.keyState.none;
  const date = typeof key.not_after === 'number' ? formatDate(key.not_after) : '?';
  if (key.state === 'valid') return A.keyState.valid(date);
  if (key.state === 'expired') return A.keyState.expired(date);
  if (key.state === 'pending') return A.keyState.pending;
  if (key.state === 'revoked') return A.keyState.revoked;
  return String(key.state);
}

/** A date and time for the audit log, in the reader's language. */
export function formatMoment(unixSeconds) {
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(unixSeconds * 1000));
}

/** "Deutsch (de)": the queue's own name, else the built-in one, and its code. */
export function queueLabel(queue) {
  const name = queue.name || queue.display_name;
  return name ? `${name} (${queue.code})` : queue.code;
}
